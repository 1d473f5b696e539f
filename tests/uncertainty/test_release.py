"""The uncertainty analysis published with every release (index/uncertainty/release.py), on real engine builds
of the committed sample submissions (SYNTHETIC except the PKU figures, see data_lake/landing/README.md): the
three tables follow the contract and the same build, the release id follows the analysis settings, and
publishing asks for the tables only of a release that declares them."""

from __future__ import annotations

import json
import re
import shutil

import duckdb
import pytest

from index import compute, pipeline, publish, releases
from index.commands import ranking
from index.config import settings
from index.errors import ConfigError
from index.targets import contract
from index.uncertainty import release as urelease

REPLICATES = 200  # enough for intervals to exist; the engine builds of the variants cost the same either way


@pytest.fixture(scope="module")
def lake_2023(tmp_path_factory, repo):
    """A lake whose curated layer holds the 2023 sample submissions (no validation), PostgreSQL off."""
    from index import ingest
    from index.framework import load_framework

    root = tmp_path_factory.mktemp("urelease") / "data_lake"
    for sub in ("landing", "raw", "curated", "quarantine", "published"):
        (root / sub).mkdir(parents=True)
    mp = pytest.MonkeyPatch()
    mp.setenv("DEI_LAKE", str(root))
    mp.delenv("DEI_POSTGRES_DSN", raising=False)
    cfg = settings()
    framework = load_framework(cfg.framework_file)
    for path in sorted((repo / "data_lake" / "landing").glob("2023_*")):
        ingest.ingest_file(path, framework, cfg.curated)
    yield cfg
    mp.undo()


@pytest.fixture(scope="module")
def analysed(lake_2023):
    cfg = lake_2023
    staged = pipeline.staged_dir(pipeline.compute_step(cfg=cfg, replicates=REPLICATES), cfg)
    section = urelease.analyse_release(staged, cfg=cfg)
    return cfg, staged, section


def _schema(con, path) -> list[tuple[str, str]]:
    return [
        tuple(r)
        for r in con.execute(
            f"select column_name, column_type from (describe select * from read_parquet('{path}'))"
        ).fetchall()
    ]


def test_the_three_tables_follow_the_contract_and_the_same_build(analysed):
    cfg, staged, section = analysed
    con = duckdb.connect()
    manifest = json.loads((staged / "release.json").read_text(encoding="utf-8"))
    for table in contract.UNCERTAINTY_TABLES:
        assert _schema(con, staged / f"{table}.parquet") == contract.columns(table), table
        ids = con.execute(f"select distinct release_id from read_parquet('{staged}/{table}.parquet')").fetchall()
        assert ids == [(manifest["id"],)]
    # the nominal build is the published one: the engine's ranks and scores of index_scores, row for row, for
    # the 盟市 build and the 旗县 build alike (ranks among all 旗县)
    mismatched = con.execute(f"""
        select count(*) from read_parquet('{staged}/rank_intervals.parquet') ri
        full join (
            select * from read_parquet('{staged}/index_scores.parquet') where unit_level in ('league', 'county')
        ) s
            using (unit_code, year, node_id)
        where ri.engine_rank is distinct from s.rank or abs(ri.nominal_score - s.score) > 1e-9
           or ri.unit_name is distinct from s.unit_name or ri.unit_level is distinct from s.unit_level
           or ri.parent_code is distinct from s.parent_code""").fetchone()[0]
    assert mismatched == 0
    bounds = con.execute(f"""
        select unit_level, min(rank_low), max(rank_high), count(*) filter (where rank_low > rank_high),
            count(distinct unit_code)
        from read_parquet('{staged}/rank_intervals.parquet') group by unit_level order by unit_level""").fetchall()
    assert [level for level, *_ in bounds] == ["county", "league"]
    for level, lo, hi, bad, units in bounds:
        assert 1 <= lo and hi <= units and bad == 0, level
    assert dict((level, units) for level, *_, units in bounds)["league"] == 12
    # Sobol rows: one per uncertain input the spec varies, named as release.json lists them
    inputs = {c["input"] for c in section["varied"] if len(c["alternatives"]) > 1 or c["input"] == "weight_noise"}
    got = {
        r[0] for r in con.execute(f"select distinct input from read_parquet('{staged}/sensitivity.parquet')").fetchall()
    }
    assert got == inputs
    # every dimension left out once (exclusion level 2 in the spec), never the node itself among the rows
    dims = {
        r[0]
        for r in con.execute(
            f"select node_id from read_parquet('{staged}/framework.parquet') where level = 2"
        ).fetchall()
    }
    excluded = con.execute(
        f"select distinct excluded from read_parquet('{staged}/exclusion_effects.parquet')"
    ).fetchall()
    assert {r[0] for r in excluded} == dims
    assert (
        con.execute(
            f"select count(*) from read_parquet('{staged}/exclusion_effects.parquet') where node_id = excluded"
        ).fetchone()[0]
        == 0
    )


