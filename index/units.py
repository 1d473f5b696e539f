"""The unit registry: the 自治区, its 12 盟市, its 103 旗县市区 and the 5 development zones, and name resolution.

Art. 71 of the 2024 regulation asks every government from 旗 level up to evaluate itself and the level below, so
the index has three ranked levels: ``region`` (150000) -> ``league`` (the 12 盟市) -> ``county`` (the 103 旗县市区).
The 2020 census also reports five development zones separately (``zone``: 呼和浩特经济技术开发区 ...). They are not
county-level divisions: the registry keeps them so that their names resolve to a clear answer, under their 盟市,
but they are never ranked and never expected in a submission (see ``reference/README.md``).

``reference/units.csv`` is generated, never edited by hand: ``python -m index.units build`` writes it from

- ``reference/census2020_im_counties.csv``: codes, Chinese names, levels, parent codes and the 2020 population;
- ``reference/unit_names.csv`` (hand-kept): English names, kinds, aliases and former names of the region, the
  counties and the zones, and the former names of the 盟市;
- ``reference/leagues.csv``: English names, kinds and aliases of the 12 盟市 (one source for what leagues.py shows).

A submission may name a unit by its full name (土默特左旗), the name without its generic suffix (托克托, 新城,
满洲里; see ``_stem``), an alias (土左旗, 达茂旗, 莫旗 ...), a former name (集宁市), any of these after its 盟市
(呼和浩特市新城区, 呼和浩特新城区, 呼市新城区) and an optional 内蒙古(自治区) prefix, or the 6-digit code as text or
number (150121, "150121", "150121.0", 150121.0). Full-width characters are folded (NFKC) and every kind of space is
dropped first (``fold``). A name that fits several units (扎旗: 扎鲁特旗 in 通辽市 and 扎赉特旗 in 兴安盟) resolves only
with a ``parent`` that singles one out; otherwise, and for unknown names, ``resolve_unit`` raises ``UnitNameError``
listing the candidates (code, full name, parent). It never guesses.
"""

from __future__ import annotations

import csv
import difflib
import io
import numbers
import re
import sys
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from index.errors import SubmissionProblem

UNITS_FILE = "units.csv"
CENSUS_FILE = "census2020_im_counties.csv"
NAMES_FILE = "unit_names.csv"
LEAGUES_FILE = "leagues.csv"
POPULATION_INDICATOR = "人口数_合计"

REGION_CODE = 150000
LEVELS = ("region", "league", "county", "zone")
RANKED_LEVELS = ("region", "league", "county")
COUNTY_KINDS = ("市辖区", "县级市", "县", "旗", "自治旗")
LEAGUE_KINDS = {"city": "地级市", "league": "盟"}  # leagues.csv kind -> registry kind
REGION_KIND = "自治区"
ZONE_KIND = "功能区"
LEVEL_ZH = {"region": "自治区", "league": "盟市", "county": "旗县市区", "zone": "功能区（开发区、管理区）"}
CSV_COLUMNS = ("code", "name_zh", "name_en", "level", "kind", "parent_code", "pop_2020", "aliases", "former_names")
REGION_PREFIXES = ("内蒙古自治区", "内蒙古")

_SPACES = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
_CODE = re.compile(r"^(\d{6})(?:\.0+)?$")


def fold(text: object) -> str:
    """Comparison form of a name: NFKC (full-width digits/letters/spaces to ASCII), every kind of space dropped."""
    if text is None:
        return ""
    return _SPACES.sub("", unicodedata.normalize("NFKC", str(text)))


def _reference_dir() -> Path:
    from index.config import settings

    return settings().reference


def _split(cell: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (cell or "").split("|") if part.strip())


