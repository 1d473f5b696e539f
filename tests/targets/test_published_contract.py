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
    assert con.execute(
        "select distinct unit_code, unit_name, parent_code from iv where unit_level = 'region'"
    ).fetchall() == [(150000, "内蒙古自治区", None)]
    # a denominated indicator reported by every league: the region's numerator is the leagues' sum and its
    # value lies within the leagues' range (a ratio of sums is a weighted mean of the ratios)
    rows = con.execute("""
        with leagues as (
            select year, indicator_id, sum(raw_value) as total, min(denominated_value) as lo,
                   max(denominated_value) as hi, count(raw_value) as reported
            from iv where unit_level = 'league' and not imputed group by all)
        select r.raw_value, l.total, r.denominated_value, l.lo, l.hi, fw.denominator, fw.unit
        from iv r join leagues l using (year, indicator_id) join fw on fw.node_id = r.indicator_id
        where r.unit_level = 'region' and l.reported = 12 and r.units_covered = 12""").fetchall()
    assert any(d is not None for *_, d, _ in rows) and any(u == "%" for *_, u in rows)
    for raw, total, value, lo, hi, denominator, _unit in rows:
        if denominator is not None:
            assert raw == pytest.approx(total)
        assert lo - 1e-9 <= value <= hi + 1e-9
    # region rows are not scored and only exist for combinable indicators
    assert (
        con.execute("""select count(*) from iv join fw on fw.node_id = iv.indicator_id
        where unit_level = 'region' and (contribution is not null or (denominator is null and unit <> '%'))""").fetchall()
        == [(0,)]
    )


def test_target_attainment_reads_polarity_and_projects_growth(release):
    cfg, _ = release
    con = duckdb.connect()
    ta = con.execute(f"select * from read_parquet('{cfg.published}/latest/target_attainment.parquet')").df()
    assert {"league", "county", "region"} == set(ta["unit_level"])
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
                f"select unit_code, year, rank_low, rank_high from {schema}.rank_intervals where node_id = 'DEI'"
            ).fetchall()
        )
    pq_dei = sorted(
        con.execute(
            f"select unit_code, year, rank_low, rank_high from read_parquet("
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


# the per-unit tables of both levels, and those of the 盟市 only (contract.LEAGUE_ONLY)
BOTH_LEVELS = (
    "index_scores",
    "indicator_values",
    "target_attainment",
    "obstacles",
    "coupling",
    # the uncertainty analysis of each level's build (the 旗县': ranks among all 旗县)
    "rank_intervals",
    "exclusion_effects",
)
LEAGUES_ONLY = ()


def test_every_target_publishes_both_levels_under_their_parents(release, pg, repo):
    """Parquet, the DuckDB catalog and PostgreSQL hold the same rows per unit level: the 盟市 and the 旗县市区 in
    the tables of both levels (each unit under its parent of reference/units.csv), the uncertainty tables
    included."""
    import csv

    import psycopg

    from index import releases

    dsn, schema = pg
    cfg, result = release
    assert releases.sync_targets(cfg)["postgres"] == result["id"]
    with (repo / "reference" / "units.csv").open(encoding="utf-8") as fh:
        registry = {
            int(r["code"]): (r["level"], int(r["parent_code"]) if r["parent_code"] else None)
            for r in csv.DictReader(fh)
        }
    levels_sql = (
        "select unit_level, count(*), count(distinct unit_code) from {} where unit_level is not null"
        " group by unit_level order by unit_level"
    )
    con = duckdb.connect()
    catalog = duckdb.connect(str(cfg.published / "catalog.duckdb"), read_only=True)
    with psycopg.connect(dsn) as conn:
        for table in BOTH_LEVELS + LEAGUES_ONLY:
            path = f"read_parquet('{result['path']}/{table}.parquet')"
            files = con.execute(levels_sql.format(path)).fetchall()
            expected = {"league"} if table in LEAGUES_ONLY else {"league", "county"}
            if table in ("indicator_values", "target_attainment"):
                expected.add("region")
            assert {level for level, *_ in files} == expected, table
            assert catalog.execute(levels_sql.format(table)).fetchall() == files, table
            assert [tuple(r) for r in conn.execute(levels_sql.format(f"{schema}.{table}")).fetchall()] == files, table
            units = con.execute(f"select distinct unit_code, unit_level, parent_code from {path}").fetchall()
            for code, level, parent in units:
                if level == "region":
                    assert (code, parent) == (150000, None)
                elif code is not None:
                    assert registry[code] == (level, parent), (table, code)
        counties = {c for c, (lv, _) in registry.items() if lv == "county"}
        published = {
            r[0]
            for r in conn.execute(f"select distinct unit_code from {schema}.index_scores where unit_level = 'county'")
        }
        assert published == counties
    catalog.close()


def test_rank_in_parent_ranks_each_county_among_its_leagues_counties(release):
    cfg, _ = release
    con = duckdb.connect()
    rows = con.execute(f"""
        with s as (select * from read_parquet('{cfg.published}/latest/index_scores.parquet'))
        select unit_level, count(*),
               count(*) filter (where rank_in_parent <> parent_rank),
               count(*) filter (where rank <> level_rank)
        from (
            select *,
                   rank() over (partition by unit_level, parent_code, year, node_id order by score desc) as parent_rank,
                   rank() over (partition by unit_level, year, node_id order by score desc) as level_rank
            from s)
        group by unit_level order by unit_level""").fetchall()
    # a 盟市's parent is the 自治区: its rank there is its rank among the 12
    assert [(level, bad_parent, bad_level) for level, _, bad_parent, bad_level in rows] == [
        ("county", 0, 0),
        ("league", 0, 0),
    ]
