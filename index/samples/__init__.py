"""Seeded generator of the sample landing files: one submission per reporting department and year, 2019–2024.

EVERY FIGURE IS SYNTHETIC (示例数据（合成），非官方统计) except the three PKU digital financial inclusion
sub-indices (数字普惠金融覆盖广度 / 使用深度 / 数字化程度, department 北京大学数字金融研究中心), which are the REAL
values of the Peking University Digital Financial Inclusion Index of China (PKU-DFIIC, Institute of Digital
Finance, Peking University; Guo et al. (2020), China Economic Quarterly 19(4):1401-1418) copied from
``reference/nmg_pku_dfiic_city_2011_2023.csv``. That index ends in 2023, so there is no 2024 PKU file: the
2024 value is honestly absent, not invented.

The synthetic figures are sized by population and by the rounded 2023 GDP in ``reference/leagues.csv``: a quantity
the framework divides by a denominator (``denominator``, ``denominator_scale``) is generated as an intensity
(per capita / per GDP, in the framework's ``unit``) times the league's population or GDP; shares in % follow a
rising path in logit space (so they stay in [0, 100]), levels a rising path in log space (so ratios stay
positive), growth rates are drawn per year; everything stays inside the framework's ``valid_min`` /
``valid_max``. Which indicators exist, their names, units and departments all come from the framework;
``PROFILES`` only holds plausible median-league 2019/2024 levels for the indicators it knows, and any other
framework indicator gets a generic profile.

Two series are anchored on the REAL 2020 census (第七次全国人口普查, ``reference/census2020_im_counties.csv``) so that
the 旗县 samples (``index/samples/counties.py``) add up to their 盟市:

* 常住人口 (population): the 2020 value is the league's census population (人口数_合计, persons, in raw_unit); the
  other years follow the league's seeded trend from there (+0.8 % a year for 呼和浩特, −1.2 %…+0.2 % elsewhere).
  Before, the series was anchored on the rounded 2023 figure of ``reference/leagues.csv``. Only the population
  series moved: the latent factors still use leagues.csv's 2023 population and GDP.
* 信息传输、软件和信息技术服务业从业人员占比 (ict_employment_share): the 2020 value is the league's census share
  (信息传输软件和信息技术服务业 / 各种行业人口总计 × 100, both ~10 % long-form sample counts, so only their ratio is
  used); the synthetic path of the other years is shifted in logit space by the same amount, so its trend and its
  year-to-year noise are kept around the real 2020 level.

A reference directory without the census file falls back on the old anchoring (leagues.csv 2023 population, the
synthetic 2020 share).

Correlation structure (one latent factor per dimension, so that method choices matter as in real data):

* G, the general development factor per league: standardised log GDP per capita plus ``CAPITAL_BONUS`` (+1 for
  呼和浩特), re-standardised; corr(G, log GDP per capita) = 0.97.
* F_d = λ_d·G + sqrt(1 − λ_d²)·U_d per dimension d, λ_d in ``DIMENSION_LOADINGS`` (0.70–0.80). The specific
  factors U_d are seeded draws made exactly orthonormal to G and to each other over the 12 leagues
  (Gram–Schmidt), so corr(F_d, G) = λ_d and corr(F_i, F_j) = λ_i·λ_j (0.49–0.64) exactly.
* Each indicator k of dimension d: latent_k = a_k·F_d + sqrt(1 − a_k²)·e_k, a_k = ``DEFAULT_INDICATOR_LOADING``
  (0.80) or the profile's ``loading`` (0.5–0.7 for the volatile growth rates, PUE, rack utilisation, lumpy
  investment, near-saturated case closure / data quality, smart parks), e_k seeded N(0, 1). The league's
  position is spread·``SHARE_SCALE``·latent in logit (shares) or spread·``LEVEL_SCALE``·latent in log
  (levels; a negative spread, as for PUE, keeps polarity −1: more developed → lower PUE); growth rates are
  mean + 4·latent + 2·m + N(0, sd) per year.
* Momentum m = 0.7·M_d + sqrt(1 − 0.7²)·e'_k (M_d per league and dimension, seeded N(0, 1)): a league with
  m > 0 started 2019 ``CATCH_UP``·spread·m further behind and grows late (path exponent 0.8·exp(0.4·m)), so it
  is on track for the 2025 targets; m < 0 grew early and levels off short of them. Year-to-year noise: 0.03 in
  logit for shares, 2 % for levels.

Realised on the 2024 cross-section (``dei audit``): dimension correlations 0.29–0.75 (pooled over 2019–2024,
where the common upward trend adds to them: 0.50–0.90), and equal instead of expert weights moves 2 of 12
ranks by one place (``dei compare --weights sql/weights/expert.sql equal``; 6 of 12 before the population was
anchored on the 2020 census).

The files are shaped the way departments send them: XLSX with a title row, a merged two-row header (group cell
over several columns, unit in the header), a 盟市 column, footnotes; CSV in GBK or UTF-8 with BOM; 盟市 as full
name, short name or code; ``—`` / blank for a few missing values; thousands separators; and sometimes a unit
other than the framework's raw_unit (万元 for 亿元, 人 for 万人) that ingest must convert.

Regenerating gives byte-identical files (fixed workbook timestamps, normalised zip entries).

    dei samples [--out DIR] [--seed N]        (python -m index.samples [...]: the same)
"""

