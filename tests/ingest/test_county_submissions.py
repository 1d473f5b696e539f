"""A 盟市 statistics office's submission for its 旗县市区 (issue 13): names resolved within the submitting 盟市,
wrong-parent and missing 旗县 refused with file, row, column and rule, 盟市-only figures not read.

ALL FIGURES HERE ARE SYNTHETIC. The framework is the project's (sql/framework/dei_framework.sql), whose `levels`
column says which figures the 旗县 report.
"""

from __future__ import annotations

import pytest

from index.config import settings
from index.errors import SubmissionError
from index.framework import load_framework
from index.ingest import parse_file
from index.units import registry

HEADER = "旗县（市、区）,5G用户普及率（%）,常住人口（万人）"


@pytest.fixture(scope="module")
def framework():
    return load_framework(settings().framework_file)


def hohhot_rows(names: dict[int, str] | None = None) -> list[str]:
    """One row per 旗县 of 呼和浩特市 (150100), in the registry's order, named as ``names`` says (else full name)."""
    names = names or {}
    counties = registry().children(150100, ("county",))
    return [f"{names.get(u.code, u.name_zh)},{60 + i},{20 + i}" for i, u in enumerate(counties)]


def write(tmp_path, name: str, lines: list[str]):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def problems_of(path, framework):
    with pytest.raises(SubmissionError) as info:
        parse_file(path, framework)
    return info.value.problems


def test_every_county_of_the_league_is_read_under_its_code(tmp_path, framework):
    names = {150121: "土左旗", 150102: "呼和浩特市新城区", 150125: "150125", 150105: "赛罕"}
    path = write(tmp_path, "2024_呼和浩特市统计局_旗县区数字经济主要指标.csv", [HEADER, *hohhot_rows(names)])
    frame = parse_file(path, framework)
    counties = [u.code for u in registry().children(150100, ("county",))]
    assert sorted(set(frame["unit_code"])) == sorted(counties)
    five_g = frame[frame["indicator_id"] == "fiveg_user_penetration"].set_index("unit_code")["value"]
    assert five_g[counties[0]] == 60 and five_g[150121] == 60 + counties.index(150121)
    assert set(frame["year"]) == {2024}


def test_a_county_of_another_league_is_refused_naming_the_row_county_and_real_parent(tmp_path, framework):
    rows = hohhot_rows()
    rows[2] = "土默特右旗,61,20"  # a 旗 of 包头市, in 呼和浩特市's submission
    path = write(tmp_path, "2024_呼和浩特市统计局_旗县区数字经济主要指标.csv", [HEADER, *rows])
    problems = problems_of(path, framework)
    wrong = [p for p in problems if p.rule == "wrong_parent"]
    assert len(wrong) == 1
    problem = wrong[0]
    assert (problem.file, problem.row, problem.column) == (path.name, 4, "旗县（市、区）")
    assert "土默特右旗" in problem.message and "包头市" in problem.message and "呼和浩特市" in problem.message
    # the 旗县 the wrong row displaced is missing too
    assert any(p.rule == "missing_unit" for p in problems)


def test_a_short_name_two_leagues_share_is_resolved_from_the_file_or_refused_with_candidates(tmp_path, framework):
    tongliao = registry().children(150500, ("county",))
    body = [f"{'扎旗' if u.code == 150526 else u.name_zh},50,10" for u in tongliao]
    frame = parse_file(write(tmp_path, "2024_通辽市统计局_旗县数据.csv", [HEADER, *body]), framework)
    assert 150526 in set(frame["unit_code"])  # 扎鲁特旗 of 通辽市, not 扎赉特旗 of 兴安盟
    # without a 盟市 in the file name or title, 扎旗 may be either
    problems = problems_of(write(tmp_path, "2024_旗县数据.csv", [HEADER, *body]), framework)
    ambiguous = [p for p in problems if p.rule == "ambiguous_unit"]
    assert len(ambiguous) == 1 and "扎鲁特旗" in ambiguous[0].message and "扎赉特旗" in ambiguous[0].message


def test_every_expected_county_needs_a_row(tmp_path, framework):
    rows = hohhot_rows()
    dropped = registry().children(150100, ("county",))[-1]
    path = write(tmp_path, "2024_呼和浩特市统计局_旗县区数字经济主要指标.csv", [HEADER, *rows[:-1]])
    problems = problems_of(path, framework)
    missing = [p for p in problems if p.rule == "missing_unit"]
    assert len(missing) == 1 and dropped.name_zh in missing[0].message and "2024" in missing[0].message
    # a row with — in every cell is there, reporting nothing: not missing
    explicit = write(tmp_path, "2024_呼和浩特市统计局_旗县区.csv", [HEADER, *rows[:-1], f"{dropped.name_zh},—,—"])
    frame = parse_file(explicit, framework)
    assert frame.loc[frame["unit_code"] == dropped.code, "value"].isna().all()


