"""The whole chain in-process (landing -> raw -> curated -> release) on the committed sample submissions.

The sample landing files are SYNTHETIC except the PKU digital financial inclusion figures (see
data_lake/landing/README.md). The Airflow version of this run is in tests/dags/test_dag_runs.py.
"""

from __future__ import annotations

import json

import duckdb
import pytest

from index import pipeline, publish

REQUIRED_DIMENSIONS = {
    "digital_infrastructure",
    "digital_industrialisation",
    "industrial_digitalisation",
    "digital_governance",
    "data_elements",
    "environment_innovation",
}
BAD_FILE = (
    # SYNTHETIC correction file that breaks one validation rule: a 5G penetration rate of 250 % (the bound is 200 %).
    "2024年各盟市通信业补充数据\n盟市,5G用户普及率（%）\n呼和浩特市,55.0\n包头市,250\n"
)


@pytest.fixture(scope="module")
def published(tmp_path_factory, repo):
    from tests.fixtures.lakes import published_lake

    cfg, release, mp = published_lake(tmp_path_factory.mktemp("e2e") / "data_lake", repo, postgres_off=False)
    yield cfg, release
    mp.undo()


def scores(release_dir):
    return duckdb.sql(f"select * from read_parquet('{release_dir}/index_scores.parquet')").df()


def test_release_holds_12_leagues_by_6_years_for_dei_and_every_dimension(published):
    cfg, release = published
    table = scores(cfg.published / "latest")
    assert set(table["node_id"]) == REQUIRED_DIMENSIONS | {"DEI"}
    leagues = table[table["unit_level"] == "league"]
    counts = leagues.groupby("node_id").apply(lambda g: (g["unit_code"].nunique(), g["year"].nunique(), len(g)))
    assert all(c == (12, 6, 72) for c in counts)
    assert sorted(table["year"].unique()) == list(range(2019, 2025))
    ranks = leagues.groupby(["node_id", "year"])["rank"].apply(sorted)
    assert all(r == list(range(1, 13)) for r in ranks)
    assert table["release_id"].unique().tolist() == [release["id"]]


def test_contributions_add_up_to_the_dei_score(published):
    cfg, _ = published
    latest = cfg.published / "latest"
    diff = duckdb.sql(
        f"""
        with contributions as (
            select unit_code, unit_level, year, sum(contribution) as total
            from read_parquet('{latest}/indicator_values.parquet') group by all
        ), dei as (
            select unit_code, unit_level, year, score
            from read_parquet('{latest}/index_scores.parquet') where node_id = 'DEI'
        )
        select unit_level, count(*) as n, max(abs(total - score)) as worst
        from contributions join dei using (unit_code, unit_level, year) group by unit_level
        """
    ).fetchall()
    # every unit of both levels: the 12 盟市 over 6 years, and the 旗县市区 with a DEI score
    dei_rows = dict(
        duckdb.sql(
            f"select unit_level, count(*) from read_parquet('{latest}/index_scores.parquet')"
            " where node_id = 'DEI' group by unit_level"
        ).fetchall()
    )
    assert {level: n for level, n, _ in diff} == dei_rows and dei_rows["league"] == 72
    assert all(worst < 1e-9 for _, _, worst in diff)


def test_pku_2024_values_are_imputed_not_invented(published):
    cfg, _ = published
    rows = duckdb.sql(
        f"""select year, bool_and(imputed) as all_imputed, count(raw_value) as reported
            from read_parquet('{cfg.published}/latest/indicator_values.parquet')
            where indicator_id like 'dfi_%' group by year order by year"""
    ).fetchall()
    assert rows[-1] == (2024, True, 0)
    assert all(reported == 36 for _, _, reported in rows[:-1])


def test_release_manifest_lists_every_input_with_its_sha256(published, repo):
    cfg, release = published
    manifest = json.loads((cfg.published / "latest" / "release.json").read_text(encoding="utf-8"))
    landing = sorted(p.name for p in (repo / "data_lake" / "landing").iterdir() if p.suffix in (".xlsx", ".csv"))
    assert sorted(i["file"] for i in manifest["inputs"]) == landing
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    assert manifest["id"] == release["id"]
    assert manifest["weight_scheme"]["path"] == "sql/weights/expert.sql"
    assert manifest["method"]["spec"]["normalise"]["method"] == "minmax"


def test_rerun_on_the_same_inputs_gives_the_same_release(published):
    cfg, release = published
    again = pipeline.publish_step(pipeline.compute_step(cfg=cfg), cfg=cfg)
    assert again["id"] == release["id"]
    assert again["created"] is False


def test_failed_validation_quarantines_the_file_and_leaves_latest_unchanged(published, monkeypatch):
    from index.errors import FilesRejected

    monkeypatch.setenv("DEI_LANDING_SETTLE_SECONDS", "0")
    cfg, release = published
    before = {p.name: p.read_bytes() for p in (cfg.published / "latest").iterdir()}
    bad = cfg.landing / "2024_内蒙古通信管理局_补充数据.csv"
    bad.write_text(BAD_FILE, encoding="utf-8")
    assert pipeline.ingest_step(cfg=cfg)["new"] == [bad.name]
    summary = pipeline.validate_step(cfg=cfg)  # does not raise: good batches would be promoted
    assert summary["promoted"] == [] and summary["rejected"] == 1
    with pytest.raises(pipeline.NothingNew):  # nothing promoted: no dei_curated event
        pipeline.announce_curated(summary)
    with pytest.raises(FilesRejected) as err:  # the reporting task fails, with the problems
        pipeline.report_step("validation", summary)
    message = str(err.value)
    assert bad.name in message and "row 4" in message and "5G用户普及率（%）" in message
    assert publish.current_release_id(cfg) == release["id"]
    assert {p.name: p.read_bytes() for p in (cfg.published / "latest").iterdir()} == before
    quarantined = list(cfg.quarantine.glob(f"*/{bad.name}"))
    assert len(quarantined) == 1 and not bad.exists()
    assert summary["quarantined"][0]["folder"] == str(quarantined[0].parent)
    report = json.loads((quarantined[0].parent / "problems.json").read_text(encoding="utf-8"))
    assert report["problems"][0]["row"] == 4 and report["problems"][0]["column"] == "5G用户普及率（%）"
    assert "range" in report["problems"][0]["rule"]


