"""Where things live. Everything is relative to the repo unless the environment says otherwise.

DEI_LAKE      root of the data lake (default: <repo>/data_lake), or an object-storage URL s3://bucket/prefix
              whose layers all live in the bucket (index/storage.py)
DEI_LAKE_CACHE the local directory of an object lake (default ~/.cache/dei/lake/<bucket>/<prefix>)
DEI_SQL       root of the SQL tree (default: <repo>/sql)
DEI_SQL_ALLOW more directories a method TOML may name files in (os.pathsep-separated; index.config.resolve)
DEI_SQL_TIMEOUT_SECONDS, DEI_SQL_MEMORY_LIMIT        limits of a framework/weights/periods file (index.sandbox)
DEI_ENGINE_TIMEOUT_SECONDS, DEI_ENGINE_MEMORY_LIMIT  limits of the engine connection in compute (index.sandbox)
DEI_CACHE     the verdict cache of passed checks (default ~/.cache/dei; "off" disables it; index.verdicts)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from index.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent


def env_number(
    name: str,
    default: float,
    *,
    rejects: Callable[[float], bool],
    invalid: str,
    out_of_range: str | None = None,
    parse: Callable[[str], float] = float,
    blank_is_default: bool = True,
) -> float:
    """The number in environment variable ``name``, read on each call; ``default`` when it is unset (or blank).

    ConfigError ``invalid`` when it does not parse, ``out_of_range`` (else ``invalid``) when ``rejects`` it;
    both may name the text as ``{raw!r}``.
    """
    raw = os.environ.get(name)
    if raw is None or (blank_is_default and raw.strip() == ""):
        return default
    try:
        value = parse(raw)
    except ValueError:
        raise ConfigError(invalid.format(raw=raw)) from None
    if rejects(value):
        raise ConfigError((out_of_range or invalid).format(raw=raw))
    return value


def _below(root: str, *parts: str) -> property:
    """A read-only path under one of the Settings roots."""
    return property(lambda self: getattr(self, root).joinpath(*parts))


@dataclass(frozen=True)
class Settings:
    lake: Path
    sql: Path
    expectations: Path
    reference: Path
    # DEI_LAKE as an s3:// URL (index/storage.py); ``lake`` is then its local cache directory
    lake_url: str | None = None
    # A recomputation of history (index.history): another framework file, and the reporting years to score.
    framework_override: Path | None = None
    years: tuple[int, int] | None = None

    # the layers of the lake and the default files of the SQL tree, derived from the roots above
    landing = _below("lake", "landing")
    raw = _below("lake", "raw")
    curated = _below("lake", "curated")
    quarantine = _below("lake", "quarantine")
    published = _below("lake", "published")
    # the framework's reporting range (first_year, last_year); load_framework reads it into attrs
    periods_file = _below("sql", "framework", "periods.sql")

    @property
    def framework_file(self) -> Path:
        return self.framework_override or self.sql / "framework" / "dei_framework.sql"

    default_weights = _below("sql", "weights", "expert.sql")
    default_method = _below("sql", "method", "dei.toml")


def settings() -> Settings:
    """Read the environment each call, so tests can point the lake at a temporary directory."""
    from index import storage

    raw = os.environ.get("DEI_LAKE", str(REPO_ROOT / "data_lake"))
    url = storage.parse_lake(raw)
    return Settings(
        lake=(storage.default_cache(url) if url else Path(raw)).resolve(),
        lake_url=str(url) if url else None,
        sql=Path(os.environ.get("DEI_SQL", REPO_ROOT / "sql")).resolve(),
        expectations=Path(os.environ.get("DEI_EXPECTATIONS", REPO_ROOT / "expectations")).resolve(),
        reference=REPO_ROOT / "reference",
    )


# Directories besides the SQL tree (cfg.sql) that a method TOML may name files in, os.pathsep-separated.
ALLOW_ENV = "DEI_SQL_ALLOW"


def allowed_roots(cfg: Settings) -> list[Path]:
    roots = [cfg.sql.resolve()]
    for entry in os.environ.get(ALLOW_ENV, "").split(os.pathsep):
        if entry.strip():
            roots.append(Path(entry.strip()).expanduser().resolve())
    return roots


def resolve(path: str | Path, cfg: Settings, confined: bool = True) -> Path:
    """Scheme and method paths may be given relative to the SQL tree's parent (sql/weights/x.sql) or absolute.

    ``confined`` (a path named inside a method TOML, which may come from someone else): after following
    symlinks it must lie inside the SQL tree or a DEI_SQL_ALLOW directory; otherwise it is refused unread.
    A path typed on the command line is the user's own choice (``confined=False``); it still runs sandboxed.
    """
    given = Path(path)
    # "sql/weights/x.sql" means that file of the SQL tree in use (DEI_SQL, whatever its folder is called)
    parts = given.parts
    in_tree = cfg.sql.joinpath(*parts[1:]) if parts and parts[0] == "sql" else cfg.sql.parent / given
    real = (given if given.is_absolute() or not in_tree.exists() and given.exists() else in_tree).resolve()
    if confined and not any(real.is_relative_to(root) for root in allowed_roots(cfg)):
        raise ConfigError(
            f"{given}: refused: a method file may name only files inside the SQL tree {cfg.sql} or a"
            f" {ALLOW_ENV} directory; this path is outside them and was not read"
        )
    return real
