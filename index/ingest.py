"""Landing files -> raw layer (long form Parquet), driven by the framework.

Departments send their figures as they keep them: XLSX with a title row, merged two-row headers, the unit in
the header (``5G用户普及率（%）``), footnotes; CSV in UTF-8, UTF-8 with BOM or GBK; 盟市 as full name, short name
or division code; ``—`` or blank for "not reported"; thousands separators; units other than the framework's.

``parse_file`` turns one such file into the raw-layer long form. Nothing here names a DEI indicator: a column is
matched to a framework row (Indicator or Denominator) by ``name_zh``, its unit (from the header, else from a
``单位：`` line above the header, else assumed to be the framework's ``raw_unit``) is converted to ``raw_unit``
with the generic unit table below. Every problem is collected as a ``SubmissionProblem`` and raised together
as one ``SubmissionError``; nothing is dropped silently.

``ingest_landing`` runs ``parse_file`` over every landing file not yet seen (by sha256) and writes
``raw/year=YYYY/<sha16>.parquet``; a file with problems goes to ``quarantine/<sha16>/`` with ``problems.json``
and ``problems.txt`` (the layout ``index.validate`` uses).

Rules (``SubmissionProblem.rule``): ``unreadable``, ``unsupported_format``, ``no_header``, ``no_year``,
``no_data``, ``unknown_column``, ``duplicate_column``, ``unknown_unit``, ``incompatible_unit``,
``unknown_league``, ``duplicate_league``, ``non_numeric``, ``bad_year``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.errors import SubmissionError, SubmissionProblem
from index.leagues import resolve_league

if TYPE_CHECKING:  # keep the import light for DAG parsing
    import pandas as pd

    from index.config import Settings

PARSED_COLUMNS = [
    "league_code", "year", "indicator_id", "value", "department", "source_file", "source_sheet",
    "source_row", "source_column", "synthetic",
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
    "盟市", "地区", "盟市名称", "地区名称", "盟市地区", "地区盟市", "区域", "地市", "城市", "地级市", "城市名称",
    "行政区划", "行政区划名称", "行政区划代码", "区划代码", "盟市代码", "地区代码", "盟市别",
}
YEAR_HEADERS = {"年份", "年度", "年", "统计年度", "报告期", "统计年份", "时间"}
IGNORED_HEADERS = {"序号", "编号", "备注", "说明", "填报说明", "代码", "行政区划代码", "区划代码", "盟市代码",
                   "地区代码", "填报人", "联系电话", "审核人", "填报日期"}
GENERIC_LEAVES = {"合计", "总计", "小计", "总数", "总量", "数量", "数值", "指标值", "值", "规模", "金额"}
TOTAL_ROWS = {"合计", "总计", "全区", "全区合计", "全自治区", "自治区", "内蒙古", "内蒙古自治区", "全区总计",
              "150000", "全盟市", "全区平均", "平均", "均值"}
FOOTNOTE_PREFIXES = ("注", "备注", "说明", "数据来源", "资料来源", "来源", "填表", "填报", "制表", "审核",
                     "单位负责人", "统计负责人", "*", "※")
NULL_TOKENS = {"", "-", "--", "---", "—", "——", "–", "―", "─", "/", "\\", "…", "...", "……", "无数据", "N/A",
               "n/a", "NA", "#N/A"}

_BRACKETS = re.compile(r"[(\[][^()\[\]]*[)\]]")
_LABEL_UNIT = re.compile(r"^(?P<name>.*?)[(\[](?P<unit>[^()\[\]]*)[)\]]$")
_UNIT_LINE = re.compile(r"单位[:：]\s*(?P<unit>[^\s,，;；)）]+)")
_YEAR_IN_TEXT = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
_YEAR_BARE = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_YEAR_RANGE = re.compile(r"(?<!\d)(?:19|20)\d{2}\s*年?\s*[-—–~～至到]\s*(?:19|20)?\d{2,4}(?!\d)")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


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
    "元": ("元", D(1)), "人民币元": ("元", D(1)),
    "户": ("户", D(1)), "人": ("人", D(1)), "人次": ("人次", D(1)), "个": ("个", D(1)), "家": ("家", D(1)),
    "座": ("座", D(1)), "台": ("台", D(1)), "套": ("套", D(1)), "件": ("件", D(1)), "项": ("项", D(1)),
    "部": ("部", D(1)), "条": ("条", D(1)), "次": ("次", D(1)), "所": ("所", D(1)), "处": ("处", D(1)),
    "张": ("张", D(1)), "辆": ("辆", D(1)), "架": ("架", D(1)), "标准机架": ("标准机架", D(1)),
    "机架": ("标准机架", D(1)), "吨": ("吨", D(1)), "吨标准煤": ("吨标准煤", D(1)), "吨标煤": ("吨标准煤", D(1)),
    "瓦": ("W", D(1)), "瓦时": ("Wh", D(1)), "度": ("Wh", D(1000)), "千瓦时": ("Wh", D(1000)),
    "米": ("m", D(1)), "公里": ("m", D(1000)), "平方米": ("m2", D(1)), "平方公里": ("m2", D(10) ** 6),
    "%": ("%", D(1)), "百分比": ("%", D(1)), "百分数": ("%", D(1)), "‰": ("%", D("0.1")),
    "百分点": ("百分点", D(1)), "个百分点": ("百分点", D(1)),
    "指数": ("指数", D(1)), "点": ("指数", D(1)), "分": ("分", D(1)), "倍": ("倍", D(1)),
    "比值": ("比值", D(1)), "比率": ("比值", D(1)), "无量纲": ("比值", D(1)),
    "年": ("年", D(1)), "天": ("天", D(1)), "小时": ("s", D(3600)), "秒": ("s", D(1)), "毫秒": ("s", D("0.001")),
}
CN_PREFIXES: dict[str, Decimal] = {"十": D(10), "百": D(100), "千": D(1000), "万": D(10) ** 4, "亿": D(10) ** 8}
SI_PREFIXES: dict[str, Decimal] = {"": D(1), "K": D(10) ** 3, "M": D(10) ** 6, "G": D(10) ** 9,
                                   "T": D(10) ** 12, "P": D(10) ** 15, "E": D(10) ** 18}
_SI_UNIT = re.compile(
    r"^(?P<prefix>[kKMGTPE]?)(?P<base>bps|bit/s|b/s|flop/s|flops|flop|w|wh|b|byte|bytes|m|s|ms)$", re.IGNORECASE)
_SI_BASES = {"bps": "bit/s", "bit/s": "bit/s", "b/s": "bit/s", "flop/s": "flop/s", "flops": "flop/s",
             "flop": "flop/s", "w": "W", "wh": "Wh", "b": "B", "byte": "B", "bytes": "B", "m": "m", "s": "s"}


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
            num, den = _simple_unit(folded[:i]) or parse_unit(folded[:i]), _simple_unit(folded[i + 1:])
            if num and den:
                return f"{num[0]}/{den[0]}", num[1] / den[1]
    return None


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

@dataclass
class _Grid:
    """One sheet (or a CSV file) as rows of cell values, 0-based, plus merged ranges (r0, c0, r1, c1)."""
    sheet: str | None
    rows: list[list[Any]]
    row_numbers: list[int]  # 1-based row as seen in Excel / a text editor, per grid row
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def cell(self, r: int, c: int) -> Any:
        row = self.rows[r]
        return row[c] if c < len(row) else None


def _read_excel(path: Path, data: bytes) -> list[_Grid]:
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    grids = []
    for meta in workbook.sheets_metadata:
        if "WorkSheet" not in str(meta.typ) or "Visible" not in str(meta.visible):
            continue
        sheet = workbook.get_sheet_by_name(meta.name)
        rows = [[None if v == "" else v for v in row] for row in sheet.to_python(skip_empty_area=False)]
        merges = []
        for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or []):
            merges.append((r0, c0, r1, c1))
        grids.append(_Grid(meta.name, rows, list(range(1, len(rows) + 1)), merges))
    return grids


def _decode(data: bytes) -> tuple[str, str] | None:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    for encoding in ("utf-8", "gb18030"):  # gb18030 is a superset of GBK / GB2312
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return None


def _read_text(path: Path, data: bytes) -> list[_Grid]:
    decoded = _decode(data)
    if decoded is None:
        raise SubmissionError([SubmissionProblem(
            path.name, None, None, None, "unreadable",
            "the text is neither UTF-8 nor GBK/GB18030; save it as CSV UTF-8 or GBK")])
    text, _ = decoded
    sample = "\n".join(text.splitlines()[:20])
    delimiter = max(["\t", ",", ";", "|"], key=lambda d: (sample.count(d), d == ","))
    if path.suffix.lower() == ".tsv":
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
            raise SubmissionError([SubmissionProblem(path.name, None, start, None, "unreadable",
                                                     f"the CSV cannot be read here: {exc}")]) from exc
        rows.append([None if not fold(v) else v for v in row])
        numbers.append(start)
    return [_Grid(None, rows, numbers)]


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


class _Framework:
    """The framework rows an ingest can match: Indicators and Denominators, by folded name_zh."""

    def __init__(self, framework: "pd.DataFrame"):
        rows = framework[framework["node_type"].isin(["Indicator", "Denominator"])]
        self.by_name: dict[str, dict] = {}
        for row in rows.to_dict("records"):
            self.by_name[fold(row["name_zh"])] = row


def _find_header(grid: _Grid) -> tuple[int, int] | None:
    for r in range(min(len(grid.rows), HEADER_SCAN_ROWS)):
        for c, value in enumerate(grid.rows[r]):
            if isinstance(value, str):
                key = _BRACKETS.sub("", fold(value))
                if key in LEAGUE_HEADERS:
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


def _number(raw: Any, factor: Decimal, percent: bool) -> tuple[float | None, bool]:
    """(value, ok). Empty / dash -> (None, True); not a number -> (None, False)."""
    if raw is None:
        return None, True
    if isinstance(raw, bool) or isinstance(raw, (date, datetime, time)):
        return None, False
    if isinstance(raw, (int, float)):
        if raw != raw:  # NaN
            return None, True
        number = D(repr(raw)) if isinstance(raw, float) else D(raw)
    else:
        text = fold(raw)
        if text in NULL_TOKENS or text.strip("—-–―") == "":
            return None, True
        if percent and text.endswith("%"):
            text = text[:-1]
        if _GROUPED.match(text):
            text = text.replace(",", "")
        if not _NUMBER.match(text):
            return None, False
        try:
            number = D(text)
        except InvalidOperation:
            return None, False
    return float(number * factor), True


def _parse_grid(grid: _Grid, file: str, fw: _Framework, file_year: int | None,
                problems: list[SubmissionProblem]) -> list[dict] | None:
    """Rows of one sheet in long form; None when the sheet has no 盟市 header (not a data sheet)."""
    found = _find_header(grid)
    if found is None:
        return None
    top, league_col = found
    bottom = _header_bottom(grid, top, league_col)
    sheet = grid.sheet

    def problem(row: int | None, column: str | None, rule: str, message: str) -> None:
        problems.append(SubmissionProblem(file, sheet, row, column, rule, message))

    # Title lines above the header: the year (title first) and a default unit ("单位：万元").
    title_texts = [_as_text(v) for r in range(top) for v in grid.rows[r] if isinstance(v, str) and fold(v)]
    title = " ".join(title_texts)
    unit_match = _UNIT_LINE.search(unicodedata.normalize("NFKC", title))
    default_unit = unit_match.group("unit") if unit_match else None
    year = _year_from_text(title) or _year_from_text(sheet) or file_year

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
                problem(header_row_number, f"第{c + 1}列", "unknown_column",
                        "this column has figures but no header; write the indicator name and unit above it")
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
            problem(header_row_number, leaf, "unknown_column",
                    f"'{leaf}' is not an indicator of the framework (name_zh); check the spelling of the header")
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
        factor = unit_factor(unit, raw_unit)
        if isinstance(factor, str):
            if factor == "unknown_unit":
                message = (f"unit '{unit}' is not one ingest knows; write the figure in {raw_unit}"
                           if parse_unit(unit) is None else
                           f"the framework unit '{raw_unit}' of {node['node_id']} is not in the unit table")
            else:
                message = f"unit '{unit}' cannot be converted to {raw_unit} (the framework's unit for {node['node_id']})"
            problem(header_row_number, leaf, factor, message)
            columns.append(_Column(c, leaf, "bad"))
            continue
        node_id = str(node["node_id"])
        if node_id in seen_nodes:
            problem(header_row_number, leaf, "duplicate_column",
                    f"{node['name_zh']} appears twice (also column '{seen_nodes[node_id]}')")
            columns.append(_Column(c, leaf, "bad"))
            continue
        seen_nodes[node_id] = leaf
        percent = (parse_unit(unit or raw_unit) or ("",))[0] == "%"
        columns.append(_Column(c, leaf, "indicator", node, factor, percent))

    league_label = _as_text(block[-1][league_col]) or _as_text(grid.cell(top, league_col)) or "盟市"
    year_col = next((col for col in columns if col.kind == "year"), None)
    indicator_cols = [col for col in columns if col.kind == "indicator"]
    if not any(col.kind in ("indicator", "bad") for col in columns):
        problem(header_row_number, None, "no_data", "no indicator column found next to the 盟市 column")
    if year is None and year_col is None:
        problem(None, None, "no_year",
                "the reporting year is not in the title, the sheet name or the file name; write e.g. '2023年' in the title")

    out: list[dict] = []
    seen_keys: dict[tuple[int, int], int] = {}
    in_footer = False
    footnotes: list[str] = []
    for r in range(bottom + 1, len(grid.rows)):
        row = grid.rows[r]
        row_number = grid.row_numbers[r]
        filled = [(c, v) for c, v in enumerate(row) if not _is_blank(v)]
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
        league_raw = grid.cell(r, league_col)
        if _is_blank(league_raw):
            problem(row_number, league_label, "unknown_league",
                    "the 盟市 cell is empty but the row has figures; write the 盟市 name or code")
            continue
        if fold(league_raw) in TOTAL_ROWS:
            continue  # a 全区/合计 row is the region, not a 盟市
        league = resolve_league(league_raw)
        if league is None:
            problem(row_number, league_label, "unknown_league",
                    f"'{_as_text(league_raw)}' is not one of the 12 盟市 (full name, short name or 6-digit code)")
            continue
        row_year = year
        if year_col is not None:
            cell = grid.cell(r, year_col.index)
            row_year = _year_from_text(_as_text(cell)) if cell is not None else None
            if row_year is None:
                problem(row_number, year_col.label, "bad_year", f"'{_as_text(cell)}' is not a year")
                continue
        if row_year is None:
            continue  # already reported as no_year
        key = (league, row_year)
        if key in seen_keys:
            problem(row_number, league_label, "duplicate_league",
                    f"'{_as_text(league_raw)}' ({league}) already has a row for {row_year} (row {seen_keys[key]})")
            continue
        seen_keys[key] = row_number
        for col in indicator_cols:
            raw = grid.cell(r, col.index)
            value, ok = _number(raw, col.factor, col.unit_is_percent)
            if not ok:
                problem(row_number, col.label, "non_numeric",
                        f"'{_as_text(raw)}' is not a number; write digits, or — / leave blank when not reported")
                continue
            out.append({
                "league_code": league, "year": row_year, "indicator_id": str(col.node["node_id"]),
                "value": value, "department": col.node.get("department"), "source_file": file,
                "source_sheet": sheet, "source_row": row_number, "source_column": col.label,
            })
    if not out and not problems:
        problem(None, None, "no_data", "the sheet has a header but no 盟市 rows")
    # the title or a footnote may say the figures are made up
    synthetic = declares_synthetic(" ".join([title, *footnotes]))
    for parsed in out:
        parsed["synthetic"] = synthetic
    return out


def _reporting_department(rows: list[dict], fw: _Framework) -> None:
    """A file's rows carry the department that sent it: the one department of its indicators (denominators
    such as 常住人口 ride along in many files); when a file mixes departments each row keeps its own."""
    nodes = {n["node_id"]: n for n in fw.by_name.values()}
    depts = {nodes[r["indicator_id"]].get("department") for r in rows
             if nodes[r["indicator_id"]].get("node_type") == "Indicator"}
    depts.discard(None)
    if len(depts) == 1:
        dept = depts.pop()
        for r in rows:
            r["department"] = dept


def parse_file(path: Path, framework: "pd.DataFrame") -> "pd.DataFrame":
    """One landing file -> raw-layer long form (``PARSED_COLUMNS``; ``ingest_file`` adds sha256, ingested_at).

    Raises ``SubmissionError`` carrying every problem found in the file.
    """
    import pandas as pd

    path = Path(path)
    file = path.name
    suffix = path.suffix.lower()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SubmissionError([SubmissionProblem(file, None, None, None, "unreadable", str(exc))]) from exc
    if suffix in EXCEL_SUFFIXES:
        try:
            grids = _read_excel(path, data)
        except Exception as exc:  # calamine raises its own error types for broken workbooks
            raise SubmissionError([SubmissionProblem(
                file, None, None, None, "unreadable", f"the workbook cannot be opened: {exc}")]) from exc
    elif suffix in TEXT_SUFFIXES:
        grids = _read_text(path, data)
    else:
        raise SubmissionError([SubmissionProblem(
            file, None, None, None, "unsupported_format",
            f"'{suffix or file}' files are not accepted; send .xlsx or .csv")])

    fw = _Framework(framework)
    file_year = _year_from_text(path.stem)
    problems: list[SubmissionProblem] = []
    rows: list[dict] = []
    data_sheets = 0
    for grid in grids:
        parsed = _parse_grid(grid, file, fw, file_year, problems)
        if parsed is None:
            continue
        data_sheets += 1
        rows.extend(parsed)
    if data_sheets == 0:
        problems.append(SubmissionProblem(
            file, grids[0].sheet if len(grids) == 1 else None, None, None, "no_header",
            "no header row with a 盟市/地区 column found in the first rows of any sheet"))
    if problems:
        raise SubmissionError(problems)
    _reporting_department(rows, fw)
    frame = pd.DataFrame(rows, columns=PARSED_COLUMNS)
    frame["league_code"] = frame["league_code"].astype("int32")
    frame["year"] = frame["year"].astype("int32")
    frame["value"] = frame["value"].astype("float64")
    frame["source_row"] = frame["source_row"].astype("int32")
    frame["synthetic"] = frame["synthetic"].astype("bool")
    for col in ("indicator_id", "department", "source_file", "source_sheet", "source_column"):
        frame[col] = frame[col].astype("object")
    return frame


# ---------------------------------------------------------------------------------------------------
# Landing -> raw
# ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Batch:
    source_file: str
    sha256: str
    rows: int
    raw_files: tuple[Path, ...]  # relative to the raw root, e.g. year=2023/<sha16>.parquet

    @property
    def sha16(self) -> str:
        return self.sha256[:16]


@dataclass(frozen=True)
class Skipped:
    source_file: str
    sha256: str
    reason: str  # 'raw' | 'curated' | 'quarantine' | 'duplicate in landing'


@dataclass(frozen=True)
class Quarantined:
    source_file: str
    sha256: str
    directory: Path
    problems: tuple[SubmissionProblem, ...]


@dataclass
class IngestOutcome:
    new_batches: list[Batch] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "new": [b.source_file for b in self.new_batches],
            "skipped": [s.source_file for s in self.skipped],
            "quarantined": {q.source_file: len(q.problems) for q in self.quarantined},
        }


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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


def seen_sha16(settings: "Settings") -> dict[str, str]:
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
    """Submissions waiting in landing: every file except dotfiles, README files and files in dot-folders."""
    landing = Path(landing)
    if not landing.is_dir():
        return []
    files = []
    for path in sorted(landing.rglob("*")):
        rel = path.relative_to(landing)
        if not path.is_file() or any(part.startswith(".") for part in rel.parts):
            continue
        if path.name.lower().startswith("readme"):
            continue
        files.append(path)
    return files


def _write_atomic_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _raw_schema():
    import pyarrow as pa

    return pa.schema([
        ("league_code", pa.int32()), ("indicator_id", pa.string()), ("value", pa.float64()),
        ("department", pa.string()), ("source_file", pa.string()), ("source_sheet", pa.string()),
        ("source_row", pa.int32()), ("source_column", pa.string()), ("synthetic", pa.bool_()),
        ("sha256", pa.string()), ("ingested_at", pa.timestamp("us", tz="UTC")),
    ])


def ingest_file(path: Path, framework: "pd.DataFrame", raw_root: Path, sha256: str | None = None,
                now: datetime | None = None) -> Batch:
    """Parse one landing file and write its raw batch, one Parquet file per year. Raises SubmissionError."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    sha256 = sha256 or sha256_file(path)
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    frame = parse_file(path, framework)
    frame["sha256"] = sha256
    frame["ingested_at"] = pd.Timestamp(now).tz_convert("UTC")
    written = []
    schema = _raw_schema()
    for year, part in sorted(frame.groupby("year"), key=lambda kv: kv[0]):
        table = pa.Table.from_pandas(part[RAW_FILE_COLUMNS].reset_index(drop=True), schema=schema,
                                     preserve_index=False)
        rel = Path(f"year={int(year)}") / f"{sha256[:16]}.parquet"
        target = Path(raw_root) / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        pq.write_table(table, tmp)
        os.replace(tmp, target)
        written.append(rel)
    return Batch(path.name, sha256, len(frame), tuple(written))


