"""Seeded sample submissions of the 12 盟市 statistics offices for their 103 旗县（市、区）, 2019–2024 (issue 13).

One file per 盟市 and year (12 × 6 = 72), named ``{year}_{盟市}统计局_旗县（市、区）数字经济主要指标.{xlsx|csv}``,
with one row per 旗县 of the 盟市 (registry order) and one column per figure the framework has 旗县 report
(``levels`` holds county: indicators and the denominators 常住人口 / 地区生产总值). Not wired into ``dei samples``
or the lake's landing zone: ``generate_counties`` writes where it is told.

WHAT IS REAL AND WHAT IS SYNTHETIC

* REAL (第七次全国人口普查, 2020, ``reference/census2020_im_counties.csv``): every 旗县's 2020 常住人口
  (人口数_合计), and its 2020 信息传输、软件和信息技术服务业从业人员占比 (信息传输软件和信息技术服务业 /
  各种行业人口总计 × 100; both are ~10 % long-form SAMPLE counts, so only their ratio is used). The 盟市 generator
  (``index/samples/__init__.py``) anchors its 2020 population and ICT share on the same census, so they agree.
  The 2020 files say so in a footnote.
* Everything else is SYNTHETIC (示例数据（合成），非官方统计; every file says so in a footnote), derived from the
  盟市 generator's figures of the same year:

  - additive figures (framework ``additive``: counts and amounts, e.g. 地区生产总值, 信息通信业收入, 企业数): the
    盟市's value is split among its 旗县 with weights pop_2020 × exp(``ADDITIVE_SPREAD``·z + noise), z seeded per
    旗县 and figure (fixed over the years), noise N(0, ``ADDITIVE_NOISE``) per year; the 旗县 add up to
    (1 − zone share) × the 盟市's value, where the zone share is the part of the 盟市's 2020 census population
    living in its development zones (呼和浩特, 包头, 通辽, 锡林郭勒, 阿拉善; 0 elsewhere: zones do not report here).
    The total is rounded to the framework's decimals first, then apportioned by largest remainders, so the
    rounded 旗县 add up to it exactly: ``rollup.check`` finds ``agrees`` (no zones) or ``zones_unreported``
    (the zones' part is missing), never ``differs``. A 旗县's intensity (per person, per unit of GDP) is kept
    below ``INTENSITY_CAP`` × valid_max (else valid_max) by handing the excess to the other 旗县, unless its
    盟市's own intensity is already above valid_max (the 盟市 samples have 乌海's 信息通信业收入 per person above
    it in some years).
  - 常住人口, written to the person (``POPULATION_DECIMALS`` in 万人; the 盟市 files round to 0.01 万人): 2020 the
    census exactly; the other years the 2020 census figure times the 盟市's own change since 2020 (apportioned
    the same way), so the 旗县 plus zones are the 盟市 in 2020 (to its rounding) and move with it.
  - shares and rates (%): logit(盟市 %) + ``RATE_SPREAD``·z + ``KIND_OFFSET`` + N(0, ``RATE_NOISE``) per year:
    市辖区 sit somewhat above their 盟市 (+0.25 in logit), 旗 / 县 somewhat below (−0.15), 县级市 at it; inside
    valid_min / valid_max. The ICT share instead keeps each 旗县's real 2020 census gap to its 盟市 (in logit)
    in the other years, plus the same yearly noise.

FILE SHAPES (seeded per 盟市): about half XLSX (title row, 填报单位 line, merged two-row header grouping the columns
by dimension, unit in the header, footnotes; written by the 盟市 generator's deterministic writer) and half CSV
(GBK or UTF-8 with BOM); the unit column headed 旗县（市、区）, 旗县市区 or, for two 盟市, the generic 地区; 旗县
named by full name, short name (stem or alias), 盟市-prefixed full name (呼和浩特市新城区) or 6-digit code — the
通辽市 files write 扎鲁特旗 as 扎旗; some files end with a 全市 row (sum of the additive figures, population-weighted
mean of the others), which ingest skips; ``N_MISSING`` cells written — or blank across the set (only rates, never
a denominator, an additive figure, whose gap would make the roll-up ``incomplete``, or a census value). Two
things a careful office does so that ingest reads the file as meant: a % column whose every figure is below 1
is written with % signs (0.67%), else it would read as fractions; a GBK file never names a 旗县 by a short name
whose GBK bytes are valid UTF-8 too (突泉), else that line would look UTF-8. Regenerating gives byte-identical
files.

    from index.samples.counties import generate_counties
    generate_counties(Path("/tmp/counties"))        # never the lake's landing/ (not wired in yet)
"""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from index.config import settings
from index.samples import (
    CENSUS_SHARES,
    CENSUS_YEAR,
    DEFAULT_SEED,
    SYNTHETIC_NOTE,
    YEARS,
    SampleSet,
    _decimals,
    _expit,
    _file_columns,
    _logit,
    _quantize,
    _rng,
    _Sheet,
    _unit_kind,
    _write_csv,
    _write_xlsx,
    census_population,
    census_shares,
    league_values,
)