# --------------------------------------------------------------------------------------------------
# The unit
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    code: int
    name_zh: str
    name_en: str
    level: str
    kind: str
    parent_code: int | None
    pop_2020: int
    aliases: tuple[str, ...] = ()
    former_names: tuple[str, ...] = ()

    @property
    def ranked(self) -> bool:
        """Whether the index scores and ranks this unit (zones are not)."""
        return self.level in RANKED_LEVELS

    @property
    def stem(self) -> str | None:
        return _stem(self)

    def names(self) -> tuple[str, ...]:
        """Every name the unit answers to besides its code: full name first, then stem, aliases, former names."""
        out = [self.name_zh]
        for name in (self.stem, *self.aliases, *self.former_names):
            if name and name not in out:
                out.append(name)
        return tuple(out)

    def label(self) -> str:
        return f"{self.code} {self.name_zh}"

    def to_row(self) -> dict[str, str]:
        return {
            "code": str(self.code),
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "level": self.level,
            "kind": self.kind,
            "parent_code": "" if self.parent_code is None else str(self.parent_code),
            "pop_2020": str(self.pop_2020),
            "aliases": "|".join(self.aliases),
            "former_names": "|".join(self.former_names),
        }

    @classmethod
    def from_row(cls, row: dict) -> Unit:
        parent = (row.get("parent_code") or "").strip()
        return cls(
            code=int(row["code"]),
            name_zh=row["name_zh"].strip(),
            name_en=row["name_en"].strip(),
            level=row["level"].strip(),
            kind=row["kind"].strip(),
            parent_code=int(parent) if parent else None,
            pop_2020=int(row["pop_2020"]),
            aliases=_split(row.get("aliases")),
            former_names=_split(row.get("former_names")),
        )


def _stem(unit: Unit) -> str | None:
    """The name without its generic suffix, as submissions often write it: 呼和浩特 (市), 新城 (区), 托克托 (县),
    满洲里 (市), 鄂托克 (旗). Not for 矿区 (白云鄂博 is an alias), 左/右/前/中/后旗 (巴林左 is no name anyone writes),
    联合旗 and 自治旗 (their short forms are aliases), zones and the region. At least two characters remain."""
    name = unit.name_zh
    stem = None
    if unit.level == "league" and name[-1:] in ("市", "盟"):
        stem = name[:-1]
    elif unit.level == "county":
        if unit.kind == "市辖区" and name.endswith("区") and not name.endswith("矿区"):
            stem = name[:-1]
        elif unit.kind == "县" and name.endswith("县"):
            stem = name[:-1]
        elif unit.kind == "县级市" and name.endswith("市"):
            stem = name[:-1]
        elif (
            unit.kind == "旗"
            and name.endswith("旗")
            and name[-2:-1] not in "左右前中后"
            and not name.endswith("联合旗")
        ):
            stem = name[:-1]
    return stem if stem and len(stem) >= 2 else None


# --------------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------------


class UnitNameError(ValueError):
    """A submission's unit name or code cannot be resolved to exactly one unit.

    ``rule`` is one of ``unknown_unit`` (no unit has that name; ``candidates`` are the closest names),
    ``ambiguous_unit`` (several units have it; give the 盟市), ``wrong_parent`` (the unit is not under the given or
    written 盟市; ``candidates`` are the units of that name with their real parents), ``wrong_level`` (the unit is
    not of the level asked for, e.g. a development zone where a 旗县市区 is expected) and ``unknown_parent``.
    ``problem()`` turns it into the ``SubmissionProblem`` ingest reports (file, sheet, row, column).
    """

    def __init__(
        self,
        rule: str,
        text: object,
        message: str,
        candidates: Iterable[Unit] = (),
        parents: dict[int, Unit] | None = None,
    ):
        self.rule = rule
        self.text = text
        self.candidates: tuple[Unit, ...] = tuple(candidates)
        parents = parents or {}
        self.candidate_rows: tuple[tuple[int, str, int | None, str | None], ...] = tuple(
            (u.code, u.name_zh, u.parent_code, parents[u.parent_code].name_zh if u.parent_code in parents else None)
            for u in self.candidates
        )
        super().__init__(message)

    @property
    def message(self) -> str:
        return str(self)

    def problem(
        self, file: str, sheet: str | None = None, row: int | None = None, column: str | None = None
    ) -> SubmissionProblem:
        return SubmissionProblem(file=file, sheet=sheet, row=row, column=column, rule=self.rule, message=str(self))


