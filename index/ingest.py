"""Landing files -> raw layer (long form Parquet), driven by the framework.

Departments send their figures as they keep them: XLSX with a title row, merged two-row headers, the unit in
the header (``5G用户普及率（%）``), footnotes; CSV in UTF-8, UTF-8 with BOM or GBK; 盟市 as full name, short name
or division code; ``—`` or blank for "not reported"; thousands separators; units other than the framework's.

``parse_file`` turns one such file into the raw-layer long form. Nothing here names a DEI indicator: a column is
matched to a framework row (Indicator or Denominator) by ``name_zh``, its unit (from the header, else from a
``单位：`` line above the header; without either only a ratio or index is taken to be in the framework's
``raw_unit``, any other column is refused, ``no_unit``) is converted to ``raw_unit`` with the generic unit table
below. One rule: a cell that cannot be read as a definite number or a definite
"missing" (blank, —, /, N/A) is a ``SubmissionProblem`` (file, sheet, row as Excel or an editor shows it, column
as written, rule), never a blank or a guess. All problems of a file are raised together as one
``SubmissionError``. What is logged but not a problem goes to ``frame.attrs["notes"]`` (also ``error.notes``).

Reading. A file is read by what its bytes are (zip with ``xl/workbook.xml``, OLE2, text), not by its name.
XLSX/XLSM: values from calamine, plus a scan of the sheet XML for what calamine reads as blank — error values
(``t="e"``), formulas without a stored result, and formulas of a workbook that asks to be recalculated on
opening (``fullCalcOnLoad``, written by openpyxl and XlsxWriter, whose stored results are placeholders) — and
for the cells whose number format shows a percentage. (openpyxl would give the same facts but took 38 s per
pass on a 200,000-row sheet where this takes about 8 s for the whole parse.) Hidden and very hidden sheets
are not read. XLSB: calamine only, which gives stored values but no formulas, errors or number formats: there an
error value or an uncalculated formula cannot be told from an empty cell (a note says so). XLS: calamine's
values, with xlrd for the error cells (read as blank by calamine) and the hidden rows and columns.
ODS: calamine's values, with content.xml streamed for what it misreads (an error result is read as the 0
stored beside it; a formula without a result as blank) and for hidden rows and columns; number formats are not
read (a note says so).
CSV: UTF-8 (BOM or not), GBK/GB18030 or UTF-16 with BOM; a file mixing encodings is refused line by line.

Year: the file name (``2024_…``), the first title line above the header that names a year, the sheet name and
a 年份/年度 column must all agree where present; a span (``2019—2023年``) is not a year. The year must lie in
``framework.attrs["periods"]`` (default 2015 to next year). Department: every row carries the SENDING
department, the framework ``department`` named in the file name or the title lines (never one guessed from
the indicators); a file that names none gets None (nobody's copy, used only where the owner sent nothing).
Percentages: a number whose cell format shows % in a % column is the percentage shown (0.6718 shown 67.18 % ->
67.18), a text ``67.18%`` likewise; a % column whose other figures all lie in [0, 1] (at least one above 0)
while the framework allows values above 1 is taken for fractions and refused, not rescaled.

``ingest_landing`` runs ``parse_file`` over every landing file not yet seen (by sha256) and writes
``raw/year=YYYY/<sha16>.parquet``; a file with problems goes to ``quarantine/<sha16>/`` with ``problems.json``
and ``problems.txt`` (the layout ``index.validate`` uses).

Problem rules (``SubmissionProblem.rule``):
  ``unreadable``         the file or a line cannot be read (broken workbook, binary, a line in another encoding:
                         row = the line number)
  ``unsupported_format`` not .xlsx/.xlsm/.xls/.xlsb/.ods/.csv/.txt/.tsv
  ``empty_file``         zero bytes, or no cell with content
  ``no_header``          no header row with a 盟市/地区 column in any visible sheet
  ``no_year``            no year in the file name, title, sheet name or a 年份 column
  ``year_conflict``      the year sources disagree (file name vs title vs sheet name vs a row's 年份 cell)
  ``year_out_of_range``  a year outside the framework's periods
  ``bad_year``           a 年份 cell that is not a year
  ``department_conflict`` the file name and the title (or two titles) name different departments
  ``no_data``            no indicator column, or no 盟市 rows
  ``unknown_column``     a header that is no framework name_zh, or figures under no header
  ``duplicate_column``   the same indicator twice
  ``unknown_unit``, ``incompatible_unit``  a unit the table does not know / cannot convert to raw_unit
  ``no_unit``            a header without a unit (and no 单位 line) for a figure that has more than one way of
                         being written (万元 or 元, % or a fraction); a ratio or an index may leave it out
  ``unknown_league``     a 盟市 cell that names none of the 12 (or is empty in a row with figures)
  ``wrong_parent``       in a 盟市's submission for its 旗县: a 旗县 of another 盟市 (the message names its real one)
  ``wrong_level``        in such a submission: another 盟市's own row
  ``missing_unit``       in such a submission: a 旗县 of the 盟市 without a row in a year the sheet reports
  ``ambiguous_unit``     a short name several units share (扎旗) where no 盟市 tells them apart
  ``unknown_county``     in such a submission: a name no 旗县 or zone has (the message lists the closest)
  ``duplicate_league``   a second row for the same 盟市 and year
  ``short_row``          a CSV/TSV line with fewer cells than the header (a cut or hand-edited line): which
                         figures it lacks is not certain, so it is never read as "not reported"
  ``merged_cells``       a merged range in the data area covering a 盟市, 年份 or indicator cell other than
                         its first (except a label merged sideways into the 盟市 cell, e.g. 合计)
  ``formula_error``      an Excel error value (#DIV/0!, #REF!, #N/A, #VALUE!, #NAME?, #NUM!, #NULL!, …), also as
                         text in a CSV
  ``formula_no_value``   a formula without a stored result, or whose result was never calculated
  ``non_numeric``        not a definite number: qualified (约12, <5, >100), with a unit or magnitude in the cell
                         (12家, 12 万元, 1.2万), a % sign or % format in a column whose unit is not %, a date,
                         TRUE/FALSE, other text; the message says which
  ``percent_as_fraction`` a % column whose figures look like fractions (see above)
  ``scaled_format``      a figure whose number format shows it divided by 1,000ⁿ (#,##0.0, shows thousands):
                         the stored and the shown figure differ, so which is meant is not certain
  ``hidden_cells``       a 盟市 row, or a 盟市, 年份 or indicator column with figures, hidden in Excel (hidden by
                         hand or by an active filter): whether its figures belong to the submission is not
                         certain, so the file waits for the department to unhide or delete them
Note rules (``frame.attrs["notes"]``): ``hidden_sheet_ignored``, ``percent_format_scaled``,
``department_unknown``, ``format_mismatch`` (an XLSX named .csv and the like, read by content),
``cell_checks_limited`` (an .xlsb workbook: error cells and formulas without a result read as blank; an .xls
or .ods workbook: its errors and hidden rows and columns are checked, its number formats are not).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import re
import shutil
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from html import unescape
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from index.errors import SubmissionError, SubmissionProblem
from index.files import write_with
from index.leagues import resolve_league

if TYPE_CHECKING:  # keep the import light for DAG parsing
    import pandas as pd

    from index.config import Settings

PARSED_COLUMNS = [
    "unit_code",
    "year",
    "indicator_id",
    "value",
    "department",
    "source_file",
    "source_sheet",
    "source_row",
    "source_column",
    "synthetic",
]
RAW_FILE_COLUMNS = [c for c in PARSED_COLUMNS if c != "year"] + ["sha256", "ingested_at"]
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
HEADER_SCAN_ROWS = 30

# ---------------------------------------------------------------------------------------------------
# Text helpers
# ---------------------------------------------------------------------------------------------------

_WS = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
# A sheet whose title or footnotes say its figures are made up (示例数据（合成）, "synthetic data") is flagged
# row by row, so that every release built from it can say so. Only the phrases for made-up data count: a
# product such as 合成橡胶 (synthetic rubber) in a title does not.
_SYNTHETIC_MARK = re.compile(
    r"(?:示例|模拟|(?<!非)合成)数据|[（(]\s*合成\s*[）)]|synthetic\s+(?:data|figures|values)|[（(]\s*synthetic\s*[）)]",
    re.IGNORECASE,
)


def declares_synthetic(text: str) -> bool:
    """True when a submission's title or footnotes declare its figures synthetic (示例数据（合成）, SYNTHETIC)."""
    return bool(_SYNTHETIC_MARK.search(unicodedata.normalize("NFKC", text or "")))


def fold(text: Any) -> str:
    """Comparison form of a label: NFKC (full-width digits, letters, brackets, ％ to ASCII), no whitespace."""
    if text is None:
        return ""
    return _WS.sub("", unicodedata.normalize("NFKC", str(text)))