if TYPE_CHECKING:
    import pandas as pd

    from index.units import Registry, Unit

TOPIC = "旗县（市、区）数字经济主要指标"
UNIT_HEADERS = ("旗县（市、区）", "旗县市区")
GENERIC_HEADER = "地区"  # for N_GENERIC_HEADER 盟市: ingest tells a 旗县 sheet by its rows
N_GENERIC_HEADER = 2
TOTAL_ROW = "全市"
TOTAL_ROW_SHARE = 0.35  # files ending with a 全市 row
N_MISSING = 10
ADDITIVE_SPREAD = 0.35
ADDITIVE_NOISE = 0.03
RATE_SPREAD = 0.6
RATE_NOISE = 0.05
LEVEL_SPREAD = 0.3  # a non-additive figure that is not a share in (0, 100): log deviation from the 盟市
KIND_OFFSET = {"市辖区": 0.25, "旗": -0.15, "自治旗": -0.15, "县": -0.15, "县级市": 0.0}
INTENSITY_CAP = 0.95
# 常住人口 is written to the person (4 decimals in 万人), so the 2020 census figure is exact
POPULATION_DECIMALS = 4
# how a row names its 旗县: (style, weight)
LABEL_STYLES = (("full", 0.4), ("short", 0.25), ("prefixed", 0.2), ("code", 0.15))
FORCED_LABELS = {(150526, 2019): "扎旗", (150526, 2022): "扎旗"}  # 扎鲁特旗 (扎赉特旗 of 兴安盟 shares the stem)


def county_figures(framework: pd.DataFrame) -> list[dict]:
    """The framework's figures the 旗县 report (``levels`` holds county): denominators first, then indicators."""
    rows = framework[framework["node_type"].isin(["Indicator", "Denominator"])].to_dict("records")
    rows = [r for r in rows if "county" in str(r.get("levels") or "").split(",")]
    return [r for r in rows if r["node_type"] == "Denominator"] + [r for r in rows if r["node_type"] == "Indicator"]


def _is_population(row: dict) -> bool:
    return row["node_type"] == "Denominator" and _unit_kind(row["raw_unit"]) == "人"


def _figure_decimals(row: dict) -> int:
    """The decimals a 旗县 file writes: the 盟市 files' (``_decimals``), but 常住人口 to the person."""
    if _is_population(row):
        return max(_decimals(row), POPULATION_DECIMALS)
    return _decimals(row)


def _is_additive(row: dict) -> bool:
    value = row.get("additive")
    try:
        return bool(value) and value == value
    except TypeError:  # pandas' NA (a framework row that is no figure)
        return False


def _bound(row: dict, name: str, default: float) -> float:
    value = row.get(name)
    return float(value) if value is not None and value == value else default


