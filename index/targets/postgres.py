"""PostgreSQL target: reader-facing views in schema ``dei`` over stable tables in ``dei_store``.

Layout (``dei`` stands for DEI_POSTGRES_SCHEMA):

* ``dei_store.<table>``: one table per published table, the rows of every kept release side by side, told
  apart by ``release_id`` (added for tables whose Parquet lacks it, e.g. audit). Readers have no access.
* ``dei_store.current_release``: one row, the release readers see. ``dei_store.loaded_releases``: what is in.
* ``dei.<table>``: ``select <contract columns> from dei_store.<table> where release_id = (select release_id
  from dei_store.current_release)``; ``dei.release_info``: a view over the pointer; ``dei.releases``: a table
  rewritten in place (delete + copy), never dropped. Views read with their owner's (dei_publisher's) rights.

Why: a publish runs no DDL on anything a reader touches (views change only when the contract's columns do).
It copies the new release's rows in (one transaction, skipped when they are there), then switches the pointer
and rewrites ``dei.releases`` in one short transaction. Readers take only AccessShareLock, which row changes
never wait for, so a publish neither deadlocks with readers nor waits for one idle in a transaction; and
everything a reader sees comes from one MVCC snapshot: within a REPEATABLE READ transaction (or one
statement) the pointer, ``releases`` and the data agree, and a prune (DELETE of old rows) does not take rows
from an open snapshot. Every transaction runs with ``SET LOCAL lock_timeout`` and is retried with backoff on
lock timeouts, deadlocks and serialization failures. Writers take a session advisory lock first (also for
roles and grants, so two writers never race on the catalog). The old layout (views over ``dei_<id>``
schemas) is migrated by the next publish; its schemas and the rows of releases no longer on disk are removed.
Replacing the old views needs their lock: while a reader holds them, that publish retries, then gives up with
a PublishError (PostgreSQL stays on its release) and the next publish or ``dei releases sync`` migrates.

Tuning: DEI_POSTGRES_LOCK_TIMEOUT (seconds one statement may wait for a lock, default 2),
DEI_POSTGRES_RETRY_SECONDS (how long a step is retried, default 60), DEI_PUBLISH_LOCK_TIMEOUT (how long to
wait for another writer's advisory lock, default 600).

Connection: env DEI_POSTGRES_DSN; when that is unset and the code runs inside an Airflow task, the Airflow
connection ``dei_postgres``. Neither set: nothing touches PostgreSQL. Schema name: env DEI_POSTGRES_SCHEMA
(default ``dei``). Roles (sql/postgres/roles.sql): ``dei_publisher`` owns and writes, ``dei_reader`` reads.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from index import locks, targets
from index.config import REPO_ROOT, env_number
from index.errors import ConfigError, PublishError
from index.targets import contract

ENV_DSN = "DEI_POSTGRES_DSN"
ENV_SCHEMA = "DEI_POSTGRES_SCHEMA"
DEFAULT_SCHEMA = "dei"
PUBLISHER = "dei_publisher"
READER = "dei_reader"
SQL_DIR = REPO_ROOT / "sql" / "postgres"
# DuckDB types beyond the contract's that a release file may carry
_EXTRA_PG_TYPES = {
    "FLOAT": "real",
    "SMALLINT": "smallint",
    "TINYINT": "smallint",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "BIGINT[]": "bigint[]",
    "INTEGER[]": "integer[]",
    "DOUBLE[]": "double precision[]",
}
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,45}$")
STORE_SUFFIX = "_store"
POINTER = "current_release"
LOADED = "loaded_releases"
ENV_LOCK_TIMEOUT = "DEI_POSTGRES_LOCK_TIMEOUT"  # seconds one statement may wait for a lock (default 2)
ENV_RETRY = "DEI_POSTGRES_RETRY_SECONDS"  # how long to keep retrying a step that waited too long (default 60)


def dsn() -> str | None:
    """The DSN to publish to, or None (PostgreSQL is off)."""
    # Inside Airflow the publish task sets it from the Connection dei_postgres (dags/dei_common.py).
    return os.environ.get(ENV_DSN, "").strip() or None


def schema_name() -> str:
    name = os.environ.get(ENV_SCHEMA, DEFAULT_SCHEMA)
    if not _SCHEMA_NAME.match(name):
        raise ConfigError(f"{ENV_SCHEMA}={name!r}: use lower-case letters, digits and _ (at most 46 characters)")
    return name


def release_schema(schema: str, release_id: str) -> str:
    if not re.fullmatch(r"[0-9a-z_]+", release_id):
        raise ConfigError(f"release id {release_id!r} cannot name a PostgreSQL schema")
    return f"{schema}_{release_id}"


def store_schema(schema: str) -> str:
    return schema + STORE_SUFFIX


def connect(conninfo: str):
    import psycopg

    return psycopg.connect(conninfo, autocommit=True)


# Quoting is psycopg's (sql.Identifier / sql.Literal), never hand-written; these give the quoted text for the
# DDL this module composes from contract names.
def _ident(name: str) -> str:
    from psycopg import sql

    return sql.Identifier(name).as_string()


def _q(schema: str, name: str) -> str:
    from psycopg import sql

    return sql.Identifier(schema, name).as_string()


def _quote(value: str) -> str:
    from psycopg import sql

    return sql.Literal(value).as_string()


def _seconds(env: str, default: float) -> float:
    return env_number(
        env,
        float(default),
        rejects=lambda value: value <= 0,
        invalid=f"{env}={{raw!r}} must be a number of seconds",
        out_of_range=f"{env}={{raw!r}} must be a number of seconds > 0",
        blank_is_default=False,
    )


def ensure_schema(conn, schema: str) -> None:
    """Run sql/postgres/roles.sql and schema.sql (both idempotent) when the roles, the reader's access or the
    schema are missing. Callers hold the writer lock: grants of two writers at once fail on
    ``tuple concurrently updated``."""
    if _schema_ready(conn, schema):
        return
    conn.execute((SQL_DIR / "roles.sql").read_text(encoding="utf-8"))
    conn.execute((SQL_DIR / "schema.sql").read_text(encoding="utf-8").replace("{schema}", _ident(schema)))


def _schema_ready(conn, schema: str) -> bool:
    roles = conn.execute("select count(*) from pg_roles where rolname in (%s, %s)", [PUBLISHER, READER]).fetchone()
    if roles[0] != 2:
        return False
    row = conn.execute(
        "select has_database_privilege(%s, current_database(), 'CREATE'),"
        " (select oid from pg_namespace where nspname = %s)",
        [PUBLISHER, schema],
    ).fetchone()
    if not row[0] or row[1] is None:
        return False
    return conn.execute("select has_schema_privilege(%s, %s::oid, 'USAGE')", [READER, row[1]]).fetchone()[0]


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


def _columns(conn, qualified: str) -> list[tuple[str, str]]:
    """(name, type) of a table or view, in order; [] when it does not exist."""
    return [
        tuple(r)
        for r in conn.execute(
            "select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a"
            " where a.attrelid = to_regclass(%s) and a.attnum > 0 and not a.attisdropped order by a.attnum",
            [qualified],
        ).fetchall()
    ]


def _canonical(conn, types: list[str]) -> list[str]:
    """PostgreSQL's own spelling of type names (timestamptz -> timestamp with time zone)."""
    if not types:
        return []
    return [
        r[0]
        for r in conn.execute(
            "select format_type(t::regtype, null) from unnest(%s::text[]) with ordinality as u(t, i) order by i",
            [types],
        ).fetchall()
    ]