def _as_text(value: Any) -> str:
    """A cell as written (trimmed), for messages and source_column."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _WS.sub(" ", str(value)).strip()


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not fold(value))


# Header of the 盟市 column (after fold, brackets removed).
LEAGUE_HEADERS = {
    "盟市",
    "地区",
    "盟市名称",
    "地区名称",
    "盟市地区",
    "地区盟市",
    "区域",
    "地市",
    "城市",
    "地级市",
    "城市名称",
    "行政区划",
    "行政区划名称",
    "行政区划代码",
    "区划代码",
    "盟市代码",
    "地区代码",
    "盟市别",
}
YEAR_HEADERS = {"年份", "年度", "年", "统计年度", "报告期", "统计年份", "时间"}
IGNORED_HEADERS = {
    "序号",
    "编号",
    "备注",
    "说明",
    "填报说明",
    "代码",
    "行政区划代码",
    "区划代码",
    "盟市代码",
    "地区代码",
    "填报人",
    "联系电话",
    "审核人",
    "填报日期",
}
GENERIC_LEAVES = {"合计", "总计", "小计", "总数", "总量", "数量", "数值", "指标值", "值", "规模", "金额"}
TOTAL_ROWS = {
    "合计",
    "总计",
    "全区",
    "全区合计",
    "全自治区",
    "自治区",
    "内蒙古",
    "内蒙古自治区",
    "全区总计",
    "150000",
    "全盟市",
    "全区平均",
    "平均",
    "均值",
}
# Header of the unit column of a 盟市's submission for its 旗县市区 (after fold, brackets removed: 旗县（市、区）
# -> 旗县). 地区 and the like can head either kind: then the rows decide.
COUNTY_HEADERS = {
    "旗县",
    "旗县市区",
    "旗县区",
    "旗县市",
    "县区",
    "县市区",
    "区县",
    "旗县名称",
    "旗县市区名称",
    "县级行政区",
    "县级单位",
}
# Rows of a 旗县 submission that stand for the 盟市 itself, not one of its 旗县: not read (the 盟市's own figures
# come from its 盟市-level submissions; 本级 is the 盟市 government's own part, in no 旗县).
LEAGUE_TOTAL_ROWS = {"全市", "全盟", "全市合计", "全盟合计", "市本级", "盟本级", "本级", "市直", "盟直", "小计"}
FOOTNOTE_PREFIXES = (
    "注",
    "备注",
    "说明",
    "数据来源",
    "资料来源",
    "来源",
    "填表",
    "填报",
    "制表",
    "审核",
    "单位负责人",
    "统计负责人",
    "*",
    "※",
)
NULL_TOKENS = {
    "",
    "-",
    "--",
    "---",
    "—",
    "——",
    "–",
    "―",
    "─",
    "/",
    "\\",
    "…",
    "...",
    "……",
    "无数据",
    "N/A",
    "n/a",
    "NA",
}
# Excel's error values. #N/A is one of them (a failed lookup), so it is not a "not reported" mark.
EXCEL_ERRORS = {
    "#DIV/0!",
    "#REF!",
    "#N/A",
    "#VALUE!",
    "#NAME?",
    "#NUM!",
    "#NULL!",
    "#SPILL!",
    "#CALC!",
    "#GETTING_DATA",
    "#FIELD!",
    "#BLOCKED!",
    "#CONNECT!",
    "#BUSY!",
    "#UNKNOWN!",
}

_BRACKETS = re.compile(r"[(\[][^()\[\]]*[)\]]")
_LABEL_UNIT = re.compile(r"^(?P<name>.*?)[(\[](?P<unit>[^()\[\]]*)[)\]]$")
_UNIT_LINE = re.compile(r"单位[:：]\s*(?P<unit>[^\s,，;；)）]+)")
_YEAR_IN_TEXT = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
_YEAR_BARE = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_YEAR_RANGE = re.compile(r"(?<!\d)(?:19|20)\d{2}\s*年?\s*[-—–~～至到]\s*(?:19|20)?\d{2,4}(?!\d)")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
# Whitespace between two digits: fine as a thousands separator (1 300.5), a guess anywhere else (300 1).
_SPACE_IN_DIGITS = re.compile(r"\d\s+[\d.]|\.\s+\d")
_SPACE_GROUPED = re.compile(r"^\s*[+-]?\d{1,3}(\s\d{3})+(\.\d*)?\s*$")


def _split_label(text: str) -> tuple[str, str | None]:
    """'移动电话用户（万户）' -> ('移动电话用户', '万户'); folded. No trailing bracket -> (name, None)."""
    folded = fold(text)
    match = _LABEL_UNIT.match(folded)
    if match and match.group("name"):
        return match.group("name"), match.group("unit")
    return folded, None


def _year_from_text(text: str | None) -> int | None:
    if not text:
        return None
    text = unicodedata.normalize("NFKC", text)
    if _YEAR_RANGE.search(text):
        return None  # "2019—2023年" names a span, not the reporting year
    match = _YEAR_IN_TEXT.search(text) or _YEAR_BARE.search(text)
    return int(match.group(1)) if match else None


# ---------------------------------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------------------------------

D = Decimal
# Base units: text -> (dimension, factor to the dimension's base). Counted things keep their own
# dimension (户 is not 人), so converting between them is an incompatible_unit problem.
BASE_UNITS: dict[str, tuple[str, Decimal]] = {
    "元": ("元", D(1)),
    "人民币元": ("元", D(1)),
    "户": ("户", D(1)),
    "人": ("人", D(1)),
    "人次": ("人次", D(1)),
    "个": ("个", D(1)),
    "家": ("家", D(1)),
    "座": ("座", D(1)),
    "台": ("台", D(1)),
    "套": ("套", D(1)),
    "件": ("件", D(1)),
    "项": ("项", D(1)),
    "部": ("部", D(1)),
    "条": ("条", D(1)),
    "次": ("次", D(1)),
    "所": ("所", D(1)),
    "处": ("处", D(1)),
    "张": ("张", D(1)),
    "辆": ("辆", D(1)),
    "架": ("架", D(1)),
    "标准机架": ("标准机架", D(1)),
    "机架": ("标准机架", D(1)),
    "吨": ("吨", D(1)),
    "吨标准煤": ("吨标准煤", D(1)),
    "吨标煤": ("吨标准煤", D(1)),
    "瓦": ("W", D(1)),
    "瓦时": ("Wh", D(1)),
    "度": ("Wh", D(1000)),
    "千瓦时": ("Wh", D(1000)),
    "米": ("m", D(1)),
    "公里": ("m", D(1000)),
    "平方米": ("m2", D(1)),
    "平方公里": ("m2", D(10) ** 6),
    "%": ("%", D(1)),
    "百分比": ("%", D(1)),
    "百分数": ("%", D(1)),
    "‰": ("%", D("0.1")),
    "百分点": ("百分点", D(1)),
    "个百分点": ("百分点", D(1)),
    "指数": ("指数", D(1)),
    "点": ("指数", D(1)),
    "分": ("分", D(1)),
    "倍": ("倍", D(1)),
    "比值": ("比值", D(1)),
    "比率": ("比值", D(1)),
    "无量纲": ("比值", D(1)),
    "年": ("年", D(1)),
    "天": ("天", D(1)),
    "小时": ("s", D(3600)),
    "秒": ("s", D(1)),
    "毫秒": ("s", D("0.001")),
}
CN_PREFIXES: dict[str, Decimal] = {"十": D(10), "百": D(100), "千": D(1000), "万": D(10) ** 4, "亿": D(10) ** 8}
SI_PREFIXES: dict[str, Decimal] = {
    "": D(1),
    "K": D(10) ** 3,
    "M": D(10) ** 6,
    "G": D(10) ** 9,
    "T": D(10) ** 12,
    "P": D(10) ** 15,
    "E": D(10) ** 18,
}
_SI_UNIT = re.compile(
    r"^(?P<prefix>[kKMGTPE]?)(?P<base>bps|bit/s|b/s|flop/s|flops|flop|w|wh|b|byte|bytes|m|s|ms)$", re.IGNORECASE
)
_SI_BASES = {
    "bps": "bit/s",
    "bit/s": "bit/s",
    "b/s": "bit/s",
    "flop/s": "flop/s",
    "flops": "flop/s",
    "flop": "flop/s",
    "w": "W",
    "wh": "Wh",
    "b": "B",
    "byte": "B",
    "bytes": "B",
    "m": "m",
    "s": "s",
}


def _simple_unit(unit: str) -> tuple[str, Decimal] | None:
    if not unit:
        return None
    if unit in BASE_UNITS:
        return BASE_UNITS[unit]
    match = _SI_UNIT.match(unit)
    if match:
        base = match.group("base").lower()
        if base == "ms" and not match.group("prefix"):
            return "s", D("0.001")
        if base in _SI_BASES:
            return _SI_BASES[base], SI_PREFIXES[match.group("prefix").upper()]
    if unit.startswith("每"):
        return _simple_unit(unit[1:])
    for prefix, factor in CN_PREFIXES.items():
        if unit.startswith(prefix) and len(unit) > 1:
            rest = _simple_unit(unit[1:])
            if rest is not None:
                return rest[0], rest[1] * factor
    return None


def parse_unit(unit: str | None) -> tuple[str, Decimal] | None:
    """'万户' -> ('户', 10000); '亿元' -> ('元', 1e8); '元/人' -> ('元/人', 1); 'PFlop/s' -> ('flop/s', 1e15).

    Returns None for a unit the table does not know. Ratios ``a/b`` are parsed part by part.
    """
    if unit is None:
        return None
    folded = fold(unit).replace("／", "/")
    simple = _simple_unit(folded)
    if simple is not None:
        return simple
    if "/" in folded:
        # split at the last '/' whose left side parses (so 'PFlop/s/万人' -> 'PFlop/s' over '万人')
        for i in [i for i, ch in enumerate(folded) if ch == "/"][::-1]:
            num, den = _simple_unit(folded[:i]) or parse_unit(folded[:i]), _simple_unit(folded[i + 1 :])
            if num and den:
                return f"{num[0]}/{den[0]}", num[1] / den[1]
    return None


# units a figure has no other way of being written in (a ratio, an index): a header may leave them out
_UNITLESS_BASES = {"比值", "指数", "倍"}


def _unit_goes_without_saying(raw_unit: str | None) -> bool:
    """Whether a column whose header names no unit is certainly in ``raw_unit``: no framework unit, a unit the
    table cannot scale, or a ratio or index."""
    parsed = parse_unit(raw_unit)
    return parsed is None or parsed[0] in _UNITLESS_BASES


def unit_factor(from_unit: str | None, to_unit: str | None) -> Decimal | str:
    """Multiplier taking a value in ``from_unit`` to ``to_unit``, or a problem rule
    ('unknown_unit' / 'incompatible_unit')."""
    if from_unit is None or fold(from_unit) == fold(to_unit):
        return D(1)
    source, target = parse_unit(from_unit), parse_unit(to_unit)
    if source is None or target is None:
        return "unknown_unit"
    if source[0] != target[0]:
        return "incompatible_unit"
    return source[1] / target[1]


# ---------------------------------------------------------------------------------------------------
# Reading files into grids
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unreadable:
    """A cell with nothing to read: an Excel error value, or a formula whose result is missing or untrusted.

    It stays in the grid (not blank), so the row is processed and the cell reported."""

    rule: str  # 'formula_error' | 'formula_no_value'
    value: str  # the error value as Excel shows it ('#DIV/0!'), '' when there is none
    formula: str = ""  # '=B4/C4', '' for a plain error cell
    untrusted: bool = False  # a stored result exists, but the workbook was never calculated

    def __str__(self) -> str:
        return self.value or self.formula


@dataclass
class _Grid:
    """One sheet (or a CSV file) as rows of cell values, 0-based, plus merged ranges (r0, c0, r1, c1)."""

    sheet: str | None
    rows: list[list[Any]]
    row_numbers: list[int]  # 1-based row as seen in Excel / a text editor, per grid row
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    percent: set[tuple[int, int]] = field(default_factory=set)  # cells whose number format shows a %
    scaled: dict[tuple[int, int], str] = field(default_factory=dict)  # cells shown ÷ 1,000ⁿ -> format code
    hidden_rows: set[int] = field(default_factory=set)  # 0-based rows Excel hides (by hand or a filter)
    hidden_cols: set[int] = field(default_factory=set)  # 0-based columns Excel hides
    # a CSV/TSV: a line holds as many cells as it has delimiters, so a line shorter than the header lacks cells
    # (a spreadsheet row never does: an empty cell is still there)
    text: bool = False

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def cell(self, r: int, c: int) -> Any:
        row = self.rows[r]
        return row[c] if c < len(row) else None

    def put(self, r: int, c: int, value: Any) -> None:
        while len(self.rows) <= r:
            self.rows.append([])
            self.row_numbers.append(len(self.rows))
        row = self.rows[r]
        row.extend([None] * (c + 1 - len(row)))
        row[c] = value


@dataclass
class _Read:
    grids: list[_Grid] = field(default_factory=list)
    notes: list[SubmissionProblem] = field(default_factory=list)
    problems: list[SubmissionProblem] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)


_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_KIND_OF_SUFFIX = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".xlsb": "xlsb", ".ods": "ods"}


def _sniff(data: bytes) -> str:
    """What the bytes are, whatever the file is called: 'xlsx' | 'xlsb' | 'ods' | 'xls' | 'zip' | 'other'."""
    if data.startswith(_OLE_MAGIC):
        return "xls"  # also an encrypted XLSX; calamine then says so
    if not data.startswith(_ZIP_MAGIC):
        return "other"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except zipfile.BadZipFile:
        return "zip"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "content.xml" in names:
        return "ods"
    return "zip"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _is_percent_format(code: str) -> bool:
    """True when an Excel number format multiplies by 100 and shows '%' (a quoted or escaped % does not)."""
    code = re.sub(r'"[^"]*"|\\.', "", code or "")
    return "%" in code


# A comma after the last digit placeholder of a number format divides what Excel shows by 1,000 (#,##0.0,,
# shows millions); a comma between placeholders only groups thousands.
_SCALING_COMMA = re.compile(r"[0#?.](,+)(?![0#?,])")


def _format_scale(code: str) -> int:
    """How many powers of 1,000 an Excel number format divides the stored value by when it shows it."""
    code = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code or "")
    return max((len(m.group(1)) for m in _SCALING_COMMA.finditer(code)), default=0)


def _xlsx_parts(zf: zipfile.ZipFile) -> tuple[dict[str, str], bool, set[int], dict[int, str]]:
    """(sheet name -> worksheet part, whether the workbook asks to be recalculated on opening, style ids whose
    number format shows a percentage, style ids whose number format shows the value divided by 1,000ⁿ -> the
    format code)."""
    import posixpath

    names = set(zf.namelist())
    rels: dict[str, str] = {}
    if "xl/_rels/workbook.xml.rels" in names:
        for rel in ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels")):
            rels[rel.get("Id") or ""] = rel.get("Target") or ""
    parts: dict[str, str] = {}
    recalc = False
    for el in ElementTree.fromstring(zf.read("xl/workbook.xml")).iter():
        tag = _local(el.tag)
        if tag == "sheet":
            rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), "")
            target = rels.get(rid, "")
            parts[el.get("name") or ""] = (
                target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            )
        elif tag == "calcPr":
            recalc = (el.get("fullCalcOnLoad") or "").lower() in ("1", "true")
    percent: set[int] = set()
    scaled: dict[int, str] = {}
    if "xl/styles.xml" in names:
        styles = ElementTree.fromstring(zf.read("xl/styles.xml"))
        codes = {9: "0%", 10: "0.00%"}  # the built-in percentage formats
        cell_xfs = None
        for el in styles.iter():
            if _local(el.tag) == "numFmt" and (el.get("numFmtId") or "").isdigit():
                codes[int(el.get("numFmtId"))] = el.get("formatCode") or ""
            elif _local(el.tag) == "cellXfs":
                cell_xfs = el
        for i, xf in enumerate(list(cell_xfs) if cell_xfs is not None else []):
            fmt = xf.get("numFmtId") or "0"
            if fmt.isdigit() and _is_percent_format(codes.get(int(fmt), "")):
                percent.add(i)
            if fmt.isdigit() and _format_scale(codes.get(int(fmt), "")):
                scaled[i] = codes[int(fmt)]
    return parts, recalc, percent, scaled


_SHEET_DATA = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)sheetData\b")
_F_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f\b")
_E_ATTR = re.compile(rb'\st="e"')
_ATTR = re.compile(rb'\s([\w:.-]+)="([^"]*)"')
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row\b([^>]*)>")
_COL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?col\b([^>]*)/?>")
_TRUE = (b"1", b"true")
_V_TEXT = re.compile(rb"<(?:[\w.-]+:)?v>(.*?)</(?:[\w.-]+:)?v>", re.S)
_F_TEXT = re.compile(rb"<(?:[\w.-]+:)?f\b[^>]*?(?:/>|>(.*?)</(?:[\w.-]+:)?f>)", re.S)
_CELL_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")


def _ref(ref: bytes | str | None) -> tuple[int, int] | None:
    """'C4' -> (3, 2), 0-based (row, column)."""
    text = ref.decode("ascii", "replace") if isinstance(ref, bytes) else (ref or "")
    match = _CELL_REF.match(text.upper())
    if not match:
        return None
    col = 0
    for ch in match.group(1):
        col = col * 26 + ord(ch) - 64
    return int(match.group(2)) - 1, col - 1


def _col_letter(c: int) -> str:
    """0-based column index -> Excel's letters (0 -> A); openpyxl's own conversion, imported only here (on the
    messages' path: the parse itself reads no openpyxl)."""
    from openpyxl.utils.cell import get_column_letter

    return get_column_letter(c + 1)


def _scan_sheet(
    xml: bytes, percent_styles: set[int], recalc: bool
) -> tuple[dict[tuple[int, int], _Unreadable], set[tuple[int, int]], int]:
    """The cells calamine reads as blank although they are not (error values, formulas without a stored
    result), and the cells shown as percentages. Byte scans for just those cells: the values come from calamine,
    which is ten times faster than openpyxl on a large sheet. Returns (cells, percent cells, cells without a
    reference)."""
    found = _SHEET_DATA.search(xml)
    if found is None:
        return {}, set(), 0
    prefix, begin = found.group(1), found.start()
    open_tag, close_tag = b"<" + prefix + b"c", b"</" + prefix + b"c>"
    cells: dict[tuple[int, int], _Unreadable] = {}
    unplaced = 0

    def cell_around(pos: int) -> tuple[dict[bytes, bytes], bytes] | None:
        start = pos
        while True:
            start = xml.rfind(open_tag, begin, start)
            if start < 0:
                return None
            if xml[start + len(open_tag) : start + len(open_tag) + 1] in (b" ", b">", b"/", b"\t", b"\r", b"\n"):
                break
        tag_end = xml.find(b">", start)
        attrs = dict(_ATTR.findall(xml[start:tag_end]))
        if xml[tag_end - 1 : tag_end] == b"/":
            return attrs, b""
        end = xml.find(close_tag, tag_end)
        return attrs, xml[tag_end + 1 : end if end >= 0 else len(xml)]

    def text_of(raw: bytes | None) -> str | None:
        return None if raw is None else unescape(raw.decode("utf-8", "replace"))

    for match in _F_TAG.finditer(xml, begin):
        around = cell_around(match.start())
        if around is None:
            continue
        attrs, body = around
        where = _ref(attrs.get(b"r"))
        kind = attrs.get(b"t", b"n")
        value = _V_TEXT.search(body)
        cached = text_of(value.group(1)) if value else None
        formula = _F_TEXT.search(body)
        formula_text = text_of(formula.group(1)) if formula and formula.group(1) else ""
        shown = f"={formula_text}" if formula_text else "(a shared formula)"
        if kind == b"e":
            cell = _Unreadable("formula_error", cached or "#VALUE!", shown)
        elif cached is None or (cached == "" and kind != b"str"):
            cell = _Unreadable("formula_no_value", "", shown)
        elif recalc:
            cell = _Unreadable("formula_no_value", "", shown, untrusted=True)
        else:
            continue  # a calculated result: calamine has it
        if where is None:
            unplaced += 1
        else:
            cells[where] = cell
    for match in _E_ATTR.finditer(xml, begin):
        around = cell_around(match.start())
        if around is None:
            continue
        attrs, body = around
        where = _ref(attrs.get(b"r"))
        if where is None:
            unplaced += 1
        elif where not in cells:
            value = _V_TEXT.search(body)
            cells[where] = _Unreadable("formula_error", (text_of(value.group(1)) if value else "") or "#VALUE!")
    return cells, _styled_cells(xml, begin, open_tag, percent_styles), unplaced


def _styled_cells(xml: bytes, begin: int, open_tag: bytes, styles) -> dict[tuple[int, int], int]:
    """The cells of the sheet that use one of these style ids: (row, col) -> style id."""
    found: dict[tuple[int, int], int] = {}
    if not styles:
        return found
    ids = b"|".join(str(i).encode() for i in sorted(styles))
    styled = re.compile(re.escape(open_tag) + rb"\b([^>]*?\ss=\"(" + ids + rb")\"[^>]*)>")
    for match in styled.finditer(xml, begin):
        where = _ref(dict(_ATTR.findall(match.group(1))).get(b"r"))
        if where is not None:
            found[where] = int(match.group(2))
    return found


def _scaled_cells(xml: bytes, scaled_styles: dict[int, str]) -> dict[tuple[int, int], str]:
    """Cells whose number format shows the stored value divided by 1,000ⁿ: (row, col) -> the format code."""
    found = _SHEET_DATA.search(xml)
    if found is None or not scaled_styles:
        return {}
    open_tag = b"<" + found.group(1) + b"c"
    return {
        where: scaled_styles[style]
        for where, style in _styled_cells(xml, found.start(), open_tag, scaled_styles).items()
    }


def _hidden_rows_and_cols(xml: bytes) -> tuple[set[int], set[int]]:
    """0-based rows and columns the sheet hides (``<row hidden="1">``, ``<col min max hidden="1">``)."""
    rows: set[int] = set()
    cols: set[int] = set()
    found = _SHEET_DATA.search(xml)
    begin = found.start() if found else len(xml)
    for match in _COL_TAG.finditer(xml, 0, begin):  # <cols> comes before <sheetData>
        attrs = dict(_ATTR.findall(match.group(1)))
        if attrs.get(b"hidden") in _TRUE:
            try:
                cols.update(range(int(attrs[b"min"]) - 1, int(attrs[b"max"])))
            except (KeyError, ValueError):
                continue
    for match in _ROW_TAG.finditer(xml, begin):
        attrs = dict(_ATTR.findall(match.group(1)))
        if attrs.get(b"hidden") in _TRUE and attrs.get(b"r", b"").isdigit():
            rows.add(int(attrs[b"r"]) - 1)
    return rows, cols


# OpenDocument names (ODF 1.2; calcext is LibreOffice's extension that marks a formula's error result)
_ODF_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODF_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_ODF_CALCEXT = "{urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}"
_ODF_HIDDEN = ("collapse", "filter")
_LIBREOFFICE_ERROR = re.compile(r"^Err:\d{3}$")
# a repeated row or column is counted, never expanded, beyond this many (a sheet's trailing empty rows are
# written as one row repeated a million times)
_ODS_REPEAT_CAP = 100_000
_ODS_CELL_REPEAT_CAP = 2_000


@dataclass
class _SheetScan:
    """What a scan of an ODS or XLS sheet adds to calamine's values: cells it misreads, hidden rows and columns."""

    cells: dict[tuple[int, int], _Unreadable] = field(default_factory=dict)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)


