"""parse_file on the SYNTHETIC corpus of bad and messy submissions (tests/ingest/corpus.py), one file per class:
exact parsed cells, or exact problems (file, sheet, row, column, rule), and exact notes."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from index.errors import SubmissionError
from index.framework import load_framework
from index.ingest import declares_synthetic, parse_file
from tests.ingest.corpus import CASES, CSV, CSV_DEFAULT, DEFAULT_CELLS, DEPT, LABEL, Case, text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="module")
def framework():
    frame = load_framework(FIXTURES / "framework_small.sql")
    frame.attrs["periods"] = (2015, 2025)
    return frame


def parsed_cells(frame) -> list[tuple]:
    return [
        (int(r.unit_code), int(r.year), r.indicator_id, None if math.isnan(r.value) else r.value, r.department)
        for r in frame.itertuples(index=False)
    ]


def notes_of(notes) -> list[tuple]:
    return [(n.rule, n.sheet, n.row, n.column) for n in notes]


def test_the_corpus_has_one_file_per_class():
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    assert all((c.cells is None) != (c.problems is None) for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corpus_file(case: Case, tmp_path, framework):
    path = case.build(tmp_path)
    if case.problems is not None:
        with pytest.raises(SubmissionError) as info:
            parse_file(path, framework)
        problems = info.value.problems
        assert [(p.file, p.sheet, p.row, p.column, p.rule) for p in problems] == case.problems
        if case.message:
            assert case.message in problems[0].message
        notes = getattr(info.value, "notes", [])
    else:
        frame = parse_file(path, framework)
        assert parsed_cells(frame) == case.cells
        assert frame["synthetic"].all()  # the title or a footnote says 示例数据（合成）
        notes = frame.attrs["notes"]
    assert notes_of(notes) == case.notes


@pytest.mark.parametrize("case", [c for c in CASES if c.labelled], ids=[c.id for c in CASES if c.labelled])
def test_corpus_file_says_it_is_synthetic(case: Case, tmp_path):
    path = case.build(tmp_path)
    data = path.read_bytes()
    if data.startswith((b"PK", b"\xd0\xcf\x11\xe0")):  # a zip (xlsx, ods) or an OLE2 file (xls)
        book = CalamineWorkbook.from_path(str(path))
        shown = " ".join(
            str(v) for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python() for v in row
        )
    else:
        shown = data.decode("gb18030", errors="replace") + data.decode("utf-8", errors="replace")
    assert declares_synthetic(shown), case.id


def test_row_and_source_column_of_a_percent_formatted_cell(tmp_path, framework):
    case = next(c for c in CASES if c.id == "percent_formatted_fraction")
    frame = parse_file(case.build(tmp_path), framework)
    fiveg = frame[frame["indicator_id"] == "fiveg_rate"]
    assert list(fiveg["source_row"]) == [3, 4]
    assert list(fiveg["source_column"]) == ["5G用户普及率（%）", "5G用户普及率（%）"]
    note = frame.attrs["notes"][0]
    assert note.message == (
        "2 cell(s) (rows 3, 4) are stored as fractions and shown as percentages "
        "(e.g. 0.552 shown as 55.2%); read as the percentages shown"
    )


def test_every_problem_of_a_file_is_reported_together(tmp_path, framework):
    content = CSV_DEFAULT.replace("412.3", "约412").replace("48.75", "#REF!") + "北京市,1,2\n"
    path = tmp_path / CSV
    text(content)(path)
    with pytest.raises(SubmissionError) as info:
        parse_file(path, framework)
    assert [(p.row, p.column, p.rule) for p in info.value.problems] == [
        (3, "移动电话用户（万户）", "non_numeric"),
        (4, "5G用户普及率（%）", "formula_error"),
        (5, "盟市", "unknown_league"),
    ]


def test_default_years_without_framework_periods(tmp_path, framework):
    plain = framework.copy()
    plain.attrs = {}
    next_year = date.today().year + 1
    ok = tmp_path / f"{next_year}_{DEPT}_通信业数据.csv"
    ok.write_text(CSV_DEFAULT.replace("2023年", f"{next_year}年"), encoding="utf-8")
    assert set(parse_file(ok, plain)["year"]) == {next_year}
    late = tmp_path / f"{next_year + 1}_{DEPT}_通信业数据.csv"
    late.write_text(CSV_DEFAULT.replace("2023年", f"{next_year + 1}年"), encoding="utf-8")
    with pytest.raises(SubmissionError) as info:
        parse_file(late, plain)
    assert [p.rule for p in info.value.problems] == ["year_out_of_range"]
    assert f"2015–{next_year}" in info.value.problems[0].message


def test_problem_text_names_file_row_column_and_rule(tmp_path, framework):
    case = next(c for c in CASES if c.id == "qualifier_about")
    with pytest.raises(SubmissionError) as info:
        parse_file(case.build(tmp_path), framework)
    assert str(info.value.problems[0]) == (
        f"{CSV} row 4, column 移动电话用户（万户）: non_numeric: '约12' is a bound or an estimate (约), not a "
        "definite figure; write the figure itself, or — when it is not known"
    )


def test_figures_match_the_default_cells_in_every_clean_copy(tmp_path, framework):
    # the same figures through XLSX, GBK CSV and BOM CSV read identically
    for case_id in ("hidden_sheet", "gbk_csv", "utf8_bom_csv", "csv_that_is_really_xlsx"):
        case = next(c for c in CASES if c.id == case_id)
        folder = tmp_path / case_id
        folder.mkdir()
        assert parsed_cells(parse_file(case.build(folder), framework)) == DEFAULT_CELLS, case_id
    assert LABEL in CSV_DEFAULT
