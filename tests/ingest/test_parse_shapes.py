"""parse_file on one fixture per messy shape (tests/fixtures/landing, synthetic), exact parsed numbers."""

import math
from decimal import Decimal
from pathlib import Path

import pytest

from index.errors import SubmissionError
from index.framework import load_framework
from index.ingest import PARSED_COLUMNS, parse_file, parse_unit, unit_factor

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LANDING = FIXTURES / "landing"


@pytest.fixture(scope="module")
def framework():
    return load_framework(FIXTURES / "framework_small.sql")


def values(df):
    """{(unit_code, indicator_id): value} with NaN as None."""
    return {
        (int(r.unit_code), r.indicator_id): (None if math.isnan(r.value) else r.value)
        for r in df.itertuples(index=False)
    }


def by_league(indicators: list[str], rows: dict[int, list]) -> dict:
    """{(unit_code, indicator_id): value} from one row of values per league, in the order of indicators."""
    return {
        (code, indicator): value for code, row in rows.items() for indicator, value in zip(indicators, row, strict=True)
    }


def problems_of(path, framework):
    with pytest.raises(SubmissionError) as info:
        parse_file(path, framework)
    return info.value.problems


def test_merged_header_xlsx_with_title_and_footnotes(framework):
    df = parse_file(LANDING / "merged_header_title.xlsx", framework)
    assert list(df.columns) == PARSED_COLUMNS
    assert set(df["year"]) == {2023}  # from the title row; the file name has no year
    assert set(df["source_sheet"]) == {"2023年"}
    assert values(df) == by_league(
        ["population", "gdp", "mobile_users", "fiveg_rate"],
        {
            150100: [360.5, 3800.0, 412.3, 55.2],
            150200: [275.0, 4000.25, 300.1, 48.75],
            152900: [27.1, 450.0, 31.2, 60.0],
        },
    )
    # source_row as seen in Excel (title row 1, header rows 2-3), source_column the leaf header as written
    first = df[df["unit_code"] == 150100].set_index("indicator_id")
    assert set(first["source_row"]) == {4}
    assert first.loc["mobile_users", "source_column"] == "移动电话用户（万户）"
    assert first.loc["gdp", "source_column"] == "地区生产总值（亿元）"
    # neither the file name nor the title names a department: nobody's copy, and a note says so
    assert df["department"].isna().all()
    assert [(n.rule, n.sheet) for n in df.attrs["notes"]] == [("department_unknown", None)]
    assert str(df["unit_code"].dtype) == "int32" and str(df["source_row"].dtype) == "int32"


def test_footnotes_skipped(framework):
    df = parse_file(LANDING / "merged_header_title.xlsx", framework)
    assert len(df) == 12 and max(df["source_row"]) == 6  # rows 7-9 are 注 / 2. / 数据来源
    df = parse_file(LANDING / "2023_gbk.csv", framework)
    assert max(df["source_row"]) == 5


def test_gbk_csv(framework):
    df = parse_file(LANDING / "2023_gbk.csv", framework)
    assert set(df["year"]) == {2023}
    assert df["source_sheet"].isna().all()
    rows = {150100: [412.3, 55.2], 150400: [350.25, 40.1], 152200: [120.0, 35.0]}
    assert values(df) == by_league(["mobile_users", "fiveg_rate"], rows)
    assert sorted(set(df["source_row"])) == [3, 4, 5]
    assert set(df["source_column"]) == {"移动电话用户（万户）", "5G用户普及率（%）"}


def test_utf8_bom_csv_year_from_file_name(framework):
    df = parse_file(LANDING / "2022_utf8_bom.csv", framework)
    assert set(df["year"]) == {2022}
    assert values(df) == by_league(["fiveg_rate", "compute"], {150100: [30.5, 1200.0], 150900: [22.25, 1500.5]})
    assert set(df["source_column"]) == {"5G用户普及率(%)", "智能算力(PFlop/s)"}  # no BOM in the header
    # two departments' indicators and no sender named: no row claims an owner's department
    assert df["department"].isna().all()


def test_aliases_short_names_and_codes(framework):
    df = parse_file(LANDING / "2023_league_names.csv", framework)
    assert values(df) == {
        (150100, "fiveg_rate"): 51.0,  # 呼市
        (152500, "fiveg_rate"): 52.0,  # 锡盟
        (150600, "fiveg_rate"): 53.0,  # 鄂尔多斯
        (150300, "fiveg_rate"): 54.0,  # 150300
        (150800, "fiveg_rate"): 55.0,  # 150800.0
        (152200, "fiveg_rate"): 56.0,  # full-width space around 兴安盟
        (152900, "fiveg_rate"): 57.0,
    }


def test_dash_and_blank_are_null(framework):
    df = parse_file(LANDING / "2023_missing_values.csv", framework)
    assert values(df) == {
        (150100, "fiveg_rate"): None,
        (150100, "compute"): None,  # — and blank
        (150200, "fiveg_rate"): None,
        (150200, "compute"): None,  # - and /
        (150300, "fiveg_rate"): 12.5,
        (150300, "compute"): None,  # ——
    }