def _scan_ods(data: bytes) -> dict[str, _SheetScan]:
    """Per sheet of an ODS workbook: the cells calamine misreads (an error result, which it reads as the 0 or
    the empty text stored beside it; a formula with no stored result, read as blank) and the hidden rows and
    columns, from content.xml, streamed."""
    from xml.etree.ElementTree import iterparse

    sheets: dict[str, _SheetScan] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as zf, zf.open("content.xml") as content:
        sheet, row, col, depth = None, 0, 0, 0
        row_repeat = 1
        for event, elem in iterparse(content, events=("start", "end")):
            tag = elem.tag
            if event == "start":
                if tag == _ODF_TABLE + "table":
                    depth += 1
                    if depth == 1:
                        sheet = sheets.setdefault(elem.get(_ODF_TABLE + "name", ""), _SheetScan())
                        row = col = 0
                elif sheet is not None and depth == 1 and tag == _ODF_TABLE + "table-row":
                    row_repeat = int(elem.get(_ODF_TABLE + "number-rows-repeated", "1"))
                    col = 0
                    if elem.get(_ODF_TABLE + "visibility") in _ODF_HIDDEN:
                        sheet.hidden_rows.update(range(row, row + min(row_repeat, _ODS_REPEAT_CAP)))
                elif sheet is not None and depth == 1 and tag == _ODF_TABLE + "table-column":
                    repeat = int(elem.get(_ODF_TABLE + "number-columns-repeated", "1"))
                    if elem.get(_ODF_TABLE + "visibility") in _ODF_HIDDEN:
                        sheet.hidden_cols.update(range(col, col + min(repeat, _ODS_REPEAT_CAP)))
                    col += repeat
                continue
            if tag == _ODF_TABLE + "table":
                depth -= 1
                if depth == 0:
                    sheet = None
                elem.clear()
            elif sheet is None or depth != 1:
                continue
            elif tag in (_ODF_TABLE + "table-cell", _ODF_TABLE + "covered-table-cell"):
                repeat = int(elem.get(_ODF_TABLE + "number-columns-repeated", "1"))
                cell = _ods_cell(elem)
                if cell is not None:
                    # a block of repeated error cells is marked up to a bound (a sheet that repeats one
                    # over a million rows is no table calamine could read either)
                    for r in range(row, row + min(row_repeat, _ODS_CELL_REPEAT_CAP)):
                        for c in range(col, col + min(repeat, _ODS_CELL_REPEAT_CAP)):
                            sheet.cells[(r, c)] = cell
                col += repeat
                elem.clear()
            elif tag == _ODF_TABLE + "table-row":
                row += row_repeat
                col = 0
                elem.clear()
    return sheets