def _relkind(conn, qualified: str) -> str | None:
    row = conn.execute("select relkind from pg_class where oid = to_regclass(%s)", [qualified]).fetchone()
    return row[0] if row else None


def _depends_on(conn, view: str, table: str) -> bool:
    return bool(
        conn.execute(
            "select 1 from pg_rewrite r join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid"
            " where r.ev_class = to_regclass(%s) and d.refobjid = to_regclass(%s)",
            [view, table],
        ).fetchall()
    )


# ---- what a release holds -------------------------------------------------------------------------------


def _release_tables(release_dir: Path) -> list[tuple[str, Path, list[tuple[str, str]]]]:
    """(table, parquet path, [(column, duckdb type)]) of every Parquet table of a release."""
    import duckdb

    duck = duckdb.connect()
    try:
        out = []
        for path in sorted(Path(release_dir).glob("*.parquet")):
            if path.stem in (POINTER, LOADED):
                raise ConfigError(f"a release table may not be called {path.stem!r} (a PostgreSQL bookkeeping name)")
            loaded = unit_layout(path.stem, _parquet_columns(duck, path))
            out.append((path.stem, path, [(name, kind) for name, kind, _ in loaded]))
        return out
    finally:
        duck.close()


def _parquet_columns(duck, path: Path) -> list[tuple[str, str]]:
    cols = duck.execute(f"select column_name, column_type from (describe select * from {_source(path)})")
    return [tuple(c) for c in cols.fetchall()]