from __future__ import annotations

import csv
import io
import math
import random
import zipfile
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from index.config import settings
from index.leagues import leagues_table

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_SEED = 20231010  # the day the 工作方案 was issued
YEARS = list(range(2019, 2025))
PKU_LAST_YEAR = 2023
PKU_DEPARTMENT = "北京大学数字金融研究中心"
PKU_FILE = "nmg_pku_dfiic_city_2011_2023.csv"
# framework node_id -> column of the PKU reference file
PKU_COLUMNS = {
    "dfi_coverage_breadth": "coverage_breadth",
    "dfi_usage_depth": "usage_depth",
    "dfi_digitization_level": "digitization_level",
}
SYNTHETIC_NOTE = "示例数据（合成），非官方统计"
FIXED_TIME = datetime(2024, 1, 1, 0, 0, 0)
ZIP_TIME = (2024, 1, 1, 0, 0, 0)

# How each department sends its figures. Unknown departments get DEFAULT_STYLE.
DEFAULT_STYLE = {"topic": "数字经济主要指标", "format": "xlsx"}
DEPARTMENT_STYLES: dict[str, dict] = {
    "内蒙古通信管理局": {"topic": "通信业主要指标", "format": "xlsx", "serial": True, "leagues": "alias"},
    "自治区工业和信息化厅": {
        "topic": "工业和信息化主要指标",
        "format": "xlsx",
        "leagues": "code",
        "league_header": "行政区划代码",
    },
    "自治区政务服务与数据管理局": {
        "topic": "数字政府和数据要素主要指标",
        "format": "xlsx",
        "leagues": "full",
        "unit_line": True,
    },
    "自治区统计局": {"topic": "国民经济和数字经济主要指标", "format": "xlsx", "leagues": "mixed"},
    "自治区商务厅": {
        "topic": "电子商务发展情况",
        "format": "csv",
        "encoding": "gbk",
        "leagues": "alias",
        "league_header": "地区",
        "alt_units": "always",
    },
    "自治区科学技术厅": {
        "topic": "科技创新主要指标",
        "format": "csv",
        "encoding": "utf-8-sig",
        "title": False,
        "leagues": "full",
    },
    "自治区发展和改革委员会": {
        "topic": "数字经济投资情况",
        "format": "csv",
        "encoding": "gbk",
        "year_column": True,
        "leagues": "code",
    },
    PKU_DEPARTMENT: {
        "topic": "数字普惠金融指数分项",
        "format": "csv",
        "encoding": "utf-8-sig",
        "real": True,
        "leagues": "full",
        "denominators": False,
    },
}

