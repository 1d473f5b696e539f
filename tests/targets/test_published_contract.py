"""Every published table holds to the contract in index/targets/contract.py (rendered as
docs/published_tables.md), checked on a release computed from the committed sample submissions (SYNTHETIC
except the PKU figures, see data_lake/landing/README.md)."""

from __future__ import annotations

import duckdb
import pytest

from index.targets import contract
from tests.fixtures.lakes import published_lake


@pytest.fixture(scope="module")
def release(tmp_path_factory, repo):
    cfg, result, mp = published_lake(tmp_path_factory.mktemp("contract") / "data_lake", repo)
    yield cfg, result
    mp.undo()


def schema_of(con, source: str) -> list[tuple[str, str]]:
    return [tuple(r) for r in con.execute(f"select column_name, column_type from (describe {source})").fetchall()]


def test_the_doc_is_generated_from_the_contract(repo):
    assert (repo / "docs" / "published_tables.md").read_text(encoding="utf-8") == contract.render()


def test_the_readme_shows_the_same_contract(repo):
    assert contract.readme_block() in (repo / "README.md").read_text(encoding="utf-8")


def test_every_published_table_has_the_contracted_columns_and_types(release):
    cfg, result = release
    con = duckdb.connect()
    files = {p.stem: p for p in (cfg.published / "latest").glob("*.parquet")}
    assert set(contract.RELEASE_TABLES) <= set(files)
    assert set(contract.UNCERTAINTY_TABLES) <= set(files), "the release lacks its uncertainty analysis"
    assert set(files) <= set(contract.TABLES), "a published table is missing from the contract"
    for table, path in files.items():
        assert schema_of(con, f"select * from read_parquet('{path}')") == contract.columns(table), table
    assert schema_of(con, f"select * from read_parquet('{cfg.published / 'releases.parquet'}')") == contract.columns(
        "releases"
    )
    catalog = duckdb.connect(str(cfg.published / "catalog.duckdb"), read_only=True)
    for table in [*files, "releases"]:
        assert schema_of(catalog, f"select * from {table}") == contract.columns(table), table
    catalog.close()


def test_region_rows_combine_the_leagues(release):
    cfg, _ = release
    latest = cfg.published / "latest"
    con = duckdb.connect()
    con.execute(f"create view iv as select * from read_parquet('{latest}/indicator_values.parquet')")
    con.execute(f"create view fw as select * from read_parquet('{latest}/framework.parquet')")
    assert con.execute("select distinct league_name from iv where level_kind = 'region'").fetchall() == [
        ("内蒙古自治区",)
    ]
    # a denominated indicator reported by every league: the region's numerator is the leagues' sum and its
    # value lies within the leagues' range (a ratio of sums is a weighted mean of the ratios)
    rows = con.execute("""
        with leagues as (
            select year, indicator_id, sum(raw_value) as total, min(denominated_value) as lo,
                   max(denominated_value) as hi, count(raw_value) as reported
            from iv where level_kind = 'league' and not imputed group by all)
        select r.raw_value, l.total, r.denominated_value, l.lo, l.hi, fw.denominator, fw.unit
        from iv r join leagues l using (year, indicator_id) join fw on fw.node_id = r.indicator_id
        where r.level_kind = 'region' and l.reported = 12 and r.leagues_covered = 12""").fetchall()
    assert any(d is not None for *_, d, _ in rows) and any(u == "%" for *_, u in rows)
    for raw, total, value, lo, hi, denominator, _unit in rows:
        if denominator is not None:
            assert raw == pytest.approx(total)
        assert lo - 1e-9 <= value <= hi + 1e-9
    # region rows are not scored and only exist for combinable indicators
    assert (
        con.execute("""select count(*) from iv join fw on fw.node_id = iv.indicator_id
        where level_kind = 'region' and (contribution is not null or (denominator is null and unit <> '%'))""").fetchall()
        == [(0,)]
    )