def _source(path: Path) -> str:
    return f"read_parquet('{str(path).replace(chr(39), chr(39) * 2)}')"


# The layout of a release published before the 旗县 level (issue 13): its columns under their contract names.
# Such a release's rows enter dei_store in the unit layout, so the views show the contract's columns alone and
# a rollback to it reads like any other release; the DuckDB catalog's views read it the same way
# (index/targets/duckdb_catalog.py). Its Parquet files stay as they were published.
LEGACY_COLUMNS = {
    "league_code": "unit_code",
    "league_name": "unit_name",
    "level_kind": "unit_level",
    "leagues_covered": "units_covered",
}
REGION_CODE = 150000


def unit_layout(table: str, parquet_cols: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(column, duckdb type, DuckDB expression over the file) of what a Parquet table puts into dei_store: its
    own columns, or for the old layout (league_code, no unit_code) the unit layout built from them."""
    names = {name for name, _ in parquet_cols}
    own = [(name, kind, f'"{name}"') for name, kind in parquet_cols]
    if "league_code" not in names or "unit_code" in names:
        return own
    out = [(LEGACY_COLUMNS.get(name, name), kind, expr) for name, kind, expr in own]
    # a row without a 盟市 (sensitivity's mean_abs_rank_shift) has no unit level either
    level = '"level_kind"' if "level_kind" in names else "case when league_code is not null then 'league' end"
    if "level_kind" not in names:
        out.append(("unit_level", "VARCHAR", level))
    out.append(("parent_code", "INTEGER", f"case when {level} = 'league' then {REGION_CODE} end"))
    if table == "index_scores" and "rank" in names and "rank_in_parent" not in names:
        out.append(("rank_in_parent", "INTEGER", '"rank"'))  # a 盟市's parent is the 自治区
    order = [name for name, _ in contract.columns(table)] if table in contract.TABLES else []
    return sorted(out, key=lambda c: order.index(c[0]) if c[0] in order else len(order))  # stable: extras last


def _store_columns(table: str, parquet_cols: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Columns of dei_store.<table>: release_id, the contract's columns, then any other column of the file."""
    cols = [("release_id", "text")]
    known = {"release_id"}
    if table in contract.TABLES:
        for name, kind in contract.columns(table):
            if name not in known:
                cols.append((name, _pg_type(kind)))
                known.add(name)
    for name, kind in parquet_cols:
        if name not in known:
            cols.append((name, _pg_type(kind)))
            known.add(name)
    return cols


def _view_columns(table: str, store_cols: list[str]) -> list[str]:
    """What dei.<table> shows: the contract's columns in its order (audit has no release_id there), then
    columns the contract does not know; a table outside the contract shows all its columns. The columns of the
    old layout (LEGACY_COLUMNS) are not shown: a store filled before the 旗县 level keeps them for its old rows,
    which are given their unit-layout values as well (_backfill_units)."""
    if table not in contract.TABLES:
        return store_cols
    named = [name for name, _ in contract.columns(table)]
    return named + [c for c in store_cols if c not in named and c != "release_id" and c not in LEGACY_COLUMNS]


# ---- locking and retrying --------------------------------------------------------------------------------


class _Busy(Exception):
    """A step kept hitting lock timeouts, deadlocks or serialization failures for the whole retry budget."""


def _retrying(conn, fn, budget: float | None = None):
    """Run ``fn`` in a transaction with SET LOCAL lock_timeout; retry it with backoff while PostgreSQL says
    the lock wait was too long, a deadlock or a serialization failure (each try rolls back whole)."""
    from psycopg import errors

    lock_ms = int(_seconds(ENV_LOCK_TIMEOUT, 2) * 1000)
    deadline = time.monotonic() + (budget if budget is not None else _seconds(ENV_RETRY, 60))
    delay = 0.05
    while True:
        try:
            with conn.transaction():
                conn.execute(f"set local lock_timeout = {lock_ms}")
                return fn()
        except (errors.LockNotAvailable, errors.DeadlockDetected, errors.SerializationFailure) as exc:
            if time.monotonic() + delay > deadline:
                raise _Busy(str(exc).strip().splitlines()[0]) from exc
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 2.0)


