"""Parquet target: immutable release directories and the atomically switched ``latest`` symlink.

Read a release by resolving ``latest`` once, then reading files of that directory::

    release = os.path.realpath("data_lake/published/latest")   # e.g. .../releases/1840ceaf10bc2bdf
    scores = pd.read_parquet(f"{release}/index_scores.parquet")
    values = pd.read_parquet(f"{release}/indicator_values.parquet")

Opening ``latest/<table>.parquet`` file by file is not safe: a publish may switch ``latest`` between two
opens, so the tables come from two releases. Release directories never change; one is deleted only when
DEI_KEEP_RELEASES later releases have been made current (prune).

On a lake on object storage (index/storage.py) ``latest`` is the pointer object published/latest.json, written
by one PUT after everything else, and a reader resolves it once with :func:`current_release_id`, then reads
that release: :func:`local_release` downloads it into the lake's cache once (a release never changes), or
DuckDB reads its s3:// URLs (:func:`release_url`, storage.connect).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

from index import storage
from index.config import Settings
from index.errors import ConfigError
from index.files import sql_string
from index.targets import contract

RELEASES_TABLE = "releases.parquet"
POINTER = "latest.json"  # an object lake's ``latest``


def key(*parts: str) -> str:
    """The object key of a published file ("published/releases/<id>/...")."""
    return storage.key(storage.PUBLISHED, *parts)


def releases_dir(cfg: Settings) -> Path:
    return cfg.published / "releases"


def latest_link(cfg: Settings) -> Path:
    return cfg.published / "latest"


def current_release_id(cfg: Settings) -> str | None:
    if storage.is_object_lake(cfg):
        data = storage.lake_store(cfg).get(key(POINTER))
        return json.loads(data)["release_id"] if data else None
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
    """Point ``latest`` at a release: write a new symlink beside it, then rename over the old one (an object
    lake: overwrite the pointer object, one atomic PUT)."""
    if storage.is_object_lake(cfg):
        store = storage.lake_store(cfg)
        if not store.exists(key("releases", release_id, "release.json")):
            raise ConfigError(f"release {release_id} does not exist under {store.key_url(key('releases'))}")
        pointer = dict(release_id=release_id, published_at=datetime.now(UTC).isoformat(timespec="seconds"))
        store.put(key(POINTER), json.dumps(pointer).encode())
        return
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
    cfg.published.mkdir(parents=True, exist_ok=True)
    tmp = cfg.published / f".releases-{uuid.uuid4().hex[:8]}.parquet"
    con = duckdb.connect()
    try:
        con.register("releases_frame", frame)
        con.execute(
            f"copy ({contract.cast_select('releases', 'releases_frame')}) to {sql_string(tmp)} (format parquet)"
        )
        if storage.is_object_lake(cfg):
            # ``path`` is the cache's copy of the stored table: fetched fresh, compared, then replaced
            store = storage.lake_store(cfg)
            stored = store.get(key(RELEASES_TABLE))
            if stored is not None:
                path.write_bytes(stored)
                if same_table(con, path, tmp):
                    return path
            store.put(key(RELEASES_TABLE), tmp.read_bytes())
            os.replace(tmp, path)
            return path
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


# ------------------------------------------------------------------ releases on either kind of lake


def release_ids(cfg: Settings) -> set[str]:
    """The complete releases (their release.json written) in the lake."""
    if storage.is_object_lake(cfg):
        store = storage.lake_store(cfg)
        return {
            m["path"].split("/")[-2]
            for m in store.list(key("releases"))
            if m["path"].endswith("/release.json") and m["path"].count("/") == 3
        }
    return {p.name for p in releases_dir(cfg).glob("*") if (p / "release.json").is_file()}


def read_manifest(cfg: Settings, release_id: str) -> dict | None:
    """release.json of a release, None when it is not in the lake (unknown, incomplete or pruned)."""
    if storage.is_object_lake(cfg):
        data = storage.lake_store(cfg).get(key("releases", release_id, "release.json"))
        return json.loads(data) if data else None
    path = releases_dir(cfg) / release_id / "release.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def release_url(cfg: Settings, release_id: str) -> str:
    """Where a release's files are: its directory, or its s3:// prefix (read with storage.connect(cfg))."""
    if storage.is_object_lake(cfg):
        return storage.lake_store(cfg).key_url(key("releases", release_id))
    return str(releases_dir(cfg) / release_id)


def local_release(cfg: Settings, release_id: str) -> Path:
    """A local directory with the release's files: releases/<id> of a directory lake; for an object lake the
    cache's copy, downloaded once (whole, then renamed into place)."""
    target = releases_dir(cfg) / release_id
    if not storage.is_object_lake(cfg) or (target / "release.json").is_file():
        return target
    store = storage.lake_store(cfg)
    if not store.exists(key("releases", release_id, "release.json")):
        raise ConfigError(f"release {release_id} does not exist under {store.key_url(key('releases'))}")
    return store.download_prefix(key("releases", release_id), target, replace=False)


def forget_local(cfg: Settings, release_id: str) -> None:
    """Drop the cache's copy of a pruned release (an object lake; a directory lake's is the release itself)."""
    if storage.is_object_lake(cfg):
        shutil.rmtree(releases_dir(cfg) / release_id, ignore_errors=True)
