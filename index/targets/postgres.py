"""PostgreSQL target: schema ``dei`` (views over the current release's schema ``dei_<id>``) and ``dei.releases``.

A publish is one transaction: load the release into a new schema ``dei_<id>`` (skipped when it is already
there), re-point the views in ``dei`` at it and rewrite ``dei.releases``, then commit. A reader sees the old
release or the new one; a failure anywhere before the commit leaves PostgreSQL as it was.

Connection: env DEI_POSTGRES_DSN; when that is unset and the code runs inside an Airflow task, the Airflow
connection ``dei_postgres``. Neither set: nothing touches PostgreSQL. Schema name: env DEI_POSTGRES_SCHEMA
(default ``dei``). Roles (sql/postgres/roles.sql): ``dei_publisher`` owns and writes, ``dei_reader`` reads.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from index import targets
from index.config import REPO_ROOT
from index.errors import ConfigError
from index.targets import contract

ENV_DSN = "DEI_POSTGRES_DSN"
ENV_SCHEMA = "DEI_POSTGRES_SCHEMA"
AIRFLOW_CONN_ID = "dei_postgres"
DEFAULT_SCHEMA = "dei"
PUBLISHER = "dei_publisher"
READER = "dei_reader"
SQL_DIR = REPO_ROOT / "sql" / "postgres"
# DuckDB types beyond the contract's that a release file may carry
_EXTRA_PG_TYPES = {"FLOAT": "real", "SMALLINT": "smallint", "TINYINT": "smallint", "DATE": "date",
                   "TIMESTAMP": "timestamp", "BIGINT[]": "bigint[]", "INTEGER[]": "integer[]", "DOUBLE[]": "double precision[]"}
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,45}$")


def dsn() -> str | None:
    """The DSN to publish to, or None (PostgreSQL is off)."""
    value = os.environ.get(ENV_DSN, "").strip()
    return value or _airflow_dsn()


def _airflow_dsn() -> str | None:
    """The Airflow connection ``dei_postgres``, only when running inside an Airflow task."""
    try:
        from airflow.sdk import BaseHook, get_current_context
    except ImportError:
        return None
    try:
        get_current_context()
    except Exception:  # not inside a task
        return None
    try:
        conn = BaseHook.get_connection(AIRFLOW_CONN_ID)
    except Exception:  # connection not defined: PostgreSQL stays off
        return None
    from psycopg.conninfo import make_conninfo

    parts = dict(host=conn.host, port=conn.port, user=conn.login, password=conn.password, dbname=conn.schema)
    return make_conninfo(**{k: v for k, v in parts.items() if v})


def schema_name() -> str:
    name = os.environ.get(ENV_SCHEMA, DEFAULT_SCHEMA)
    if not _SCHEMA_NAME.match(name):
        raise ConfigError(f"{ENV_SCHEMA}={name!r}: use lower-case letters, digits and _ (at most 46 characters)")
    return name


def release_schema(schema: str, release_id: str) -> str:
    if not re.fullmatch(r"[0-9a-z_]+", release_id):
        raise ConfigError(f"release id {release_id!r} cannot name a PostgreSQL schema")
    return f"{schema}_{release_id}"


def connect(conninfo: str):
    import psycopg

    return psycopg.connect(conninfo, autocommit=True)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def ensure_schema(conn, schema: str) -> None:
    """Run sql/postgres/roles.sql and schema.sql (both idempotent)."""
    with conn.transaction():
        conn.execute((SQL_DIR / "roles.sql").read_text(encoding="utf-8"))
    with conn.transaction():
        conn.execute((SQL_DIR / "schema.sql").read_text(encoding="utf-8").replace("{schema}", _ident(schema)))


def _act_as_publisher(conn) -> None:
    member = conn.execute("select pg_has_role(current_user, %s, 'MEMBER')", [PUBLISHER]).fetchall()[0][0]
    if member:
        conn.execute(f"set role {PUBLISHER}")


def current_release_id(conn, schema: str) -> str | None:
    exists = conn.execute(
        "select 1 from information_schema.views where table_schema = %s and table_name = 'release_info'", [schema]
    ).fetchall()
    if not exists:
        return None
    rows = conn.execute(f"select release_id from {_ident(schema)}.release_info").fetchall()
    return rows[0][0] if rows else None


def _schema_exists(conn, name: str) -> bool:
    return bool(conn.execute("select 1 from pg_namespace where nspname = %s", [name]).fetchall())


def _pg_type(duck_type: str) -> str:
    kind = duck_type.upper()
    if kind.startswith("DECIMAL"):
        return "numeric"
    return contract.PG_TYPES.get(kind) or _EXTRA_PG_TYPES.get(kind) or "text"


def _load_release(conn, target_schema: str, release_dir: Path) -> list[str]:
    """Create ``target_schema`` and copy every Parquet table of the release into it (inside the caller's
    transaction)."""
    import duckdb

    conn.execute(f"create schema {_ident(target_schema)}")
    duck = duckdb.connect()
    tables = []
    try:
        for path in sorted(Path(release_dir).glob("*.parquet")):
            source = f"read_parquet('{str(path).replace(chr(39), chr(39) * 2)}')"
            cols = duck.execute(f"select column_name, column_type from (describe select * from {source})").fetchall()
            qualified = f"{_ident(target_schema)}.{_ident(path.stem)}"
            conn.execute(f"create table {qualified} ({', '.join(f'{_ident(c)} {_pg_type(t)}' for c, t in cols)})")
            names = ", ".join(_ident(c) for c, _ in cols)
            with conn.cursor().copy(f"copy {qualified} ({names}) from stdin") as copy:
                for row in duck.execute(f"select * from {source}").fetchall():
                    copy.write_row(row)
            tables.append(path.stem)
            targets.checkpoint("pg_load")
    finally:
        duck.close()
    return tables


def _point_views(conn, schema: str, target_schema: str, release_id: str) -> None:
    s = _ident(schema)
    for (view,) in conn.execute(
        "select table_name from information_schema.views where table_schema = %s", [schema]
    ).fetchall():
        conn.execute(f"drop view {s}.{_ident(view)}")
    for (table,) in conn.execute(
        "select table_name from information_schema.tables where table_schema = %s and table_type = 'BASE TABLE'"
        " order by table_name",
        [target_schema],
    ).fetchall():
        conn.execute(f"create view {s}.{_ident(table)} as select * from {_ident(target_schema)}.{_ident(table)}")
    conn.execute(f"create view {s}.release_info as select %s::text as release_id".replace("%s", _quote(release_id)))


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _releases_rows(releases_frame) -> tuple[list[tuple], str]:
    """The releases table as typed rows (via DuckDB and the contract) and a hash of its content."""
    import duckdb

    duck = duckdb.connect()
    try:
        duck.register("releases_frame", releases_frame)
        # timestamps travel as ISO text (DuckDB would need pytz to hand out aware datetimes)
        duck.execute("set timezone = 'UTC'")
        cols = ", ".join(
            f'cast(cast("{c}" as {t}) as varchar)' if t == "TIMESTAMP WITH TIME ZONE" else f'cast("{c}" as {t})'
            for c, t in contract.columns("releases")
        )
        rows = duck.execute(f"select {cols} from releases_frame order by release_id").fetchall()
    finally:
        duck.close()
    digest = hashlib.sha256(repr((contract.columns("releases"), rows)).encode()).hexdigest()[:16]
    return rows, digest


def _write_releases(conn, schema: str, releases_frame) -> bool:
    """Replace ``<schema>.releases`` when its content changed (the table comment holds the content hash)."""
    rows, digest = _releases_rows(releases_frame)
    qualified = f"{_ident(schema)}.releases"
    current = conn.execute("select obj_description(to_regclass(%s), 'pg_class')", [f"{_ident(schema)}.releases"])
    if current.fetchall()[0][0] == f"content {digest}":
        return False
    cols = contract.columns("releases")
    conn.execute(f"drop table if exists {qualified}")
    conn.execute(f"create table {qualified} ({', '.join(f'{_ident(c)} {_pg_type(t)}' for c, t in cols)})")
    with conn.cursor().copy(f"copy {qualified} ({', '.join(_ident(c) for c, _ in cols)}) from stdin") as copy:
        for row in rows:
            copy.write_row(row)
    conn.execute(f"comment on table {qualified} is {_quote('content ' + digest)}")
    return True


def publish(conninfo: str, release_id: str, release_dir: Path, releases_frame, schema: str | None = None) -> dict:
    """Make ``release_id`` current in PostgreSQL in one transaction. Nothing changes when it already is and
    the releases table is the same."""
    schema = schema or schema_name()
    target_schema = release_schema(schema, release_id)
    with connect(conninfo) as conn:
        ensure_schema(conn, schema)
        _act_as_publisher(conn)
        loaded = switched = False
        with conn.transaction():
            # one publisher at a time per schema
            conn.execute("select pg_advisory_xact_lock(hashtext(%s))", [f"dei_publish:{schema}"])
            if current_release_id(conn, schema) != release_id:
                if not _schema_exists(conn, target_schema):
                    _load_release(conn, target_schema, release_dir)
                    loaded = True
                _point_views(conn, schema, target_schema, release_id)
                conn.execute(f"grant select on all tables in schema {_ident(schema)} to {READER}")
                switched = True
            releases_changed = _write_releases(conn, schema, releases_frame)
            conn.execute(f"grant select on all tables in schema {_ident(schema)} to {READER}")
            targets.checkpoint("pg_before_commit")
    return dict(schema=schema, release_schema=target_schema, loaded=loaded, switched=switched,
                releases_changed=releases_changed)


def drop_releases(conninfo: str, release_ids: list[str], schema: str | None = None) -> list[str]:
    """Drop the schemas of pruned releases (never the one the views point at)."""
    schema = schema or schema_name()
    dropped = []
    with connect(conninfo) as conn:
        _act_as_publisher(conn)
        with conn.transaction():
            conn.execute("select pg_advisory_xact_lock(hashtext(%s))", [f"dei_publish:{schema}"])
            current = current_release_id(conn, schema)
            for rid in release_ids:
                if rid != current:
                    name = release_schema(schema, rid)
                    if _schema_exists(conn, name):
                        conn.execute(f"drop schema {_ident(name)} cascade")
                        dropped.append(name)
    return dropped


def status(conninfo: str, schema: str | None = None) -> str | None:
    """The release PostgreSQL readers currently see."""
    schema = schema or schema_name()
    with connect(conninfo) as conn:
        return current_release_id(conn, schema)