@contextmanager
def _writer_lock(conn, schema: str):
    """Session advisory lock per schema: one writer at a time, also across machines."""
    key = f"dei_publish:{schema}"
    timeout = locks.lock_timeout()
    locks.wait_for(
        lambda: conn.execute("select pg_try_advisory_lock(hashtext(%s))", [key]).fetchone()[0],
        lambda: _lock_holder(conn, key),
        lambda who: (
            f"dei: waiting for another publish to PostgreSQL schema {schema} ({who}) "
            f"to finish (up to {timeout:g} s, {locks.ENV_TIMEOUT}) ..."
        ),
        lambda who: (
            f"another publish to PostgreSQL schema {schema} ({who}) still "
            f"runs after {timeout:g} s; run `dei releases sync` when it has finished"
        ),
        timeout,
        0.1,
    )
    try:
        yield
    finally:
        if not conn.closed:
            try:
                conn.execute("select pg_advisory_unlock(hashtext(%s))", [key])
            except Exception:  # the connection is going away: the server drops the lock with it
                pass


@contextmanager
def lake_lock(conninfo: str, lake_url: str):
    """The writer lock of a lake on object storage while PostgreSQL is configured: a session advisory lock on
    its own connection (key per lake URL, not per schema, so publish's own schema lock inside does not wait
    for it), held for the ``with`` block; the server drops it if the holder dies."""
    key = f"dei_lake:{lake_url}"
    timeout = locks.lock_timeout()
    with connect(conninfo) as conn:
        locks.wait_for(
            lambda: conn.execute("select pg_try_advisory_lock(hashtext(%s))", [key]).fetchone()[0],
            lambda: _lock_holder(conn, key),
            lambda who: (
                f"dei: waiting for another writer of {lake_url} ({who}) to finish "
                f"(up to {timeout:g} s, {locks.ENV_TIMEOUT}) ..."
            ),
            lambda who: f"another writer of {lake_url} ({who}) still runs after {timeout:g} s: this one did nothing",
            timeout,
            0.1,
        )
        try:
            yield
        finally:
            try:
                conn.execute("select pg_advisory_unlock(hashtext(%s))", [key])
            except Exception:  # the connection is going away: the server drops the lock with it
                pass


def _lock_holder(conn, key: str) -> str:
    row = conn.execute(
        "select l.pid, a.client_addr::text, a.backend_start from pg_locks l"
        " left join pg_stat_activity a on a.pid = l.pid"
        " where l.locktype = 'advisory' and l.granted and l.objsubid = 1"
        " and l.objid = ((hashtext(%s)::bigint) & 4294967295)::oid limit 1",
        [key],
    ).fetchone()
    if not row:
        return "holder unknown"
    since = f", connected since {row[2]:%Y-%m-%d %H:%M:%S}" if row[2] else ""
    return f"server pid {row[0]}, client {row[1] or 'local'}{since}"


# ---- the steps of a publish -------------------------------------------------------------------------------


def _prepare_store(conn, schema: str, store: str, tables) -> None:
    """The bookkeeping and data tables in dei_store; new columns when a release brings them. No reader
    object changes here, except a view whose store column changed type (recreated in this transaction)."""
    conn.execute(f"create schema if not exists {_ident(store)}")
    conn.execute(
        f"create table if not exists {_q(store, POINTER)} (singleton boolean primary key default true"
        " check (singleton), release_id text not null, releases_digest text,"
        " switched_at timestamptz not null default now())"
    )
    conn.execute(
        f"create table if not exists {_q(store, LOADED)} (release_id text primary key,"
        " tables text[] not null, row_counts bigint[] not null, loaded_at timestamptz not null default now())"
    )
    new_layout = _depends_on(conn, _q(schema, "release_info"), _q(store, POINTER))
    for table, _, parquet_cols in tables:
        qualified = _q(store, table)
        wanted = _store_columns(table, parquet_cols)
        have = dict(_columns(conn, qualified))
        if not have:
            # vacuum_truncate off: pruning deletes rows, and truncating the file would lock readers out
            conn.execute(
                f"create table {qualified} ({', '.join(f'{_ident(c)} {t}' for c, t in wanted)})"
                " with (vacuum_truncate = false)"
            )
            conn.execute(f"create index on {qualified} (release_id)")
            continue
        canon = dict(zip([c for c, _ in wanted], _canonical(conn, [t for _, t in wanted])))
        for name, kind in wanted:
            if name not in have:
                conn.execute(f"alter table {qualified} add column {_ident(name)} {kind}")
            elif have[name] != canon[name] and table in contract.TABLES:
                # the contract changed a type: the view depends on the column, rebuild both together
                conn.execute(f"drop view if exists {_q(schema, table)}")
                conn.execute(
                    f"alter table {qualified} alter column {_ident(name)} type {kind} using {_ident(name)}::{kind}"
                )
        columns = set(have) | {c for c, _ in wanted}
        if "league_code" in have and {"unit_code", "unit_level", "parent_code"} <= columns:
            _backfill_units(conn, qualified, set(have), columns)
        if new_layout:
            _ensure_view(conn, schema, store, table)