def test_thousands_separators_full_width_digits_and_unit_conversion(framework):
    df = parse_file(LANDING / "2023_thousands_units.csv", framework)
    assert values(df) == {
        (150100, "mobile_users"): 412.3,  # "4,123,000" 户 -> 万户
        (150100, "telecom_revenue"): 31.23456,  # "312,345.6" 万元 -> 亿元
        (150100, "population"): 360.5,  # "3,605,000" 人 -> 万人
        (150200, "mobile_users"): 0.12345,  # "1,234.5" 户
        (150200, "telecom_revenue"): 1.2345,  # "１２３４５" 万元 (full-width digits)
        (150200, "population"): 275.0,
    }


def test_unit_table():
    assert unit_factor("万元", "亿元") == Decimal("0.0001")
    assert unit_factor("户", "万户") == Decimal("0.0001")
    assert unit_factor("人", "万人") == Decimal("0.0001")
    assert unit_factor("亿元", "万元") == 10000
    assert unit_factor("‰", "%") == Decimal("0.1")
    assert unit_factor("EFlop/s", "PFlop/s") == 1000
    assert unit_factor("个", "家") == "incompatible_unit"
    assert unit_factor("万台套", "万户") == "unknown_unit"
    assert unit_factor(None, "万户") == 1
    assert parse_unit("元/人") == ("元/人", 1)
    assert parse_unit("家/百万人")[0] == "家/人"


def test_unknown_league(framework):
    problems = problems_of(LANDING / "2023_unknown_league.csv", framework)
    assert [(p.file, p.sheet, p.row, p.column, p.rule) for p in problems] == [
        ("2023_unknown_league.csv", None, 4, "盟市", "unknown_league")
    ]
    assert "北京市" in problems[0].message


def test_non_numeric_cell(framework):
    problems = problems_of(LANDING / "non_numeric.xlsx", framework)
    assert [(p.file, p.sheet, p.row, p.column, p.rule) for p in problems] == [
        ("non_numeric.xlsx", "2023年", 4, "5G用户普及率（%）", "non_numeric")
    ]
    assert "约48" in problems[0].message
    assert str(problems[0]).startswith("non_numeric.xlsx sheet 2023年 row 4, column 5G用户普及率（%）: non_numeric")


def test_unknown_and_incompatible_unit(framework):
    problems = problems_of(LANDING / "2023_unknown_unit.csv", framework)
    assert [(p.file, p.sheet, p.row, p.column, p.rule) for p in problems] == [
        ("2023_unknown_unit.csv", None, 2, "移动电话用户（万台套）", "unknown_unit"),
        ("2023_unknown_unit.csv", None, 2, "5G用户普及率（万户）", "incompatible_unit"),
    ]


def _write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_all_problems_collected_together(tmp_path, framework):
    path = _write(
        tmp_path, "2023_many.csv", "盟市,5G用户普及率（%）,宽带速率（Mbps）\n呼和浩特市,abc,1\n北京市,2,2\n呼市,3,3\n"
    )
    problems = problems_of(path, framework)
    assert [(p.row, p.column, p.rule) for p in problems] == [
        (1, "宽带速率（Mbps）", "unknown_column"),
        (2, "5G用户普及率（%）", "non_numeric"),
        (3, "盟市", "unknown_league"),
        (4, "盟市", "duplicate_league"),
    ]


def test_no_year(tmp_path, framework):
    path = _write(tmp_path, "submission.csv", "盟市,5G用户普及率（%）\n呼和浩特市,50\n")
    problems = problems_of(path, framework)
    assert [(p.file, p.row, p.column, p.rule) for p in problems] == [("submission.csv", None, None, "no_year")]


def test_year_column_gives_each_row_its_year(tmp_path, framework):
    path = _write(tmp_path, "years.csv", "年份,盟市,5G用户普及率（%）\n2021,呼和浩特市,40\n2022年,呼和浩特市,45\n")
    df = parse_file(path, framework)
    assert dict(zip(df["year"], df["value"])) == {2021: 40.0, 2022: 45.0}


def test_year_column_must_agree_with_file_name(tmp_path, framework):
    path = _write(tmp_path, "2023_years.csv", "年份,盟市,5G用户普及率（%）\n2021,呼和浩特市,40\n2023年,包头市,45\n")
    problems = problems_of(path, framework)
    assert [(p.row, p.column, p.rule) for p in problems] == [(2, "年份", "year_conflict")]
    assert "2021" in problems[0].message and "the file name says 2023" in problems[0].message


def test_title_year_must_agree_with_file_name(tmp_path, framework):
    path = _write(tmp_path, "2024_x.csv", "2023年报表,\n盟市,5G用户普及率（%）\n包头,50\n")
    problems = problems_of(path, framework)
    assert [(p.row, p.column, p.rule) for p in problems] == [(None, None, "year_conflict")]
    assert problems[0].message == (
        "the reporting year differs: the file name says 2024; the title (row 1) says 2023; make them agree"
    )


def test_no_header(tmp_path, framework):
    path = _write(tmp_path, "2023_x.csv", "名称,数值\n呼和浩特市,50\n")
    assert [p.rule for p in problems_of(path, framework)] == ["no_header"]


def test_unsupported_format(tmp_path, framework):
    path = _write(tmp_path, "2023_x.pdf", "%PDF")
    assert [p.rule for p in problems_of(path, framework)] == ["unsupported_format"]