def test_compute_with_another_scheme_prints_rank_moves_and_leaves_latest(published, capsys):
    from index import cli

    cfg, release = published
    assert cli.main(["compute", "--weights", "equal"]) == 0
    out = capsys.readouterr().out
    assert "排名变化" in out and "盟市 change rank" in out
    scenario = cfg.lake / "scenarios" / "equal"
    manifest = json.loads((scenario / "release.json").read_text(encoding="utf-8"))
    assert manifest["weight_scheme"]["path"] == "equal"
    assert manifest["id"] != release["id"]
    assert publish.current_release_id(cfg) == release["id"]


def test_a_broken_weight_scheme_stops_the_run_with_a_clear_message(published, tmp_path, capsys):
    from index import cli

    broken = tmp_path / "broken.sql"
    broken.write_text(
        "select * from (values ('DEI_missing', 0.5), ('digital_infrastructure', -0.1)) as w(node_id, weight)"
    )
    assert cli.main(["compute", "--weights", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "unknown node id(s) ['DEI_missing']" in err
    assert "negative weight for ['digital_infrastructure']" in err


def test_every_release_carries_the_statistical_audit(published):
    cfg, _ = published
    audit = duckdb.sql(f"select * from read_parquet('{cfg.published}/latest/audit.parquet')").df()
    assert {"indicators", "correlations", "pairs", "aggregates"} <= set(audit["section"])
    # the PKU index has no 2024 figure, so its availability flag must be raised for 2024
    pku_2024 = audit[
        (audit["node_id"] == "dfi_usage_depth") & (audit["period"] == 2024) & (audit["statistic"] == "availability")
    ]
    assert pku_2024["value"].tolist() == [0.0] and pku_2024["flag"].tolist() == [True]


def test_dei_audit_prints_flags_with_chinese_names(published, capsys):
    from index import cli

    assert cli.main(["audit"]) == 0
    out = capsys.readouterr().out
    assert "Flags" in out and "数字普惠金融使用深度" in out


# SYNTHETIC drop of three files: a good correction, one rejected by validation, one rejected by ingest.
GOOD_FILE = "2024年各盟市通信业更正数据（示例数据（合成））\n盟市,5G用户普及率（%）\n呼和浩特市,77.7\n"
INGEST_BAD_FILE = "2024年电子商务补充数据（示例数据（合成））\n盟市,5G用户普及率（%）\n北京市,50\n"


def fiveg_hohhot_2024(release_dir) -> list:
    return duckdb.sql(
        f"""select raw_value from read_parquet('{release_dir}/indicator_values.parquet')
            where unit_code = 150100 and year = 2024 and indicator_id = 'fiveg_user_penetration'"""
    ).fetchall()


def test_dei_run_publishes_the_good_files_of_a_drop_and_fails_for_the_bad_ones(published, monkeypatch, capsys):
    from index import cli

    monkeypatch.setenv("DEI_LANDING_SETTLE_SECONDS", "0")
    cfg, release = published
    (cfg.landing / "2024_内蒙古通信管理局_更正数据.csv").write_text(GOOD_FILE, encoding="utf-8")
    # not the bytes of BAD_FILE: those are known as quarantined already and would be skipped
    (cfg.landing / "2024_内蒙古通信管理局_补充数据2.csv").write_text(BAD_FILE.replace("250", "260"), encoding="utf-8")
    (cfg.landing / "2024_自治区商务厅_补充数据.csv").write_text(INGEST_BAD_FILE, encoding="utf-8")
    (cfg.landing / "2024_自治区统计局_补充.csv.part").write_text("盟市,", encoding="utf-8")
    assert cli.main(["run"]) == 1  # rejected files keep the run failed ...
    out = capsys.readouterr().out
    latest = publish.current_release_dir(cfg)
    assert latest.name != release["id"]  # ... but the good file reached a new release
    assert fiveg_hohhot_2024(latest) == [(77.7,)]
    for name in ("2024_内蒙古通信管理局_补充数据2.csv", "2024_自治区商务厅_补充数据.csv"):
        assert len(list(cfg.quarantine.glob(f"*/{name}"))) == 1 and not (cfg.landing / name).exists()
        assert name in out
    assert (cfg.landing / "2024_自治区统计局_补充.csv.part").exists()
    summary = out[out.index("Summary of this run:") :]
    assert "ingested (2): " in summary and "validated and promoted (1): 2024_内蒙古通信管理局_更正数据.csv" in summary
    assert "QUARANTINED (2)" in summary and "row 4, column 5G用户普及率（%）" in summary
    assert "unknown_league" in summary and "problems.txt" in summary
    assert "2024_自治区统计局_补充.csv.part: a temporary or partial file (.part)" in summary
    assert f"release {latest.name} (new)" in summary
    assert "2 file(s) were rejected" in summary