def _backfill_units(conn, qualified: str, have: set[str], columns: set[str]) -> None:
    """The rows a store table got before the 旗县 level (league_code, no unit_code) given their unit-layout
    columns; a no-op once done. Row changes only, as any load: readers' snapshots and locks are not touched."""
    level = "level_kind" if "level_kind" in have else None
    sets = [
        f"{_ident(new)} = {_ident(old)}"
        for old, new in LEGACY_COLUMNS.items()
        if old in have and new in columns and old != "level_kind"
    ]
    unit_level = _ident(level) if level else "case when league_code is not null then 'league' end"
    sets.append(f"unit_level = {unit_level}")
    sets.append(f"parent_code = case when {unit_level} = 'league' then {REGION_CODE} end")
    if "rank_in_parent" in columns and "rank" in have:
        sets.append("rank_in_parent = rank")
    conn.execute(f"update {qualified} set {', '.join(sets)} where unit_code is null and league_code is not null")


def _load(conn, store: str, release_id: str, tables) -> bool:
    """Copy the release's rows into dei_store (one transaction; nothing when they are there already)."""
    import duckdb

    if conn.execute(f"select 1 from {_q(store, LOADED)} where release_id = %s", [release_id]).fetchall():
        return False
    duck = duckdb.connect()
    counts = []
    try:
        for table, path, _ in tables:
            qualified = _q(store, table)
            conn.execute(f"delete from {qualified} where release_id = %s", [release_id])
            loaded = [c for c in unit_layout(table, _parquet_columns(duck, path)) if c[0] != "release_id"]
            cols = ", ".join(_ident(c) for c in ["release_id", *(name for name, _, _ in loaded)])
            picked = ", ".join(["$rid", *(expr for _, _, expr in loaded)])
            rows = duck.execute(f"select {picked} from {_source(path)}", {"rid": release_id}).fetchall()
            with conn.cursor().copy(f"copy {qualified} ({cols}) from stdin") as copy:
                for row in rows:
                    copy.write_row(row)
            counts.append(len(rows))
            targets.checkpoint("pg_load")
    finally:
        duck.close()
    conn.execute(
        f"insert into {_q(store, LOADED)} (release_id, tables, row_counts) values (%s, %s, %s)",
        [release_id, [t for t, _, _ in tables], counts],
    )
    return True


def _ensure_view(conn, schema: str, store: str, table: str) -> bool:
    """dei.<table> over dei_store.<table>, created or changed only when it is missing or its columns differ."""
    view, source = _q(schema, table), _q(store, table)
    store_cols = _columns(conn, source)
    shown = _view_columns(table, [c for c, _ in store_cols])
    types = dict(store_cols)
    wanted = [(c, types[c]) for c in shown]
    have = _columns(conn, view)
    if have == wanted and _depends_on(conn, view, source):
        return False
    select = (
        f"select {', '.join(_ident(c) for c in shown)} from {source}"
        f" where release_id = (select release_id from {_q(store, POINTER)})"
    )
    kind = _relkind(conn, view)
    if kind == "v" and have == wanted[: len(have)]:
        conn.execute(f"create or replace view {view} as {select}")
    else:
        if kind == "v":
            conn.execute(f"drop view {view}")
        elif kind is not None:
            conn.execute(f"drop table {view}")
        conn.execute(f"create view {view} as {select}")
    conn.execute(f"grant select on {view} to {READER}")
    return True


