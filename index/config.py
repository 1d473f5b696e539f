"""Where things live. Everything is relative to the repo unless the environment says otherwise.

DEI_LAKE      root of the data lake (default: <repo>/data_lake)
DEI_SQL       root of the SQL tree (default: <repo>/sql)
DEI_SQL_ALLOW more directories a method TOML may name files in (os.pathsep-separated; index.config.resolve)
DEI_SQL_TIMEOUT_SECONDS, DEI_SQL_MEMORY_LIMIT        limits of a framework/weights/periods file (index.sandbox)
DEI_ENGINE_TIMEOUT_SECONDS, DEI_ENGINE_MEMORY_LIMIT  limits of the engine connection in compute (index.sandbox)
DEI_CACHE     the verdict cache of passed checks (default ~/.cache/dei; "off" disables it; index.verdicts)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from index.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    lake: Path
    sql: Path
    expectations: Path
    reference: Path

    @property
    def landing(self) -> Path:
        return self.lake / "landing"

    @property
    def raw(self) -> Path:
        return self.lake / "raw"

    @property
    def curated(self) -> Path:
        return self.lake / "curated"

    @property
    def quarantine(self) -> Path:
        return self.lake / "quarantine"

    @property
    def published(self) -> Path:
        return self.lake / "published"

    @property
    def framework_file(self) -> Path:
        return self.sql / "framework" / "dei_framework.sql"

    @property
    def periods_file(self) -> Path:
        """The framework's reporting range (first_year, last_year); load_framework reads it into attrs."""
        return self.sql / "framework" / "periods.sql"

    @property
    def default_weights(self) -> Path:
        return self.sql / "weights" / "expert.sql"

    @property
    def default_method(self) -> Path:
        return self.sql / "method" / "dei.toml"


def settings() -> Settings:
    """Read the environment each call, so tests can point the lake at a temporary directory."""
    return Settings(
        lake=Path(os.environ.get("DEI_LAKE", REPO_ROOT / "data_lake")).resolve(),
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
