"""Parquet target: immutable release directories and the atomically switched ``latest`` symlink.

Read a release by resolving ``latest`` once, then reading files of that directory::

    release = os.path.realpath("data_lake/published/latest")   # e.g. .../releases/1840ceaf10bc2bdf
    scores = pd.read_parquet(f"{release}/index_scores.parquet")
    values = pd.read_parquet(f"{release}/indicator_values.parquet")

Opening ``latest/<table>.parquet`` file by file is not safe: a publish may switch ``latest`` between two
opens, so the tables come from two releases. Release directories never change; one is deleted only when
DEI_KEEP_RELEASES later releases have been made current (prune).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from index.config import Settings
from index.errors import ConfigError
from index.files import sql_string
from index.targets import contract

RELEASES_TABLE = "releases.parquet"


def releases_dir(cfg: Settings) -> Path:
    return cfg.published / "releases"


def latest_link(cfg: Settings) -> Path:
    return cfg.published / "latest"


def current_release_id(cfg: Settings) -> str | None:
    link = latest_link(cfg)
    if not link.is_symlink():
        return None
    return Path(os.readlink(link)).name


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def switch_latest(cfg: Settings, release_id: str) -> None:
    """Point ``latest`` at a release: write a new symlink beside it, then rename over the old one."""
    target = releases_dir(cfg) / release_id
    if not (target / "release.json").is_file():
        raise ConfigError(f"release {release_id} does not exist under {releases_dir(cfg)}")
    tmp = cfg.published / f".latest-{uuid.uuid4().hex[:8]}"
    os.symlink(Path("releases") / release_id, tmp)
    try:
        os.replace(tmp, latest_link(cfg))
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(cfg.published)


def write_releases_table(cfg: Settings, frame) -> Path:
    """published/releases.parquet, replaced whole; unchanged content leaves the file untouched."""
    import duckdb

    path = cfg.published / RELEASES_TABLE
    tmp = cfg.published / f".releases-{uuid.uuid4().hex[:8]}.parquet"
    con = duckdb.connect()
    try:
        con.register("releases_frame", frame)
        con.execute(
            f"copy ({contract.cast_select('releases', 'releases_frame')}) to {sql_string(tmp)} (format parquet)"
        )
        if path.is_file() and same_table(con, path, tmp):
            return path
        os.replace(tmp, path)
        return path
    finally:
        con.close()
        tmp.unlink(missing_ok=True)  # unchanged, or a failed write (full disk): no temporary file stays


def same_table(con, a: Path, b: Path) -> bool:
    """Two Parquet files hold the same columns and rows (order aside)."""
    a, b = sql_string(a), sql_string(b)
    schema = "select column_name, column_type from (describe select * from read_parquet({}))"
    if con.execute(schema.format(a)).fetchall() != con.execute(schema.format(b)).fetchall():
        return False
    diff = f"""select count(*) from (
        (select * from read_parquet({a}) except all select * from read_parquet({b}))
        union all
        (select * from read_parquet({b}) except all select * from read_parquet({a})))"""
    return con.execute(diff).fetchall()[0][0] == 0