# --------------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------------


def _code_key(text: object) -> str | None:
    """The lookup key of a submitted cell: a 6-digit code for numbers and code-like text, else the folded text.
    None for cells that cannot name a unit (None, booleans, fractional or non-finite numbers)."""
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, numbers.Integral):
        return str(int(text))
    if isinstance(text, numbers.Real):
        value = float(text)
        if value != value or value in (float("inf"), float("-inf")) or not value.is_integer():
            return None
        return str(int(value))
    folded = fold(text)
    match = _CODE.match(folded)
    return match.group(1) if match else folded


class Registry:
    """The units, their names and resolution. Built from rows (``registry()`` reads ``reference/units.csv``)."""

    def __init__(self, units: Iterable[Unit]):
        self.units: tuple[Unit, ...] = tuple(units)
        self.by_code: dict[int, Unit] = {}
        for unit in self.units:
            if unit.code in self.by_code:
                raise ValueError(f"unit code {unit.code} appears twice")
            if unit.level not in LEVELS:
                raise ValueError(f"{unit.label()}: unknown level {unit.level!r}")
            self.by_code[unit.code] = unit
        for unit in self.units:
            if unit.level == "region":
                if unit.parent_code is not None:
                    raise ValueError(f"{unit.label()}: the region has no parent")
            elif unit.parent_code not in self.by_code:
                raise ValueError(f"{unit.label()}: parent {unit.parent_code} is not a unit")
        # tier 0: codes and full names, unique by construction; tier 1: stems, aliases, former names
        self._exact: dict[str, int] = {}
        for unit in self.units:
            for key in (str(unit.code), fold(unit.name_zh)):
                if self._exact.get(key, unit.code) != unit.code:
                    raise ValueError(f"the name or code {key!r} is used by {self._exact[key]} and {unit.code}")
                self._exact[key] = unit.code
        self._names: dict[str, tuple[int, ...]] = {}
        for unit in self.units:
            for name in unit.names()[1:]:
                key = fold(name)
                if key in self._exact and self._exact[key] != unit.code:
                    raise ValueError(
                        f"{unit.label()}: the short name {name!r} is the full name or code of {self._exact[key]}"
                    )
                if key in self._exact:
                    continue
                codes = self._names.get(key, ())
                if unit.code not in codes:
                    self._names[key] = codes + (unit.code,)
        self._prefixes = sorted(
            {(fold(name), u.code) for u in self.units if u.level == "league" for name in u.names()},
            key=lambda item: -len(item[0]),
        )

    # -------------------------------------------------------------------------------- navigation

    def leagues_named_in(self, text: object) -> list[Unit]:
        """The 盟市 a file name or a title names (2024_呼和浩特市统计局_…, 锡林郭勒盟各旗县市…), in order of first
        mention: each full name, short name or alias found in it, the longer name first (so a 旗县 name holding a
        shorter one does not count twice)."""
        folded = fold(text)
        found: list[tuple[int, int]] = []
        for name, code in self._prefixes:
            at = folded.find(name)
            if len(name) < 2 or at < 0:
                continue
            if code not in [c for _, c in found]:
                found.append((at, code))
            folded = folded.replace(name, "\x00" * len(name))
        return [self.by_code[code] for _, code in sorted(found)]

    def unit(self, code: int | str) -> Unit:
        """The unit of a code (KeyError when there is none)."""
        return self.by_code[int(code)]

    def level(self, level: str) -> list[Unit]:
        return [u for u in self.units if u.level == level]

    def children(self, code: int, levels: Iterable[str] | None = None) -> list[Unit]:
        wanted = set(levels) if levels is not None else None
        return [u for u in self.units if u.parent_code == int(code) and (wanted is None or u.level in wanted)]

    def parent(self, unit: Unit) -> Unit | None:
        return self.by_code.get(unit.parent_code) if unit.parent_code is not None else None

    def within(self, unit: Unit, ancestor: Unit) -> bool:
        """Whether ``ancestor`` is a proper ancestor of ``unit``."""
        current = self.parent(unit)
        while current is not None:
            if current.code == ancestor.code:
                return True
            current = self.parent(current)
        return False

    def ambiguous_names(self) -> dict[str, tuple[Unit, ...]]:
        """Short names (stems, aliases, former names) that several units answer to: they need a parent."""
        return {key: tuple(self.by_code[c] for c in codes) for key, codes in self._names.items() if len(codes) > 1}

    # -------------------------------------------------------------------------------- resolution

    def _direct(self, key: str) -> list[list[int]]:
        """Codes matching ``key`` itself: [tier 0 (code, full name), tier 1 (short names)]."""
        exact = [self._exact[key]] if key in self._exact else []
        return [exact, list(self._names.get(key, ()))]

    def _matches(self, key: str) -> list[list[tuple[Unit, Unit | None]]]:
        """Candidates by tier, each with the 盟市 the text named in front of the unit (None when it named none)."""
        tiers = self._direct(key)
        if any(tiers):
            return [[(self.by_code[c], None) for c in tier] for tier in tiers]
        rests = [key]
        for prefix in REGION_PREFIXES:
            if key.startswith(prefix) and len(key) > len(prefix):
                rests.append(key[len(prefix) :])
        out: list[list[tuple[Unit, Unit | None]]] = [[], []]
        for rest in rests[1:]:
            for tier, codes in zip(out, self._direct(rest)):
                tier.extend((self.by_code[c], None) for c in codes)
        for rest in rests:
            for prefix, league_code in self._prefixes:
                if rest.startswith(prefix) and len(rest) > len(prefix):
                    league = self.by_code[league_code]
                    for tier, codes in zip(out, self._direct(rest[len(prefix) :])):
                        tier.extend((self.by_code[c], league) for c in codes if self.by_code[c].level != "league")
        return out

    def _described(self, units: Iterable[Unit]) -> str:
        parts = []
        for unit in units:
            parent = self.parent(unit)
            parts.append(f"{unit.label()} ({parent.name_zh})" if parent else unit.label())
        return ", ".join(parts)

    def _error(self, rule: str, text: object, message: str, candidates: Iterable[Unit] = ()) -> UnitNameError:
        candidates = tuple(candidates)
        parents = {u.parent_code: self.by_code[u.parent_code] for u in candidates if u.parent_code in self.by_code}
        return UnitNameError(rule, text, message, candidates, parents)

    def _parent_unit(self, parent: object) -> Unit:
        if isinstance(parent, Unit):
            return self.by_code[parent.code]
        try:
            return self.resolve(parent, levels=("region", "league"))
        except UnitNameError as exc:
            raise self._error(
                "unknown_parent", parent, f"the parent {parent!r} is not a 盟市 or the 自治区: {exc}", exc.candidates
            ) from None

    def suggestions(
        self, key: str, levels: set[str] | None = None, parent: Unit | None = None, n: int = 5
    ) -> list[Unit]:
        """The units whose names come closest to ``key`` (difflib), within ``parent`` first when one is given."""

        def pool(restrict: bool) -> dict[str, set[int]]:
            names: dict[str, set[int]] = {}
            for unit in self.units:
                if levels is not None and unit.level not in levels:
                    continue
                if restrict and parent is not None and not self.within(unit, parent):
                    continue
                for name in unit.names():
                    names.setdefault(fold(name), set()).add(unit.code)
            return names

        for restrict in (True, False) if parent is not None else (False,):
            names = pool(restrict)
            close = difflib.get_close_matches(key, list(names), n=n * 2, cutoff=0.5)
            found: list[Unit] = []
            for name in close:
                for code in sorted(names[name]):
                    if self.by_code[code] not in found:
                        found.append(self.by_code[code])
            if found:
                return found[:n]
        return []

    def resolve(self, text: object, parent: object = None, levels: Iterable[str] | str | None = None) -> Unit:
        """The one unit ``text`` names, or UnitNameError. ``parent`` (a 盟市 or the 自治区, as code, name or Unit)
        singles out a short name several units share and must contain the unit; ``levels`` restricts the answer
        (e.g. ``("county",)``: a zone or a 盟市 is then an error of its own)."""
        wanted = {levels} if isinstance(levels, str) else (set(levels) if levels is not None else None)
        if wanted is not None and not wanted <= set(LEVELS):
            raise ValueError(f"unknown levels {sorted(wanted - set(LEVELS))}; levels are {LEVELS}")
        within = self._parent_unit(parent) if parent is not None else None
        key = _code_key(text)
        if not key:
            raise self._error("unknown_unit", text, f"{text!r} names no unit (empty, or not a whole number)")
        tiers = self._matches(key)
        for tier in tiers:
            consistent: list[Unit] = []
            for unit, named in tier:
                if wanted is not None and unit.level not in wanted:
                    continue
                if named is not None and not self.within(unit, named):
                    continue
                if within is not None and not self.within(unit, within):
                    continue
                if unit not in consistent:
                    consistent.append(unit)
            if len(consistent) == 1:
                return consistent[0]
            if consistent:
                raise self._error(
                    "ambiguous_unit",
                    text,
                    f"'{text}' may be any of {self._described(consistent)}; write the full name or the code, "
                    f"or give the 盟市",
                    consistent,
                )
        everything: list[Unit] = []
        named_leagues: list[Unit] = []
        for tier in tiers:
            for unit, named in tier:
                if unit not in everything:
                    everything.append(unit)
                if named is not None and named not in named_leagues:
                    named_leagues.append(named)
        if not everything:
            close = self.suggestions(key, wanted, within)
            hint = f"; closest: {self._described(close)}" if close else ""
            what = "no unit has the code" if _CODE.match(key) else "no unit is named"
            scope = (
                f" in {within.name_zh}"
                if within is not None and close and all(self.within(u, within) for u in close)
                else ""
            )
            raise self._error("unknown_unit", text, f"{what} '{text}'{scope}{hint}", close)
        right_level = [u for u in everything if wanted is None or u.level in wanted]
        if not right_level:
            asked = " or ".join(LEVEL_ZH[level] for level in LEVELS if level in wanted)
            found = "; ".join(f"{self._described([u])} is a {LEVEL_ZH[u.level]}" for u in everything)
            zone_note = (
                (
                    " (development zones are not ranked and not expected in submissions: their figures are "
                    "part of their 盟市's)"
                )
                if any(u.level == "zone" for u in everything)
                else ""
            )
            raise self._error("wrong_level", text, f"'{text}' is not a {asked}: {found}{zone_note}", everything)
        expected = [within] if within is not None else []
        expected += [league for league in named_leagues if league not in expected]
        said = " and ".join(u.name_zh for u in expected) or "the given 盟市"
        raise self._error(
            "wrong_parent", text, f"'{text}' is not in {said}: it is {self._described(right_level)}", right_level
        )


