"""A SYNTHETIC corpus of bad and messy submissions, one file per class, built into a folder at test time.

Every figure here is made up (示例数据（合成）), not an official statistic; each file says so in its title or a
footnote, except the three that cannot hold text by definition (the zero-byte file, the empty workbook and the
binary garbage, which carries the word SYNTHETIC in its bytes). The files are parsed against the small
synthetic framework ``tests/fixtures/framework_small.sql`` (departments 测试通信管理局, 测试数据局, 测试统计局).

Each ``Case`` expects EITHER the exact parsed cells, in parse order, as
``(unit_code, year, indicator_id, value, department)``, OR the exact problems as
``(file, sheet, row, column, rule)``; and always the exact notes as ``(rule, sheet, row, column)``.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

DEPT = "测试通信管理局"
LABEL = "示例数据（合成）"
TITLE = f"2023年各盟市通信业数据（{LABEL}）"
HEADER = ["盟市", "移动电话用户（万户）", "5G用户普及率（%）"]
BODY = [["呼和浩特市", 412.3, 55.2], ["包头市", 300.1, 48.75]]
XLSX = f"2023_{DEPT}_通信业数据.xlsx"
CSV = f"2023_{DEPT}_通信业数据.csv"
SHEET = "数据"
MOBILE, FIVEG = HEADER[1], HEADER[2]


def cells(year: int = 2023, department: str | None = DEPT, rows=None) -> list[tuple]:
    """Expected cells of BODY-shaped rows: (league, mobile_users, fiveg_rate) per row."""
    rows = rows or [(150100, 412.3, 55.2), (150200, 300.1, 48.75)]
    out = []
    for code, mobile, fiveg in rows:
        out.append((code, year, "mobile_users", mobile, department))
        out.append((code, year, "fiveg_rate", fiveg, department))
    return out


DEFAULT_CELLS = cells()


# ---------------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------------


@dataclass
class Sheet:
    name: str = SHEET
    rows: list[list] = field(default_factory=lambda: [[TITLE], HEADER, *[list(r) for r in BODY]])
    state: str = "visible"
    merges: list[str] = field(default_factory=list)
    formats: dict[str, str] = field(default_factory=dict)  # cell -> number format
    patches: dict[str, str] = field(default_factory=dict)  # cell -> raw <c> XML, as Excel would store it
    hidden_rows: list[int] = field(default_factory=list)  # 1-based rows hidden in Excel
    hidden_cols: list[str] = field(default_factory=list)  # column letters hidden in Excel


def write_xlsx(path: Path, sheets: list[Sheet], calculated: bool = False) -> None:
    """An XLSX through openpyxl; ``patches`` then put cached formula results into the sheet XML (openpyxl
    cannot), and ``calculated`` drops openpyxl's 'recalculate on load' flag as a file saved by Excel has none."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for spec in sheets:
        ws = wb.create_sheet(spec.name)
        for row in spec.rows:
            ws.append(row)
        for ref in spec.merges:
            ws.merge_cells(ref)
        for ref, fmt in spec.formats.items():
            ws[ref].number_format = fmt
        for row in spec.hidden_rows:
            ws.row_dimensions[row].hidden = True
        for col in spec.hidden_cols:
            ws.column_dimensions[col].hidden = True
        ws.sheet_state = spec.state
    buffer = io.BytesIO()
    wb.save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src:
        parts = {name: src.read(name) for name in src.namelist()}
    for i, spec in enumerate(sheets, 1):
        name = f"xl/worksheets/sheet{i}.xml"
        for ref, xml in spec.patches.items():
            pattern = re.compile(rb'<c r="' + ref.encode() + rb'"(?:[^>]*/>|[^>]*>.*?</c>)', re.S)
            parts[name], n = pattern.subn(xml.encode("utf-8"), parts[name])
            assert n == 1, (ref, n)
    if calculated:
        parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b' fullCalcOnLoad="1"', b"")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in parts.items():
            dst.writestr(name, data)


def xlsx(*sheets: Sheet, calculated: bool = False) -> Callable[[Path], None]:
    return lambda path: write_xlsx(path, list(sheets) or [Sheet()], calculated)


def text(content: str | bytes, encoding: str = "utf-8") -> Callable[[Path], None]:
    data = content if isinstance(content, bytes) else content.encode(encoding)
    return lambda path: path.write_bytes(data)


def csv_lines(*lines: str) -> str:
    return "".join(line + "\n" for line in lines)


CSV_DEFAULT = csv_lines(TITLE, ",".join(HEADER), "呼和浩特市,412.3,55.2", "包头市,300.1,48.75")