# Plausible median-league levels in the framework's `unit` for 2019 and 2024, the spread between leagues (in log
# or logit terms, times the league's latent position), the indicator's loading on its dimension factor (default
# DEFAULT_INDICATOR_LOADING) and the decimals written. Synthetic, for shape only.
PROFILES: dict[str, dict] = {
    "fiveg_user_penetration": {"start": 1.2, "end": 56.0, "spread": 0.15},
    "fiveg_population_coverage": {"start": 3.0, "end": 47.0, "spread": 0.20},
    "ipv6_mobile_traffic_share": {"start": 12.0, "end": 48.0, "spread": 0.10},
    "dc_rack_utilisation": {"start": 45.0, "end": 63.0, "spread": 0.15, "loading": 0.6},
    "dc_pue": {"start": 1.55, "end": 1.27, "spread": -0.04, "loading": 0.6},
    "domestic_compute_share": {"start": 10.0, "end": 42.0, "spread": 0.30},
    "intelligent_compute_per_10k": {
        "start": 0.03,
        "end": 2.2,
        "spread": 0.6,
        "hubs": {150100: 6.0, 150900: 8.0},
        "decimals": 1,
    },
    "core_industry_va_share_gdp": {"start": 1.2, "end": 2.2, "spread": 0.35},
    "digital_economy_share_gdp": {"start": 20.0, "end": 33.0, "spread": 0.20},
    "software_revenue_growth": {"growth_rate": True, "mean": 13.0, "sd": 8.0, "loading": 0.6},
    "electronics_output_growth": {"growth_rate": True, "mean": 24.0, "sd": 18.0, "loading": 0.5},
    "telecom_revenue_per_capita": {"start": 700.0, "end": 900.0, "spread": 0.15},
    "core_industry_firms_per_million": {"start": 3.2, "end": 5.8, "spread": 0.5, "decimals": 0},
    "equipment_digitalisation_rate": {"start": 40.0, "end": 55.0, "spread": 0.10},
    "iiot_platform_penetration": {"start": 12.0, "end": 30.0, "spread": 0.20},
    "smart_industrial_park_rate": {"start": 20.0, "end": 75.0, "spread": 0.25, "loading": 0.7},
    "online_retail_per_capita": {"start": 1000.0, "end": 2500.0, "spread": 0.25},
    "gov_service_full_online_rate": {"start": 60.0, "end": 92.0, "spread": 0.06},
    "gov_service_mobile_rate": {"start": 40.0, "end": 85.0, "spread": 0.10},
    "e_license_usage_rate": {"start": 20.0, "end": 70.0, "spread": 0.15},
    "one_network_case_closure_rate": {"start": 80.0, "end": 96.0, "spread": 0.06, "loading": 0.65},
    "grassroots_online_service_rate": {"start": 30.0, "end": 80.0, "spread": 0.12},
    "gov_system_cloud_rate": {"start": 40.0, "end": 85.0, "spread": 0.10},
    "public_data_open_rate": {"start": 5.0, "end": 30.0, "spread": 0.30},
    "gov_data_sharing_fulfilment": {"start": 70.0, "end": 95.0, "spread": 0.05},
    "public_data_quality_rate": {"start": 80.0, "end": 97.0, "spread": 0.06, "loading": 0.7},
    "data_trading_per_gdp": {"start": 0.05, "end": 3.0, "spread": 0.4},
    "data_firms_per_million": {"start": 0.3, "end": 2.0, "spread": 0.6, "decimals": 0},
    "digital_hightech_firms_per_million": {"start": 5.0, "end": 11.5, "spread": 0.5, "decimals": 0},
    "rd_intensity": {"start": 0.85, "end": 1.05, "spread": 0.25},
    "tech_contract_share_gdp": {"start": 0.08, "end": 0.30, "spread": 0.5},
    "ict_employment_share": {"start": 1.5, "end": 2.0, "spread": 0.2},
    "digital_investment_share": {"start": 4.0, "end": 9.0, "spread": 0.30, "loading": 0.6},
}
# Correlation structure (documented in the module docstring and data_lake/landing/README.md).
# G, the general development factor: standardised log(GDP / population) from reference/leagues.csv, plus a bonus
# for the capital (universities, government, the 和林格尔 data-centre cluster), re-standardised over the 12
# leagues (corr(G, log GDP per capita) = 0.97).
CAPITAL_BONUS = {150100: 1.0}
# λ_d: loading of each dimension factor F_d on G. Over the 12 leagues corr(F_d, G) = λ_d and
# corr(F_i, F_j) = λ_i·λ_j exactly (0.49–0.64 here); realised dimension-score correlations are lower and
# scattered (0.3–0.7 in 2024) because each indicator adds its own noise.
DIMENSION_LOADINGS = {
    "digital_infrastructure": 0.75,  # networks are rolled out province-wide; data centres follow cheap power
    "digital_industrialisation": 0.80,  # core industries sit where income and firms are
    "industrial_digitalisation": 0.75,
    "digital_governance": 0.70,  # 一网通办 / 一网统管 are common platforms: the loosest tie to income
    "data_elements": 0.75,
    "environment_innovation": 0.75,
}
DEFAULT_DIMENSION_LOADING = 0.70  # a dimension the framework adds later
# a_k: loading of an indicator's latent position on its dimension factor (PROFILES[...]["loading"] overrides);
# the rest, sqrt(1 - a_k²), is the indicator's own seeded noise.
DEFAULT_INDICATOR_LOADING = 0.80
SHARE_SCALE = 1.8  # a share's logit shift = spread · SHARE_SCALE · latent
LEVEL_SCALE = 1.1  # a level's log shift = spread · LEVEL_SCALE · latent
# Momentum m (per league and indicator, standard normal): MOMENTUM_SHARED of it is shared by the indicators of
# the league's dimension. A league with m > 0 was CATCH_UP·spread·m further behind in 2019 (it caught up) and
# grows late (path exponent PACE·exp(PACE_SD·m) > PACE): on track for the 2025 targets; m < 0 grew early and
# is levelling off short of them.
MOMENTUM_SHARED = 0.7
CATCH_UP = 0.5
PACE = 0.8
PACE_SD = 0.4
# Nominal GDP growth of the median league, year over year (2020 the pandemic year).
GDP_GROWTH = {2019: 0.0, 2020: 0.01, 2021: 0.12, 2022: 0.08, 2023: 0.06, 2024: 0.05}
N_MISSING = 6  # cells written as — or blank across the whole set (deterministic)
# The real 2020 census (第七次全国人口普查) by 盟市 and 旗县: population and the long-form industry counts.
CENSUS_FILE = "census2020_im_counties.csv"
CENSUS_YEAR = 2020
CENSUS_POPULATION = "人口数_合计"  # persons
# framework node_id -> (numerator, denominator) census counts whose ratio × 100 is the REAL 2020 share
CENSUS_SHARES = {"ict_employment_share": ("信息传输软件和信息技术服务业", "各种行业人口总计")}


@dataclass
class SampleSet:
    files: list[Path]
    truth: pd.DataFrame  # league_code, year, indicator_id, value (raw_unit; NaN where the file has — / blank)


# ---------------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------------


def _rng(seed: int, *parts: object) -> random.Random:
    """An independent, stable stream per (seed, parts): str seeds hash with sha512, stable across versions."""
    return random.Random(":".join([str(seed), *map(str, parts)]))


