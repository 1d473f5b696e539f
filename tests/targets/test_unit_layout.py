"""The unit layout of the published tables (unit_code, unit_name, unit_level, parent_code) in PostgreSQL and the
DuckDB catalog, also for a release published before the 旗县 level (league_code, league_name: SYNTHETIC,
tests/conftest.py make_release layout="league") kept beside the new ones and rolled back to."""

from __future__ import annotations

import duckdb
import psycopg
import pytest

from index import publish, releases
from index.targets import contract, postgres

COUNTIES = {150102: 70.0, 150103: 30.0, 150202: 65.0, 150203: 75.0}


def pg_columns(conn, schema: str, table: str) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "select column_name from information_schema.columns where table_schema = %s and table_name = %s"
            " order by ordinal_position",
            [schema, table],
        ).fetchall()
    ]


def pg_scores(conn, schema: str) -> list[tuple]:
    return conn.execute(
        f"select unit_code, unit_name, unit_level, parent_code, rank, rank_in_parent from {schema}.index_scores"
        " where node_id = 'DEI' and year = 2024 order by unit_level, rank, unit_code"
    ).fetchall()


def as_published(table, parquet_cols):
    """What the PostgreSQL target loaded before the 旗县 level: a file's columns as they are."""
    return [(name, kind, f'"{name}"') for name, kind in parquet_cols]


@pytest.mark.parametrize("loaded_by", ["this_code", "the_code_before_the_county_level"])
def test_postgresql_shows_an_older_release_in_the_unit_layout_and_keeps_the_contract_columns(
    lake, make_release, pg, monkeypatch, loaded_by
):
    dsn, schema = pg
    old = make_release(lake.published / ".staging" / "old00001-test", "old00001", layout="league")
    with monkeypatch.context() as patch:
        if loaded_by != "this_code":  # the store got league_code columns, and its rows keep them
            patch.setattr(postgres, "unit_layout", as_published)
        publish.publish(old, triggered_by="test", cfg=lake)
    new = make_release(lake.published / ".staging" / "new00002-test", "new00002", counties=COUNTIES)
    publish.publish(new, triggered_by="test", cfg=lake)
    with psycopg.connect(dsn) as conn:
        # the view shows the contract's columns, no column of the old layout beside them
        assert pg_columns(conn, schema, "index_scores") == [c for c, _ in contract.columns("index_scores")]
        rows = pg_scores(conn, schema)
        assert {r[2] for r in rows} == {"league", "county"}
        counties = {r[0]: (r[1], r[3], r[5]) for r in rows if r[2] == "county"}
        assert counties == {
            150102: ("新城区", 150100, 1),
            150103: ("回民区", 150100, 2),
            150202: ("东河区", 150200, 2),
            150203: ("昆都仑区", 150200, 1),
        }
    releases.rollback("old00001", cfg=lake)
    with psycopg.connect(dsn) as conn:
        assert conn.execute(f"select release_id from {schema}.release_info").fetchall() == [("old00001",)]
        # the old release's 盟市 in the unit layout: a 盟市's parent is the 自治区, its rank there its rank
        assert pg_scores(conn, schema) == [
            (150100, "呼和浩特市", "league", 150000, 1, 1),
            (150200, "包头市", "league", 150000, 2, 2),
        ]
        assert pg_columns(conn, schema, "index_scores") == [c for c, _ in contract.columns("index_scores")]
    # the catalog's views read it the same way; its Parquet files stay as they were published
    catalog = duckdb.connect(str(lake.published / "catalog.duckdb"), read_only=True)
    shown = [r[0] for r in catalog.execute("describe index_scores").fetchall()]
    # in the contract's order (the SYNTHETIC file lacks a few of its columns, e.g. level)
    assert shown == [c for c, _ in contract.columns("index_scores") if c in shown]
    assert {"unit_code", "unit_name", "unit_level", "parent_code", "rank_in_parent"} <= set(shown)
    assert catalog.execute(
        "select unit_code, unit_name, unit_level, parent_code, rank, rank_in_parent from index_scores"
        " where node_id = 'DEI' and year = 2024 order by rank"
    ).fetchall() == [(150100, "呼和浩特市", "league", 150000, 1, 1), (150200, "包头市", "league", 150000, 2, 2)]
    catalog.close()
    files = duckdb.sql(f"describe select * from '{publish.current_release_dir(lake)}/index_scores.parquet'")
    assert "league_code" in [r[0] for r in files.fetchall()]