def with_cell(ref_row: int, col: int, value) -> list[list]:
    """Default sheet rows with one body cell replaced (ref_row: 0 or 1 for the two 盟市 rows)."""
    rows = [[TITLE], list(HEADER), *[list(r) for r in BODY]]
    rows[2 + ref_row][col] = value
    return rows


ODS = f"2023_{DEPT}_通信业数据.ods"
_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"'
)


def ods_value(value) -> str:
    """One ODS cell as LibreOffice writes it: text, a float, or empty (None)."""
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, str):
        return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'
    return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'


def ods_error(formula: str, error: str) -> str:
    """A formula cell whose result is an error, as LibreOffice stores it: a 0 beside calcext's error type."""
    return (
        f'<table:table-cell table:formula="of:={formula}" office:value-type="float" office:value="0" '
        f'calcext:value-type="error"><text:p>{error}</text:p></table:table-cell>'
    )


def write_ods(path: Path, rows: list[list], hidden_rows: tuple[int, ...] = (), columns: str = "") -> None:
    """An ODS workbook by hand (no writer library is installed): content.xml with one sheet. A row item that
    is a string starting with '<' is raw cell XML; hidden_rows are 1-based; columns is raw column XML."""
    body = []
    for n, row in enumerate(rows, 1):
        cells = "".join(v if isinstance(v, str) and v.startswith("<") else ods_value(v) for v in row)
        hidden = ' table:visibility="collapse"' if n in hidden_rows else ""
        body.append(f"<table:table-row{hidden}>{cells}</table:table-row>")
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS} office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="{SHEET}">{columns}{"".join(body)}'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("META-INF/manifest.xml", manifest)
        zf.writestr("content.xml", content)


def ods(rows: list[list] | None = None, **options) -> Callable[[Path], None]:
    rows = rows or [[TITLE], list(HEADER), *[list(r) for r in BODY]]
    return lambda path: write_ods(path, rows, **options)


XLS = f"2023_{DEPT}_通信业数据.xls"
# the BIFF8 error codes ([MS-XLS] 2.5.97.2 BErr)
BIFF_ERROR_CODES = {
    "#NULL!": 0x00,
    "#DIV/0!": 0x07,
    "#VALUE!": 0x0F,
    "#REF!": 0x17,
    "#NAME?": 0x1D,
    "#NUM!": 0x24,
    "#N/A": 0x2A,
}