def test_league_only_figures_and_the_leagues_own_rows_are_not_read(tmp_path, framework):
    header = HEADER + ",数据中心PUE"
    rows = [line + ",1.3" for line in hohhot_rows()]
    rows += ["全市,70,344,1.2", "呼和浩特经济技术开发区,80,13,"]
    path = write(tmp_path, "2024_呼和浩特市统计局_旗县区数字经济主要指标.csv", [header, *rows])
    frame = parse_file(path, framework)
    assert "dc_pue" not in set(frame["indicator_id"])
    notes = frame.attrs["notes"]
    assert any(n.rule == "league_only" and n.column == "数据中心PUE" for n in notes)
    assert 150100 not in set(frame["unit_code"])  # 全市 is the 盟市, not a 旗县
    assert 150172 in set(frame["unit_code"])  # a development zone that reports is read (never ranked)


def test_a_league_row_in_a_county_sheet_of_another_league_is_refused(tmp_path, framework):
    rows = [*hohhot_rows(), "包头市,70,270"]
    problems = problems_of(write(tmp_path, "2024_呼和浩特市统计局_旗县区.csv", [HEADER, *rows]), framework)
    wrong = [p for p in problems if p.rule == "wrong_level"]
    assert len(wrong) == 1 and "包头市" in wrong[0].message and wrong[0].row == len(rows) + 1


def test_a_county_sheet_is_recognised_by_its_rows_under_a_generic_header(tmp_path, framework):
    rows = hohhot_rows()
    path = write(tmp_path, "2024_呼和浩特市统计局_数字经济.csv", ["地区,5G用户普及率（%）,常住人口（万人）", *rows])
    frame = parse_file(path, framework)
    assert len(set(frame["unit_code"])) == len(rows)


def test_a_county_submission_reaches_the_curated_lake_and_a_wrong_one_is_quarantined(tmp_path, monkeypatch):
    """Ingest and validate (the GX suite knows every reporting unit) on a lake holding two 旗县 submissions."""
    import duckdb

    from index import pipeline

    monkeypatch.setenv("DEI_LAKE", str(tmp_path / "lake"))
    cfg = settings()
    cfg.landing.mkdir(parents=True)
    write(cfg.landing, "2024_呼和浩特市统计局_旗县区数字经济主要指标.csv", [HEADER, *hohhot_rows()])
    rows = hohhot_rows()
    rows[0] = "土默特右旗,61,20"
    write(cfg.landing, "2023_呼和浩特市统计局_旗县区数字经济主要指标.csv", [HEADER, *rows])
    ingested = pipeline.ingest_step(cfg=cfg)
    validated = pipeline.validate_step(cfg=cfg)
    curated = [str(p) for p in cfg.curated.glob("year=*/*.parquet")]
    codes = {c for (c,) in duckdb.sql(f"select distinct unit_code from read_parquet({curated})").fetchall()}
    assert codes == {u.code for u in registry().children(150100, ("county",))}
    quarantined = [p for p in cfg.quarantine.iterdir() if p.is_dir()]
    assert len(quarantined) == 1
    report = (quarantined[0] / "problems.txt").read_text(encoding="utf-8")
    assert "wrong_parent" in report and "土默特右旗" in report and "包头市" in report and "row 2" in report
    assert ingested and validated is not None


def test_a_name_no_county_has_is_its_own_rule_with_the_closest_names(tmp_path, framework):
    rows = hohhot_rows()
    rows[1] = "新诚区,61,20"
    problems = problems_of(write(tmp_path, "2024_呼和浩特市统计局_旗县区.csv", [HEADER, *rows]), framework)
    unknown = [p for p in problems if p.rule == "unknown_county"]
    assert len(unknown) == 1 and unknown[0].row == 3 and "新诚区" in unknown[0].message


def test_a_county_submission_needs_no_framework_department(tmp_path, framework):
    path = write(tmp_path, "2024_呼和浩特市统计局_旗县区数字经济主要指标.csv", [HEADER, *hohhot_rows()])
    frame = parse_file(path, framework)
    assert frame["department"].isna().all()
    assert not [n for n in frame.attrs["notes"] if n.rule == "department_unknown"]
