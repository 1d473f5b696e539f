"""A dashboard idle in a REPEATABLE READ transaction neither blocks publishes nor loses its release; the old
layout (views over dei_<id> schemas) is migrated without misleading a reader, and only once no reader holds
the old views. Releases are SYNTHETIC variants of a real computed release (see conftest)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psycopg
import pytest

from index import publish, releases
from index.errors import PublishError
from index.targets import contract, postgres

import dei_concurrency_readers as readers
from conftest import stage_copy

REPO = Path(__file__).resolve().parents[2]


def reader_connection(dsn):
    conn = psycopg.connect(dsn, autocommit=True)
    conn.execute("set role dei_reader")
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    return conn


def read_in_open_transaction(conn, expected) -> str:
    """Reads inside the caller's open transaction; returns the release seen, fails on anything partial."""
    info = conn.execute("select release_id from dei.release_info").fetchall()
    releases_rows = conn.execute("select release_id, is_current from dei.releases").fetchall()
    counts = {
        t: conn.execute(f"select count(*) from dei.{t}").fetchall()[0][0]
        for t in ("index_scores", "indicator_values", "framework", "audit")
    }
    ids = {
        t: [r for (r,) in conn.execute(f"select distinct release_id from dei.{t}").fetchall()]
        for t in ("index_scores", "indicator_values", "framework")
    }
    score = conn.execute("select sum(score) from dei.index_scores").fetchall()[0][0]
    problem = readers._pg_check(expected, info, releases_rows, counts, score, ids)
    assert problem is None, problem
    return info[0][0]


def backend_state(dsn, pid) -> str:
    with psycopg.connect(dsn) as conn:
        return conn.execute("select state from pg_stat_activity where pid = %s", [pid]).fetchall()[0][0]


def test_an_idle_repeatable_read_reader_does_not_block_publishes_and_keeps_its_release(
    lake, variants, pg_on, monkeypatch
):
    made = variants(6)
    expected = {rid: exp for rid, _, exp in made}
    monkeypatch.setenv("DEI_KEEP_RELEASES", "2")
    publish.publish(stage_copy(lake, made[0]))
    reader = reader_connection(pg_on)
    try:
        reader.execute("begin isolation level repeatable read")
        assert read_in_open_transaction(reader, expected) == made[0][0]
        # the reader now holds its snapshot and AccessShareLocks on every view and store table, idle
        started = time.monotonic()
        other = subprocess.run(
            [sys.executable, "-c", f"from index import publish; publish.publish({str(stage_copy(lake, made[1]))!r})"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "DEI_POSTGRES_LOCK_TIMEOUT": "2"},
        )
        took = time.monotonic() - started
        assert other.returncode == 0, other.stderr
        assert "waiting" not in other.stderr and "postponed" not in other.stderr
        assert took < 30  # the old layout waited for the reader's whole hold (30 s in the report)
        assert backend_state(pg_on, reader.info.backend_pid) == "idle in transaction"
        assert postgres.status(pg_on) == made[1][0]
        # more publishes prune release 0 (DELETE of its rows) while the reader still holds its snapshot
        for variant in made[2:]:
            publish.publish(stage_copy(lake, variant))
        with psycopg.connect(pg_on) as conn:
            left = conn.execute("select distinct release_id from dei_store.index_scores order by 1").fetchall()
        assert (made[0][0],) not in left
        assert read_in_open_transaction(reader, expected) == made[0][0]  # its snapshot still has them all
        reader.execute("commit")
        reader.execute("begin isolation level repeatable read")
        assert read_in_open_transaction(reader, expected) == made[-1][0]
        reader.execute("commit")
    finally:
        reader.close()


def make_old_layout(dsn: str, rid: str, release_dir: Path, frame) -> None:
    """PostgreSQL as the earlier code left it: release schema dei_<id>, views in dei over it, a constant
    release_info view and the table dei.releases."""
    rows, _ = postgres._releases_rows(frame)
    with psycopg.connect(dsn, autocommit=True) as conn:
        postgres.ensure_schema(conn, "dei")
        conn.execute("set role dei_publisher")
        with conn.transaction():
            conn.execute(f"create schema dei_{rid}")
            duck = duckdb.connect()
            for path in sorted(release_dir.glob("*.parquet")):
                cols = duck.execute(f"describe select * from read_parquet('{path}')").fetchall()
                conn.execute(
                    f"create table dei_{rid}.{path.stem} ("
                    + ", ".join(f'"{c[0]}" {postgres._pg_type(c[1])}' for c in cols)
                    + ")"
                )
                with conn.cursor().copy(f"copy dei_{rid}.{path.stem} from stdin") as copy:
                    for row in duck.execute(f"select * from read_parquet('{path}')").fetchall():
                        copy.write_row(row)
                conn.execute(f"create view dei.{path.stem} as select * from dei_{rid}.{path.stem}")
            conn.execute(f"create view dei.release_info as select '{rid}'::text as release_id")
            conn.execute(
                "create table dei.releases ("
                + ", ".join(f'"{c}" {postgres._pg_type(t)}' for c, t in contract.columns("releases"))
                + ")"
            )
            with conn.cursor().copy("copy dei.releases from stdin") as copy:
                for row in rows:
                    copy.write_row(row)