def _quantize(value: float, decimals: int) -> Decimal:
    return Decimal(repr(round(value, decimals))).quantize(Decimal(1).scaleb(-decimals))


def _unit_kind(unit: str | None) -> str | None:
    from index.ingest import parse_unit

    parsed = parse_unit(unit)
    return parsed[0] if parsed else None


def _decimals(row: dict) -> int:
    from index.ingest import parse_unit

    if row["node_id"] in PROFILES and "decimals" in PROFILES[row["node_id"]]:
        return PROFILES[row["node_id"]]["decimals"]
    parsed = parse_unit(row["raw_unit"])
    if parsed and parsed[0] in {"家", "个", "户", "人", "座", "台", "项", "件"} and parsed[1] == 1:
        return 0
    if parsed and parsed[0] == "元" and parsed[1] == 10**4:
        return 1
    return 2


def _standardise(values: list[float]) -> list[float]:
    """Centre and scale to unit (population) standard deviation."""
    mean = sum(values) / len(values)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    return [(v - mean) / sd for v in values]


def _general_factor(leagues: list[dict]) -> dict[int, float]:
    """G: standardised log GDP per capita plus the capital's bonus, re-standardised over the 12 leagues."""
    gdppc = _standardise([math.log(l["approx_gdp_2023_100m_yuan"] / l["approx_pop_2023_10k"]) for l in leagues])
    raw = [z + CAPITAL_BONUS.get(l["code"], 0.0) for z, l in zip(gdppc, leagues)]
    return dict(zip((l["code"] for l in leagues), _standardise(raw)))


def _dimension_of(framework: pd.DataFrame) -> dict[str, str]:
    """node_id -> the dimension it belongs to (the ancestor whose parent is the root)."""
    parents = dict(zip(framework["node_id"], framework["parent_id"]))
    roots = {n for n, p in parents.items() if not isinstance(p, str)}
    out = {}
    for node in parents:
        chain = node
        while isinstance(parents.get(chain), str) and parents[chain] not in roots:
            chain = parents[chain]
        out[node] = chain
    return out


def _dimension_factors(leagues: list[dict], dimensions: list[str], seed: int) -> dict[str, dict[int, float]]:
    """F_d = λ_d·G + sqrt(1-λ_d²)·U_d per dimension, U_d orthonormal to G and to each other over the leagues.

    The specific factors U_d are seeded normal draws made exactly orthogonal (Gram-Schmidt, in the sorted order of
    the dimension ids) to G and to the earlier U's, then standardised, so over the 12 leagues corr(F_d, G) = λ_d
    and corr(F_i, F_j) = λ_i·λ_j exactly, whatever the draws."""
    codes = [l["code"] for l in leagues]
    general = _general_factor(leagues)
    basis = [[general[c] for c in codes]]
    out = {}
    for dim in sorted(dimensions):
        rng = _rng(seed, "factor", dim)
        vec = _standardise([rng.gauss(0, 1) for _ in codes])
        for b in basis:
            dot = sum(x * y for x, y in zip(vec, b)) / sum(y * y for y in b)
            vec = [x - dot * y for x, y in zip(vec, b)]
        vec = _standardise(vec)
        basis.append(vec)
        lam = DIMENSION_LOADINGS.get(dim, DEFAULT_DIMENSION_LOADING)
        out[dim] = {c: lam * general[c] + math.sqrt(1 - lam * lam) * u for c, u in zip(codes, vec)}
    return out


def _census(reference: Path) -> dict[tuple[int, str], float]:
    """(unit code, census indicator) -> value from ``reference/census2020_im_counties.csv``; {} without the file."""
    path = Path(reference) / CENSUS_FILE
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {(int(r["code"]), r["indicator"]): float(r["value"]) for r in csv.DictReader(handle) if r["value"]}


def census_population(reference: Path) -> dict[int, float]:
    """Unit code -> REAL 2020 census population (人口数_合计, persons) for the region, 盟市, 旗县 and zones."""
    return {code: v for (code, indicator), v in _census(reference).items() if indicator == CENSUS_POPULATION}