def quarantine_file(path: Path, sha256: str, problems: list[SubmissionProblem], quarantine_root: Path) -> Path:
    """Move a landing file to quarantine/<sha16>/ with problems.json and problems.txt (as index.validate)."""
    target = Path(quarantine_root) / sha256[:16]
    target.mkdir(parents=True, exist_ok=True)
    _write_atomic_bytes(target / "problems.json",
                        (json.dumps([p.to_dict() for p in problems], ensure_ascii=False, indent=2) + "\n")
                        .encode("utf-8"))
    _write_atomic_bytes(target / "problems.txt", "".join(f"{p}\n" for p in problems).encode("utf-8"))
    shutil.move(str(path), str(target / Path(path).name))
    return target


def ingest_landing(settings: "Settings", framework: "pd.DataFrame", now: datetime | None = None) -> IngestOutcome:
    """Ingest every landing file whose sha256 is not yet in raw, curated or quarantine."""
    now = now or datetime.now(timezone.utc)
    outcome = IngestOutcome()
    seen = seen_sha16(settings)
    for path in landing_files(settings.landing):
        sha = sha256_file(path)
        if sha[:16] in seen:
            outcome.skipped.append(Skipped(path.name, sha, seen[sha[:16]]))
            continue
        try:
            batch = ingest_file(path, framework, settings.raw, sha256=sha, now=now)
        except SubmissionError as exc:
            directory = quarantine_file(path, sha, exc.problems, settings.quarantine)
            outcome.quarantined.append(Quarantined(path.name, sha, directory, tuple(exc.problems)))
            seen[sha[:16]] = "quarantine"
            continue
        outcome.new_batches.append(batch)
        seen[sha[:16]] = "raw"
    return outcome