def _ensure_reader_objects(conn, schema: str, store: str) -> None:
    """Views for every store table, dei.release_info over the pointer and the table dei.releases."""
    data = [
        r[0]
        for r in conn.execute(
            "select tablename from pg_tables where schemaname = %s and tablename not in (%s, %s) order by 1",
            [store, POINTER, LOADED],
        ).fetchall()
    ]
    for table in data:
        _ensure_view(conn, schema, store, table)
    info, pointer = _q(schema, "release_info"), _q(store, POINTER)
    if _columns(conn, info) != [("release_id", "text")] or not _depends_on(conn, info, pointer):
        if _relkind(conn, info) is not None:
            conn.execute(f"drop view {info}")
        conn.execute(f"create view {info} as select release_id from {pointer}")
        conn.execute(f"grant select on {info} to {READER}")
    releases = _q(schema, "releases")
    cols = contract.columns("releases")
    wanted = list(zip([c for c, _ in cols], _canonical(conn, [_pg_type(t) for _, t in cols])))
    if _columns(conn, releases) != wanted:
        if _relkind(conn, releases) == "r":
            conn.execute(f"drop table {releases}")  # only when the contract changed its columns
        conn.execute(f"create table {releases} ({', '.join(f'{_ident(c)} {t}' for c, t in wanted)})")
        conn.execute(f"grant select on {releases} to {READER}")
        conn.execute(f"update {pointer} set releases_digest = null")


def _switch(conn, schema: str, store: str, release_id: str, rows, digest: str) -> tuple[bool, bool]:
    """Point readers at ``release_id`` and rewrite dei.releases in place, in one transaction."""
    _ensure_reader_objects(conn, schema, store)
    pointer = _q(store, POINTER)
    current = conn.execute(f"select release_id, releases_digest from {pointer}").fetchone()
    switched = current is None or current[0] != release_id
    changed = current is None or current[1] != digest
    if current is None:
        conn.execute(f"insert into {pointer} (release_id, releases_digest) values (%s, %s)", [release_id, digest])
    elif switched or changed:
        conn.execute(
            f"update {pointer} set release_id = %s, releases_digest = %s,"
            " switched_at = case when release_id = %s then switched_at else now() end",
            [release_id, digest, release_id],
        )
    if changed:
        qualified = _q(schema, "releases")
        conn.execute(f"delete from {qualified}")
        cols = ", ".join(_ident(c) for c, _ in contract.columns("releases"))
        with conn.cursor().copy(f"copy {qualified} ({cols}) from stdin") as copy:
            for row in rows:
                copy.write_row(row)
    targets.checkpoint("pg_before_commit")
    return switched, changed


def _cleanup(conn, schema: str, store: str, keep: set[str], known: set[str], doomed: set[str] | None = None):
    """Delete the rows of releases no longer kept (never the current one) and drop the old layout's
    ``dei_<id>`` schemas. Plain DELETEs: an open REPEATABLE READ snapshot still sees the rows."""
    removed = []
    current = conn.execute(f"select release_id from {_q(store, POINTER)}").fetchone()
    loaded = {r[0] for r in conn.execute(f"select release_id from {_q(store, LOADED)}").fetchall()}
    gone = (loaded - keep) if doomed is None else (loaded & doomed)
    gone -= {current[0]} if current else set()
    if gone:
        for (table,) in conn.execute(
            "select tablename from pg_tables where schemaname = %s and tablename not in (%s, %s)",
            [store, POINTER, LOADED],
        ).fetchall():
            conn.execute(f"delete from {_q(store, table)} where release_id = any(%s)", [sorted(gone)])
        conn.execute(f"delete from {_q(store, LOADED)} where release_id = any(%s)", [sorted(gone)])
        removed += sorted(gone)
    # only names of releases this lake knows: never another schema that merely starts with "dei_"
    names = [f"{schema}_{rid}" for rid in sorted(known | (doomed or set())) if re.fullmatch(r"[0-9a-z_]+", rid)]
    for (name,) in conn.execute(
        "select nspname from pg_namespace where nspname = any(%s) and nspname <> %s order by 1", [names, store]
    ).fetchall():
        conn.execute(f"drop schema {_ident(name)} cascade")
        removed.append(name)
    return removed


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


# ---- entry points -----------------------------------------------------------------------------------------