def census_shares(reference: Path) -> dict[str, dict[int, float]]:
    """node_id -> unit code -> REAL 2020 census share in % (``CENSUS_SHARES``: a ratio of long-form sample counts)."""
    census = _census(reference)
    out: dict[str, dict[int, float]] = {}
    for node, (part, whole) in CENSUS_SHARES.items():
        out[node] = {
            code: 100 * v / census[(code, whole)]
            for (code, indicator), v in census.items()
            if indicator == part and census.get((code, whole))
        }
    return out


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _expit(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _denominator_values(
    framework: pd.DataFrame, leagues: list[dict], seed: int, population_2020: dict[int, float] | None = None
) -> dict:
    """(node_id, league, year) -> Decimal for the Denominator rows (population in 人 units, GDP in 元 units).

    population_2020 (code -> persons, the 2020 census): the population series passes through it in 2020; without
    it (or for a league it lacks), through leagues.csv's rounded 2023 figure in 2023."""
    out = {}
    dens = framework[framework["node_type"] == "Denominator"].to_dict("records")
    for row in dens:
        kind = _unit_kind(row["raw_unit"])
        from index.ingest import parse_unit

        factor = float(parse_unit(row["raw_unit"])[1]) if parse_unit(row["raw_unit"]) else 1.0
        for league in leagues:
            code = league["code"]
            rng = _rng(seed, "denominator", row["node_id"], code)
            if kind == "人":
                trend = 0.008 if code == 150100 else rng.uniform(-0.012, 0.002)
                if population_2020 and code in population_2020:  # the REAL 2020 census population
                    base, anchor = population_2020[code] / factor, CENSUS_YEAR
                else:
                    base, anchor = league["approx_pop_2023_10k"] * 1e4 / factor, 2023
                series = {y: base * (1 + trend) ** (y - anchor) for y in YEARS}
            elif kind == "元":
                base = league["approx_gdp_2023_100m_yuan"] * 1e8 / factor
                level = {2019: 1.0}
                for y in YEARS[1:]:
                    level[y] = level[y - 1] * (1 + GDP_GROWTH[y] + rng.uniform(-0.02, 0.02))
                series = {y: base * level[y] / level[2023] for y in YEARS}
            else:  # an unknown denominator: a size proportional to population
                base = league["approx_pop_2023_10k"] * rng.uniform(0.5, 1.5)
                series = {y: base * 1.02 ** (y - 2023) for y in YEARS}
            lo, hi = row["valid_min"], row["valid_max"]
            for y in YEARS:
                v = series[y]
                if hi == hi and hi is not None:
                    v = min(v, hi * 0.98)
                if lo == lo and lo is not None:
                    v = max(v, lo * 1.02 if lo > 0 else lo)
                out[(row["node_id"], code, y)] = _quantize(v, _decimals(row))
    return out


def _generic_profile(row: dict) -> dict:
    target, lo, hi = row.get("target_2025"), row.get("valid_min"), row.get("valid_max")
    if target is not None and target == target:
        return {"start": 0.55 * target, "end": 0.92 * target, "spread": 0.15}
    if _unit_kind(row["unit"]) == "%":
        return {"start": 30.0, "end": 60.0, "spread": 0.15}
    lo = lo if lo == lo and lo is not None else 0.0
    hi = hi if hi == hi and hi is not None else (lo + 100.0)
    return {"start": lo + 0.2 * (hi - lo), "end": lo + 0.35 * (hi - lo), "spread": 0.1}


def _indicator_values(framework: pd.DataFrame, leagues: list[dict], dens: dict, seed: int, reference: Path) -> dict:
    """(node_id, league, year) -> Decimal (or None where the PKU index has no value) in raw_unit."""
    import pandas as pd

    indicators = framework[framework["node_type"] == "Indicator"].to_dict("records")
    dimension_of = _dimension_of(framework)
    factors = _dimension_factors(leagues, sorted({dimension_of[r["node_id"]] for r in indicators}), seed)
    pku = pd.read_csv(reference / PKU_FILE)
    real_shares = census_shares(reference)
    out = {}
    for row in indicators:
        node = row["node_id"]
        if row["department"] == PKU_DEPARTMENT:
            column = PKU_COLUMNS.get(node)
            if column is None:
                raise ValueError(f"{node}: no PKU-DFIIC column known for it; add it to PKU_COLUMNS")
            for league in leagues:
                code = league["code"]
                for y in YEARS:
                    if y > PKU_LAST_YEAR:
                        continue
                    hit = pku[(pku["pref_code_year18"] * 100 == code) & (pku["year"] == y)][column]
                    value = hit.iloc[0] if len(hit) else None
                    out[(node, code, y)] = None if value is None or value != value else Decimal(repr(float(value)))
            continue
        profile = PROFILES.get(node) or _generic_profile(row)
        dimension = dimension_of[node]
        loading = profile.get("loading", DEFAULT_INDICATOR_LOADING)
        spread = profile.get("spread", 0.0)
        decimals = _decimals(row)
        lo = row["valid_min"] if row["valid_min"] == row["valid_min"] else -math.inf
        hi = row["valid_max"] if row["valid_max"] == row["valid_max"] else math.inf
        denominated = isinstance(row.get("denominator"), str) and bool(row["denominator"])
        is_share = _unit_kind(row["unit"]) == "%" and not denominated and not profile.get("growth_rate")
        for league in leagues:
            code = league["code"]
            rng = _rng(seed, "indicator", node, code)
            # the league's standardised position on this indicator: its dimension factor plus indicator noise
            latent = loading * factors[dimension][code] + math.sqrt(1 - loading**2) * rng.gauss(0, 1)
            # its recent dynamics: partly shared by the dimension's indicators, partly the indicator's own
            shared = _rng(seed, "momentum", dimension, code).gauss(0, 1)
            momentum = MOMENTUM_SHARED * shared + math.sqrt(1 - MOMENTUM_SHARED**2) * rng.gauss(0, 1)
            pace = PACE * math.exp(PACE_SD * momentum)  # > PACE: late surge (on track); < PACE: early, then flat
            if profile.get("growth_rate"):
                values = {y: rng.gauss(profile["mean"] + 4 * latent + 2 * momentum, profile["sd"]) for y in YEARS}
            elif is_share:  # a share in %: league differences in logit space, so it never passes 100
                start, end = profile["start"] / 100, profile["end"] / 100
                values = {}
                for i, y in enumerate(YEARS):
                    t = i / (len(YEARS) - 1)
                    shift = spread * (SHARE_SCALE * latent - CATCH_UP * momentum * (1 - t))
                    p = start * (end / start) ** (t**pace)
                    logit = math.log(p / (1 - p)) + shift + rng.gauss(0, 0.03)
                    values[y] = 100 / (1 + math.exp(-logit))
                real = real_shares.get(node, {}).get(code)
                if real is not None and CENSUS_YEAR in values:  # the REAL 2020 census share; the path moves along
                    move = _logit(real / 100) - _logit(values[CENSUS_YEAR] / 100)
                    values = {y: 100 * _expit(_logit(v / 100) + move) for y, v in values.items()}
                    values[CENSUS_YEAR] = real
            else:
                hub = profile.get("hubs", {}).get(code, 1.0)
                start, end = profile["start"], profile["end"]
                values = {}
                for i, y in enumerate(YEARS):
                    t = i / (len(YEARS) - 1)
                    level = hub * math.exp(spread * (LEVEL_SCALE * latent - CATCH_UP * momentum * (1 - t)))
                    if start > 0 and end > 0:
                        path = start * (end / start) ** (t**pace)  # fast early growth, then slower
                    else:
                        path = start + (end - start) * t**pace
                    values[y] = path * level * (1 + rng.gauss(0, 0.02))
            denominator = row.get("denominator")
            for y in YEARS:
                v = values[y]
                if denominated:
                    scale = row["denominator_scale"] if row["denominator_scale"] == row["denominator_scale"] else 1.0
                    v = v * float(dens[(denominator, code, y)]) / scale
                v = min(max(v, lo if lo > -math.inf else v), hi if hi < math.inf else v)
                out[(node, code, y)] = _quantize(v, decimals)
    return out


# ---------------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------------


def _alt_unit(raw_unit: str) -> tuple[str, Decimal] | None:
    """A smaller unit a department might use instead of raw_unit: 亿元 -> 万元, 万人 -> 人, 万户 -> 户."""
    if raw_unit.startswith("亿") and len(raw_unit) > 1:
        return "万" + raw_unit[1:], Decimal(10) ** 4
    if raw_unit.startswith("万") and len(raw_unit) > 1:
        return raw_unit[1:], Decimal(10) ** 4
    return None


def _fmt(value: Decimal, grouped: bool) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if grouped:
        whole, _, frac = text.partition(".")
        sign = "-" if whole.startswith("-") else ""
        whole = f"{int(whole.lstrip('-')):,}"
        text = sign + whole + ("." + frac if frac else "")
    return text


def _league_label(league: dict, style: str, index: int) -> str | int:
    if style == "mixed":
        style = ("full", "alias", "code")[index % 3]
    if style == "code":
        return str(league["code"])
    if style == "alias":
        return min(league["aliases"], key=len) if league["aliases"] else league["name_zh"]
    return league["name_zh"]


@dataclass
class _Column:
    node: dict
    header: str
    group: str
    factor: Decimal  # written = value * factor
    grouped: bool  # thousands separators
    suffix: str = ""  # written after each figure, as text (a % sign where every figure is below 1 %)


@dataclass
class _Sheet:
    """What one department's file for one year holds; _write_xlsx and _write_csv lay it out."""

    year: int
    department: str
    style: dict
    columns: list[_Column]
    leagues: list[dict]  # the rows: dicts with the "code" the values are keyed by
    values: dict
    missing: dict
    rng: random.Random
    # the 旗县 files (index/samples/counties.py) set these; None keeps the 盟市 files' own
    title: str | None = None
    unit_line: str | None = None  # the 填报单位 line under the title
    labels: list[str] | None = None  # what the unit column shows, one per row of `leagues`
    notes: list[str] | None = None  # footnotes


def _row_label(sheet: _Sheet, n: int, league: dict) -> str:
    if sheet.labels is not None:
        return sheet.labels[n]
    return _league_label(league, sheet.style.get("leagues", "full"), n + sheet.year)


def _file_columns(
    rows: list[dict], denominators: list[dict], framework: pd.DataFrame, style: dict, rng: random.Random
) -> list[_Column]:
    names = dict(zip(framework["node_id"], framework["name_zh"]))
    columns = []
    for row in denominators + rows:
        unit = row["raw_unit"]
        factor = Decimal(1)
        alt = _alt_unit(unit) if isinstance(unit, str) else None
        use_alt = alt and (style.get("alt_units") == "always" and row["node_type"] == "Indicator" or rng.random() < 0.3)
        if use_alt:
            unit, factor = alt
        group = "基本情况" if row["node_type"] == "Denominator" else names.get(row["parent_id"], "主要指标")
        columns.append(_Column(row, f"{row['name_zh']}（{unit}）", group, factor, bool(use_alt)))
    return columns


def _cell_value(value: Decimal | None, column: _Column, missing: str | None, as_text: bool) -> object:
    """What the file shows: the missing marker ('—', or '' = blank cell), else the value in the column's unit."""
    if missing is not None:
        return missing or None
    if value is None:
        return "—"
    written = value * column.factor
    if column.suffix:
        return _fmt(written, column.grouped) + column.suffix
    if column.grouped and as_text:
        return _fmt(written, True)
    if as_text:
        return _fmt(written, False)
    return float(written) if written != written.to_integral_value() else int(written)


def _deterministic_xlsx(workbook) -> bytes:
    """Save with fixed document times and a normalised zip (sorted entries, fixed dates) so bytes repeat."""
    import re

    buffer = io.BytesIO()
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    workbook.save(buffer)
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst,
    ):
        for name in sorted(src.namelist()):
            data = src.read(name)
            if name == "docProps/core.xml":  # openpyxl stamps `modified` with the save time
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                    lambda m: m.group(1) + stamp.encode() + m.group(2),
                    data,
                )
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0o600 << 16
            dst.writestr(info, data, compresslevel=9)
    return out.getvalue()