def test_target_attainment_reads_polarity_and_projects_growth(release):
    cfg, _ = release
    con = duckdb.connect()
    ta = con.execute(f"select * from read_parquet('{cfg.published}/latest/target_attainment.parquet')").df()
    assert {"league", "region"} == set(ta["level_kind"])
    seen = ta.dropna(subset=["value", "attainment"])
    lower = seen[seen["polarity"] == -1]
    higher = seen[seen["polarity"] == 1]
    assert len(lower) and len(higher)
    assert (lower["attainment"] - lower["target_2025"] / lower["value"]).abs().max() < 1e-12
    assert (higher["attainment"] - higher["value"] / higher["target_2025"]).abs().max() < 1e-12
    projected = ta.dropna(subset=["growth_rate", "value"])
    expected = projected["value"] * (1 + projected["growth_rate"]) ** (2025 - projected["year"])
    assert (projected["projected_2025"] - expected).abs().max() < 1e-6
    meets = projected.apply(
        lambda r: r.projected_2025 >= r.target_2025 if r.polarity == 1 else r.projected_2025 <= r.target_2025, axis=1
    )
    assert (projected["on_track"].astype(bool) == (meets | projected["target_reached"].astype(bool))).all()


def test_indicator_weights_multiply_to_effective_weights_that_sum_to_one(release):
    cfg, _ = release
    w = duckdb.connect().execute(f"select * from read_parquet('{cfg.published}/latest/weights.parquet')").df()
    assert w.loc[w["node_type"] == "Indicator", "effective_weight"].sum() == pytest.approx(1.0)
    parents = w.set_index("node_id")
    for row in w[w["node_type"] == "Indicator"].itertuples():
        assert row.effective_weight == pytest.approx(row.weight * parents.loc[row.parent_id, "weight"])


def test_the_release_says_which_inputs_are_synthetic(release):
    import json
    from pathlib import Path

    from index.releases import list_releases

    cfg, result = release
    manifest = json.loads((Path(result["path"]) / "release.json").read_text(encoding="utf-8"))
    flags = {i["file"]: i["synthetic"] for i in manifest["inputs"]}
    real = {f for f in flags if "北京大学数字金融研究中心" in f}  # the real PKU index, titled 真实数据
    assert real and not any(flags[f] for f in real)
    assert all(flags[f] for f in set(flags) - real)
    row = list_releases(cfg).set_index("release_id").loc[result["id"]]
    assert row["synthetic_inputs"] == len(flags) - len(real)


def test_postgresql_shows_the_uncertainty_tables_and_an_older_release_without_them(release, pg, make_release):
    """The analysed release in PostgreSQL with the contract's columns; a release from before the analysis
    (SYNTHETIC, no such tables) publishes, its views of them are empty, and rolling back restores them."""
    import psycopg

    from index import publish, releases

    dsn, schema = pg
    cfg, result = release
    assert releases.sync_targets(cfg)["postgres"] == result["id"]
    con = duckdb.connect()

    def pg_rows(conn, table):
        return conn.execute(f"select count(*) from {schema}.{table}").fetchall()[0][0]

    with psycopg.connect(dsn) as conn:
        for table in contract.UNCERTAINTY_TABLES:
            cols = [
                r[0]
                for r in conn.execute(
                    "select column_name from information_schema.columns where table_schema = %s and table_name = %s"
                    " order by ordinal_position",
                    [schema, table],
                ).fetchall()
            ]
            assert cols == [name for name, _ in contract.columns(table)], table
            parquet = con.execute(f"select count(*) from read_parquet('{result['path']}/{table}.parquet')").fetchone()[
                0
            ]
            assert pg_rows(conn, table) == parquet > 0, table
        # the intervals a dashboard reads match the Parquet file's, league by league
        pg_dei = sorted(
            conn.execute(
                f"select league_code, year, rank_low, rank_high from {schema}.rank_intervals where node_id = 'DEI'"
            ).fetchall()
        )
    pq_dei = sorted(
        con.execute(
            f"select league_code, year, rank_low, rank_high from read_parquet("
            f"'{result['path']}/rank_intervals.parquet') where node_id = 'DEI'"
        ).fetchall()
    )
    assert pg_dei == pq_dei

    old = make_release(cfg.published / ".staging" / "old11111-test", "old11111", {150100: 60.0, 150200: 50.0})
    publish.publish(old, cfg=cfg)
    with psycopg.connect(dsn) as conn:
        assert conn.execute(f"select release_id from {schema}.release_info").fetchall() == [("old11111",)]
        assert all(pg_rows(conn, t) == 0 for t in contract.UNCERTAINTY_TABLES)
    releases.rollback(result["id"], cfg=cfg)
    with psycopg.connect(dsn) as conn:
        assert (
            pg_rows(conn, "rank_intervals")
            == len(pq_dei)
            + con.execute(
                f"select count(*) from read_parquet('{result['path']}/rank_intervals.parquet') where node_id <> 'DEI'"
            ).fetchone()[0]
        )
