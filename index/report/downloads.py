"""The site's download files: every table on every page as CSV and XLSX, and the whole release as one workbook.

Written at build time into ``downloads/`` beside the pages, so a plain link works offline from file:// (no
library in the browser). The rows follow the page's tables row for row; headers carry both languages
("排名 / Rank"). CSV is UTF-8 with a byte-order mark so spreadsheet programs read the Chinese correctly.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from index.report.i18n import LABELS
from index.targets.contract import TABLES as CONTRACT_TABLES

FOLDER = "downloads"
WORKBOOK = "release.xlsx"
# every published table a release holds, in the contract's order (releases is the lake's list, not a release's)
RELEASE_SHEETS = tuple(t for t in CONTRACT_TABLES if t != "releases")


def head(key_or_pair) -> str:
    zh, en = LABELS[key_or_pair] if isinstance(key_or_pair, str) else key_or_pair
    return f"{zh} / {en}"


def safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _cell(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, (list, tuple, np.ndarray)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value if isinstance(value, (int, str)) else str(value)


def write_csv(path: Path, columns: list[str], rows: list[list]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if (v := _cell(c)) is None else v for c in row])
    path.write_text(buffer.getvalue(), encoding="utf-8-sig")


# A minimal SpreadsheetML writer (a zip of five XML parts plus one per sheet). openpyxl takes ~20 ms per file,
# which adds up over the few hundred small tables of a site; this takes well under one.
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    "{sheets}</Types>"
)
_SHEET_TYPE = (
    '<Override PartName="/xl/worksheets/sheet{n}.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}</sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>'
)
_SHEET_REL = (
    '<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet{n}.xml"/>'
)
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")  # characters Excel refuses in a sheet name
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xml_cell(ref: str, value) -> str:
    from xml.sax.saxutils import escape

    value = _cell(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value!r}</v></c>' if math.isfinite(value) else ""
    text = escape(_ILLEGAL.sub("", str(value)))
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _sheet_xml(columns: list[str], rows) -> str:
    from openpyxl.utils.cell import get_column_letter

    letters: list[str] = []
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    ]
    for r, row in enumerate([list(columns), *rows], start=1):
        while len(letters) < len(row):
            letters.append(get_column_letter(len(letters) + 1))
        cells = "".join(_xml_cell(f"{letters[i]}{r}", v) for i, v in enumerate(row))
        parts.append(f'<row r="{r}">{cells}</row>')
    parts.append("</sheetData></worksheet>")
    return "".join(parts)


def write_workbook(path: Path, sheets: list[tuple[str, list[str], object]]) -> None:
    """sheets: (title, columns, rows); titles are cut to Excel's 31 characters."""
    import zipfile
    from xml.sax.saxutils import quoteattr

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as book:
        n = range(1, len(sheets) + 1)
        book.writestr("[Content_Types].xml", _CONTENT_TYPES.format(sheets="".join(_SHEET_TYPE.format(n=i) for i in n)))
        book.writestr("_rels/.rels", _ROOT_RELS)
        titles = [_BAD_TITLE.sub("_", title)[:31] for title, _, _ in sheets]
        book.writestr(
            "xl/workbook.xml",
            _WORKBOOK.format(
                sheets="".join(
                    f'<sheet name={quoteattr(title)} sheetId="{i}" r:id="rId{i}"/>' for i, title in zip(n, titles)
                )
            ),
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(rels="".join(_SHEET_REL.format(n=i) for i in n))
        )
        for i, (_, columns, rows) in zip(n, sheets):
            book.writestr(f"xl/worksheets/sheet{i}.xml", _sheet_xml(columns, rows))


def write_xlsx(path: Path, columns: list[str], rows: list[list], title: str = "table") -> None:
    write_workbook(path, [(title, columns, rows)])


def write_table(folder: Path, name: str, columns: list[str], rows: list[list]) -> str:
    """Both files for one table; returns the file stem (downloads/<stem>.csv / .xlsx)."""
    stem = safe_name(name)
    write_csv(folder / f"{stem}.csv", columns, rows)
    write_xlsx(folder / f"{stem}.xlsx", columns, rows, title=stem)
    return stem


def write_release_workbook(folder: Path, release_dir: Path, release: dict, target: Path | None = None) -> Path:
    """Every published table of the release as a sheet, plus the release's own facts and inputs.

    Written to ``folder``/release.xlsx (the site), or to ``target`` (`dei export --xlsx FILE`)."""
    info = [
        ("release_id", release.get("id")),
        ("created_at", release.get("created_at")),
        ("published_at", release.get("published_at")),
        ("code_version", release.get("code_version")),
        ("triggered_by", release.get("triggered_by")),
    ]
    for key in ("framework", "weight_scheme", "method"):
        item = release.get(key) or {}
        info += [(f"{key}.path", item.get("path")), (f"{key}.sha256", item.get("sha256"))]
    inputs = release.get("inputs") or []
    sheets = [
        ("release", ["key", "value"], info),
        (
            "inputs",
            ["file", "department", "values", "years", "synthetic", "sha256"],
            [
                [
                    i.get("file"),
                    i.get("department"),
                    i.get("values"),
                    i.get("years"),
                    i.get("synthetic"),
                    i.get("sha256"),
                ]
                for i in inputs
            ],
        ),
    ]
    for name in RELEASE_SHEETS:
        path = release_dir / f"{name}.parquet"
        if path.is_file():
            frame = pd.read_parquet(path)
            sheets.append((name, [str(c) for c in frame.columns], frame.itertuples(index=False, name=None)))
    target = Path(target) if target is not None else folder / WORKBOOK
    write_workbook(target, sheets)
    return target