def _write_xlsx(path: Path, sheet: _Sheet) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    year, department, style, columns = sheet.year, sheet.department, sheet.style, sheet.columns
    leagues, values, missing, rng = sheet.leagues, sheet.values, sheet.missing, sheet.rng

    wb = Workbook()
    ws = wb.active
    ws.title = f"{year}年"
    lead = ["序号"] if style.get("serial") else []
    league_header = style.get("league_header", "盟市")
    n_cols = len(lead) + 1 + len(columns)
    title = sheet.title or f"{year}年各盟市{style['topic']}（{SYNTHETIC_NOTE}）"
    ws.cell(1, 1, title).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=n_cols)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    header_top = 2
    if style.get("unit_line"):
        ws.cell(2, 1, sheet.unit_line or f"填报单位：{department}（示例）")
        ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=n_cols)
        header_top = 3
    bold = Font(bold=True)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    c = 1
    for label in lead + [league_header]:
        ws.cell(header_top, c, label)
        ws.merge_cells(start_row=header_top, start_column=c, end_row=header_top + 1, end_column=c)
        c += 1
    # group cells span their columns; the leaf row carries name and unit
    i = 0
    while i < len(columns):
        j = i
        while j + 1 < len(columns) and columns[j + 1].group == columns[i].group:
            j += 1
        ws.cell(header_top, c + i, columns[i].group)
        if j > i:
            ws.merge_cells(start_row=header_top, start_column=c + i, end_row=header_top, end_column=c + j)
        i = j + 1
    for k, column in enumerate(columns):
        ws.cell(header_top + 1, c + k, column.header)
    for r in (header_top, header_top + 1):
        for cc in range(1, n_cols + 1):
            ws.cell(r, cc).font = bold
            ws.cell(r, cc).alignment = center
    first = header_top + 2
    as_text = {k: column.grouped and rng.random() < 0.6 for k, column in enumerate(columns)}
    for n, league in enumerate(leagues):
        r = first + n
        cc = 1
        if lead:
            ws.cell(r, cc, n + 1)
            cc += 1
        label = _row_label(sheet, n, league)
        ws.cell(r, cc, int(label) if isinstance(label, str) and label.isdigit() and rng.random() < 0.5 else label)
        for k, column in enumerate(columns):
            key = (column.node["node_id"], league["code"], year)
            value = _cell_value(values.get(key), column, missing.get(key), as_text[k])
            if value is not None:
                ws.cell(r, c + k, value)
    foot = first + len(leagues)
    notes = sheet.notes or [
        f"注：1. {SYNTHETIC_NOTE}，仅用于演示数据流水线，不代表任何部门的真实数据。",
        "2. “—”表示暂无数据；空白表示未填报。",
        f"数据来源：{department}（示例）。",
    ]
    for n, note in enumerate(notes):
        ws.cell(foot + n, 1, note)
        ws.merge_cells(start_row=foot + n, start_column=1, end_row=foot + n, end_column=n_cols)
    ws.column_dimensions["A"].width = 12
    path.write_bytes(_deterministic_xlsx(wb))


