"""DuckDB target: data_lake/published/catalog.duckdb, a small database of views over the current release.

Dashboards open it with ``duckdb.connect(path, read_only=True)``. The pipeline never writes into that file:
each publish builds a new file beside it and ``os.replace``-s it into place. The views name the release
directory by its absolute path (releases/<id>/, not latest/), so a reader still holding the old file keeps
reading the old, complete release.

On a lake on object storage the catalog is the object published/catalog.duckdb: built locally, uploaded in one
PUT, its views naming the release's s3:// URLs. Readers open it with :func:`open_catalog` (a fresh copy in the
cache, read-only, with the lake's filesystem registered so the views can read).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from index import storage, targets
from index.config import Settings
from index.targets import contract

CATALOG = "catalog.duckdb"


def catalog_path(cfg: Settings) -> Path:
    return cfg.published / CATALOG


def catalog_release_id(cfg: Settings) -> str | None:
    """The release the catalog shows, or None when there is no catalog yet."""
    import duckdb

    path = _fetch(cfg) if storage.is_object_lake(cfg) else catalog_path(cfg)
    if path is None or not path.is_file():
        return None
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select release_id from release_info").fetchall()[0][0]
    finally:
        con.close()


def write_catalog(cfg: Settings, release_id: str, release_dir: Path, releases_frame) -> Path:
    """Build a new catalog for ``release_id`` and replace the old one with it in one rename."""
    import duckdb

    path = catalog_path(cfg)
    release_dir = Path(release_dir).resolve()
    on_store = storage.is_object_lake(cfg)
    if on_store:
        from index.targets import parquet

        # the views read the stored files (release_dir is the cache's copy, used here only for their schemas)
        where = parquet.release_url(cfg, release_id)
        path = _fetch(cfg) or path
    else:
        where = str(release_dir)
    if path.is_file() and _up_to_date(path, release_id, releases_frame):
        return path
    cfg.published.mkdir(parents=True, exist_ok=True)
    tmp = cfg.published / f".catalog-{uuid.uuid4().hex[:8]}.duckdb"
    try:
        con = duckdb.connect(str(tmp))
        try:
            if on_store:  # a view is bound when created: the s3:// files must be readable now
                storage.lake_store(cfg).register(con)
            for table in sorted(release_dir.glob("*.parquet")):
                source = f"{where}/{table.name}" if on_store else str(table)
                con.execute(f'create view "{table.stem}" as {_view_select(con, table, source)}')
            con.register("releases_frame", releases_frame)
            con.execute(f"create table releases as {contract.cast_select('releases', 'releases_frame')}")
            con.unregister("releases_frame")
            con.execute(
                "create table release_info as select $id as release_id, $path as path",
                {"id": release_id, "path": where},
            )
            con.execute("checkpoint")
        finally:
            con.close()
        targets.checkpoint("catalog_write")
        if on_store:
            storage.lake_store(cfg).put(_KEY, tmp.read_bytes())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return path


def _view_select(con, table: Path, location: str | None = None) -> str:
    """The view's query over one Parquet file: all its columns, or for a release from before the 旗县 level
    (league_code ...) the contract's unit layout built from them, as PostgreSQL shows it. ``location``: where
    the view reads the file (an s3:// URL of the same file), when not ``table`` itself."""
    from index.targets.postgres import unit_layout

    local = f"read_parquet({_literal(table)})"
    source = f"read_parquet({_literal(location or table)})"
    cols = [
        tuple(c)
        for c in con.execute(f"select column_name, column_type from (describe select * from {local})").fetchall()
    ]
    layout = unit_layout(table.stem, cols)
    if [name for name, _, _ in layout] == [name for name, _ in cols]:
        return f"select * from {source}"
    return f"select {', '.join(f'{expr} as {_identifier(name)}' for name, _, expr in layout)} from {source}"


_KEY = storage.key(storage.PUBLISHED, CATALOG)


def _fetch(cfg: Settings) -> Path | None:
    """The stored catalog of an object lake copied into the cache (catalog_path), None when there is none."""
    data = storage.lake_store(cfg).get(_KEY)
    if data is None:
        return None
    path = catalog_path(cfg)
    path.parent.mkdir(parents=True, exist_ok=True)
    # not ".catalog-*": a writer's cleanup removes those, and readers fetch without the lock
    tmp = path.parent / f".fetched-catalog-{uuid.uuid4().hex[:8]}.duckdb"
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)  # a reader holding the previous copy open keeps reading it
    finally:
        tmp.unlink(missing_ok=True)
    return path


def open_catalog(cfg: Settings):
    """A read-only connection to the catalog (None when there is none yet); for an object lake a fresh copy
    with the lake's filesystem registered, so its views read the release's s3:// files."""
    path = _fetch(cfg) if storage.is_object_lake(cfg) else catalog_path(cfg)
    if path is None or not path.is_file():
        return None
    return storage.connect(cfg, str(path), read_only=True)


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _up_to_date(path: Path, release_id: str, releases_frame) -> bool:
    """Same release and same releases table: rewriting would change nothing."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute(f"attach {_literal(path)} as old (read_only)")
        if con.execute("select release_id from old.release_info").fetchall() != [(release_id,)]:
            return False
        con.register("releases_frame", releases_frame)
        con.execute(f"create temp table new_releases as {contract.cast_select('releases', 'releases_frame')}")
        diff = con.execute(
            """select count(*) from (
                (select * from old.releases except all select * from new_releases)
                union all (select * from new_releases except all select * from old.releases))"""
        ).fetchall()[0][0]
        return diff == 0
    except duckdb.Error:
        return False
    finally:
        con.close()