@lru_cache(maxsize=8)
def _registry_at(path: Path, mtime_ns: int) -> Registry:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return Registry(Unit.from_row(row) for row in csv.DictReader(handle))


def registry(path: Path | str | None = None) -> Registry:
    """The registry in ``reference/units.csv`` (or ``path``), read once per file version."""
    path = Path(path) if path else _reference_dir() / UNITS_FILE
    return _registry_at(path.resolve(), path.stat().st_mtime_ns)


def units(path: Path | str | None = None) -> tuple[Unit, ...]:
    """Every unit, ordered by code."""
    return registry(path).units


def unit(code: int | str, path: Path | str | None = None) -> Unit:
    return registry(path).unit(code)


def reporting_codes(path: Path | str | None = None) -> list[int]:
    """The codes a submission may name: the 盟市, the 旗县市区 and the development zones (which report under their
    盟市 and are never ranked), ascending."""
    return sorted(u.code for u in units(path) if u.level in ("league", "county", "zone"))


def resolve_unit(
    text: object, parent: object = None, levels: Iterable[str] | str | None = None, path: Path | str | None = None
) -> Unit:
    """The unit a submission means by ``text``; raises UnitNameError (never guesses). See ``Registry.resolve``."""
    return registry(path).resolve(text, parent=parent, levels=levels)