def _apportion(total: Decimal, shares: list[float], decimals: int) -> list[Decimal]:
    """Split ``total`` in proportion to ``shares`` on the grid of ``decimals`` (largest remainders): the parts
    add up to ``total`` exactly."""
    step = Decimal(1).scaleb(-decimals)
    units = int((total / step).to_integral_value())
    sign = -1 if units < 0 else 1
    units = abs(units)
    weight = sum(shares)
    raw = [units * s / weight for s in shares] if weight > 0 else [units / len(shares)] * len(shares)
    raw = [round(r, 9) for r in raw]  # a part already on the grid (a cap) stays there: no float crumbs
    floors = [math.floor(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in order[: units - sum(floors)]:
        floors[i] += 1
    return [(Decimal(sign * f) * step).quantize(step) for f in floors]


def _capped_split(total: float, weights: list[float], caps: list[float] | None) -> list[float]:
    """``total`` in proportion to ``weights``, no part above its cap (the excess goes to the others); plain
    proportions when the caps cannot hold the total."""
    if not caps or sum(caps) <= total:
        return [total * w / sum(weights) for w in weights]
    return _water_fill(total, weights, caps)


def _water_fill(total: float, weights: list[float], caps: list[float]) -> list[float]:
    out = [0.0] * len(weights)
    free = set(range(len(weights)))
    remaining = total
    while free:
        weight = sum(weights[i] for i in free)
        proposal = {i: remaining * weights[i] / weight for i in free}
        over = [i for i in free if proposal[i] > caps[i]]
        if not over:
            for i in free:
                out[i] = proposal[i]
            break
        for i in over:
            out[i] = caps[i]
            remaining -= caps[i]
            free.discard(i)
    return out


def _league_table(
    framework: pd.DataFrame, seed: int, reference: Path, league_truth: pd.DataFrame | None
) -> dict[tuple[str, int, int], Decimal | None]:
    """(node_id, league, year) -> the 盟市's value: league_truth's where it has one, else the 盟市 generator's
    (also for its few cells written — / blank: the figure the 盟市 would have reported)."""
    values = league_values(framework, seed, reference)
    if league_truth is None:
        return values
    decimals = {r["node_id"]: _decimals(r) for r in framework.to_dict("records") if isinstance(r["raw_unit"], str)}
    code_col = "unit_code" if "unit_code" in league_truth.columns else "league_code"
    known = league_truth.dropna(subset=["value"]).drop_duplicates([code_col, "year", "indicator_id"])
    for r in known.itertuples(index=False):
        node = r.indicator_id
        if node in decimals:
            values[(node, int(getattr(r, code_col)), int(r.year))] = _quantize(float(r.value), decimals[node])
    return values


def county_values(
    framework: pd.DataFrame | None = None,
    seed: int = DEFAULT_SEED,
    reference: Path | None = None,
    league_truth: pd.DataFrame | None = None,
) -> dict[tuple[str, int, int], Decimal]:
    """(node_id, 旗县 code, year) -> Decimal in raw_unit for every figure the 旗县 report, without writing files
    (before the few missing cells are blanked out)."""
    from index.framework import load_framework

    cfg = settings()
    reference = Path(reference) if reference else cfg.reference
    if framework is None:
        framework = load_framework(cfg.framework_file)
    units = _registry(reference)
    leagues_values = _league_table(framework, seed, reference, league_truth)
    census = census_population(reference)
    shares = census_shares(reference)
    figures = county_figures(framework)
    out: dict[tuple[str, int, int], Decimal] = {}
    for league in units.level("league"):
        counties = units.children(league.code, ("county",))
        zones = units.children(league.code, ("zone",))
        pop = {u.code: census.get(u.code, float(u.pop_2020)) for u in counties}
        league_pop = census.get(league.code, float(league.pop_2020))
        zone_share = sum(census.get(z.code, float(z.pop_2020)) for z in zones) / league_pop
        # population, then the other additive figures (their caps need the denominators), then the rates
        ordered = sorted(
            figures, key=lambda r: (not _is_population(r), not _is_additive(r), r["node_type"] != "Denominator")
        )
        for row in ordered:
            if _is_additive(row) and _is_population(row):
                _population(row, league, counties, pop, leagues_values, out)
            elif _is_additive(row):
                _additive(row, league, counties, pop, zone_share, leagues_values, out, seed)
            else:
                _rate(row, league, counties, leagues_values, shares.get(row["node_id"]), out, seed)
    return out


def _population(row: dict, league: Unit, counties: list[Unit], pop: dict, leagues_values: dict, out: dict) -> None:
    """2020: the REAL census; other years: the census times the 盟市's own change since 2020."""
    from index.ingest import parse_unit

    node = row["node_id"]
    factor = float(parse_unit(row["raw_unit"])[1])
    decimals = _figure_decimals(row)
    base = leagues_values.get((node, league.code, CENSUS_YEAR))
    for year in YEARS:
        if year == CENSUS_YEAR or base is None:
            for u in counties:
                out[(node, u.code, year)] = _quantize(pop[u.code] / factor, decimals)
            continue
        change = float(leagues_values[(node, league.code, year)]) / float(base)
        raw = [pop[u.code] / factor * change for u in counties]
        parts = _apportion(_quantize(sum(raw), decimals), raw, decimals)
        for u, part in zip(counties, parts):
            out[(node, u.code, year)] = part


def _additive(
    row: dict, league: Unit, counties: list[Unit], pop: dict, zone_share: float, leagues_values: dict, out: dict, seed
) -> None:
    """The 盟市's value less its zones' share, split by population × exp(spread·z + noise), rounded so it adds up."""
    node, decimals = row["node_id"], _decimals(row)
    z = {u.code: _rng(seed, "county", node, u.code).gauss(0, 1) for u in counties}
    denominator = row.get("denominator") if isinstance(row.get("denominator"), str) else None
    scale = _bound(row, "denominator_scale", 1.0)
    hi = _bound(row, "valid_max", math.inf)
    for year in YEARS:
        value = leagues_values.get((node, league.code, year))
        if value is None:
            continue
        weights = [
            pop[u.code]
            * math.exp(
                ADDITIVE_SPREAD * z[u.code] + _rng(seed, "county", node, u.code, year).gauss(0, 1) * ADDITIVE_NOISE
            )
            for u in counties
        ]
        total = _quantize((1 - zone_share) * float(value), decimals)
        caps = None
        if denominator and hi < math.inf:
            dens = [out.get((denominator, u.code, year)) for u in counties]
            if all(d is not None for d in dens):
                # on the rounding grid, so rounding never lifts a capped 旗县 over; valid_max itself when the
                # 盟市 is too close to it for the margin
                step = 10.0**-decimals
                for cap in (INTENSITY_CAP, 1.0):
                    caps = [math.floor(cap * hi * float(d) / scale / step + 1e-9) * step for d in dens]
                    if sum(caps) > float(total):
                        break
        split = _capped_split(float(total), weights, caps)
        for u, part in zip(counties, _apportion(total, split, decimals)):
            out[(node, u.code, year)] = part


def _rate(
    row: dict, league: Unit, counties: list[Unit], leagues_values: dict, real: dict | None, out: dict, seed
) -> None:
    """The 盟市's rate plus a 旗县 deviation: in logit for a share in (0, 100), in log for a positive level."""
    node, decimals = row["node_id"], _decimals(row)
    lo, hi = _bound(row, "valid_min", -math.inf), _bound(row, "valid_max", math.inf)
    share = _unit_kind(row["raw_unit"]) == "%"
    for u in counties:
        z = _rng(seed, "county", node, u.code).gauss(0, 1)
        deviation = RATE_SPREAD * z + KIND_OFFSET.get(u.kind, 0.0)
        census_gap = None
        if real and u.code in real and league.code in real:  # the REAL 2020 gap to the 盟市, kept over the years
            census_gap = _logit(real[u.code] / 100) - _logit(real[league.code] / 100)
        for year in YEARS:
            value = leagues_values.get((node, league.code, year))
            if value is None:
                continue
            if census_gap is not None and year == CENSUS_YEAR:
                out[(node, u.code, year)] = _quantize(real[u.code], decimals)
                continue
            noise = _rng(seed, "county", node, u.code, year).gauss(0, 1)
            v = float(value)
            if share and 0 < v < 100:
                gap = census_gap if census_gap is not None else deviation
                v = 100 * _expit(_logit(v / 100) + gap + RATE_NOISE * noise)
            elif v > 0:
                v = v * math.exp(LEVEL_SPREAD * z + RATE_NOISE * noise)
            else:
                v = v + abs(v or 1.0) * (LEVEL_SPREAD * z + RATE_NOISE * noise)
            step = 10.0**-decimals
            v = min(max(v, lo + step if lo > -math.inf else v), hi - step if hi < math.inf else v)
            out[(node, u.code, year)] = _quantize(v, decimals)


# ---------------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------------


def _registry(reference: Path) -> Registry:
    from index.units import registry

    path = Path(reference) / "units.csv"
    return registry(path if path.exists() else None)


def _styles(leagues: list[Unit], seed: int) -> dict[int, dict]:
    """Per 盟市: format (half XLSX, half CSV), CSV encoding (GBK / UTF-8 with BOM), unit column header, 序号."""
    rng = _rng(seed, "county-styles")
    codes = [u.code for u in leagues]
    order = rng.sample(codes, len(codes))
    generic = set(rng.sample(codes, N_GENERIC_HEADER))
    out = {}
    n_csv = 0
    for n, code in enumerate(order):
        style = {"topic": TOPIC, "unit_line": True, "title": True}
        if n < len(order) // 2:
            style["format"] = "xlsx"
            style["serial"] = rng.random() < 0.3
        else:
            style["format"] = "csv"
            style["encoding"] = ("gbk", "utf-8-sig")[n_csv % 2]
            n_csv += 1
        style["league_header"] = GENERIC_HEADER if code in generic else rng.choice(UNIT_HEADERS)
        out[code] = style
    return out


def _short_names(unit: Unit, league: Unit, units: Registry) -> list[str]:
    """The stem and aliases that name ``unit`` alone within its 盟市."""
    from index.units import UnitNameError

    out = []
    for name in (unit.stem, *unit.aliases):
        if not name or name in out:
            continue
        try:
            if units.resolve(name, parent=league.code, levels=("county",)) == unit:
                out.append(name)
        except UnitNameError:
            continue
    return out


def _utf8_lookalike(text: str, encoding: str | None) -> bool:
    """Whether ``text`` in GBK happens to be valid UTF-8 too (突泉 is): ingest would take its line for UTF-8."""
    if encoding != "gbk" or text.isascii():
        return False
    try:
        text.encode("gbk").decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _label(unit: Unit, league: Unit, year: int, units: Registry, seed: int, encoding: str | None = None) -> str:
    """How the row names its 旗县 (seeded per 旗县 and year); in a GBK file never a name whose bytes read as UTF-8."""
    label = _styled_label(unit, league, year, units, seed)
    for fallback in (label, unit.name_zh, f"{league.name_zh}{unit.name_zh}"):
        if not _utf8_lookalike(fallback, encoding):
            return fallback
    return str(unit.code)


def _styled_label(unit: Unit, league: Unit, year: int, units: Registry, seed: int) -> str:
    if (unit.code, year) in FORCED_LABELS:
        return FORCED_LABELS[(unit.code, year)]
    rng = _rng(seed, "county-label", unit.code, year)
    style = rng.choices([s for s, _ in LABEL_STYLES], weights=[w for _, w in LABEL_STYLES])[0]
    if style == "short":
        shorts = _short_names(unit, league, units)
        return rng.choice(shorts) if shorts else unit.name_zh
    if style == "prefixed":
        return f"{league.name_zh}{unit.name_zh}"
    if style == "code":
        return str(unit.code)
    return unit.name_zh


def _total_row(columns, counties: list[Unit], values: dict, missing: dict, year: int, pop_node: str | None) -> dict:
    """The 全市 row: the 旗县' sum for additive figures, their population-weighted mean for the others."""
    out = {}
    for column in columns:
        node, decimals = column.node["node_id"], _figure_decimals(column.node)
        reported = [u for u in counties if (node, u.code, year) not in missing]
        if not reported:
            continue
        if _is_additive(column.node):
            out[(node, TOTAL_ROW, year)] = sum(values[(node, u.code, year)] for u in reported)
        else:
            weight = {u.code: float(values[(pop_node, u.code, year)]) if pop_node else 1.0 for u in reported}
            mean = sum(float(values[(node, u.code, year)]) * weight[u.code] for u in reported) / sum(weight.values())
            out[(node, TOTAL_ROW, year)] = _quantize(mean, decimals)
    return out


def _mark_small_percentages(columns, rows: list[dict], values: dict, missing: dict, year: int) -> None:
    """A % column whose every figure is below 1 would read as fractions (0.67 for 67 %): write it with % signs."""
    for column in columns:
        if _unit_kind(column.header[column.header.rfind("（") + 1 : -1]) != "%":
            continue
        written = [
            values[key] * column.factor
            for key in ((column.node["node_id"], r["code"], year) for r in rows)
            if key not in missing and values.get(key) is not None
        ]
        if written and all(0 <= v < 1 for v in written):
            column.suffix = "%"


def _notes(league: Unit, zones: list[Unit], year: int, columns, total_row: bool) -> list[str]:
    scope = ""
    if zones:
        scope += f"{'、'.join(z.name_zh for z in zones)}不属于任何旗县（市、区），本表未单列。"
    if total_row:
        scope += f"{TOTAL_ROW}行为各旗县（市、区）合计（比率为按常住人口加权的平均）。"
    notes = [
        f"注：1. {SYNTHETIC_NOTE}，仅用于演示数据流水线，不代表任何部门的真实数据。{scope}",
        "2. “—”表示暂无数据；空白表示未填报。",
    ]
    if year == CENSUS_YEAR:
        real = [
            c.node["name_zh"]
            for c in columns
            if c.node["node_type"] == "Denominator" and _unit_kind(c.node["raw_unit"]) == "人"
        ]
        shares = [c.node["name_zh"] for c in columns if c.node["node_id"] in set(CENSUS_SHARES)]
        parts = []
        if real:
            parts.append(f"{'、'.join(real)}为第七次全国人口普查（2020年）真实数据")
        if shares:
            parts.append(
                f"{'、'.join(shares)}为第七次全国人口普查长表抽样数据计算的真实占比"
                "（信息传输软件和信息技术服务业 / 各种行业人口总计）"
            )
        if parts:
            notes.append(f"3. {'；'.join(parts)}；其余指标为合成数据。")
    notes.append(f"数据来源：{league.name_zh}统计局（示例）。")
    return notes


def _missing_cells(values: dict, figures: list[dict], seed: int) -> dict:
    """About N_MISSING cells written — or blank: rates only (never a denominator or an additive figure), never
    a REAL census value."""
    rates = {r["node_id"] for r in figures if r["node_type"] == "Indicator" and not _is_additive(r)}
    real = set(CENSUS_SHARES)
    candidates = sorted(k for k in values if k[0] in rates and not (k[0] in real and k[2] == CENSUS_YEAR))
    pick = _rng(seed, "county-missing").sample(candidates, min(N_MISSING, len(candidates)))
    return {k: ("—" if n % 2 == 0 else "") for n, k in enumerate(pick)}


def file_name(year: int, league: Unit, style: dict) -> str:
    return f"{year}_{league.name_zh}统计局_{TOPIC}.{style['format']}"


def generate_counties(
    landing_dir: Path,
    seed: int = DEFAULT_SEED,
    framework: pd.DataFrame | None = None,
    reference: Path | None = None,
    league_truth: pd.DataFrame | None = None,
) -> SampleSet:
    """Write the 72 旗县 submissions (one per 盟市 and year) into ``landing_dir``; return files and truth
    (unit_code = the 旗县's code, year, indicator_id, value in raw_unit, NaN where the file has — / blank,
    source_file).

    league_truth: the 盟市 generator's truth (``generate(...).truth``) to split; by default its figures are computed
    for ``seed`` without writing the 盟市 files."""
    import pandas as pd

    from index.framework import load_framework

    cfg = settings()
    reference = Path(reference) if reference else cfg.reference
    if framework is None:
        framework = load_framework(cfg.framework_file)
    units = _registry(reference)
    figures = county_figures(framework)
    values = county_values(framework, seed, reference, league_truth)
    missing = _missing_cells(values, figures, seed)
    leagues = units.level("league")
    styles = _styles(leagues, seed)
    indicators = [r for r in figures if r["node_type"] == "Indicator"]
    denominators = [r for r in figures if r["node_type"] == "Denominator"]
    pop_node = next((r["node_id"] for r in denominators if _unit_kind(r["raw_unit"]) == "人"), None)

    landing_dir = Path(landing_dir)
    landing_dir.mkdir(parents=True, exist_ok=True)
    files, truth_rows = [], []
    for league in leagues:
        style = styles[league.code]
        counties = units.children(league.code, ("county",))
        zones = units.children(league.code, ("zone",))
        department = f"{league.name_zh}统计局"
        for year in YEARS:
            rng = _rng(seed, "county-file", league.code, year)
            columns = _file_columns(indicators, denominators, framework, style, rng)
            rows = [{"code": u.code} for u in counties]
            labels = [_label(u, league, year, units, seed, style.get("encoding")) for u in counties]
            sheet_values = dict(values)
            total_row = _rng(seed, "county-total", league.code, year).random() < TOTAL_ROW_SHARE
            if total_row:
                sheet_values.update(_total_row(columns, counties, values, missing, year, pop_node))
                rows.append({"code": TOTAL_ROW})
                labels.append(TOTAL_ROW)
            _mark_small_percentages(columns, rows, sheet_values, missing, year)
            sheet = _Sheet(
                year,
                department,
                style,
                columns,
                rows,
                sheet_values,
                missing,
                rng,
                title=f"{league.name_zh}各旗县（市、区）数字经济主要指标（{year}年）",
                unit_line=f"填报单位：{department}",
                labels=labels,
                notes=_notes(league, zones, year, columns, total_row),
            )
            path = landing_dir / file_name(year, league, style)
            (_write_xlsx if style["format"] == "xlsx" else _write_csv)(path, sheet)
            files.append(path)
            for column in columns:
                node = column.node["node_id"]
                for u in counties:
                    key = (node, u.code, year)
                    value = None if key in missing else values.get(key)
                    truth_rows.append(
                        {
                            "unit_code": u.code,
                            "year": year,
                            "indicator_id": node,
                            "value": float(value) if value is not None else float("nan"),
                            "source_file": path.name,
                        }
                    )
    return SampleSet(files=files, truth=pd.DataFrame(truth_rows))