def _ods_cell(elem) -> _Unreadable | None:
    """An ODS cell calamine would misread, as the _Unreadable it is; None for a cell it reads right."""
    formula = elem.get(_ODF_TABLE + "formula")
    shown_formula = ""
    if formula:
        # 'of:=[.B4]/[.C4]' (OpenFormula) -> '=B4/C4'
        text = formula.split(":", 1)[1] if formula.startswith(("of:", "oooc:", "msoxl:")) else formula
        shown_formula = text.replace("[.", "").replace("]", "") if text.startswith("=") else f"={text}"
    shown = "".join(elem.itertext()).strip()
    if elem.get(_ODF_CALCEXT + "value-type") == "error":
        return _Unreadable("formula_error", shown or "#VALUE!", shown_formula)
    if formula:
        if shown in EXCEL_ERRORS or _LIBREOFFICE_ERROR.match(shown):
            return _Unreadable("formula_error", shown, shown_formula)
        if elem.get(_ODF_OFFICE + "value-type") is None:
            return _Unreadable("formula_no_value", "", shown_formula)
    return None


def _scan_xls(data: bytes) -> dict[str, _SheetScan]:
    """Per sheet of an XLS (BIFF) workbook: its error cells (a constant error or a formula's error result,
    which calamine reads as blank) and its hidden rows and columns, through xlrd."""
    import xlrd

    sheets: dict[str, _SheetScan] = {}
    book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            found = sheets.setdefault(sheet.name, _SheetScan())
            for r in range(sheet.nrows):
                for c, ctype in enumerate(sheet.row_types(r)):
                    if ctype == xlrd.XL_CELL_ERROR:
                        code = sheet.cell_value(r, c)
                        found.cells[(r, c)] = _Unreadable(
                            "formula_error", xlrd.error_text_from_code.get(code, "#VALUE!")
                        )
            found.hidden_rows = {r for r, info in sheet.rowinfo_map.items() if info.hidden}
            found.hidden_cols = {c for c, info in sheet.colinfo_map.items() if info.hidden}
            book.unload_sheet(index)
    finally:
        book.release_resources()
    return sheets


def _read_workbook(data: bytes, kind: str, file: str) -> _Read:
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    read = _Read()
    zf = zipfile.ZipFile(io.BytesIO(data)) if kind == "xlsx" else None
    parts, recalc, percent_styles, scaled_styles = _xlsx_parts(zf) if zf is not None else ({}, False, set(), {})
    # what calamine misreads in the other formats: _SheetScan per sheet name
    scans, scanned = {}, kind in ("ods", "xls")
    if kind == "ods":
        scans = _scan_ods(data)
    elif kind == "xls":
        try:
            scans = _scan_xls(data)
        except Exception:  # xlrd's own errors (a BIFF variant it does not read): calamine's values, as for xlsb
            scanned = False
    for meta in workbook.sheets_metadata:
        if meta.typ != SheetTypeEnum.WorkSheet:
            continue  # chart and macro sheets hold no cells
        if meta.visible != SheetVisibleEnum.Visible:
            how = "very hidden" if meta.visible == SheetVisibleEnum.VeryHidden else "hidden"
            read.hidden.append(meta.name)
            read.notes.append(
                SubmissionProblem(
                    file,
                    meta.name,
                    None,
                    None,
                    "hidden_sheet_ignored",
                    f"the sheet is {how} in Excel, so it is not read; unhide it if its figures belong to the submission",
                )
            )
            continue
        sheet = workbook.get_sheet_by_name(meta.name)
        rows = [[None if v == "" else v for v in row] for row in sheet.to_python(skip_empty_area=False)]
        merges = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])]
        grid = _Grid(meta.name, rows, list(range(1, len(rows) + 1)), merges)
        if zf is not None and parts.get(meta.name) in zf.namelist():
            xml = zf.read(parts[meta.name])
            cells, percent, unplaced = _scan_sheet(xml, percent_styles, recalc)
            grid.percent = set(percent)
            grid.scaled = _scaled_cells(xml, scaled_styles)
            grid.hidden_rows, grid.hidden_cols = _hidden_rows_and_cols(xml)
            for (r, c), cell in cells.items():
                grid.put(r, c, cell)
            if unplaced:
                read.problems.append(
                    SubmissionProblem(
                        file,
                        meta.name,
                        None,
                        None,
                        "unreadable",
                        f"{unplaced} error or formula cell(s) carry no cell reference, so their place is unknown; "
                        "save the workbook again in Excel/WPS",
                    )
                )
        if meta.name in scans:
            grid.hidden_rows, grid.hidden_cols = scans[meta.name].hidden_rows, scans[meta.name].hidden_cols
            for (r, c), cell in scans[meta.name].cells.items():
                grid.put(r, c, cell)
        read.grids.append(grid)
    if scanned:
        limited = (
            f"in an {kind} workbook number formats are not read (a figure shown divided by 1,000 is not caught)"
            + (", nor a formula saved without its result" if kind == "xls" else "")
        )
    elif kind != "xlsx":
        limited = (
            f"in a {kind} workbook an error value or an uncalculated formula cannot be told from an empty cell and "
            "number formats are not read"
        )
    if kind != "xlsx":
        read.notes.append(
            SubmissionProblem(
                file, None, None, None, "cell_checks_limited", limited + "; send .xlsx to have them checked"
            )
        )
    return read


def _reads_as_utf8(line: bytes) -> bool:
    """Whether a line of a file that is not UTF-8 throughout is a UTF-8 line. Some GBK byte pairs are also valid
    UTF-8 (突泉 in GBK is CD BB C8 AA, UTF-8 for "ͻȪ"): such a line reads as UTF-8 only into the two-byte range,
    and where that gives Greek, Cyrillic, Hebrew or Arabic letters (U+0370–U+07FF, never in these tables) with
    no character beyond it (Chinese in UTF-8 is three bytes), the line is GBK. A line that reads as UTF-8 into
    Latin-1 signs only (², °, ·) stays UTF-8: which it is cannot be told, so a GBK file holding it is refused."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    wide = [ord(c) for c in text if ord(c) >= 0x80]
    if any(code >= 0x800 for code in wide) or not any(0x370 <= code < 0x800 for code in wide):
        return True
    try:
        line.decode("gb18030")
    except UnicodeDecodeError:
        return True
    return False


def _decode_text(file: str, data: bytes) -> str:
    """The text of a CSV in one encoding: UTF-8 (with or without BOM), GB18030/GBK, or UTF-16 with BOM.

    A file that mixes encodings is refused line by line (row = the line number), never decoded half wrong."""

    def unreadable(line: int | None, message: str) -> SubmissionProblem:
        return SubmissionProblem(file, None, line, None, "unreadable", message)

    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise SubmissionError([unreadable(None, f"the UTF-16 text has invalid bytes ({exc.reason})")]) from exc
    if b"\x00" in data:
        raise SubmissionError(
            [
                unreadable(
                    None,
                    "the file is binary, not text (or UTF-16 without a BOM); "
                    "send the table as .xlsx or as CSV UTF-8 / GBK",
                )
            ]
        )
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    lines = body.split(b"\n")

    def decodes(line: bytes, encoding: str) -> str | None:
        try:
            return line.decode(encoding).rstrip("\r")
        except UnicodeDecodeError:
            return None

    utf8_ok = [n for n, line in enumerate(lines, 1) if not line.isascii() and _reads_as_utf8(line)]
    utf8_bad = [n for n, line in enumerate(lines, 1) if not line.isascii() and not _reads_as_utf8(line)]
    if not bom and not utf8_ok:
        try:
            return body.decode("gb18030")  # a GBK file (GB18030 is its superset)
        except UnicodeDecodeError:
            pass
    problems = []
    if bom or len(utf8_ok) >= len(utf8_bad):
        for n in utf8_bad:
            gbk = decodes(lines[n - 1], "gb18030")
            seen = f" (read as GBK it says '{gbk[:40]}')" if gbk is not None else ""
            problems.append(
                unreadable(
                    n,
                    f"line {n} is not UTF-8 like the rest of the file{seen}; "
                    "save the whole file in one encoding (CSV UTF-8)",
                )
            )
    else:
        for n in sorted(utf8_ok + utf8_bad):
            if n in utf8_ok:
                problems.append(
                    unreadable(
                        n, f"line {n} is UTF-8 while the rest of the file is GBK; save the whole file in one encoding"
                    )
                )
            elif decodes(lines[n - 1], "gb18030") is None:
                problems.append(unreadable(n, f"line {n} is neither GBK nor UTF-8; save the file as CSV UTF-8"))
    raise SubmissionError(problems or [unreadable(None, "the text is neither UTF-8 nor GBK/GB18030")])


def _read_text(file: str, suffix: str, data: bytes) -> _Read:
    text = _decode_text(file, data)
    sample = "\n".join(text.splitlines()[:20])
    delimiter = max(["\t", ",", ";", "|"], key=lambda d: (sample.count(d), d == ","))
    if suffix == ".tsv":
        delimiter = "\t"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, numbers = [], []
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise SubmissionError(
                [SubmissionProblem(file, None, start, None, "unreadable", f"the CSV cannot be read here: {exc}")]
            ) from exc
        rows.append([None if not fold(v) else v for v in row])
        numbers.append(start)
    return _Read([_Grid(None, rows, numbers, text=True)])


# ---------------------------------------------------------------------------------------------------
# Parsing one grid
# ---------------------------------------------------------------------------------------------------


@dataclass
class _Column:
    index: int
    label: str  # leaf header as written
    kind: str  # 'indicator' | 'year' | 'ignored' | 'bad'
    node: dict | None = None
    factor: Decimal = D(1)
    unit_is_percent: bool = False

    unit: str | None = None  # the unit the figures are written in (header, 单位 line, else raw_unit)
    percent_factor: Decimal = D(1)  # takes a figure in % (a cell shown as %, or '67%') to raw_unit


class _Framework:
    """The framework rows an ingest can match (Indicators and Denominators, by folded name_zh), the departments
    a file can name, and the years it covers (``framework.attrs['periods']``)."""

    def __init__(self, framework: pd.DataFrame):
        rows = framework[framework["node_type"].isin(["Indicator", "Denominator"])]
        self.by_name: dict[str, dict] = {}
        for row in rows.to_dict("records"):
            self.by_name[fold(row["name_zh"])] = row
        departments = framework["department"].dropna() if "department" in framework.columns else []
        self.departments = {fold(d): str(d) for d in departments if fold(d)}
        first, last = framework.attrs.get("periods") or (2015, date.today().year + 1)
        self.periods = (int(first), int(last))

    def departments_in(self, text: str | None) -> list[str]:
        """Departments a file name or title names; a name inside a longer one (统计局 in 自治区统计局) is not
        counted twice."""
        folded = fold(text)
        hits = [key for key in self.departments if key in folded]
        hits = [key for key in hits if not any(key != other and key in other for other in hits)]
        return sorted(self.departments[key] for key in hits)


def _find_header(grid: _Grid) -> tuple[int, int] | None:
    for r in range(min(len(grid.rows), HEADER_SCAN_ROWS)):
        for c, value in enumerate(grid.rows[r]):
            if isinstance(value, str):
                key = _BRACKETS.sub("", fold(value))
                if key in LEAGUE_HEADERS or key in COUNTY_HEADERS:
                    return r, c
    return None


def _fill_merges(grid: _Grid, top: int, bottom: int) -> list[list[Any]]:
    """Copy of rows top..bottom with every merged range's value spread over the range."""
    width = grid.width
    block = [[grid.cell(r, c) for c in range(width)] for r in range(top, bottom + 1)]
    for r0, c0, r1, c1 in grid.merges:
        if r1 < top or r0 > bottom:
            continue
        value = grid.cell(r0, c0) if r0 < len(grid.rows) else None
        for r in range(max(r0, top), min(r1, bottom) + 1):
            for c in range(c0, min(c1, width - 1) + 1):
                block[r - top][c] = value
    return block


