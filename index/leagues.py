"""The 12 盟市 of Inner Mongolia, and resolution of the many ways submissions name them.

A thin view over the unit registry (``index/units.py``, ``reference/units.csv``): the codes, names, kinds and
aliases are the registry's league rows; only the rounded 2023 population and GDP (``approx_*``, used to size the
sample data) are read from ``reference/leagues.csv`` itself (see ``reference/README.md`` for provenance). A
submission may write a 盟市 as the full name (呼和浩特市), the name without its 市/盟 suffix (呼和浩特), an alias
(呼市, 锡盟, 鄂市 ...), a former name (伊克昭盟, 乌兰察布盟 ...), or the GB/T 2260 division code as text or number
(150100, "150100", "150100.0", 150100.0), with surrounding ASCII or full-width spaces. Full-width digits and
letters are folded (NFKC) before matching (``index.units.fold``). Anything else, a 旗县市区 or the 自治区
included, resolves to None.

``path``, where a function takes one, is a leagues.csv; the registry used is the ``units.csv`` beside it when
there is one, else ``reference/units.csv``.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from index import units as _units
from index.config import settings

LEAGUES_FILE = "leagues.csv"
_fold = _units.fold  # kept for callers of the former private helper
_KIND_EN = {zh: en for en, zh in _units.LEAGUE_KINDS.items()}  # 地级市 -> city, 盟 -> league


def _registry(path: Path | None) -> _units.Registry:
    if path is not None:
        beside = Path(path).with_name(_units.UNITS_FILE)
        if beside.exists():
            return _units.registry(beside)
    return _units.registry()


@lru_cache(maxsize=4)
def _league_file(path: Path, mtime_ns: int) -> tuple[dict, ...]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return tuple(csv.DictReader(handle))


def _leagues(path: Path | None) -> list[_units.Unit]:
    return _registry(path).level("league")


def leagues_table(path: Path | None = None) -> list[dict]:
    """The 12 盟市 as dicts (code as int, population and GDP as float), in the order of leagues.csv."""
    file = Path(path) if path else settings().reference / LEAGUES_FILE
    rows = _league_file(file.resolve(), file.stat().st_mtime_ns)
    by_code = {u.code: u for u in _leagues(path)}
    if sorted(int(row["code"]) for row in rows) != sorted(by_code):
        raise ValueError(f"{file} and the unit registry disagree on the 盟市; run python -m index.units build")
    out = []
    for row in rows:
        league = by_code[int(row["code"])]
        if row["name_zh"].strip() != league.name_zh:
            raise ValueError(
                f"{file}: {league.code} is {row['name_zh']!r} there but {league.name_zh!r} in the "
                f"unit registry; run python -m index.units build"
            )
        out.append(
            {
                "code": league.code,
                "name_zh": league.name_zh,
                "name_en": league.name_en,
                "kind": _KIND_EN[league.kind],
                "aliases": list(league.aliases),
                "approx_pop_2023_10k": float(row["approx_pop_2023_10k"]),
                "approx_gdp_2023_100m_yuan": float(row["approx_gdp_2023_100m_yuan"]),
            }
        )
    return out


def league_codes(path: Path | None = None) -> list[int]:
    """The 12 division codes, ascending."""
    return sorted(u.code for u in _leagues(path))


def league_names(path: Path | None = None) -> dict[int, str]:
    """Division code -> full Chinese name, e.g. {150100: '呼和浩特市', ...}, by ascending code."""
    return {u.code: u.name_zh for u in sorted(_leagues(path), key=lambda u: u.code)}


def resolve_league(text: object, path: Path | None = None) -> int | None:
    """The division code a submission means by ``text``, or None when it names no 盟市 (never guesses)."""
    try:
        return _registry(path).resolve(text, levels=("league",)).code
    except _units.UnitNameError:
        return None