# --------------------------------------------------------------------------------------------------
# Building reference/units.csv
# --------------------------------------------------------------------------------------------------


def _read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _check_kind(unit: Unit, parent: Unit | None) -> None:
    name, kind, tail = unit.name_zh, unit.kind, unit.code % 100
    if unit.level == "region":
        ok = kind == REGION_KIND and name.endswith("自治区")
    elif unit.level == "league":
        ok = (kind == "地级市" and name.endswith("市")) or (kind == "盟" and name.endswith("盟"))
    elif unit.level == "zone":
        ok = kind == ZONE_KIND and 71 <= tail <= 80
    else:
        suffix = {"市辖区": "区", "县级市": "市", "县": "县", "自治旗": "自治旗", "旗": "旗"}.get(kind)
        ok = suffix is not None and name.endswith(suffix) and not (kind == "旗" and name.endswith("自治旗"))
        # GB/T 2260: 01-20 districts (county-level cities directly under a 盟), 21-70 counties and banners,
        # 81-99 county-level cities
        if kind == "市辖区":
            ok = ok and 1 <= tail <= 20 and parent is not None and parent.kind == "地级市"
        elif kind == "县级市":
            ok = ok and (81 <= tail <= 99 or (1 <= tail <= 20 and parent is not None and parent.kind == "盟"))
        elif ok:
            ok = 21 <= tail <= 70
    if not ok:
        raise ValueError(f"{unit.label()}: kind {kind!r} does not fit its name, level {unit.level} and code")