def test_the_county_build_is_analysed_on_its_own(analysed):
    # 条例 第七十一条: the 旗县' ranks carry their intervals too, from the 旗县 build (the expert scheme rescaled to
    # the county-level framework, as the published 旗县 build is)
    cfg, staged, section = analysed
    con = duckdb.connect()
    shift_levels = con.execute(f"""
        select distinct unit_level from read_parquet('{staged}/sensitivity.parquet')
        where output = 'mean_abs_rank_shift' order by unit_level nulls first""").fetchall()
    assert shift_levels == [(None,), ("county",)]
    wrong_parent = con.execute(f"""
        select count(*) from read_parquet('{staged}/sensitivity.parquet') se
        join (select distinct unit_code, parent_code from read_parquet('{staged}/index_scores.parquet')) s
            using (unit_code)
        where se.unit_level = 'county' and se.parent_code is distinct from s.parent_code""").fetchone()[0]
    assert wrong_parent == 0
    nominal = con.execute(f"""
        select count(*), count(*) filter (where ex.nominal_rank is distinct from s.rank)
        from read_parquet('{staged}/exclusion_effects.parquet') ex
        join read_parquet('{staged}/index_scores.parquet') s using (unit_code, year, node_id)
        where ex.unit_level = 'county'""").fetchone()
    assert nominal[0] > 0 and nominal[1] == 0
    assert "county" in section["timings_seconds"]


def test_release_json_records_the_analysis(analysed):
    cfg, staged, section = analysed
    manifest = json.loads((staged / "release.json").read_text(encoding="utf-8"))
    recorded = manifest["uncertainty"]
    spec_text = urelease.spec_path(cfg).read_text(encoding="utf-8")
    seed = int(re.search(r"^seed\s*=\s*(\d+)", spec_text, re.M).group(1))
    assert recorded["replicates"] == REPLICATES and recorded["seed"] == seed
    assert recorded["spec"] == "sql/method/dei_uncertainty.toml"
    from index.uncertainty import spec as uspec

    assert recorded["sobol_n"] == urelease.sobol_n(REPLICATES, uspec.load(urelease.spec_path(cfg)).sensitivity.n)
    assert recorded["timings_seconds"]["total"] > 0 and recorded["tables"] == list(contract.UNCERTAINTY_TABLES)


def test_sobol_n_is_a_power_of_two_about_a_quarter_of_the_replicates():
    for replicates in (1, 50, 999, 1000, 4096, 100_000):
        n = urelease.sobol_n(replicates, 1024)
        assert n & (n - 1) == 0 and 16 <= n <= 1024
        assert n == 16 or n <= replicates / 4 < 2 * n or n == 1024