def test_the_old_layout_is_migrated_once_no_reader_holds_it(lake, variants, pg_on, monkeypatch):
    made = variants(3)
    expected = {rid: exp for rid, _, exp in made}
    monkeypatch.delenv("DEI_POSTGRES_DSN")
    publish.publish(stage_copy(lake, made[0]))
    publish.publish(stage_copy(lake, made[1]))
    frame = releases.list_releases(lake)
    make_old_layout(pg_on, made[1][0], lake.published / "releases" / made[1][0], frame)
    make_old_layout_leftover = f"dei_{made[0][0]}"  # a pruned release's schema the old prune did not drop
    with psycopg.connect(pg_on, autocommit=True) as conn:
        conn.execute("set role dei_publisher")
        conn.execute(f"create schema {make_old_layout_leftover}")
        conn.execute(f"create table {make_old_layout_leftover}.index_scores (x int)")
    monkeypatch.setenv("DEI_POSTGRES_DSN", pg_on)
    monkeypatch.setenv("DEI_POSTGRES_LOCK_TIMEOUT", "0.5")
    monkeypatch.setenv("DEI_POSTGRES_RETRY_SECONDS", "3")
    reader = reader_connection(pg_on)
    try:
        reader.execute("begin isolation level repeatable read")
        assert read_in_open_transaction(reader, expected) == made[1][0]
        # replacing the old views needs their lock: with the reader on them the publish gives up clearly
        started = time.monotonic()
        with pytest.raises(
            PublishError, match=f"readers kept locks.*still shows release {made[1][0]}.*dei releases sync"
        ):
            publish.publish(stage_copy(lake, made[2]))
        assert time.monotonic() - started < 20
        assert releases.target_release_ids(lake) == dict(parquet=made[2][0], catalog=made[2][0], postgres=made[1][0])
        assert read_in_open_transaction(reader, expected) == made[1][0]
        reader.execute("commit")
    finally:
        reader.close()
    shown = releases.sync_targets(lake)
    assert shown["postgres"] == made[2][0]
    with psycopg.connect(pg_on) as conn:
        schemas = [n for (n,) in conn.execute("select nspname from pg_namespace where nspname like 'dei%' order by 1")]
        assert schemas == ["dei", "dei_store"]  # the old release schemas are gone
        views = conn.execute("select table_name from information_schema.views where table_schema = 'dei' order by 1")
        published = {t.stem for t in (lake.published / "releases" / made[2][0]).glob("*.parquet")}
        assert [v for (v,) in views.fetchall()] == sorted(published | {"release_info"})
        assert set(contract.UNCERTAINTY_TABLES) <= published
        cols = conn.execute(
            "select column_name from information_schema.columns where table_schema = 'dei' "
            "and table_name = 'index_scores' order by ordinal_position"
        ).fetchall()
        assert [c for (c,) in cols] == [c for c, _ in contract.columns("index_scores")]
    reader = reader_connection(pg_on)
    try:
        reader.execute("begin isolation level repeatable read")
        assert read_in_open_transaction(reader, expected) == made[2][0]
        reader.execute("commit")
    finally:
        reader.close()
    # and a rollback after the migration needs no copy: the rows of kept releases are there
    releases.rollback(made[1][0])
    assert postgres.status(pg_on) == made[1][0]


def test_views_have_the_contract_columns_and_types(lake, variants, pg_on):
    publish.publish(stage_copy(lake, variants(1)[0]))
    with psycopg.connect(pg_on) as conn:
        for table in contract.RELEASE_TABLES + ("audit", "releases") + contract.UNCERTAINTY_TABLES:
            got = conn.execute(
                "select column_name, data_type from information_schema.columns where "
                "table_schema = 'dei' and table_name = %s order by ordinal_position",
                [table],
            ).fetchall()
            want = [
                (
                    c,
                    "ARRAY"
                    if t.endswith("[]")
                    else {"timestamptz": "timestamp with time zone"}.get(contract.PG_TYPES[t], contract.PG_TYPES[t]),
                )
                for c, t in contract.columns(table)
            ]
            assert got == want, table
