"""The 12 盟市 of Inner Mongolia, and resolution of the many ways submissions name them.

Reads ``reference/leagues.csv`` (see ``reference/README.md`` for provenance). A submission may write a 盟市 as
the full name (呼和浩特市), the name without its 市/盟 suffix (呼和浩特), any alias from the ``aliases`` column
(呼市, 锡盟, 鄂市 ...), or the GB/T 2260 division code as text or number (150100, "150100", "150100.0", 150100.0),
with surrounding ASCII or full-width spaces. Full-width digits and letters are folded (NFKC) before matching.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from index.config import settings

LEAGUES_FILE = "leagues.csv"
_SPACES = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
_CODE = re.compile(r"^(\d{6})(?:\.0+)?$")


def _fold(text: str) -> str:
    """NFKC (full-width digits/letters/spaces to ASCII) and drop every kind of whitespace."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text))


@lru_cache(maxsize=4)
def _load(path: Path) -> tuple[tuple[dict, ...], dict[str, int]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = tuple(csv.DictReader(handle))
    lookup: dict[str, int] = {}
    for row in rows:
        code = int(row["code"])
        name = row["name_zh"].strip()
        keys = {name, str(code)}
        if name[-1:] in ("市", "盟"):
            keys.add(name[:-1])
        keys.update(a for a in (row.get("aliases") or "").split("|") if a.strip())
        for key in keys:
            folded = _fold(key)
            if lookup.get(folded, code) != code:
                raise ValueError(f"{path}: the name {key!r} is ambiguous ({lookup[folded]} and {code})")
            lookup[folded] = code
    return rows, lookup


def _reference(path: Path | None = None) -> tuple[tuple[dict, ...], dict[str, int]]:
    return _load(Path(path) if path else settings().reference / LEAGUES_FILE)


def leagues_table(path: Path | None = None) -> list[dict]:
    """The rows of leagues.csv as dicts (code as int, population and GDP as float), in file order."""
    rows, _ = _reference(path)
    out = []
    for row in rows:
        out.append({
            "code": int(row["code"]),
            "name_zh": row["name_zh"].strip(),
            "name_en": row["name_en"].strip(),
            "kind": row["kind"].strip(),
            "aliases": [a.strip() for a in (row.get("aliases") or "").split("|") if a.strip()],
            "approx_pop_2023_10k": float(row["approx_pop_2023_10k"]),
            "approx_gdp_2023_100m_yuan": float(row["approx_gdp_2023_100m_yuan"]),
        })
    return out


def league_codes(path: Path | None = None) -> list[int]:
    """The 12 division codes, ascending."""
    return sorted(int(row["code"]) for row in _reference(path)[0])


def league_names(path: Path | None = None) -> dict[int, str]:
    """Division code -> full Chinese name, e.g. {150100: '呼和浩特市', ...}."""
    return {int(row["code"]): row["name_zh"].strip() for row in _reference(path)[0]}


def resolve_league(text: object, path: Path | None = None) -> int | None:
    """The division code a submission means by ``text``, or None when it names no 盟市 (never guesses)."""
    if text is None:
        return None
    if isinstance(text, bool):
        return None
    _, lookup = _reference(path)
    if isinstance(text, (int, float)):
        if isinstance(text, float) and (text != text or not text.is_integer()):
            return None
        code = int(text)
        return code if str(code) in lookup and lookup[str(code)] == code else None
    folded = _fold(str(text))
    if not folded:
        return None
    match = _CODE.match(folded)
    if match:
        folded = match.group(1)
    return lookup.get(folded)
