"""One release, three targets: Parquet latest, the DuckDB catalog and PostgreSQL always show one complete
release, survive a crash at any publish step, re-publish without change, and roll back together.

Releases here are SYNTHETIC (see conftest.stage).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import psycopg
import pytest

from index import publish, releases, targets
from index.commands import compare
from index.errors import ConfigError
from index.targets import duckdb_catalog

TEST_DSN = os.environ.get("DEI_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")


class Crash(Exception):
    pass


def parquet_view(cfg) -> str:
    """The release latest shows, checked complete: every row of index_scores carries that id."""
    rid = publish.current_release_id(cfg)
    ids = duckdb.sql(f"select distinct release_id from read_parquet('{cfg.published}/latest/index_scores.parquet')")
    assert ids.fetchall() == [(rid,)]
    return rid


def catalog_view(cfg) -> str:
    con = duckdb.connect(str(cfg.published / "catalog.duckdb"), read_only=True)
    try:
        rid = con.execute("select release_id from release_info").fetchall()[0][0]
        assert con.execute("select distinct release_id from index_scores").fetchall() == [(rid,)]
        assert con.execute("select count(*) from indicator_values").fetchall()[0][0] > 0
        current = con.execute("select release_id from releases where is_current").fetchall()
        assert current in ([(rid,)], [])  # the releases table may lag only when no publish finished yet
        return rid
    finally:
        con.close()


def pg_view(schema: str) -> str:
    with psycopg.connect(TEST_DSN) as conn:
        rid = conn.execute(f"select release_id from {schema}.release_info").fetchall()[0][0]
        assert conn.execute(f"select distinct release_id from {schema}.index_scores").fetchall() == [(rid,)]
        assert conn.execute(f"select count(*) from {schema}.framework").fetchall()[0][0] > 0
        return rid


def test_publish_reaches_all_three_targets(lake, stage, pg):
    _, schema = pg
    result = publish.publish(stage("aaaa"), triggered_by="airflow:run_1")
    assert result["targets"] == {"parquet": "aaaa", "catalog": "aaaa", "postgres": "aaaa"}
    assert parquet_view(lake) == catalog_view(lake) == pg_view(schema) == "aaaa"
    with psycopg.connect(TEST_DSN) as conn:
        row = conn.execute(f"select status, triggered_by, input_sha256s from {schema}.releases").fetchall()
    assert row == [("current", "airflow:run_1", ["a" * 64, "b" * 64])]


def test_catalog_reader_holding_the_old_file_keeps_the_old_release(lake, stage, pg_off):
    publish.publish(stage("aaaa", (61.5, 55.0)))
    reader = duckdb.connect(str(lake.published / "catalog.duckdb"), read_only=True)
    publish.publish(stage("bbbb", (40.0, 70.0)))
    try:
        assert reader.execute("select distinct release_id from index_scores").fetchall() == [("aaaa",)]
    finally:
        reader.close()
    assert catalog_view(lake) == "bbbb"
    # the views name the release directory, not latest/
    con = duckdb.connect(str(lake.published / "catalog.duckdb"), read_only=True)
    sql = con.execute("select sql from duckdb_views() where view_name = 'index_scores'").fetchall()[0][0]
    con.close()
    assert str(lake.published / "releases" / "bbbb" / "index_scores.parquet") in sql


def test_without_a_dsn_nothing_touches_postgresql(lake, stage, pg_off, pg_schemas):
    result = publish.publish(stage("aaaa"))
    assert result["targets"]["postgres"] is None
    assert pg_schemas(pg_off) == []


def test_reader_role_reads_but_cannot_write(lake, stage, pg):
    _, schema = pg
    publish.publish(stage("aaaa"))
    attempts = [
        f"insert into {schema}.releases (release_id) values ('x')",
        f"delete from {schema}.releases",
        f"create table {schema}.sneaky (x int)",
        f"drop view {schema}.index_scores",
        f"create table {schema}_store.sneaky (x int)",
        f"select * from {schema}_store.index_scores",  # the store is reached only through the views
        f"select * from {schema}_store.current_release",
        f"update {schema}_store.current_release set release_id = 'x'",
        f"create view {schema}.sneaky as select 1",
    ]
    for statement in attempts:
        with psycopg.connect(TEST_DSN) as conn:
            conn.execute("set role dei_reader")
            assert conn.execute(f"select count(*) from {schema}.index_scores").fetchall() == [(2,)]
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)


STEPS = ["staged", "before_rename", "after_rename", "before_latest", "catalog_write", "pg_load", "pg_before_commit"]


@pytest.mark.parametrize("step", STEPS)
def test_a_crash_at_any_step_leaves_every_target_on_a_complete_release(lake, stage, pg, monkeypatch, step, pg_schemas):
    _, schema = pg
    publish.publish(stage("aaaa", (61.5, 55.0)))

    def crash(name):
        if name == step:
            raise Crash(name)

    monkeypatch.setattr(targets, "checkpoint", crash)
    with pytest.raises(Crash):
        publish.publish(stage("bbbb", (40.0, 70.0)))
    shown = {parquet_view(lake), catalog_view(lake), pg_view(schema)}
    assert shown <= {"aaaa", "bbbb"}
    # readers of PostgreSQL see the old release or the new one, and nothing half loaded remains
    if step in ("pg_load", "pg_before_commit"):
        assert pg_view(schema) == "aaaa"
        assert pg_schemas(schema) == [schema, f"{schema}_store"]  # no schema per release any more
        with psycopg.connect(TEST_DSN) as conn:
            loaded = conn.execute(f"select release_id from {schema}_store.loaded_releases order by 1").fetchall()
            rows = conn.execute(f"select release_id, count(*) from {schema}_store.index_scores group by 1 order by 1")
            # a crash while copying leaves no bbbb rows; one at the switch leaves them whole (2), not current
            assert rows.fetchall() == [("aaaa", 2)] + ([("bbbb", 2)] if step == "pg_before_commit" else [])
        assert loaded == [("aaaa",)] + ([("bbbb",)] if step == "pg_before_commit" else [])

    monkeypatch.setattr(targets, "checkpoint", lambda name: None)
    publish.publish(stage("bbbb", (40.0, 70.0)))
    assert parquet_view(lake) == catalog_view(lake) == pg_view(schema) == "bbbb"


def _snapshot(cfg) -> dict:
    # the writer lock's note of its holder changes on every run; the published files must not
    return {
        p: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_ino)
        for p in sorted(Path(cfg.published).rglob("*"))
        if p.is_file() and p.name not in ("history.jsonl", ".publish.lock")
    }


def _pg_snapshot(schema: str):
    with psycopg.connect(TEST_DSN) as conn:
        rows = conn.execute(f"select xmin::text, * from {schema}.releases order by release_id").fetchall()
        objects = conn.execute(
            "select c.oid::int, c.relname, n.nspname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            " where n.nspname = %s or n.nspname like %s order by 1",
            [schema, schema + r"\_%"],
        ).fetchall()
    return rows, objects


def test_republishing_the_same_release_changes_nothing(lake, stage, pg):
    _, schema = pg
    publish.publish(stage("aaaa"))
    publish.publish(stage("bbbb", (40.0, 70.0)))
    files, db = _snapshot(lake), _pg_snapshot(schema)
    again = publish.publish(stage("bbbb", (40.0, 70.0)))
    assert again["created"] is False
    assert _snapshot(lake) == files  # byte-identical, not even rewritten
    assert _pg_snapshot(schema) == db  # no new row versions, no new tables or views


def test_rollback_switches_all_three_targets(lake, stage, pg):
    _, schema = pg
    publish.publish(stage("aaaa", (61.5, 55.0)))
    publish.publish(stage("bbbb", (40.0, 70.0)))
    result = releases.rollback("aaaa", triggered_by="cli")
    assert result["previous"] == "bbbb"
    assert parquet_view(lake) == catalog_view(lake) == pg_view(schema) == "aaaa"
    status = dict(releases.list_releases(lake)[["release_id", "status"]].itertuples(index=False))
    assert status == {"aaaa": "current", "bbbb": "rolled_back"}
    with psycopg.connect(TEST_DSN) as conn:
        assert dict(conn.execute(f"select release_id, status from {schema}.releases").fetchall()) == status
    # a pruned or unknown release cannot be rolled back to
    with pytest.raises(ConfigError, match="not on disk"):
        releases.rollback("cccc")


def test_keeps_the_last_n_releases_and_never_the_current_one(lake, stage, pg, monkeypatch, pg_schemas):
    _, schema = pg
    monkeypatch.setenv("DEI_KEEP_RELEASES", "2")
    for rid in ("aaaa", "bbbb", "cccc"):
        publish.publish(stage(rid))
    listed = releases.list_releases(lake)
    assert dict(listed[["release_id", "status"]].itertuples(index=False)) == {
        "aaaa": "pruned",
        "bbbb": "superseded",
        "cccc": "current",
    }
    assert not (lake.published / "releases" / "aaaa").exists()
    assert listed.set_index("release_id").loc["aaaa", "code_version"] == "test"  # lineage survives pruning
    assert f"{schema}_aaaa" not in pg_schemas(schema)
    with psycopg.connect(TEST_DSN) as conn:
        kept = conn.execute(f"select distinct release_id from {schema}_store.index_scores order by 1").fetchall()
    assert kept == [("bbbb",), ("cccc",)]  # the pruned release's rows are gone
    # roll back to bbbb, keep only one: cccc goes, the current bbbb stays
    releases.rollback("bbbb")
    assert releases.prune(lake, keep=1) == ["cccc"]
    assert parquet_view(lake) == catalog_view(lake) == pg_view(schema) == "bbbb"


def test_keep_releases_must_be_a_positive_number(monkeypatch):
    monkeypatch.setenv("DEI_KEEP_RELEASES", "0")
    with pytest.raises(ConfigError, match="DEI_KEEP_RELEASES"):
        releases.keep_releases()


def test_diff_reports_how_scores_and_ranks_moved(lake, stage, pg_off):
    publish.publish(stage("aaaa", (61.5, 55.0)))
    publish.publish(stage("bbbb", (40.0, 70.0)))
    moves = releases.diff("aaaa", "bbbb", lake).set_index("unit_code")
    a = (
        duckdb.sql(
            f"select unit_code, score, rank from read_parquet('{lake.published}/releases/aaaa/index_scores.parquet')"
        )
        .df()
        .set_index("unit_code")
    )
    b = (
        duckdb.sql(
            f"select unit_code, score, rank from read_parquet('{lake.published}/releases/bbbb/index_scores.parquet')"
        )
        .df()
        .set_index("unit_code")
    )
    for code in a.index:
        assert moves.loc[code, "score_delta"] == pytest.approx(b.loc[code, "score"] - a.loc[code, "score"])
        assert moves.loc[code, "rank_delta"] == a.loc[code, "rank"] - b.loc[code, "rank"]
    assert "包头市" in compare.format_diff(compare.diff("aaaa", "bbbb", lake))


def test_catalog_write_leaves_no_temporary_files(lake, stage, pg_off, monkeypatch):
    publish.publish(stage("aaaa"))

    def crash(name):
        if name == "catalog_write":
            raise Crash(name)

    monkeypatch.setattr(targets, "checkpoint", crash)
    with pytest.raises(Crash):
        publish.publish(stage("bbbb", (40.0, 70.0)))
    assert sorted(p.name for p in lake.published.glob(".catalog-*")) == []
    assert duckdb_catalog.catalog_release_id(lake) == "aaaa"
    assert os.readlink(lake.published / "latest") == "releases/bbbb"


def test_a_prune_interrupted_before_postgresql_is_finished_by_the_next_publish(lake, stage, pg, monkeypatch):
    _, schema = pg
    monkeypatch.setenv("DEI_KEEP_RELEASES", "2")
    publish.publish(stage("aaaa"))
    publish.publish(stage("bbbb", (40.0, 70.0)))

    def crash(*args, **kwargs):
        raise Crash("killed after the files were deleted, before PostgreSQL")

    real_drop = releases.postgres.drop_releases
    monkeypatch.setattr(releases.postgres, "drop_releases", crash)
    with pytest.raises(Crash):
        publish.publish(stage("cccc", (30.0, 20.0)))
    assert not (lake.published / "releases" / "aaaa").exists()

    def loaded():
        with psycopg.connect(TEST_DSN) as conn:
            return sorted(r for (r,) in conn.execute(f"select distinct release_id from {schema}_store.index_scores"))

    assert loaded() == ["aaaa", "bbbb", "cccc"]  # the interrupted prune left aaaa's rows
    monkeypatch.setattr(releases.postgres, "drop_releases", real_drop)
    publish.publish(stage("cccc", (30.0, 20.0)))  # the rerun: nothing new, but PostgreSQL is tidied
    assert loaded() == ["bbbb", "cccc"]
    assert parquet_view(lake) == catalog_view(lake) == pg_view(schema) == "cccc"