def test_the_release_id_follows_replicates_seed_and_spec(lake_2023, tmp_path, repo, monkeypatch):
    cfg = lake_2023
    ids = {}
    for replicates in (REPLICATES, REPLICATES, 2 * REPLICATES):
        out = tmp_path / f"r{replicates}-{len(ids)}"
        ids.setdefault(replicates, set()).add(compute.compute(cfg=cfg, out_dir=out, replicates=replicates).release_id)
    assert len(ids[REPLICATES]) == 1 and ids[REPLICATES] != ids[2 * REPLICATES]
    # a different seed in the spec (a private copy of the SQL tree): a different id again
    sql = tmp_path / "sql"
    shutil.copytree(repo / "sql", sql)
    spec = sql / "method" / "dei_uncertainty.toml"
    text = spec.read_text(encoding="utf-8")
    seed = int(re.search(r"^seed\s*=\s*(\d+)", text, re.M).group(1))
    monkeypatch.setenv("DEI_SQL", str(sql))
    same_tree = compute.compute(cfg=settings(), out_dir=tmp_path / "copy", replicates=REPLICATES).release_id
    spec.write_text(re.sub(r"^seed\s*=\s*\d+", f"seed = {seed + 1}", text, flags=re.M), encoding="utf-8")
    other_seed = compute.compute(cfg=settings(), out_dir=tmp_path / "seed", replicates=REPLICATES)
    assert other_seed.release_id != same_tree
    assert other_seed.manifest["uncertainty"]["seed"] == seed + 1


def test_publish_refuses_a_new_release_without_its_tables_and_keeps_older_ones_readable(
    analysed, make_release, tmp_path
):
    cfg, staged, _ = analysed
    bare = pipeline.staged_dir(
        pipeline.compute_step(cfg=cfg, replicates=REPLICATES + 1), cfg
    )  # declared, never analysed
    with pytest.raises(ConfigError, match="rank_intervals.parquet.*analyse_uncertainty"):
        publish.publish(bare, cfg=cfg)
    assert publish.current_release_id(cfg) is None
    shutil.rmtree(bare)

    # a release from before the analysis (SYNTHETIC, no declaration, no tables) publishes and ranks as before
    old = make_release(cfg.published / ".staging" / "old00000-test", "old00000", {150100: 60.0, 150200: 50.0})
    publish.publish(old, cfg=cfg)
    new = publish.publish(staged, cfg=cfg)
    assert ranking.ranking(publish.current_release_dir(cfg))[0]["rank_low"] is not None
    releases.rollback("old00000", cfg=cfg)
    rows = ranking.ranking(publish.current_release_dir(cfg))
    assert "rank_low" not in rows[0] and "区间" not in ranking.format_ranking(rows, "DEI")
    catalog = duckdb.connect(str(cfg.published / "catalog.duckdb"), read_only=True)
    views = {r[0] for r in catalog.execute("select view_name from duckdb_views() where not internal").fetchall()}
    catalog.close()
    assert not views & set(contract.UNCERTAINTY_TABLES)
    # and back: the analysed release shows its intervals again, beside each rank
    releases.rollback(new["id"], cfg=cfg)
    rows = ranking.ranking(publish.current_release_dir(cfg))
    text = ranking.format_ranking(rows, "DEI")
    intervals = ranking.rank_intervals(publish.current_release_dir(cfg), "DEI", rows[0]["year"])
    for row in rows:
        assert f"{row['rank']}" in text and ranking.interval_text(intervals[int(row["unit_code"])]) in text
    assert "5–95% 区间" in text


def test_a_lake_changed_since_compute_is_refused(lake_2023, tmp_path):
    cfg = lake_2023
    staged = compute.compute(cfg=cfg, out_dir=tmp_path / "staged", replicates=REPLICATES).staged
    moved = sorted(cfg.curated.glob("year=*/*.parquet"))[0]
    aside = tmp_path / moved.name
    shutil.move(moved, aside)
    try:
        with pytest.raises(ConfigError, match="curated lake changed"):
            urelease.analyse_release(staged, cfg=cfg)
    finally:
        shutil.move(aside, moved)
    assert urelease.missing_tables(staged) == [f"{t}.parquet" for t in contract.UNCERTAINTY_TABLES]


def test_ranking_stays_free_of_pandas(analysed, tmp_path):
    import subprocess
    import sys

    cfg, staged, _ = analysed
    code = (
        "import sys; from index.commands import ranking; rows = ranking.ranking(sys.argv[1]);"
        " assert rows[0]['rank_low'] is not None; print('pandas' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(staged if staged.exists() else publish.current_release_dir(cfg))],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"