def publish(conninfo: str, release_id: str, release_dir: Path, releases_frame, schema: str | None = None) -> dict:
    """Make ``release_id`` current in PostgreSQL. Nothing changes when it already is and the releases table is
    the same. Raises PublishError (PostgreSQL left on a complete release) when it cannot finish."""
    schema = schema or schema_name()
    release_schema(schema, release_id)  # checks the id
    store = store_schema(schema)
    tables = _release_tables(release_dir)
    rows, digest = _releases_rows(releases_frame)
    ids = list(releases_frame["release_id"])
    keep = {r for r, s in zip(ids, releases_frame["status"]) if s != "pruned"} | {release_id}
    with _failures(conninfo, schema, release_id, f"could not take release {release_id}"):
        with connect(conninfo) as conn, _writer_lock(conn, schema):
            _retrying(conn, lambda: ensure_schema(conn, schema))
            _act_as_publisher(conn)
            _retrying(conn, lambda: _prepare_store(conn, schema, store, tables))
            loaded = _retrying(conn, lambda: _load(conn, store, release_id, tables))
            switched, releases_changed = _retrying(conn, lambda: _switch(conn, schema, store, release_id, rows, digest))
            removed = _tidy(conn, lambda: _cleanup(conn, schema, store, keep, set(ids)))
    return dict(
        schema=schema, store=store, loaded=loaded, switched=switched, releases_changed=releases_changed, removed=removed
    )


def _tidy(conn, fn) -> list[str]:
    """Cleanup is worth a short wait only, and never fails a publish that has switched: what is left (a busy
    table, an old schema the publisher does not own) is tried again by the next publish."""
    import psycopg

    try:
        return _retrying(conn, fn, budget=5)
    except (_Busy, psycopg.Error) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        print(f"dei: PostgreSQL cleanup postponed to the next publish ({first})", file=sys.stderr)
        return []


@contextmanager
def _failures(conninfo: str, schema: str, release_id: str, what: str):
    """PostgreSQL trouble as one PublishError that says where readers stand; other errors pass unchanged."""
    import psycopg

    try:
        yield
    except _Busy as exc:
        raise PublishError(
            f"PostgreSQL schema {schema}: readers kept locks for too long ({exc}); PostgreSQL "
            f"still shows release {_shown(conninfo, schema)}, the other targets {release_id}; "
            "run `dei releases sync` later"
        ) from exc
    except psycopg.errors.DiskFull as exc:
        raise PublishError(
            f"the PostgreSQL server's disk is full: PostgreSQL still shows release "
            f"{_shown(conninfo, schema)}, the other targets {release_id}; free space on the "
            "server and run `dei releases sync`"
        ) from exc
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PublishError(
            f"PostgreSQL ({ENV_DSN}) {what}: {first}; PostgreSQL "
            f"still shows release {_shown(conninfo, schema)} (each target shows a complete "
            "release); fix that and run `dei releases sync`"
        ) from exc


def _shown(conninfo: str, schema: str) -> str:
    try:
        return status(conninfo, schema) or "none"
    except Exception:
        return "unknown (not reachable)"


def drop_releases(conninfo: str, release_ids: list[str], schema: str | None = None) -> list[str]:
    """Delete the rows of pruned releases (never the current one's) and their old-layout schemas."""
    schema = schema or schema_name()
    store = store_schema(schema)
    with _failures(conninfo, schema, "the kept ones", "could not delete pruned releases"):
        with connect(conninfo) as conn, _writer_lock(conn, schema):
            _act_as_publisher(conn)
            if conn.execute("select to_regclass(%s)", [_q(store, POINTER)]).fetchone()[0] is None:
                return _tidy(conn, lambda: _drop_old_schemas(conn, schema, release_ids))
            return _tidy(conn, lambda: _cleanup(conn, schema, store, set(), set(), doomed=set(release_ids)))


def _drop_old_schemas(conn, schema: str, release_ids: list[str]) -> list[str]:
    current = current_release_id(conn, schema)
    dropped = []
    for rid in release_ids:
        name = release_schema(schema, rid)
        if rid != current and _schema_exists(conn, name):
            conn.execute(f"drop schema {_ident(name)} cascade")
            dropped.append(name)
    return dropped


def status(conninfo: str, schema: str | None = None) -> str | None:
    """The release PostgreSQL readers currently see."""
    schema = schema or schema_name()
    with connect(conninfo) as conn:
        return current_release_id(conn, schema)