def _write_csv(path: Path, sheet: _Sheet) -> None:
    year, department, style, columns = sheet.year, sheet.department, sheet.style, sheet.columns
    leagues, values, missing = sheet.leagues, sheet.values, sheet.missing
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    real = style.get("real")
    width = 1 + len(columns) + (1 if style.get("year_column") else 0)
    pad = [""] * (width - 1)
    if style.get("title", True):
        note = "（北京大学数字普惠金融指数，真实数据）" if real else f"（{SYNTHETIC_NOTE}）"
        writer.writerow([sheet.title or f"{year}年内蒙古各盟市{style['topic']}{note}"] + pad)
    if sheet.unit_line:
        writer.writerow([sheet.unit_line] + pad)
    header = (["年份"] if style.get("year_column") else []) + [style.get("league_header", "盟市")]
    writer.writerow(header + [column.header for column in columns])
    for n, league in enumerate(leagues):
        label = _row_label(sheet, n, league)
        row = ([str(year)] if style.get("year_column") else []) + [label]
        for column in columns:
            key = (column.node["node_id"], league["code"], year)
            value = _cell_value(values.get(key), column, missing.get(key), True)
            row.append("" if value is None else value)
        writer.writerow(row)
    if sheet.notes:
        for note in sheet.notes:
            writer.writerow([note] + pad)
    elif real:
        writer.writerow(
            [
                "数据来源：北京大学数字金融研究中心《北京大学数字普惠金融指数》（PKU-DFIIC）；"
                "编制方法见郭峰等（2020），经济学（季刊）19(4):1401-1418。真实数据，非合成。"
            ]
            + pad
        )
    else:
        writer.writerow([f"注：{SYNTHETIC_NOTE}，仅用于演示数据流水线。“—”或空白表示暂无数据。"] + pad)
        writer.writerow([f"数据来源：{department}（示例）"] + pad)
    path.write_bytes(buffer.getvalue().encode(style.get("encoding", "utf-8-sig")))