def write_xls(path: Path, rows: list[list], errors: dict[tuple[int, int], str] = None, hidden_rows=()) -> None:
    """An XLS (BIFF8) workbook through xlwt; ``errors`` puts an error cell at (row, col), 0-based, as Excel
    stores a constant error; hidden_rows are 0-based."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet(SHEET)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    for (r, c), error in (errors or {}).items():
        sheet.row(r).set_cell_error(c, BIFF_ERROR_CODES[error])  # the code: xlwt's own names miss #N/A
    for r in hidden_rows:
        sheet.row(r).hidden = True
    book.save(str(path))


def xls(rows: list[list] | None = None, **options) -> Callable[[Path], None]:
    rows = rows or [[TITLE], list(HEADER), *[list(r) for r in BODY]]
    return lambda path: write_xls(path, rows, **options)


def error_cell(ref: str, formula: str, error: str) -> str:
    return f'<c r="{ref}" t="e"><f>{formula}</f><v>{error}</v></c>'


# ---------------------------------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------------------------------


@dataclass
class Case:
    id: str
    file: str
    write: Callable[[Path], None]
    cells: list[tuple] | None = None
    problems: list[tuple] | None = None
    notes: list[tuple] = field(default_factory=list)
    message: str | None = None  # a phrase the first problem's message must contain
    labelled: bool = True  # the file says 示例数据（合成） (or SYNTHETIC) in its own bytes or cells

    def build(self, folder: Path) -> Path:
        path = folder / self.file
        self.write(path)
        return path


def _problem(file: str, sheet: str | None, row: int | None, column: str | None, rule: str) -> tuple:
    return (file, sheet, row, column, rule)


ERRORS = {
    "div0": "#DIV/0!",
    "ref": "#REF!",
    "na": "#N/A",
    "value": "#VALUE!",
    "name": "#NAME?",
    "num": "#NUM!",
    "null": "#NULL!",
}


def _cases() -> list[Case]:
    c: list[Case] = []
    add = c.append

    # --- sheets ----------------------------------------------------------------------------------
    hidden_rows = [[TITLE], HEADER, ["包头市", 999.0, 99.0]]
    add(
        Case(
            "hidden_sheet",
            XLSX,
            xlsx(Sheet(), Sheet("隐藏", hidden_rows, state="hidden")),
            cells=DEFAULT_CELLS,
            notes=[("hidden_sheet_ignored", "隐藏", None, None)],
        )
    )
    add(
        Case(
            "very_hidden_sheet",
            XLSX,
            xlsx(Sheet(), Sheet("深度隐藏", hidden_rows, state="veryHidden")),
            cells=DEFAULT_CELLS,
            notes=[("hidden_sheet_ignored", "深度隐藏", None, None)],
        )
    )
    add(
        Case(
            "data_only_on_hidden_sheet",
            XLSX,
            xlsx(Sheet("说明", [[f"数据见下一表（{LABEL}）"]]), Sheet("隐藏", hidden_rows, state="hidden")),
            problems=[_problem(XLSX, "说明", None, None, "no_header")],
            notes=[("hidden_sheet_ignored", "隐藏", None, None)],
            message="hidden sheets are not read: 隐藏",
        )
    )
    add(
        Case(
            "second_data_sheet",
            f"{DEPT}_通信业数据.xlsx",
            xlsx(
                Sheet("2022年", [[f"2022年各盟市通信业数据（{LABEL}）"], HEADER, ["乌海市", 50.5, 40.0]]),
                Sheet("2023年", [[TITLE], HEADER, ["乌海市", 52.0, 44.5]]),
            ),
            cells=cells(2022, rows=[(150300, 50.5, 40.0)]) + cells(2023, rows=[(150300, 52.0, 44.5)]),
        )
    )

    # --- formulas and error values ---------------------------------------------------------------
    for key, error in ERRORS.items():
        add(
            Case(
                f"formula_error_{key}",
                XLSX,
                xlsx(Sheet(rows=with_cell(1, 2, "=B4/0"), patches={"C4": error_cell("C4", "B4/0", error)})),
                problems=[_problem(XLSX, SHEET, 4, FIVEG, "formula_error")],
                message=error,
            )
        )
    add(
        Case(
            "error_value_without_formula",
            XLSX,
            xlsx(Sheet(rows=with_cell(0, 1, "#N/A"))),
            problems=[_problem(XLSX, SHEET, 3, MOBILE, "formula_error")],
            message="the cell holds the Excel error #N/A",
        )
    )
    add(
        Case(
            "formula_without_cached_value",
            XLSX,
            xlsx(Sheet(rows=with_cell(0, 2, "=B3/10"))),
            problems=[_problem(XLSX, SHEET, 3, FIVEG, "formula_no_value")],
            message="=B3/10 has no stored result",
        )
    )
    add(
        Case(
            "formula_cached_by_a_tool_that_never_calculated",
            XLSX,
            xlsx(Sheet(rows=with_cell(0, 2, "=55.2*1"), patches={"C3": '<c r="C3"><f>55.2*1</f><v>0</v></c>'})),
            problems=[_problem(XLSX, SHEET, 3, FIVEG, "formula_no_value")],
            message="cannot be trusted",
        )
    )
    add(
        Case(
            "formula_calculated_by_excel",
            XLSX,
            xlsx(
                Sheet(rows=with_cell(0, 2, "=55.2*1"), patches={"C3": '<c r="C3"><f>55.2*1</f><v>55.2</v></c>'}),
                calculated=True,
            ),
            cells=DEFAULT_CELLS,
        )
    )
    add(
        Case(
            "error_text_in_csv",
            CSV,
            text(CSV_DEFAULT.replace("300.1,48.75", "300.1,#DIV/0!")),
            problems=[_problem(CSV, None, 4, FIVEG, "formula_error")],
            message="'#DIV/0!' is an Excel error value",
        )
    )

    # --- ODS: calamine reads an error result as the 0 stored beside it, a formula without result as blank -----
    ods_notes = [("cell_checks_limited", None, None, None)]
    add(Case("ods_clean", ODS, ods(), cells=DEFAULT_CELLS, notes=ods_notes))
    add(
        Case(
            "ods_error_result_is_not_its_stored_zero",
            ODS,
            ods(
                [[TITLE], list(HEADER), ["呼和浩特市", 412.3, 55.2], ["包头市", 300.1, ods_error("[.C4]/0", "#DIV/0!")]]
            ),
            problems=[_problem(ODS, SHEET, 4, FIVEG, "formula_error")],
            notes=ods_notes,
            message="the formula =C4/0 gives the Excel error #DIV/0!",
        )
    )
    add(
        Case(
            "ods_libreoffice_error_code",
            ODS,
            ods([[TITLE], list(HEADER), ["呼和浩特市", 412.3, 55.2], ["包头市", ods_error("[.Z9]", "Err:502"), 48.75]]),
            problems=[_problem(ODS, SHEET, 4, MOBILE, "formula_error")],
            notes=ods_notes,
            message="Err:502",
        )
    )
    add(
        Case(
            "ods_formula_without_result",
            ODS,
            ods(
                [
                    [TITLE],
                    list(HEADER),
                    ["呼和浩特市", 412.3, 55.2],
                    ["包头市", 300.1, '<table:table-cell table:formula="of:=[.C3]"/>'],
                ]
            ),
            problems=[_problem(ODS, SHEET, 4, FIVEG, "formula_no_value")],
            notes=ods_notes,
        )
    )
    add(
        Case(
            "ods_hidden_row_with_figures",
            ODS,
            ods(hidden_rows=(4,)),
            problems=[_problem(ODS, SHEET, 4, "盟市", "hidden_cells")],
            notes=ods_notes,
        )
    )
    add(
        Case(
            "ods_hidden_column_with_figures",
            ODS,
            ods(
                columns='<table:table-column table:number-columns-repeated="2"/><table:table-column table:visibility="collapse"/>'
            ),
            problems=[_problem(ODS, SHEET, 2, FIVEG, "hidden_cells")],
            notes=ods_notes,
        )
    )

    # --- XLS: calamine reads an error cell as blank; xlrd tells it apart ---------------------------------
    xls_notes = [("cell_checks_limited", None, None, None)]
    add(Case("xls_clean", XLS, xls(), cells=DEFAULT_CELLS, notes=xls_notes))
    for key, error in ERRORS.items():
        add(
            Case(
                f"xls_error_{key}",
                XLS,
                xls(
                    [[TITLE], list(HEADER), ["呼和浩特市", 412.3, 55.2], ["包头市", 300.1, None]],
                    errors={(3, 2): error},
                ),
                problems=[_problem(XLS, SHEET, 4, FIVEG, "formula_error")],
                notes=xls_notes,
                message=f"the cell holds the Excel error {error}",
            )
        )
    add(
        Case(
            "xls_hidden_row_with_figures",
            XLS,
            xls(hidden_rows=(3,)),
            problems=[_problem(XLS, SHEET, 4, "盟市", "hidden_cells")],
            notes=xls_notes,
        )
    )

    # a header without its unit: 万户 or 户 is not certain, a ratio needs none
    add(
        Case(
            "header_without_unit",
            CSV,
            text(CSV_DEFAULT.replace("移动电话用户（万户）", "移动电话用户")),
            problems=[_problem(CSV, None, 2, "移动电话用户", "no_unit")],
            message="write it in the header, '移动电话用户（万户）', or put a line '单位：万户' above the table",
        )
    )
    add(
        Case(
            "header_without_unit_under_a_unit_line",
            CSV,
            text(CSV_DEFAULT.replace(TITLE, f"{TITLE}\n单位：万户").replace("移动电话用户（万户）", "移动电话用户")),
            cells=DEFAULT_CELLS,
        )
    )

    # a CSV line with fewer cells than the header: the missing figure is not read as "not reported"
    add(
        Case(
            "short_line_in_csv",
            CSV,
            text(CSV_DEFAULT.replace("300.1,48.75", "300.1")),
            problems=[_problem(CSV, None, 4, FIVEG, "short_row")],
            message="the line has 2 cells but the header has 3",
        )
    )
    # the same figure left empty between its commas is "not reported"
    add(
        Case(
            "empty_cell_between_commas_in_csv",
            CSV,
            text(CSV_DEFAULT.replace("300.1,48.75", "300.1,")),
            cells=cells(rows=[(150100, 412.3, 55.2), (150200, 300.1, None)]),
        )
    )

    # --- number formats that show another figure than the stored one ---------------------------
    add(
        Case(
            "thousands_scaled_format",
            XLSX,
            xlsx(Sheet(rows=with_cell(1, 1, 300100), formats={"B4": "#,##0.0,"})),
            problems=[_problem(XLSX, SHEET, 4, MOBILE, "scaled_format")],
            message="shows it as 300.1",
        )
    )
    add(
        Case(
            "grouping_format_is_harmless",
            XLSX,
            xlsx(Sheet(rows=with_cell(1, 1, 1300.1), formats={"B4": "#,##0.0"})),
            cells=cells(rows=[(150100, 412.3, 55.2), (150200, 1300.1, 48.75)]),
        )
    )

    # --- hidden rows and columns in a visible sheet ----------------------------------------------
    add(
        Case(
            "hidden_row_with_figures",
            XLSX,
            xlsx(Sheet(hidden_rows=[4])),
            problems=[_problem(XLSX, SHEET, 4, "盟市", "hidden_cells")],
            message="row 4 is hidden",
        )
    )
    add(
        Case(
            "hidden_indicator_column",
            XLSX,
            xlsx(Sheet(hidden_cols=["C"])),
            problems=[_problem(XLSX, SHEET, 2, FIVEG, "hidden_cells")],
            message="column C",
        )
    )
    add(
        Case(
            "hidden_title_and_empty_rows_are_harmless",
            XLSX,
            xlsx(
                Sheet(
                    rows=[[TITLE], list(HEADER), *[list(r) for r in BODY], [], ["注：示例数据（合成）"]],
                    hidden_rows=[1, 5],
                )
            ),
            cells=DEFAULT_CELLS,
        )
    )
    add(Case("hidden_column_outside_the_table_is_harmless", XLSX, xlsx(Sheet(hidden_cols=["F"])), cells=DEFAULT_CELLS))

    # --- merged cells ----------------------------------------------------------------------------
    merged_rows = with_cell(1, 2, None)
    add(
        Case(
            "merged_value_cell_across_rows",
            XLSX,
            xlsx(Sheet(rows=merged_rows, merges=["C3:C4"])),
            problems=[_problem(XLSX, SHEET, 4, FIVEG, "merged_cells")],
            message="cells C3:C4 are merged",
        )
    )
    add(
        Case(
            "merged_league_cell",
            XLSX,
            xlsx(Sheet(rows=[[TITLE], HEADER, ["呼和浩特市", 412.3, 55.2], [None, 300.1, 48.75]], merges=["A3:A4"])),
            problems=[_problem(XLSX, SHEET, 4, "盟市", "merged_cells")],
            message="has no 盟市 of its own",
        )
    )
    add(
        Case(
            "merged_total_label_over_serial_and_league",
            XLSX,
            xlsx(
                Sheet(
                    rows=[
                        [TITLE],
                        ["序号", *HEADER],
                        [1, "呼和浩特市", 412.3, 55.2],
                        [2, "包头市", 300.1, 48.75],
                        ["合计", None, 712.4, 52.0],
                    ],
                    merges=["A1:D1", "A5:B5"],
                )
            ),
            cells=DEFAULT_CELLS,
        )
    )

    # --- percentages -----------------------------------------------------------------------------
    fractions = [[TITLE], HEADER, ["呼和浩特市", 412.3, 0.552], ["包头市", 300.1, 0.4875]]
    add(
        Case(
            "percent_formatted_fraction",
            XLSX,
            xlsx(Sheet(rows=fractions, formats={"C3": "0.00%", "C4": "0.00%"})),
            cells=DEFAULT_CELLS,
            notes=[("percent_format_scaled", SHEET, 3, FIVEG)],
        )
    )
    add(
        Case(
            "fraction_in_percent_column_without_format",
            XLSX,
            xlsx(Sheet(rows=fractions)),
            problems=[_problem(XLSX, SHEET, None, FIVEG, "percent_as_fraction")],
            message="rows 3, 4",
        )
    )
    add(
        Case(
            "fraction_text_in_percent_column_csv",
            CSV,
            text(CSV_DEFAULT.replace("55.2", "0.552").replace("48.75", "0.4875")),
            problems=[_problem(CSV, None, None, FIVEG, "percent_as_fraction")],
        )
    )
    add(
        Case(
            "small_percentages_with_percent_sign",
            CSV,
            text(CSV_DEFAULT.replace(",55.2", ",0.552%").replace(",48.75", ",0.4875%")),
            cells=cells(rows=[(150100, 412.3, 0.552), (150200, 300.1, 0.4875)]),
        )
    )
    add(
        Case(
            "percent_format_in_non_percent_column",
            XLSX,
            xlsx(Sheet(rows=with_cell(0, 1, 0.45), formats={"B3": "0%"})),
            problems=[_problem(XLSX, SHEET, 3, MOBILE, "non_numeric")],
            message="the cell shows 45% but",
        )
    )
    add(
        Case(
            "percent_sign_in_non_percent_column",
            CSV,
            text(CSV_DEFAULT.replace("412.3", "45%")),
            problems=[_problem(CSV, None, 3, MOBILE, "non_numeric")],
            message="has a % sign",
        )
    )

    # --- qualified and unit-carrying numbers -----------------------------------------------------
    for key, value, phrase in [
        ("about", "约12", "a bound or an estimate (约)"),
        ("less_than", "<5", "a bound or an estimate (<)"),
        ("more_than", ">100", "a bound or an estimate (>)"),
        ("unit_jia", "12家", "carries a unit (家)"),
        ("magnitude_wan", "1.2万", "carries a magnitude (万)"),
    ]:
        add(
            Case(
                f"qualifier_{key}",
                CSV,
                text(CSV_DEFAULT.replace("300.1", value)),
                problems=[_problem(CSV, None, 4, MOBILE, "non_numeric")],
                message=phrase,
            )
        )
    revenue = csv_lines(TITLE, "盟市,信息通信业收入（万元）", "呼和浩特市,12 万元", "包头市,5000")
    for key, value, phrase in [
        ("space_inside_figure", "300 1", "space inside"),
        ("malformed_number", "300.1.2", "not a well-formed number"),
        ("figure_too_large", "1e400", "too large"),
    ]:
        add(
            Case(
                key,
                CSV,
                text(CSV_DEFAULT.replace("300.1", value)),
                problems=[_problem(CSV, None, 4, MOBILE, "non_numeric")],
                message=phrase,
            )
        )
    add(
        Case(
            "space_as_thousands_separator",
            CSV,
            text(CSV_DEFAULT.replace("300.1", '"1 300.1"')),
            cells=cells(rows=[(150100, 412.3, 55.2), (150200, 1300.1, 48.75)]),
        )
    )
    add(
        Case(
            "qualifier_unit_repeated_in_cell",
            CSV,
            text(revenue),
            problems=[_problem(CSV, None, 3, "信息通信业收入（万元）", "non_numeric")],
            message="repeats the unit",
        )
    )

    # --- encodings -------------------------------------------------------------------------------
    utf8_lines = [TITLE, ",".join(HEADER), "呼和浩特市,412.3,55.2"]
    add(
        Case(
            "mixed_encoding_one_gbk_line",
            CSV,
            text(csv_lines(*utf8_lines).encode("utf-8") + "包头市,300.1,48.75\n".encode("gbk")),
            problems=[_problem(CSV, None, 4, None, "unreadable")],
            message="read as GBK it says '包头市,300.1,48.75'",
        )
    )
    add(
        Case(
            "mixed_encoding_one_utf8_line_in_gbk",
            CSV,
            text(csv_lines(*utf8_lines).encode("gbk") + "包头市,300.1,48.75\n".encode()),
            problems=[_problem(CSV, None, 4, None, "unreadable")],
            message="line 4 is UTF-8",
        )
    )
    add(Case("gbk_csv", CSV, text(CSV_DEFAULT, "gbk"), cells=DEFAULT_CELLS))
    add(Case("utf8_bom_csv", CSV, text(CSV_DEFAULT, "utf-8-sig"), cells=DEFAULT_CELLS))

    # --- years -----------------------------------------------------------------------------------
    add(
        Case(
            "year_conflict_file_name_vs_title",
            f"2024_{DEPT}_通信业数据.csv",
            text(CSV_DEFAULT),
            problems=[_problem(f"2024_{DEPT}_通信业数据.csv", None, None, None, "year_conflict")],
            message="the file name says 2024; the title (row 1) says 2023",
        )
    )
    year_col = csv_lines(TITLE, "年份,盟市,5G用户普及率（%）", "2023,呼和浩特市,55.2", "2022,包头市,48.75")
    add(
        Case(
            "year_conflict_title_vs_year_column",
            f"{DEPT}_历年数据.csv",
            text(year_col),
            problems=[_problem(f"{DEPT}_历年数据.csv", None, 4, "年份", "year_conflict")],
            message="the 年份 cell says 2022 but the title (row 1) says 2023",
        )
    )
    add(
        Case(
            "year_conflict_sheet_vs_title",
            f"{DEPT}_通信业数据.xlsx",
            xlsx(Sheet("2022年")),
            problems=[_problem(f"{DEPT}_通信业数据.xlsx", "2022年", None, None, "year_conflict")],
            message="the title (row 1) says 2023; the sheet name '2022年' says 2022",
        )
    )
    add(
        Case(
            "year_column_agrees",
            CSV,
            text(year_col.replace("2022,包头市", "2023年,包头市")),
            cells=[(150100, 2023, "fiveg_rate", 55.2, DEPT), (150200, 2023, "fiveg_rate", 48.75, DEPT)],
        )
    )
    add(
        Case(
            "year_span_in_title_is_not_a_year",
            CSV,
            text(CSV_DEFAULT.replace("2023年各盟市", "2019—2023年各盟市")),
            cells=DEFAULT_CELLS,
        )
    )
    add(
        Case(
            "filing_date_in_title_is_not_the_year",
            CSV,
            text(
                csv_lines(
                    f"各盟市通信业数据（{LABEL}）",
                    "填报日期：2024年3月1日",
                    ",".join(HEADER),
                    "呼和浩特市,412.3,55.2",
                    "包头市,300.1,48.75",
                )
            ),
            cells=DEFAULT_CELLS,
        )
    )
    future = f"2031_{DEPT}_通信业数据.csv"
    add(
        Case(
            "future_year",
            future,
            text(CSV_DEFAULT.replace("2023年", "2031年")),
            problems=[_problem(future, None, None, None, "year_out_of_range")],
            message="the file name and the title (row 1) say 2031, outside the framework's years 2015–2025",
        )
    )
    early = f"2010_{DEPT}_通信业数据.csv"
    add(
        Case(
            "year_before_range",
            early,
            text(CSV_DEFAULT.replace("2023年", "2010年")),
            problems=[_problem(early, None, None, None, "year_out_of_range")],
        )
    )

    # --- departments -----------------------------------------------------------------------------
    mixed = f"2023_{DEPT}_补充数据.csv"
    add(
        Case(
            "mixed_department_file",
            mixed,
            text(
                csv_lines(TITLE, "盟市,5G用户普及率（%）,智能算力（PFlop/s）,常住人口（万人）", "赤峰市,40.5,12,400.2")
            ),
            cells=[
                (150400, 2023, "fiveg_rate", 40.5, DEPT),
                (150400, 2023, "compute", 12.0, DEPT),
                (150400, 2023, "population", 400.2, DEPT),
            ],
        )
    )
    add(
        Case(
            "department_conflict_file_name_vs_title",
            CSV,
            text(CSV_DEFAULT.replace(TITLE, f"2023年各盟市通信业数据（测试数据局报送，{LABEL}）")),
            problems=[_problem(CSV, None, None, None, "department_conflict")],
            message="the file name names 测试通信管理局; the title names 测试数据局",
        )
    )
    add(
        Case(
            "no_department_named",
            "2023_通信业数据.csv",
            text(CSV_DEFAULT),
            cells=cells(department=None),
            notes=[("department_unknown", None, None, None)],
        )
    )
    add(
        Case(
            "department_in_title_only",
            "2023_通信业数据.csv",
            text(CSV_DEFAULT.replace(TITLE, f"2023年各盟市通信业数据（{DEPT}，{LABEL}）")),
            cells=DEFAULT_CELLS,
        )
    )

    # --- leagues ---------------------------------------------------------------------------------
    add(
        Case(
            "duplicate_league",
            CSV,
            text(CSV_DEFAULT.replace("包头市", "呼市")),
            problems=[_problem(CSV, None, 4, "盟市", "duplicate_league")],
        )
    )
    add(
        Case(
            "unknown_league",
            CSV,
            text(CSV_DEFAULT.replace("包头市", "北京市")),
            problems=[_problem(CSV, None, 4, "盟市", "unknown_league")],
        )
    )
    add(Case("total_row_skipped", CSV, text(CSV_DEFAULT + "全区合计,712.4,52.0\n"), cells=DEFAULT_CELLS))

    # --- numbers ---------------------------------------------------------------------------------
    add(
        Case(
            "thousands_separators",
            CSV,
            text(
                csv_lines(
                    TITLE,
                    "盟市,移动电话用户（户）,5G用户普及率（%）",
                    '呼和浩特市,"4,123,000",55.2',
                    '包头市,"3,001,000",48.75',
                )
            ),
            cells=DEFAULT_CELLS,
        )
    )
    add(
        Case(
            "full_width_digits",
            CSV,
            text(CSV_DEFAULT.replace("412.3", "４１２．３").replace("48.75", "４８.７５")),
            cells=DEFAULT_CELLS,
        )
    )
    add(
        Case(
            "negative_numbers",
            CSV,
            text(csv_lines(TITLE, "盟市,信息通信业收入（亿元）", "呼和浩特市,-5.5", "包头市,−2")),
            cells=[(150100, 2023, "telecom_revenue", -5.5, DEPT), (150200, 2023, "telecom_revenue", -2.0, DEPT)],
        )
    )
    add(
        Case(
            "scientific_notation",
            CSV,
            text(CSV_DEFAULT.replace("412.3", "4.123E+2").replace("300.1", "3.001e2")),
            cells=DEFAULT_CELLS,
        )
    )
    add(
        Case(
            "text_stored_numbers",
            XLSX,
            xlsx(Sheet(rows=[[TITLE], HEADER, ["呼和浩特市", "412.3", "55.2"], ["包头市", "300.1", " 48.75 "]])),
            cells=DEFAULT_CELLS,
        )
    )
    add(
        Case(
            "date_in_value_cell",
            XLSX,
            xlsx(Sheet(rows=with_cell(0, 2, date(2023, 5, 1)))),
            problems=[_problem(XLSX, SHEET, 3, FIVEG, "non_numeric")],
            message="is a date or time",
        )
    )
    add(
        Case(
            "boolean_in_value_cell",
            XLSX,
            xlsx(Sheet(rows=with_cell(1, 1, True))),
            problems=[_problem(XLSX, SHEET, 4, MOBILE, "non_numeric")],
            message="'TRUE' is a TRUE/FALSE value",
        )
    )
    add(
        Case(
            "missing_marks",
            CSV,
            text(CSV_DEFAULT.replace("412.3", "—").replace("48.75", "")),
            cells=cells(rows=[(150100, None, 55.2), (150200, 300.1, None)]),
        )
    )

    # --- files that are not what they say --------------------------------------------------------
    add(
        Case(
            "empty_workbook",
            XLSX,
            xlsx(Sheet(rows=[])),
            problems=[_problem(XLSX, None, None, None, "empty_file")],
            labelled=False,
        )
    )
    add(
        Case("zero_byte_file", CSV, text(b""), problems=[_problem(CSV, None, None, None, "empty_file")], labelled=False)
    )
    add(
        Case(
            "binary_garbage_named_xlsx",
            XLSX,
            text(b"SYNTHETIC\x00" + bytes(range(256)) * 8),
            problems=[_problem(XLSX, None, None, None, "unreadable")],
            labelled=False,
        )
    )
    add(
        Case(
            "binary_garbage_named_csv",
            CSV,
            text(b"SYNTHETIC\x00" + bytes(range(256)) * 8),
            problems=[_problem(CSV, None, None, None, "unreadable")],
            message="binary",
            labelled=False,
        )
    )
    add(
        Case(
            "csv_that_is_really_xlsx",
            CSV,
            xlsx(Sheet()),
            cells=DEFAULT_CELLS,
            notes=[("format_mismatch", None, None, None)],
        )
    )

    # --- headers ---------------------------------------------------------------------------------
    add(
        Case(
            "unknown_unit",
            CSV,
            text(CSV_DEFAULT.replace("（万户）", "（万台套）")),
            problems=[_problem(CSV, None, 2, "移动电话用户（万台套）", "unknown_unit")],
        )
    )
    add(
        Case(
            "incompatible_unit",
            CSV,
            text(CSV_DEFAULT.replace("（%）", "（万户）")),
            problems=[_problem(CSV, None, 2, "5G用户普及率（万户）", "incompatible_unit")],
        )
    )
    add(
        Case(
            "duplicate_column",
            CSV,
            text(csv_lines(TITLE, ",".join(HEADER) + ",5G用户普及率（%）", "呼和浩特市,412.3,55.2,55.2")),
            problems=[_problem(CSV, None, 2, FIVEG, "duplicate_column")],
        )
    )
    add(
        Case(
            "headerless_column_with_data",
            CSV,
            text(csv_lines(TITLE, ",".join(HEADER) + ",", "呼和浩特市,412.3,55.2,7", "包头市,300.1,48.75,")),
            problems=[_problem(CSV, None, 2, "第4列", "unknown_column")],
        )
    )
    add(
        Case(
            "footnotes",
            CSV,
            text(CSV_DEFAULT + csv_lines("注：1. 口径同上年", "2. 5G用户普及率按常住人口计算", "数据来源：测试")),
            cells=DEFAULT_CELLS,
        )
    )
    add(
        Case(
            "trailing_blank_rows",
            XLSX,
            xlsx(Sheet(rows=[[TITLE], HEADER, *BODY, [None, None, None], [None], [None, None, None]])),
            cells=DEFAULT_CELLS,
        )
    )
    add(
        Case(
            "no_header",
            CSV,
            text(csv_lines(TITLE, "名称,数值", "呼和浩特市,50")),
            problems=[_problem(CSV, None, None, None, "no_header")],
        )
    )
    return c


CASES = _cases()
