"""The site's view of a release's uncertainty analysis (rank_intervals, sensitivity; index/uncertainty/release.py).

A release published before the analysis existed has neither table: :func:`payload` is then None and the
pages leave the charts out with a note. Sentences are written here, in both languages, so the site, its
downloads and the tests read the same words.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from index.report import tables

# the uncertain inputs as a reader knows them
INPUT_NAMES = {
    "impute": ("缺失值插补", "imputation of missing values"),
    "treat": ("异常值处理", "outlier treatment"),
    "normalise": ("标准化方法", "normalisation"),
    "weights": ("权重方案", "weight scheme"),
    "weight_noise": ("权重扰动", "weight noise"),
    "aggregate": ("合成方法", "aggregation"),
    "exclusion": ("剔除某一维度", "leaving a dimension out"),
}


def _num(value) -> float | None:
    if value is None or value is pd.NA:
        return None
    value = float(value)
    return None if math.isnan(value) else round(value, 4)


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rank_bounds(low: float, high: float) -> tuple[int, int]:
    """Whole ranks that contain the interval (a quantile between two ranks rounds outwards)."""
    return int(math.floor(low + 1e-9)), int(math.ceil(high - 1e-9))


def rank_sentence(name_zh: str, name_en: str, low: float, high: float, share: float) -> tuple[str, str]:
    lo, hi = rank_bounds(low, high)
    pct = f"{share:g}"
    if lo == hi:
        return (
            f"{name_zh}在 {pct}% 的合理方法选择下均排名第 {lo} 位",
            f"{name_en} ranks {ordinal(lo)} in {pct} % of plausible method choices",
        )
    return (
        f"{name_zh}在 {pct}% 的合理方法选择下排名第 {lo} 至第 {hi} 位",
        f"{name_en} ranks between {ordinal(lo)} and {ordinal(hi)} in {pct} % of plausible method choices",
    )


def sobol_sentence(rows: list[dict], year: int) -> tuple[str, str]:
    """Which choices move the ranking most: the inputs by total Sobol index of the mean rank shift."""
    ranked = [r for r in rows if r["total"] is not None]
    if not ranked or max(r["total"] for r in ranked) <= 0:
        return (f"{year} 年，没有哪项方法选择改变排名。", f"In {year}, no method choice moves the ranking.")
    first, rest = ranked[0], ranked[1:3]
    zh = (
        f"{year} 年，对排名影响最大的方法选择是{first['name'][0]}（总效应指数 {first['total']:.2f}，"
        f"单独作用 {max(first['first'] or 0, 0):.2f}）"
    )
    en = (
        f"In {year}, the method choice that moves the ranking most is {first['name'][1]} (total Sobol index "
        f"{first['total']:.2f}, {max(first['first'] or 0, 0):.2f} on its own)"
    )
    if rest:
        zh += "，其次是" + "、".join(f"{r['name'][0]}（{r['total']:.2f}）" for r in rest)
        en += ", then " + " and ".join(f"{r['name'][1]} ({r['total']:.2f})" for r in rest)
    return zh + "。", en + "."


def _interval_cells(intervals, names: dict, share: float) -> tuple[dict, dict]:
    """node -> unit code -> year -> [nominal rank, low, high, share kept, indistinguishable codes], and
    year -> code -> the composite's interval in words (zh, en), from one level's rank_intervals rows."""
    ranks: dict[str, dict[int, dict[int, list]]] = {}
    lines: dict[int, dict[int, list[str]]] = {}
    root = intervals.loc[intervals["level"].idxmax(), "node_id"] if len(intervals) else None
    for row in intervals.itertuples(index=False):
        if row.rank_low is None or pd.isna(row.rank_low):
            continue
        code, year = int(row.unit_code), int(row.year)
        others = [int(c) for c in str(row.indistinguishable_from or "").split(";") if c]
        ranks.setdefault(row.node_id, {}).setdefault(code, {})[year] = [
            None if pd.isna(row.nominal_rank) else int(row.nominal_rank),
            _num(row.rank_low),
            _num(row.rank_high),
            _num(row.share_nominal_rank),
            others,
        ]
        if row.node_id == root and code in names:
            lines.setdefault(year, {})[code] = list(rank_sentence(*names[code], row.rank_low, row.rank_high, share))
    return ranks, lines


def payload(
    release_dir: Path, release: dict, leagues: list[dict], latest: int, counties: list[dict] | None = None
) -> dict | None:
    """The uncertainty part of data.js, or None when the release has no rank_intervals table. The 旗县'
    intervals (ranks among all 旗县) are kept apart (county_ranks, county_lines): the overview ranks the 盟市."""
    table = tables.read(release_dir, "rank_intervals")
    intervals = tables.level(table, tables.LEAGUE)
    if intervals is None:
        return None
    section = release.get("uncertainty") or {}
    lo_q = float(intervals["interval_low"].iloc[0]) if len(intervals) else 0.05
    hi_q = float(intervals["interval_high"].iloc[0]) if len(intervals) else 0.95
    share = round((hi_q - lo_q) * 100, 6)
    names = {int(l["code"]): (l["zh"], l["en"]) for l in leagues}
    ranks, lines = _interval_cells(intervals, names, share)
    county_rows = tables.level(table, tables.COUNTY)
    county_names = {int(c["code"]): (c["zh"], c["en"]) for c in counties or []}
    county_ranks, county_lines = _interval_cells(county_rows, county_names, share) if len(county_rows) else ({}, {})

    sobol = {"year": None, "rows": [], "sentence": None}
    sens = tables.read(release_dir, "sensitivity")
    if sens is not None:
        # the 盟市 build's (the 旗县 build's rows name unit_level county)
        shift = sens[sens["output"] == "mean_abs_rank_shift"]
        if "unit_level" in sens.columns:
            shift = shift[shift["unit_level"].isna() | (shift["unit_level"] == "league")]
        if len(shift):
            year = int(latest) if (shift["year"] == latest).any() else int(shift["year"].max())
            rows = [
                dict(
                    input=r.input,
                    name=list(INPUT_NAMES.get(r.input, (r.input, r.input))),
                    alternatives=r.alternatives,
                    first=_num(r.first_order),
                    first_low=_num(r.first_order_low),
                    first_high=_num(r.first_order_high),
                    total=_num(r.total_order),
                    total_low=_num(r.total_order_low),
                    total_high=_num(r.total_order_high),
                )
                for r in shift[shift["year"] == year].itertuples(index=False)
            ]
            rows.sort(key=lambda r: (-(r["total"] if r["total"] is not None else -1), r["input"]))
            sobol = {"year": year, "rows": rows, "sentence": list(sobol_sentence(rows, year))}
    return {
        "interval": [lo_q, hi_q],
        "share": share,
        "replicates": section.get("replicates"),
        "seed": section.get("seed"),
        "sobol_n": section.get("sobol_n"),
        "ranks": ranks,
        "lines": lines,
        "county_ranks": county_ranks,
        "county_lines": county_lines,
        "sobol": sobol,
    }


def page_tables(data: dict, head) -> dict[str, tuple[list[str], list[list]]]:
    """The interval tables of the overview (per year) and of each league page, and the Sobol table, row for
    row as site.js draws them, for the downloads."""
    u = data.get("uncertainty")
    if not u:
        return {}
    out: dict[str, tuple[list[str], list[list]]] = {}
    root, dims = data["root"], data["dims"]
    names = {l["code"]: (l["zh"], l["en"]) for l in data["leagues"]}
    nodes = {n["node_id"]: n for n in data["nodes"]}
    band = f"{u['interval'][0] * 100:g}–{u['interval'][1] * 100:g}%"
    cols = [
        head("rank"),
        head("league"),
        "League (English)",
        head(("区间下限", "Interval from")) + f" ({band})",
        head(("区间上限", "Interval to")) + f" ({band})",
        head(("保持名次的比例", "Share keeping the rank")),
        head(("说明", "In words")),
        "In words (English)",
    ]
    by_league = u["ranks"].get(root, {})
    for year in data["years"]:
        rows = [(c, cells[year]) for c, cells in by_league.items() if year in cells]
        rows.sort(key=lambda x: (x[1][0] if x[1][0] is not None else 99, x[0]))
        line = u["lines"].get(year, {})
        out[f"intervals_{year}"] = (
            cols,
            [[r[0], *names.get(c, (c, c)), r[1], r[2], r[3], *line.get(c, [None, None])] for c, r in rows],
        )
    dim_cols = [
        head("dimension"),
        "Dimension (English)",
        head("rank"),
        head(("区间下限", "Interval from")) + f" ({band})",
        head(("区间上限", "Interval to")) + f" ({band})",
        head(("保持名次的比例", "Share keeping the rank")),
    ]
    latest = data["latest"]
    county_codes = [c["code"] for c in data.get("counties", [])] if u.get("county_ranks") else []
    for code in [*names, *county_codes]:
        source = u["ranks"] if code in names else u["county_ranks"]
        rows = []
        for d in [root] + dims:
            cell = source.get(d, {}).get(code, {}).get(latest)
            n = nodes.get(d, {})
            label = ("总指数", "DEI") if d == root else (n.get("name_zh") or d, n.get("name_en") or d)
            rows.append([*label, *(cell[:4] if cell else [None] * 4)])
        out[f"intervals_{code}"] = (dim_cols, rows)
    s = u["sobol"]
    out["sensitivity"] = (
        [
            head(("方法选择", "Method choice")),
            "Method choice (English)",
            head(("备选方案", "Alternatives")),
            head(("一阶指数", "First order")),
            head(("一阶下限", "First order low")),
            head(("一阶上限", "First order high")),
            head(("总效应指数", "Total")),
            head(("总效应下限", "Total low")),
            head(("总效应上限", "Total high")),
        ],
        [
            [
                *r["name"],
                r["alternatives"],
                r["first"],
                r["first_low"],
                r["first_high"],
                r["total"],
                r["total_low"],
                r["total_high"],
            ]
            for r in s["rows"]
        ],
    )
    return out