def _file_name(year: int, department: str, style: dict) -> str:
    suffix = "xlsx" if style["format"] == "xlsx" else "csv"
    return f"{year}_{department}_{style['topic']}.{suffix}"


def league_values(
    framework: pd.DataFrame, seed: int = DEFAULT_SEED, reference: Path | None = None, leagues: list[dict] | None = None
) -> dict:
    """(node_id, league code, year) -> Decimal in raw_unit (None where PKU-DFIIC has none): every figure
    ``generate`` writes, before its few missing cells are blanked out, without writing any file."""
    reference = Path(reference) if reference else settings().reference
    leagues = leagues if leagues is not None else leagues_table(reference / "leagues.csv")
    dens = _denominator_values(framework, leagues, seed, census_population(reference))
    return {**dens, **_indicator_values(framework, leagues, dens, seed, reference)}


def _missing_cells(values: dict, indicators: list[dict], seed: int) -> dict:
    """A few missing cells among the synthetic indicators (never the denominators or the real PKU values):
    key -> '—' or '' (blank)."""
    pick = _rng(seed, "missing")
    candidates = sorted(
        k for k in values if k[0] in {r["node_id"] for r in indicators if r["department"] != PKU_DEPARTMENT}
    )
    return {k: ("—" if n % 2 == 0 else "") for n, k in enumerate(pick.sample(candidates, N_MISSING))}


def generate(
    landing_dir: Path | None = None,
    seed: int = DEFAULT_SEED,
    framework: pd.DataFrame | None = None,
    reference: Path | None = None,
) -> SampleSet:
    """Write the sample submissions (one per department and year) into ``landing_dir``; return files and truth."""
    import pandas as pd

    from index.framework import load_framework

    cfg = settings()
    landing_dir = Path(landing_dir) if landing_dir else cfg.landing
    reference = Path(reference) if reference else cfg.reference
    if framework is None:
        framework = load_framework(cfg.framework_file)
    leagues = leagues_table(reference / "leagues.csv")
    values = league_values(framework, seed, reference, leagues)

    indicators = framework[framework["node_type"] == "Indicator"].to_dict("records")
    denominators = framework[framework["node_type"] == "Denominator"].to_dict("records")
    departments = []
    for row in indicators + denominators:
        if isinstance(row["department"], str) and row["department"] not in departments:
            departments.append(row["department"])
    missing = _missing_cells(values, indicators, seed)

    landing_dir.mkdir(parents=True, exist_ok=True)
    files = []
    truth_rows = []
    for department in departments:
        style = {**DEFAULT_STYLE, **DEPARTMENT_STYLES.get(department, {})}
        own = [r for r in indicators if r["department"] == department]
        own_dens = [r for r in denominators if r["department"] == department]
        carried = own_dens if not own else (denominators if style.get("denominators", True) else [])
        carried = [r for r in carried if r["department"] == department or own]
        for year in YEARS:
            if style.get("real") and year > PKU_LAST_YEAR:
                continue  # PKU-DFIIC ends in 2023: no 2024 file rather than an invented value
            rng = _rng(seed, "file", department, year)
            columns = _file_columns(own, carried, framework, style, rng)
            path = landing_dir / _file_name(year, department, style)
            writer = _write_xlsx if style["format"] == "xlsx" else _write_csv
            writer(path, _Sheet(year, department, style, columns, leagues, values, missing, rng))
            files.append(path)
            for column in columns:
                for league in leagues:
                    key = (column.node["node_id"], league["code"], year)
                    value = None if key in missing else values.get(key)
                    truth_rows.append(
                        {
                            "league_code": league["code"],
                            "year": year,
                            "indicator_id": key[0],
                            "value": float(value) if value is not None else float("nan"),
                            "source_file": path.name,
                        }
                    )
    truth = pd.DataFrame(truth_rows)
    return SampleSet(files=files, truth=truth)


def main(argv: list[str] | None = None) -> int:
    """``python -m index.samples [--out DIR] [--seed N]``: an alias of ``dei samples`` (index/cli.py)."""
    import sys

    from index import cli

    return cli.main(["samples", *(sys.argv[1:] if argv is None else argv)])
