"""DuckDB target: data_lake/published/catalog.duckdb, a small database of views over the current release.

Dashboards open it with ``duckdb.connect(path, read_only=True)``. The pipeline never writes into that file:
each publish builds a new file beside it and ``os.replace``-s it into place. The views name the release
directory by its absolute path (releases/<id>/, not latest/), so a reader still holding the old file keeps
reading the old, complete release.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from index import targets
from index.config import Settings
from index.targets import contract

CATALOG = "catalog.duckdb"


def catalog_path(cfg: Settings) -> Path:
    return cfg.published / CATALOG


def catalog_release_id(cfg: Settings) -> str | None:
    """The release the catalog shows, or None when there is no catalog yet."""
    import duckdb

    path = catalog_path(cfg)
    if not path.is_file():
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
    if path.is_file() and _up_to_date(path, release_id, releases_frame):
        return path
    tmp = cfg.published / f".catalog-{uuid.uuid4().hex[:8]}.duckdb"
    try:
        con = duckdb.connect(str(tmp))
        try:
            for table in sorted(release_dir.glob("*.parquet")):
                con.execute(f'create view "{table.stem}" as {_view_select(con, table)}')
            con.register("releases_frame", releases_frame)
            con.execute(f"create table releases as {contract.cast_select('releases', 'releases_frame')}")
            con.unregister("releases_frame")
            con.execute(
                "create table release_info as select $id as release_id, $path as path",
                {"id": release_id, "path": str(release_dir)},
            )
            con.execute("checkpoint")
        finally:
            con.close()
        targets.checkpoint("catalog_write")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return path


def _view_select(con, table: Path) -> str:
    """The view's query over one Parquet file: all its columns, or for a release from before the 旗县 level
    (league_code ...) the contract's unit layout built from them, as PostgreSQL shows it."""
    from index.targets.postgres import unit_layout

    source = f"read_parquet({_literal(table)})"
    cols = [
        tuple(c)
        for c in con.execute(f"select column_name, column_type from (describe select * from {source})").fetchall()
    ]
    layout = unit_layout(table.stem, cols)
    if [name for name, _, _ in layout] == [name for name, _ in cols]:
        return f"select * from {source}"
    return f"select {', '.join(f'{expr} as {_identifier(name)}' for name, _, expr in layout)} from {source}"


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