def build_units(
    reference: Path | str | None = None,
    census: Path | str | None = None,
    names: Path | str | None = None,
    leagues: Path | str | None = None,
) -> list[Unit]:
    """The registry rows from the census, the hand-kept names table and leagues.csv (all in ``reference``)."""
    reference = Path(reference) if reference else _reference_dir()
    census_rows = _read_csv(Path(census) if census else reference / CENSUS_FILE)
    name_rows = {int(r["code"]): r for r in _read_csv(Path(names) if names else reference / NAMES_FILE)}
    league_rows = {int(r["code"]): r for r in _read_csv(Path(leagues) if leagues else reference / LEAGUES_FILE)}

    seen: dict[int, dict] = {}
    population: dict[int, int] = {}
    for row in census_rows:
        code = int(row["code"])
        first = seen.setdefault(code, row)
        if (first["name"], first["parent_code"], first["level"]) != (row["name"], row["parent_code"], row["level"]):
            raise ValueError(f"census: code {code} has two names, parents or levels")
        if row["indicator"] == POPULATION_INDICATOR:
            population[code] = int(row["value"])
    if set(seen) != set(name_rows):
        only_census, only_names = sorted(set(seen) - set(name_rows)), sorted(set(name_rows) - set(seen))
        raise ValueError(
            f"{NAMES_FILE} and the census disagree on the units: only in the census {only_census}, "
            f"only in {NAMES_FILE} {only_names}"
        )
    out: list[Unit] = []
    for code in sorted(seen):
        row, hand = seen[code], name_rows[code]
        level, name = row["level"].strip(), row["name"].strip()
        if hand["name_zh"].strip() != name:
            raise ValueError(f"{NAMES_FILE}: {code} is {hand['name_zh']!r} there but {name!r} in the census")
        if code not in population:
            raise ValueError(f"census: {code} {name} has no {POPULATION_INDICATOR}")
        parent = int(row["parent_code"]) if row["parent_code"].strip() else None
        if level == "league":
            if code not in league_rows or league_rows[code]["name_zh"].strip() != name:
                raise ValueError(f"{LEAGUES_FILE} has no row {code} {name}")
            if hand["name_en"].strip() or hand["kind"].strip() or hand["aliases"].strip():
                raise ValueError(
                    f"{NAMES_FILE}: {code} {name}: a 盟市's English name, kind and aliases come from "
                    f"{LEAGUES_FILE}; leave them blank here"
                )
            league = league_rows[code]
            name_en, kind, aliases = (
                league["name_en"].strip(),
                LEAGUE_KINDS[league["kind"].strip()],
                _split(league.get("aliases")),
            )
        else:
            name_en, kind, aliases = hand["name_en"].strip(), hand["kind"].strip(), _split(hand["aliases"])
            if not name_en:
                raise ValueError(f"{NAMES_FILE}: {code} {name} has no English name")
        expected_parent = None if level == "region" else (REGION_CODE if level == "league" else code // 100 * 100)
        if parent != expected_parent:
            raise ValueError(f"census: {code} {name} has parent {parent}, expected {expected_parent}")
        out.append(
            Unit(
                code=code,
                name_zh=name,
                name_en=name_en,
                level=level,
                kind=kind,
                parent_code=parent,
                pop_2020=population[code],
                aliases=aliases,
                former_names=_split(hand["former_names"]),
            )
        )
    if set(league_rows) != {u.code for u in out if u.level == "league"}:
        raise ValueError(f"{LEAGUES_FILE} and the census disagree on the 盟市")
    reg = Registry(out)  # checks parents and that no short name shadows a full name or code
    for u in out:
        _check_kind(u, reg.parent(u))
        if u.level == "county" and reg.parent(u).level != "league":
            raise ValueError(f"{u.label()}: a county's parent must be a 盟市")
    return out


def render_csv(rows: Iterable[Unit]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row.to_row())
    return buffer.getvalue()


def write_units(out: Path | str | None = None, reference: Path | str | None = None) -> Path:
    """Generate the registry and write it (atomically) to ``out`` (default ``reference/units.csv``)."""
    from index.files import write_text_atomic

    reference = Path(reference) if reference else _reference_dir()
    return write_text_atomic(Path(out) if out else reference / UNITS_FILE, render_csv(build_units(reference)))


def build_command(out: Path | None = None, check: bool = False) -> int:
    """``dei units build [--out F] [--check]``: write (or only compare) the registry; the exit status."""
    target = out or _reference_dir() / UNITS_FILE
    if check:
        fresh = render_csv(build_units())
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if fresh != current:
            print(f"{target} is not current: run dei units build", file=sys.stderr)
            return 1
        print(f"{target} is current")
        return 0
    path = write_units(target)
    rows = units(path)
    counts = {level: sum(u.level == level for u in rows) for level in LEVELS}
    print(f"wrote {path}: " + ", ".join(f"{n} {level}" for level, n in counts.items()))
    return 0


def resolve_command(names: list[str], parent: str | None = None, levels: list[str] | None = None) -> int:
    """``dei units resolve NAME... [--parent P] [--level L]``: one line per name (tab-separated), status 1 if any
    name does not resolve (its rule and the candidates on stderr)."""
    status = 0
    for name in names:
        try:
            found = resolve_unit(name, parent=parent, levels=levels or None)
            print(f"{name}\t{found.code}\t{found.name_zh}\t{found.level}\t{found.parent_code or ''}")
        except UnitNameError as exc:
            print(f"{name}\t{exc.rule}: {exc}", file=sys.stderr)
            status = 1
    return status


def main(argv: list[str] | None = None) -> int:
    """``python -m index.units ...``: an alias of ``dei units ...`` (index/cli.py)."""
    from index import cli

    return cli.main(["units", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