def _header_bottom(grid: _Grid, top: int, league_col: int) -> int:
    for r0, c0, r1, c1 in grid.merges:
        if r0 == top and c0 <= league_col <= c1 and r1 > top:
            return r1
    bottom = top
    for r in range(top + 1, min(top + 4, len(grid.rows))):
        row = grid.rows[r]
        league_cell = grid.cell(r, league_col)
        texts = [v for v in row if isinstance(v, str) and fold(v)]
        numbers = [v for v in row if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if _is_blank(league_cell) and texts and not numbers:
            bottom = r
        else:
            break
    return bottom


_QUALIFIED = re.compile(
    r"^(约|大约|近|逾|超过|超|不足|不到|少于|多于|大于|小于|至少|最多|>=|<=|≥|≤|<|>|≈|~|～)\s*[+-]?[\d.,]"
)
_WITH_TAIL = re.compile(r"^[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?P<tail>\D.*)$")
# The day a form was filled in or sent (填报日期：2024年3月1日) is not its reporting year.
_FILED_ON = re.compile(r"(?:填报|报送|制表|填表|打印|报出)(?:日期|时间)\s*[:：]?\s*[\d年月日./\-\s]*")
_YEAR_CELL = re.compile(r"^((?:19|20)\d{2})(?:\.0+)?(?:年度?)?$")


def _why_not_number(raw: Any, col: _Column) -> str:
    """Why a text cell is not a definite figure, in words a clerk can act on (rule non_numeric)."""
    shown = _as_text(raw)
    text = fold(raw)
    unit = col.unit or "the header's unit"
    match = _QUALIFIED.match(text)
    if match:
        return (
            f"'{shown}' is a bound or an estimate ({match.group(1)}), not a definite figure; write the figure "
            "itself, or — when it is not known"
        )
    match = _WITH_TAIL.match(text)
    if match:
        tail = match.group("tail")
        if tail.endswith("%"):
            return f"'{shown}' has a % sign but the column's unit is {unit}; write the figure in {unit}"
        if col.unit and fold(tail) == fold(col.unit):
            return f"'{shown}' repeats the unit ({tail}) in the cell; the unit is in the header, write digits only"
        if not (tail[0].isalpha() or tail[0] in "%‰°"):
            return (
                f"'{shown}' is not a well-formed number; write digits, with one decimal point and commas only "
                "between groups of three"
            )
        if tail[0] in CN_PREFIXES:
            return (
                f"'{shown}' carries a magnitude ({tail}) in the cell; write the whole figure in {unit} as digits only"
            )
        return (
            f"'{shown}' carries a unit ({tail}) in the cell; the unit belongs in the header (this column "
            f"is in {unit}), write digits only"
        )
    return f"'{shown}' is not a number; write digits, or — / leave blank when not reported"


def _unreadable_message(cell: _Unreadable) -> str:
    if cell.rule == "formula_error":
        source = f"the formula {cell.formula} gives" if cell.formula else "the cell holds"
        return (
            f"{source} the Excel error {cell.value}, not a figure; fix the formula or its inputs so the cell "
            "shows the figure, or write — when it is not reported"
        )
    if cell.untrusted:
        return (
            f"the formula {cell.formula} was saved by a program that does not calculate (the workbook asks "
            "to be recalculated when opened), so its stored result cannot be trusted; open and save the file "
            "in Excel/WPS, or write the figure itself"
        )
    return (
        f"the formula {cell.formula} has no stored result (the file was saved without calculating); open "
        "and save it in Excel/WPS, or write the figure itself"
    )


def _read_value(
    raw: Any, col: _Column, shown_as_percent: bool
) -> tuple[float | None, Decimal | None, str | None, tuple[str, str] | None]:
    """(value in raw_unit, the number as written, evidence that it is a percentage ('format' | 'sign'),
    problem (rule, message)). Blank or a dash -> (None, None, None, None)."""
    if raw is None:
        return None, None, None, None
    if isinstance(raw, _Unreadable):
        return None, None, None, (raw.rule, _unreadable_message(raw))
    if isinstance(raw, bool):
        return None, None, None, ("non_numeric", f"'{str(raw).upper()}' is a TRUE/FALSE value, not a figure")
    if isinstance(raw, (date, datetime, time, timedelta)):
        return (
            None,
            None,
            None,
            (
                "non_numeric",
                f"'{raw}' is a date or time, not a figure; if the cell holds a figure, format it as a number",
            ),
        )
    if isinstance(raw, (int, float)):
        if raw != raw:  # NaN
            return None, None, None, None
        number = D(repr(raw)) if isinstance(raw, float) else D(raw)
        if shown_as_percent:
            shown = _plain(number * 100)
            if not col.unit_is_percent:
                return (
                    None,
                    None,
                    None,
                    (
                        "non_numeric",
                        f"the cell shows {shown}% but the column's unit is {col.unit}; write the figure in {col.unit}",
                    ),
                )
            return float(number * 100 * col.percent_factor), number, "format", None
        return float(number * col.factor), number, None, None
    text = fold(raw).replace("\u2212", "-")  # the typographic minus sign
    if text in NULL_TOKENS or text.strip("—-–―") == "":
        return None, None, None, None
    spaced = unicodedata.normalize("NFKC", str(raw))
    if _SPACE_IN_DIGITS.search(spaced) and not _SPACE_GROUPED.match(spaced):
        return (
            None,
            None,
            None,
            (
                "non_numeric",
                f"'{_as_text(raw)}' has a space inside the figure, so which "
                "number it is is not certain; write the digits without spaces",
            ),
        )
    if text.upper() in EXCEL_ERRORS:
        return (
            None,
            None,
            None,
            (
                "formula_error",
                f"'{text}' is an Excel error value, not a figure; fix the "
                "formula behind it, or write — when it is not reported",
            ),
        )
    factor, evidence = col.factor, None
    if col.unit_is_percent and text.endswith("%"):
        text, factor, evidence = text[:-1], col.percent_factor, "sign"
    if _GROUPED.match(text):
        text = text.replace(",", "")
    if not _NUMBER.match(text):
        return None, None, None, ("non_numeric", _why_not_number(raw, col))
    try:
        number = D(text)
    except InvalidOperation:
        return None, None, None, ("non_numeric", _why_not_number(raw, col))
    value = float(number * factor)
    if not math.isfinite(value):
        return None, None, None, ("non_numeric", f"'{_as_text(raw)}' is too large to be a figure")
    return value, number, evidence, None


def _plain(number: Decimal) -> str:
    """Decimal('55.200') -> '55.2', Decimal('1E+2') -> '100'."""
    return format(number.normalize(), "f")


def _year_cell(cell: Any) -> int | None:
    """A 年份 cell: 2023, 2023.0, '2023', '2023年', '2023年度'; anything else is not a year."""
    if isinstance(cell, bool) or cell is None:
        return None
    if isinstance(cell, (int, float)):
        return int(cell) if cell == int(cell) and 1900 <= cell <= 2099 else None
    match = _YEAR_CELL.match(fold(cell))
    return int(match.group(1)) if match else None


def _rows_text(rows: list[int]) -> str:
    if rows == list(range(rows[0], rows[0] + len(rows))) and len(rows) > 2:
        return f"rows {rows[0]}–{rows[-1]}"
    shown = ", ".join(str(r) for r in rows[:10])
    return f"row{'s' if len(rows) > 1 else ''} {shown}{', …' if len(rows) > 10 else ''}"


class _UnitColumn:
    """How one sheet names its units: the 12 盟市 (a department's submission), or the 旗县市区 of a 盟市 (its
    statistics office's submission for its 旗县, 条例 第七十一条), with any of its development zones that report.

    A 旗县 sheet is one whose unit column is headed 旗县（市、区） or the like, or whose rows name more 旗县 than
    盟市. Its context is the 盟市 that the file name or the title names (2024_呼和浩特市统计局_…): every row must be
    a unit of that 盟市, and a short name several 盟市 share (扎旗) is resolved within it. Without a context the
    rows are resolved alone, and a shared short name is refused with its candidates; never guessed. Every 旗县 of
    the submitting 盟市 needs a row each year (with — where it reported nothing)."""

    def __init__(self, file: str, title: str, label: str, cells: list[Any]):
        from index.units import registry

        self.registry = registry()
        self.file_name = file
        named = self.registry.leagues_named_in(f"{Path(file).stem} {title}")
        self.context = named[0] if len(named) == 1 else None
        by_header = _BRACKETS.sub("", fold(label)) in COUNTY_HEADERS
        self.county = by_header or self._mostly_counties(cells)
        self.units: dict[int, Any] = {}

    def _mostly_counties(self, cells: list[Any]) -> bool:
        from index.units import UnitNameError

        counties = leagues = 0
        for raw in cells:
            if _is_blank(raw) or isinstance(raw, _Unreadable) or fold(raw) in TOTAL_ROWS:
                continue
            if resolve_league(raw) is not None:
                leagues += 1
                continue
            try:
                self.registry.resolve(raw, parent=self.context, levels=("county", "zone"))
            except UnitNameError:
                continue
            counties += 1
        return counties > leagues

    def reported_here(self, col: Any, header_row: int, notes: list[SubmissionProblem], sheet: str | None) -> bool:
        """Whether a 旗县 sheet reads this column: the framework's `levels` must include county."""
        levels = col.node.get("levels")
        if isinstance(levels, str) and "county" in [part.strip() for part in levels.split(",")]:
            return True
        notes.append(
            SubmissionProblem(
                self.file_name,
                sheet,
                header_row,
                col.label,
                "league_only",
                f"{col.node['name_zh']} is compiled for 盟市 only (framework levels = {levels!r}): not read from a "
                "旗县 submission",
            )
        )
        return False

    def resolve(self, raw: Any) -> tuple[int | None, tuple[str, str] | None]:
        """(unit code, None) for a unit row; (None, None) for a row that stands for the 盟市 or the region (not
        read); (None, (rule, message)) for a name that is no unit of the submitting 盟市."""
        from index.units import UnitNameError

        text = fold(raw)
        if text in TOTAL_ROWS or text in LEAGUE_TOTAL_ROWS:
            return None, None
        try:
            unit = self.registry.resolve(raw, parent=self.context, levels=("county", "zone"))
        except UnitNameError as exc:
            league = resolve_league(raw)
            if league is not None and (self.context is None or league == self.context.code):
                return None, None  # the 盟市's own row: its figures come from its 盟市-level submissions
            if league is not None:
                shown = self.registry.unit(league).name_zh
                return None, (
                    "wrong_level",
                    f"'{_as_text(raw)}' is the 盟市 {shown}, not a 旗县 of {self.context.name_zh}; this sheet lists "
                    f"the 旗县市区 of {self.context.name_zh}",
                )
            # the registry's unknown_unit names a place; ingest's unknown_unit is a measurement unit
            return None, ("unknown_county" if exc.rule == "unknown_unit" else exc.rule, exc.message)
        self.units[unit.code] = unit
        return unit.code, None

    def missing(self, seen: dict[tuple[int, int], int]) -> list[tuple[str, str]]:
        """(rule, message) for every 旗县 of the submitting 盟市 without a row in a year the sheet reports."""
        if self.context is not None:
            submitting = [self.context]
        else:
            parents = sorted({u.parent_code for u in self.units.values()})
            submitting = [self.registry.unit(code) for code in parents]
        out = []
        for year in sorted({y for _, y in seen}):
            for league in submitting:
                for county in self.registry.children(league.code, ("county",)):
                    if (county.code, year) not in seen:
                        out.append(
                            (
                                "missing_unit",
                                f"{county.name_zh} ({county.code}), a 旗县 of {league.name_zh}, has no row for {year};"
                                " add its row, with — in every cell it did not report",
                            )
                        )
        return out


@dataclass
class _Sheet:
    rows: list[dict]
    sheet: str | None
    departments: list[str]  # named in the title lines above the header
    county: bool = False  # a 盟市's submission for its 旗县: sent by its statistics office, no framework department


def _parse_grid(
    grid: _Grid,
    file: str,
    fw: _Framework,
    file_year: int | None,
    problems: list[SubmissionProblem],
    notes: list[SubmissionProblem],
) -> _Sheet | None:
    """Rows of one sheet in long form; None when the sheet has no 盟市 header (not a data sheet)."""
    found = _find_header(grid)
    if found is None:
        return None
    top, league_col = found
    bottom = _header_bottom(grid, top, league_col)
    sheet = grid.sheet

    def problem(row: int | None, column: str | None, rule: str, message: str) -> None:
        problems.append(SubmissionProblem(file, sheet, row, column, rule, message))

    # Title lines above the header: the year, the sending department and a default unit ("单位：万元").
    title_rows = []
    for r in range(top):
        texts = [_as_text(v) for v in grid.rows[r] if isinstance(v, str) and fold(v)]
        if texts:
            title_rows.append((grid.row_numbers[r], " ".join(texts)))
    title = " ".join(text for _, text in title_rows)
    unit_match = _UNIT_LINE.search(unicodedata.normalize("NFKC", title))
    default_unit = unit_match.group("unit") if unit_match else None

    # The reporting year: every source present must agree.
    sources: list[tuple[str, int]] = []
    if file_year is not None:
        sources.append(("the file name", file_year))
    for number, text in title_rows:
        title_year = _year_from_text(_FILED_ON.sub(" ", unicodedata.normalize("NFKC", text)))
        if title_year is not None:
            sources.append((f"the title (row {number})", title_year))
            break
    sheet_year = _year_from_text(sheet)
    if sheet_year is not None:
        sources.append((f"the sheet name '{sheet}'", sheet_year))
    first_year, last_year = fw.periods
    year = sources[0][1] if sources else None
    year_said = " and ".join(where for where, _ in sources)
    years_agree = len({y for _, y in sources}) <= 1
    if not years_agree:
        problem(
            None,
            None,
            "year_conflict",
            "the reporting year differs: "
            + "; ".join(f"{where} says {y}" for where, y in sources)
            + "; make them agree",
        )
    elif year is not None and not first_year <= year <= last_year:
        problem(
            None,
            None,
            "year_out_of_range",
            f"{year_said} say{'s' if len(sources) == 1 else ''} {year}, outside the framework's years "
            f"{first_year}–{last_year}",
        )

    block = _fill_merges(grid, top, bottom)
    # Without merge information (CSV), a group header stands over the empty cells to its right.
    for i in range(len(block) - 1):
        last = None
        for c in range(len(block[i])):
            if not _is_blank(block[i][c]):
                last = block[i][c]
            elif last is not None and any(not _is_blank(block[j][c]) for j in range(i + 1, len(block))):
                block[i][c] = last
    header_row_number = grid.row_numbers[bottom]

    columns: list[_Column] = []
    seen_nodes: dict[str, str] = {}
    for c in range(grid.width):
        if c == league_col:
            continue
        stack: list[str] = []
        for r in range(len(block)):
            value = block[r][c] if c < len(block[r]) else None
            if not _is_blank(value) and (not stack or fold(stack[-1]) != fold(value)):
                stack.append(_as_text(value))
        has_data = any(not _is_blank(grid.cell(r, c)) for r in range(bottom + 1, len(grid.rows)))
        if not stack:
            if has_data:
                problem(
                    header_row_number,
                    f"第{c + 1}列",
                    "unknown_column",
                    "this column has figures but no header; write the indicator name and unit above it",
                )
            continue
        leaf = stack[-1]
        leaf_name, leaf_unit = _split_label(leaf)
        key = _BRACKETS.sub("", fold(leaf))
        if key in YEAR_HEADERS or leaf_name in YEAR_HEADERS:
            columns.append(_Column(c, leaf, "year"))
            continue
        if key in IGNORED_HEADERS or leaf_name in IGNORED_HEADERS:
            continue
        node = None
        unit = leaf_unit
        for candidate in [fold(leaf), leaf_name]:
            node = fw.by_name.get(candidate)
            if node is not None:
                unit = None if candidate == fold(leaf) else leaf_unit
                break
        if node is None:
            for group in stack[-2::-1]:
                group_name, _ = _split_label(group)
                names = [group_name + leaf_name, leaf_name + group_name]
                if leaf_name in GENERIC_LEAVES:
                    names.insert(0, group_name)
                node = next((fw.by_name[n] for n in names if n in fw.by_name), None)
                if node is not None:
                    break
        if node is None:
            if not has_data:
                continue  # a note or a spare header cell over an empty column
            problem(
                header_row_number,
                leaf,
                "unknown_column",
                f"'{leaf}' is not an indicator of the framework (name_zh); check the spelling of the header",
            )
            columns.append(_Column(c, leaf, "bad"))
            continue
        if unit is None:
            for group in stack[-2::-1]:
                _, group_unit = _split_label(group)
                if group_unit and parse_unit(group_unit) is not None:
                    unit = group_unit
                    break
        if unit is None:
            unit = default_unit
        raw_unit = node.get("raw_unit")
        if unit is None and not _unit_goes_without_saying(raw_unit):
            # 万元 or 元, % or a fraction: a figure without its unit may be off by a factor of 10,000
            problem(
                header_row_number,
                leaf,
                "no_unit",
                f"the header names no unit, and a figure of {node['name_zh']} may be written in more than one "
                f"({raw_unit} in the framework); write it in the header, '{leaf}（{raw_unit}）', or put a line "
                f"'单位：{raw_unit}' above the table",
            )
            columns.append(_Column(c, leaf, "bad"))
            continue
        factor = unit_factor(unit, raw_unit)
        if isinstance(factor, str):
            if factor == "unknown_unit":
                message = (
                    f"unit '{unit}' is not one ingest knows; write the figure in {raw_unit}"
                    if parse_unit(unit) is None
                    else f"the framework unit '{raw_unit}' of {node['node_id']} is not in the unit table"
                )
            else:
                message = (
                    f"unit '{unit}' cannot be converted to {raw_unit} (the framework's unit for {node['node_id']})"
                )
            problem(header_row_number, leaf, factor, message)
            columns.append(_Column(c, leaf, "bad"))
            continue
        node_id = str(node["node_id"])
        if node_id in seen_nodes:
            problem(
                header_row_number,
                leaf,
                "duplicate_column",
                f"{node['name_zh']} appears twice (also column '{seen_nodes[node_id]}')",
            )
            columns.append(_Column(c, leaf, "bad"))
            continue
        seen_nodes[node_id] = leaf
        percent = (parse_unit(unit or raw_unit) or ("",))[0] == "%"
        percent_factor = unit_factor("%", raw_unit) if percent else factor
        columns.append(
            _Column(
                c,
                leaf,
                "indicator",
                node,
                factor,
                percent,
                unit or raw_unit,
                percent_factor if isinstance(percent_factor, Decimal) else factor,
            )
        )

    league_label = _as_text(block[-1][league_col]) or _as_text(grid.cell(top, league_col)) or "盟市"
    year_col = next((col for col in columns if col.kind == "year"), None)
    indicator_cols = [col for col in columns if col.kind == "indicator"]
    if not any(col.kind in ("indicator", "bad") for col in columns):
        problem(header_row_number, None, "no_data", "no indicator column found next to the 盟市 column")
    if year is None and year_col is None:
        problem(
            None,
            None,
            "no_year",
            "the reporting year is not in the title, the sheet name or the file name; write e.g. '2023年' in the title",
        )

    # Which rows below the header hold figures, and which are footnotes.
    data_rows: list[int] = []
    in_footer = False
    footnotes: list[str] = []
    for r in range(bottom + 1, len(grid.rows)):
        filled = [(c, v) for c, v in enumerate(grid.rows[r]) if not _is_blank(v)]
        if not filled:
            continue
        first_text = fold(filled[0][1]) if isinstance(filled[0][1], str) else ""
        only_text = all(isinstance(v, str) and not _NUMBER.match(fold(v).replace(",", "")) for _, v in filled)
        if first_text.startswith(FOOTNOTE_PREFIXES) and (only_text or len(filled) == 1):
            in_footer = True
            footnotes.extend(_as_text(v) for _, v in filled)
            continue
        if in_footer and only_text:
            footnotes.extend(_as_text(v) for _, v in filled)
            continue
        data_rows.append(r)

    # A merged range in the data area shows one value over cells that read as empty: each such range is a
    # problem, except a label merged sideways into the 盟市 cell (序号+盟市 over '合计'), which is its value.
    labels = {col.index: col.label for col in columns if col.kind in ("indicator", "year", "bad")}
    labels[league_col] = league_label
    data_set = set(data_rows)
    merged_away: set[tuple[int, int]] = set()
    league_text: dict[int, Any] = {}
    for r0, c0, r1, c1 in sorted(grid.merges):
        first_hit = None
        for r in range(max(r0, bottom + 1), r1 + 1):
            if r not in data_set:
                continue
            for c in range(c0, c1 + 1):
                if (r, c) == (r0, c0) or c not in labels:
                    continue
                if c == league_col and r == r0 and c0 not in labels:
                    league_text[r] = grid.cell(r0, c0)
                    continue
                merged_away.add((r, c))
                first_hit = first_hit or (r, c)
        if first_hit is not None:
            hit_row, hit_col = first_hit
            where = f"{_col_letter(c0)}{r0 + 1}:{_col_letter(c1)}{r1 + 1}"
            what = "no 盟市 of its own" if hit_col == league_col else "an empty cell under the merged value"
            problem(
                grid.row_numbers[hit_row],
                labels[hit_col],
                "merged_cells",
                f"cells {where} are merged, so row {grid.row_numbers[hit_row]} has {what}; unmerge them and "
                "write every 盟市's figure in its own cell",
            )

    # Hidden rows and columns: Excel shows the sheet without them, so whether their figures are part of the
    # submission is not certain. A hidden 盟市 row, or a hidden column the table reads, is a problem.
    hidden_rows = {r for r in data_rows if r in grid.hidden_rows}
    for r in sorted(hidden_rows):
        problem(
            grid.row_numbers[r],
            league_label,
            "hidden_cells",
            f"row {grid.row_numbers[r]} is hidden in Excel (by hand or by a filter) but holds figures; unhide "
            "it if they belong to the submission, or delete the row",
        )
    for c in sorted(grid.hidden_cols & set(labels)):
        if any(not _is_blank(grid.cell(r, c)) for r in data_rows):
            problem(
                header_row_number,
                labels[c],
                "hidden_cells",
                f"column {_col_letter(c)} ({labels[c]}) is hidden in Excel but holds figures; unhide it if they "
                "belong to the submission, or delete the column",
            )

    units = _UnitColumn(file, title, league_label, [league_text.get(r, grid.cell(r, league_col)) for r in data_rows])
    if units.county:
        indicator_cols = [col for col in indicator_cols if units.reported_here(col, header_row_number, notes, sheet)]
    out: list[dict] = []
    seen_keys: dict[tuple[int, int], int] = {}
    leagues: dict[tuple[type, Any], int | None] = {}
    scaled: dict[int, list[tuple[int, Decimal]]] = {col.index: [] for col in indicator_cols}
    unproven: dict[int, list[tuple[int, Decimal]]] = {col.index: [] for col in indicator_cols}
    for r in data_rows:
        row_number = grid.row_numbers[r]
        if (r, league_col) in merged_away or r in hidden_rows:
            continue
        league_raw = league_text.get(r, grid.cell(r, league_col))
        if isinstance(league_raw, _Unreadable):
            problem(row_number, league_label, league_raw.rule, _unreadable_message(league_raw))
            continue
        if _is_blank(league_raw):
            problem(
                row_number,
                league_label,
                "unknown_league",
                "the 盟市 cell is empty but the row has figures; write the 盟市 name or code",
            )
            continue
        if units.county:
            league, why = units.resolve(league_raw)
            if league is None:
                if why is not None:
                    problem(row_number, league_label, *why)
                continue
        else:
            if fold(league_raw) in TOTAL_ROWS:
                continue  # a 全区/合计 row is the region, not a 盟市
            league_key = (type(league_raw), league_raw)
            if league_key not in leagues:  # resolve_league reads its reference table on every call
                leagues[league_key] = resolve_league(league_raw)
            league = leagues[league_key]
            if league is None:
                problem(
                    row_number,
                    league_label,
                    "unknown_league",
                    f"'{_as_text(league_raw)}' is not one of the 12 盟市 (full name, short name or 6-digit code)",
                )
                continue
        if grid.text:
            # a line with fewer cells than the header: cut short, or empty cells dropped by hand; which figures
            # it lacks, and whether the ones it has sit under the right header, is not certain
            width = len(grid.rows[r])
            absent = [col for col in ([year_col] if year_col else []) + indicator_cols if col.index >= width]
            if absent:
                header_width = max(col.index for col in columns) + 1
                problem(
                    row_number,
                    absent[0].label,
                    "short_row",
                    f"the line has {width} cells but the header has {header_width}: no cell for "
                    + "、".join(f"'{col.label}'" for col in absent)
                    + "; write — (or leave the cell empty between its commas) where a figure is not reported, "
                    "and check that the line was not cut or split",
                )
                continue
        row_year = year
        if year_col is not None:
            if (r, year_col.index) in merged_away:
                continue
            cell = grid.cell(r, year_col.index)
            if isinstance(cell, _Unreadable):
                problem(row_number, year_col.label, cell.rule, _unreadable_message(cell))
                continue
            row_year = _year_cell(cell)
            if row_year is None:
                problem(row_number, year_col.label, "bad_year", f"'{_as_text(cell)}' is not a year")
                continue
            if year is not None and row_year != year:
                if years_agree:
                    problem(
                        row_number,
                        year_col.label,
                        "year_conflict",
                        f"the {year_col.label} cell says {row_year} but {year_said} say"
                        f"{'s' if len(sources) == 1 else ''} {year}; make them agree",
                    )
                continue
            if year is None and not first_year <= row_year <= last_year:
                problem(
                    row_number,
                    year_col.label,
                    "year_out_of_range",
                    f"{row_year} is outside the framework's years {first_year}–{last_year}",
                )
                continue
        if row_year is None:
            continue  # already reported as no_year
        key = (league, row_year)
        if key in seen_keys:
            problem(
                row_number,
                league_label,
                "duplicate_league",
                f"'{_as_text(league_raw)}' ({league}) already has a row for {row_year} (row {seen_keys[key]})",
            )
            continue
        seen_keys[key] = row_number
        for col in indicator_cols:
            if (r, col.index) in merged_away:
                continue
            raw = grid.cell(r, col.index)
            if (r, col.index) in grid.scaled and isinstance(raw, (int, float)) and not isinstance(raw, bool):
                code = grid.scaled[(r, col.index)]
                shown = raw / 1000 ** _format_scale(code)
                problem(
                    row_number,
                    col.label,
                    "scaled_format",
                    f"the cell stores {_as_text(raw)} but its number format ({code}) shows it as {shown:g}; "
                    f"which one is meant is not certain: format the cell as a plain number and write the figure "
                    f"in {col.unit or 'the header unit'}",
                )
                continue
            value, written, evidence, bad = _read_value(raw, col, (r, col.index) in grid.percent)
            if bad is not None:
                problem(row_number, col.label, *bad)
                continue
            if col.unit_is_percent and written is not None:
                if evidence == "format":
                    scaled[col.index].append((row_number, written))
                elif evidence is None:
                    unproven[col.index].append((row_number, written))
            out.append(
                {
                    "unit_code": league,
                    "year": row_year,
                    "indicator_id": str(col.node["node_id"]),
                    "value": value,
                    "department": None,
                    "source_file": file,
                    "source_sheet": sheet,
                    "source_row": row_number,
                    "source_column": col.label,
                }
            )

    # Percentages stored as fractions: read as shown when the cell format says so, a problem when nothing does.
    for col in indicator_cols:
        if scaled[col.index]:
            row_number, written = scaled[col.index][0]
            notes.append(
                SubmissionProblem(
                    file,
                    sheet,
                    row_number,
                    col.label,
                    "percent_format_scaled",
                    f"{len(scaled[col.index])} cell(s) ({_rows_text([n for n, _ in scaled[col.index]])}) are stored "
                    f"as fractions and shown as percentages (e.g. {_plain(written)} shown as "
                    f"{_plain(written * 100)}%); read as the percentages shown",
                )
            )
        valid_max = col.node.get("valid_max")
        figures = unproven[col.index]
        if (
            figures
            and valid_max is not None
            and valid_max == valid_max
            and float(valid_max) > 1
            and all(0 <= w <= 1 for _, w in figures)
            and any(w > 0 for _, w in figures)
        ):
            problem(
                None,
                col.label,
                "percent_as_fraction",
                f"every figure of this % column ({_rows_text([n for n, _ in figures])}) lies between 0 and 1, "
                "which looks like fractions (0.67 for 67 %); write percentages (67), or, if the figures really "
                "are below 1 %, write them with a % sign (0.67%) or format the cells as percentages",
            )

    if units.county:
        for rule, message in units.missing(seen_keys):
            problem(None, league_label, rule, message)
    if not out and not problems:
        problem(None, None, "no_data", f"the sheet has a header but no {'旗县' if units.county else '盟市'} rows")
    # the title or a footnote may say the figures are made up
    synthetic = declares_synthetic(" ".join([title, *footnotes]))
    for parsed in out:
        parsed["synthetic"] = synthetic
    return _Sheet(out, sheet, fw.departments_in(title), units.county)


def parse_file(path: Path, framework: pd.DataFrame) -> pd.DataFrame:
    """One landing file -> raw-layer long form (``PARSED_COLUMNS``; ``ingest_file`` adds sha256, ingested_at).

    Raises ``SubmissionError`` carrying every problem found in the file (its ``notes`` attribute holds the notes
    so far). The returned frame's ``attrs["notes"]`` lists what was logged but is not a problem
    (``SubmissionProblem`` with a note rule: hidden_sheet_ignored, percent_format_scaled, ...).
    """
    import pandas as pd

    path = Path(path)
    file = path.name
    suffix = path.suffix.lower()
    notes: list[SubmissionProblem] = []

    def refuse(rule: str, message: str) -> SubmissionError:
        error = SubmissionError([SubmissionProblem(file, None, None, None, rule, message)])
        error.notes = notes
        return error

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise refuse("unreadable", f"the file cannot be read: {exc.strerror or exc}") from exc
    if suffix not in EXCEL_SUFFIXES and suffix not in TEXT_SUFFIXES:
        raise refuse("unsupported_format", f"'{suffix or file}' files are not accepted; send .xlsx or .csv")
    if not data:
        raise refuse("empty_file", "the file is empty (0 bytes); send it again")
    kind = _sniff(data)
    if kind in ("xlsx", "xlsb", "ods", "xls"):
        if _KIND_OF_SUFFIX.get(suffix) != kind:
            notes.append(
                SubmissionProblem(
                    file,
                    None,
                    None,
                    None,
                    "format_mismatch",
                    f"the file is an {kind.upper()} workbook although it is named {suffix}; read as {kind.upper()}",
                )
            )
        try:
            read = _read_workbook(data, kind, file)
        except Exception as exc:  # calamine and zipfile raise their own error types for broken workbooks
            raise refuse("unreadable", f"the workbook cannot be opened: {exc}") from exc
    elif suffix in EXCEL_SUFFIXES:
        what = "a zip archive but not a workbook" if kind == "zip" else "not an Excel workbook (XLSX, XLS or ODS)"
        raise refuse("unreadable", f"the file is {what}; if it is a CSV, name it .csv")
    else:
        try:
            read = _read_text(file, suffix, data)
        except SubmissionError as error:
            error.notes = notes
            raise

    fw = _Framework(framework)
    file_year = _year_from_text(path.stem)
    problems: list[SubmissionProblem] = list(read.problems)
    notes.extend(read.notes)
    sheets = [s for s in (_parse_grid(g, file, fw, file_year, problems, notes) for g in read.grids) if s]
    if not sheets:
        hidden = f" (hidden sheets are not read: {', '.join(read.hidden)})" if read.hidden else ""
        if not any(not _is_blank(v) for g in read.grids for row in g.rows for v in row) and not read.hidden:
            problems.append(SubmissionProblem(file, None, None, None, "empty_file", "the file holds no cells"))
        else:
            problems.append(
                SubmissionProblem(
                    file,
                    read.grids[0].sheet if len(read.grids) == 1 else None,
                    None,
                    None,
                    "no_header",
                    f"no header row with a 盟市/地区 column found in the first rows of any sheet{hidden}",
                )
            )

    # The sending department: named by the file name or the title; two different names are a problem.
    claims = [("the file name", None, d) for d in fw.departments_in(path.stem)]
    for s in sheets:
        where = f"the title of sheet '{s.sheet}'" if s.sheet else "the title"
        claims.extend((where, s.sheet, d) for d in s.departments)
    named = sorted({d for _, _, d in claims})
    if len(named) > 1:
        sheet = next((s for _, s, d in claims if d != claims[0][2]), None)
        problems.append(
            SubmissionProblem(
                file,
                sheet,
                None,
                None,
                "department_conflict",
                "the sending department differs: "
                + "; ".join(f"{w} names {d}" for w, _, d in claims)
                + "; name one department",
            )
        )
    department = named[0] if len(named) == 1 else None
    # a 旗县 figure has one sender, the 盟市's statistics office: no copy to weigh against another
    if not named and sheets and not all(s.county for s in sheets):
        notes.append(
            SubmissionProblem(
                file,
                None,
                None,
                None,
                "department_unknown",
                "neither the file name nor the title names a department of the framework, so the figures are "
                "nobody's copy (used only where the owning department sent none); name the file "
                "YEAR_DEPARTMENT_subject",
            )
        )

    if problems:
        error = SubmissionError(problems)
        error.notes = notes
        raise error
    rows = [row for s in sheets for row in s.rows]
    for row in rows:
        row["department"] = department
    frame = pd.DataFrame(rows, columns=PARSED_COLUMNS)
    frame["unit_code"] = frame["unit_code"].astype("int32")
    frame["year"] = frame["year"].astype("int32")
    frame["value"] = frame["value"].astype("float64")
    frame["source_row"] = frame["source_row"].astype("int32")
    frame["synthetic"] = frame["synthetic"].astype("bool")
    for col in ("indicator_id", "department", "source_file", "source_sheet", "source_column"):
        frame[col] = frame[col].astype("object")
    frame.attrs["notes"] = notes
    return frame


# ---------------------------------------------------------------------------------------------------
# Landing -> raw
# ---------------------------------------------------------------------------------------------------

# Landing hygiene and the bounded problem report live in index.landing (shared with index.validate).
from index.landing import (  # noqa: E402
    SUMMARY_SHOWN,
    FileState,
    NotARegularFile,
    Refused,
    Waiting,
    read_state,
    regular_files,
    write_problem_report,
)
from index.landing import scan as scan_landing  # noqa: E402


@dataclass(frozen=True)
class Batch:
    source_file: str
    sha256: str
    rows: int
    raw_files: tuple[Path, ...]  # relative to the raw root, e.g. year=2023/<sha16>.parquet
    notes: tuple[SubmissionProblem, ...] = ()  # parse notes (hidden sheet ignored, % scaled, ...)

    @property
    def sha16(self) -> str:
        return self.sha256[:16]


@dataclass(frozen=True)
class Skipped:
    source_file: str
    sha256: str
    reason: str  # 'raw' | 'curated' | 'quarantine'
    folder: Path | None = None  # reason 'quarantine': where the same bytes were refused, with their report

    def refused_before(self) -> dict:
        """The same bytes sent again after they were refused: where, and the first problems of their report."""
        first: list[str] = []
        try:
            report = json.loads((Path(self.folder) / "problems.json").read_text(encoding="utf-8"))
            first = [str(SubmissionProblem(**p)) for p in report.get("problems", [])[:SUMMARY_SHOWN]]
        except (OSError, TypeError, ValueError):
            pass  # a report that cannot be read: the folder is still named
        return {"file": self.source_file, "folder": str(self.folder) if self.folder else None, "first": first}


@dataclass(frozen=True)
class Quarantined:
    source_file: str
    sha256: str
    directory: Path | None  # None when a refused entry could not be moved out of landing
    problems: tuple[SubmissionProblem, ...]

    def summary(self) -> dict:
        moved = self.directory is not None
        return {
            "file": self.source_file,
            "stage": "ingest",
            "folder": str(self.directory) if moved else None,
            "landing_file": "moved to quarantine" if moved else "left in landing (could not be moved)",
            "problems": len(self.problems),
            "first": [str(p) for p in self.problems[:SUMMARY_SHOWN]],
        }


@dataclass
class IngestOutcome:
    new_batches: list[Batch] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    waiting: list[Waiting] = field(default_factory=list)  # left in landing for the next run

    def summary(self) -> dict:
        """JSON-ready: what landed, what was rejected (with where), what waits, and the parse notes."""
        return {
            "new": [b.source_file for b in self.new_batches],
            "skipped": [s.source_file for s in self.skipped],
            # of those, the files whose very bytes were refused before: unchanged, they are refused again
            "refused_before": [s.refused_before() for s in self.skipped if s.reason == "quarantine"],
            "quarantined": [q.summary() for q in self.quarantined],
            "waiting": [{"file": w.source_file, "reason": w.reason} for w in self.waiting],
            "notes": [{"file": b.source_file, "note": str(n)} for b in self.new_batches for n in b.notes],
            "rejected": len(self.quarantined),
        }


class StillBeingWritten(Exception):
    """A landing file changed while it was read: it is left in landing for the next run."""


def sha256_file(path: Path) -> str:
    return read_state(path).sha256


_SHA16 = re.compile(r"^[0-9a-f]{16}$")


def _seen_in_layer(root: Path) -> set[str]:
    """sha16 of every batch under raw/ or curated/: by file name, and by the sha256 column otherwise."""
    seen: set[str] = set()
    if not root.is_dir():
        return seen
    for file in root.rglob("*.parquet"):
        if file.name.startswith("."):
            continue
        if _SHA16.match(file.stem):
            seen.add(file.stem)
            continue
        try:
            import pyarrow.parquet as pq

            values = pq.read_table(file, columns=["sha256"]).column("sha256").to_pylist()
            seen.update(str(v)[:16] for v in values if v)
        except Exception:  # not a raw batch file; nothing to learn from it
            continue
    return seen


def seen_sha16(settings: Settings) -> dict[str, str]:
    """sha16 -> where it was seen ('raw', 'curated', 'quarantine')."""
    seen: dict[str, str] = {}
    for where, root in (("quarantine", Path(settings.quarantine)),):
        if root.is_dir():
            for d in root.iterdir():
                if d.is_dir() and _SHA16.match(d.name):
                    seen[d.name] = where
    for where, root in (("curated", Path(settings.curated)), ("raw", Path(settings.raw))):
        for sha16 in _seen_in_layer(root):
            seen[sha16] = where
    return seen


def landing_files(landing: Path) -> list[Path]:
    """Regular files in landing that ingest may read (no links, no hidden/partial names, no README).

    No settle wait here; ``index.landing.scan`` is what ingest uses, and it also says why the rest waits."""
    return regular_files(landing)


def _raw_schema():
    import pyarrow as pa

    return pa.schema(
        [
            ("unit_code", pa.int32()),
            ("indicator_id", pa.string()),
            ("value", pa.float64()),
            ("department", pa.string()),
            ("source_file", pa.string()),
            ("source_sheet", pa.string()),
            ("source_row", pa.int32()),
            ("source_column", pa.string()),
            ("synthetic", pa.bool_()),
            ("sha256", pa.string()),
            ("ingested_at", pa.timestamp("us", tz="UTC")),
        ]
    )


def _unchanged_since(path: Path, before: FileState) -> None:
    """Raise StillBeingWritten unless the file has the bytes, size and mtime it had before parsing."""
    try:
        after = read_state(path)
    except OSError as exc:
        raise StillBeingWritten(f"it could not be read again after parsing ({exc})") from exc
    if after.changed(before):
        raise StillBeingWritten("it changed while it was being read (sha256, size or mtime differ)")


def ingest_file(
    path: Path,
    framework: pd.DataFrame,
    raw_root: Path,
    sha256: str | None = None,
    now: datetime | None = None,
    before: FileState | None = None,
) -> Batch:
    """Parse one landing file and write its raw batch, one Parquet file per year.

    Raises SubmissionError for a bad file and StillBeingWritten when the file's sha256, size or mtime after
    parsing differ from ``before`` (read here when not given): nothing is written then.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    before = before or read_state(path)
    sha256 = sha256 or before.sha256
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    try:
        frame = parse_file(path, framework)
    except SubmissionError:
        _unchanged_since(path, before)  # a half-written file is not bad, only early
        raise
    _unchanged_since(path, before)
    notes = tuple(getattr(frame, "attrs", {}).get("notes", []) or [])
    frame.attrs = {}  # notes travel in the Batch, not into the Parquet metadata
    frame["sha256"] = sha256
    frame["ingested_at"] = pd.Timestamp(now).tz_convert("UTC")
    written = []
    schema = _raw_schema()
    for year, part in sorted(frame.groupby("year"), key=lambda kv: kv[0]):
        table = pa.Table.from_pandas(part[RAW_FILE_COLUMNS].reset_index(drop=True), schema=schema, preserve_index=False)
        rel = Path(f"year={int(year)}") / f"{sha256[:16]}.parquet"
        write_with(Path(raw_root) / rel, lambda tmp, table=table: pq.write_table(table, tmp))
        written.append(rel)
    return Batch(path.name, sha256, len(frame), tuple(written), notes)


def quarantine_file(path: Path, sha256: str, problems: list[SubmissionProblem], quarantine_root: Path) -> Path:
    """Move a landing file, whole, to quarantine/<sha16>/ next to the bounded problems.txt / problems.json."""
    target = Path(quarantine_root) / sha256[:16]
    # the report first: a crash before the move leaves the file in landing, reported
    write_problem_report(target, problems, file=Path(path).name, stage="ingest")
    shutil.move(str(path), str(target / Path(path).name))
    return target


def _refuse(entry: Refused, quarantine_root: Path) -> Quarantined:
    """Move a link or special file itself (never what it points to) into quarantine, with its report."""
    problem = SubmissionProblem(entry.source_file, None, None, None, entry.rule, entry.reason)
    try:
        target_text = os.readlink(entry.path) if entry.rule == "symlink" else ""
    except OSError:
        target_text = ""
    sha = hashlib.sha256(f"refused\0{entry.source_file}\0{entry.rule}\0{target_text}".encode()).hexdigest()
    directory = Path(quarantine_root) / sha[:16]
    try:
        write_problem_report(directory, [problem], file=entry.source_file, stage="ingest")
        os.replace(entry.path, directory / entry.path.name)  # rename only: a copy would read the target
    except OSError as exc:
        left = SubmissionProblem(
            entry.source_file,
            None,
            None,
            None,
            entry.rule,
            f"{entry.reason}; it could not be moved out of landing ({exc.strerror or exc})",
        )
        return Quarantined(entry.source_file, sha, None, (left,))
    return Quarantined(entry.source_file, sha, directory, (problem,))


def _delivery_order(path: Path) -> tuple:
    try:
        return (path.lstat().st_mtime_ns, path.name)
    except OSError:  # gone meanwhile: its turn does not matter
        return (0, path.name)


def ingest_landing(
    settings: Settings, framework: pd.DataFrame, now: datetime | None = None, settle: float | None = None
) -> IngestOutcome:
    """Ingest every landing file ready to read whose sha256 is not yet in raw, curated or quarantine.

    Links and special files are refused into quarantine, files with problems are quarantined, hidden,
    partial and still-changing files wait in landing (see index.landing). ``settle`` defaults to
    DEI_LANDING_SETTLE_SECONDS.
    """
    now = now or datetime.now(UTC)
    outcome = IngestOutcome()
    found = scan_landing(settings.landing, settle)
    outcome.waiting.extend(found.waiting)
    for entry in found.refused:
        outcome.quarantined.append(_refuse(entry, settings.quarantine))
    seen = seen_sha16(settings)
    landing_root = Path(settings.landing)
    # Oldest delivery first, and each file its own, later ingested_at: when two files of one drop send the
    # same figure, the one delivered last wins (as a resubmission in a later drop would), never the larger value.
    ready = sorted(found.ready, key=_delivery_order)
    for position, path in enumerate(ready):
        rel = path.relative_to(landing_root).as_posix()
        try:
            before = read_state(path)
        except NotARegularFile as exc:
            # swapped for a link or pipe since the scan: refuse it like one
            rule = "symlink" if os.path.islink(path) else "not_a_regular_file"
            outcome.quarantined.append(
                _refuse(Refused(rel, path, rule, f"{exc} (since the scan); not read"), settings.quarantine)
            )
            continue
        except FileNotFoundError:
            continue  # removed by its sender meanwhile
        except OSError as exc:
            outcome.waiting.append(Waiting(rel, f"cannot be read yet: {exc.strerror or exc}"))
            continue
        sha = before.sha256
        if sha[:16] in seen:
            where = seen[sha[:16]]
            folder = Path(settings.quarantine) / sha[:16] if where == "quarantine" else None
            outcome.skipped.append(Skipped(path.name, sha, where, folder))
            continue
        try:
            batch = ingest_file(
                path, framework, settings.raw, sha256=sha, now=now + timedelta(microseconds=position), before=before
            )
        except StillBeingWritten as exc:
            outcome.waiting.append(Waiting(rel, f"still being written: {exc}; it is read on the next run"))
            continue
        except SubmissionError as exc:
            directory = quarantine_file(path, sha, exc.problems, settings.quarantine)
            outcome.quarantined.append(Quarantined(path.name, sha, directory, tuple(exc.problems)))
            seen[sha[:16]] = "quarantine"
            continue
        outcome.new_batches.append(batch)
        seen[sha[:16]] = "raw"
    return outcome
