"""Audit: the statistical audit of a computed index (COINr's get_stats / get_corr / get_corr_flags /
get_cronbach / get_PCA, OECD-JRC Handbook step 4 "multivariate analysis" and step 10 "links to other
indicators"), published with every release and shown by ``dei audit``.

Reads the engine's tables left on the connection by :func:`index.engine.run` (``denominate``, ``node_scores``,
``framework``) and runs the set-based SQL of sql/engine/12_audit*.sql; only the eigenvalues of the children's
correlation matrices (PCA) are taken in numpy, one batched call per aggregate node.

Scopes: every statistic is given per period and pooled over all unit-periods of the panel (``period`` NULL).
Pooled figures mix differences between units with change over time; read them as a panel-wide summary.

Frames returned by :func:`audit` (one row per node / pair and scope):

    indicators    availability, share_zeros, share_unique, skew, kurt on the data BEFORE imputation
                  (denominated values) with COINr's flags
    correlations  Pearson and Spearman of every non-root node with its parent and with the index (root)
    pairs         Pearson of every pair of siblings, flag_high / flag_negative
    aggregates    Cronbach's alpha, PCA explained-variance shares of the standardised children
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from index.engine.sqlsteps import run_step

if TYPE_CHECKING:
    import duckdb

# Defaults and where they come from (COINr 1.x, R/stats.R, R/correlations.R, R/plot_corr.R):
THRESHOLDS: dict[str, float] = {
    "t_avail": 0.65,  # get_stats(t_avail = 0.65): availability below it -> flag
    "t_zero": 0.5,  # get_stats(t_zero = 0.5): non-zero share below it (share of zeros above 1 - t_zero) -> flag
    "t_unq": 0.5,  # get_stats(t_unq = 0.5): share of unique values below it -> flag
    "t_skew": 2.0,  # get_stats(t_skew = 2): |skew| above it ...
    "t_kurt": 3.5,  # get_stats(t_kurt = 3.5): ... AND kurt above it -> possible outliers
    "t_high": 0.9,  # get_corr_flags(cor_thresh = 0.9, thresh_type = "high"): siblings above it -> flag
    "t_negative": -0.4,  # plot_corr(flagthresh = c(-0.4, 0.3, 0.9)): siblings below -0.4 -> flag
    "t_weak": 0.3,  # plot_corr(flagthresh = c(-0.4, 0.3, 0.9)): correlation with parent / index below 0.3 -> flag
    # not COINr: Nunnally's 0.7 rule of thumb for reliability, as the OECD-JRC Handbook (2008) quotes it
    "t_alpha": 0.7,
    # not COINr: Kaiser's criterion (keep components with eigenvalue > 1, OECD-JRC Handbook 2008, PCA
    # section); an aggregate whose children need more than this many such components is not one-dimensional
    "t_components": 1.0,
}

STEPS = (
    ("audit_indicators", "12_audit_indicators.sql"),
    ("audit_correlations", "12_audit_correlations.sql"),
    ("audit_pairs", "12_audit_pairs.sql"),
    ("audit_child_matrices", "12_audit_child_matrices.sql"),
    ("audit_aggregates", "12_audit_aggregates.sql"),
)

AUDIT_COLUMNS = {
    "section": "string",
    "node_id": "string",
    "other_node_id": "string",
    "period": "Int32",
    "statistic": "string",
    "value": "float64",
    "threshold": "float64",
    "flag": "boolean",
}


def thresholds_with_defaults(thresholds: dict | None = None) -> dict[str, float]:
    """COINr's defaults overridden by ``thresholds``; unknown keys and non-numbers raise ValueError."""
    merged = dict(THRESHOLDS)
    for key, value in (thresholds or {}).items():
        if key not in THRESHOLDS:
            raise ValueError(f"unknown audit threshold {key!r}; known: {sorted(THRESHOLDS)}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"audit threshold {key} = {value!r} must be a finite number")
        merged[key] = float(value)
    return merged


def _pca(matrices: pd.DataFrame, aggregates: pd.DataFrame, t_components: float) -> pd.DataFrame:
    """Explained-variance shares of the standardised children = eigenvalues of their correlation matrix / k.

    One batched eigvalsh per aggregate over all its scopes; a scope whose matrix has a NULL (a constant child,
    fewer than 2 complete cases) gets no PCA.
    """
    rows = []
    scope_key = matrices["period"].astype("Int64").fillna(-1)  # -1 stands for the pooled scope while pivoting
    matrices = matrices.assign(scope=scope_key)
    for node_id, block in matrices.groupby("aggregate_id", sort=True):
        children = sorted(set(block["child_a"]))
        k = len(children)
        cube = (
            block.pivot_table(index=["scope", "child_a"], columns="child_b", values="correlation", dropna=False)
            .reindex(columns=children)
        )
        scopes = sorted(set(block["scope"]))
        cube = cube.reindex(pd.MultiIndex.from_product([scopes, children], names=["scope", "child_a"]))
        stack = cube.to_numpy(dtype=float).reshape(len(scopes), k, k)
        usable = ~np.isnan(stack).any(axis=(1, 2))
        complete = block.groupby("scope")["complete_cases"].max().reindex(scopes).to_numpy()
        usable &= complete >= 2
        eigen = np.full((len(scopes), k), np.nan)
        if usable.any():
            eigen[usable] = np.linalg.eigvalsh(stack[usable])[:, ::-1]  # largest first
        for position, scope in enumerate(scopes):
            if not usable[position]:
                shares, kaiser = None, None
            else:
                values = np.clip(eigen[position], 0.0, None)  # round-off below 0 on singular matrices
                shares = (values / values.sum()).tolist()
                kaiser = int((values > 1.0 + 1e-12).sum())
            rows.append({
                "node_id": node_id,
                "period": None if scope == -1 else int(scope),
                "pca_shares": shares,
                "pca_first_share": shares[0] if shares else None,
                "pca_components": kaiser,
                "flag_pca": bool(kaiser is not None and kaiser > t_components),
            })
    pca = pd.DataFrame(
        rows, columns=["node_id", "period", "pca_shares", "pca_first_share", "pca_components", "flag_pca"]
    )
    pca["period"] = pca["period"].astype("Int32")
    frame = aggregates.copy()
    frame["period"] = frame["period"].astype("Int32")
    frame = frame.merge(pca, on=["node_id", "period"], how="left")
    frame["pca_first_share"] = frame["pca_first_share"].astype("float64")
    frame["pca_components"] = frame["pca_components"].astype("Int32")
    frame["flag_pca"] = frame["flag_pca"].astype("boolean").fillna(False).astype(bool)
    return frame


def _nodes(con: "duckdb.DuckDBPyConnection") -> pd.DataFrame:
    """The tree's nodes with their Chinese names (name_zh is optional in a generic framework)."""
    columns = {c for (c,) in con.execute(
        "select column_name from information_schema.columns where table_name = 'framework'").fetchall()}
    name = "cast(name_zh as varchar)" if "name_zh" in columns else "cast(null as varchar)"
    return con.execute(
        f"select node_id, parent_id, cast(level as integer) as level, node_type, {name} as name_zh "
        "from framework where node_type <> 'Denominator' order by level desc, node_id"
    ).df()


def audit(con: "duckdb.DuckDBPyConnection", thresholds: dict | None = None) -> dict[str, pd.DataFrame]:
    """Run the audit on the engine's tables on ``con``; return frames indicators, correlations, pairs,
    aggregates (see the module docstring), plus thresholds (the limits used) and nodes (node_id, parent_id,
    level, node_type, name_zh) for the report. Leaves tables audit_* on the connection."""
    limits = thresholds_with_defaults(thresholds)
    variables = {f"audit_{key}": value for key, value in limits.items()}
    for table, file_name in STEPS:
        run_step(con, table, file_name, variables)
    frames = {
        name: con.execute(f"select * from audit_{name}").df()
        for name in ("indicators", "correlations", "pairs")
    }
    matrices = con.execute("select * from audit_child_matrices order by aggregate_id, child_a, child_b").df()
    aggregates = con.execute("select * from audit_aggregates").df()
    frames["aggregates"] = _pca(matrices, aggregates, limits["t_components"])
    for frame in frames.values():
        frame["period"] = frame["period"].astype("Int32")
    frames["thresholds"] = pd.DataFrame({"threshold": list(limits), "value": list(limits.values())})
    frames["nodes"] = _nodes(con)
    return frames


def _long(frame: pd.DataFrame, section: str, node: str, other: str | None, statistic: str, value: str,
          threshold: float | None, flag: str | None) -> pd.DataFrame:
    return pd.DataFrame({
        "section": section,
        "node_id": frame[node],
        "other_node_id": frame[other] if other else None,
        "period": frame["period"],
        "statistic": statistic,
        "value": frame[value],
        "threshold": threshold,
        "flag": frame[flag] if flag else None,
    })


def audit_table(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One long table for publishing (audit.parquet): section, node_id, other_node_id, period (NULL = pooled),
    statistic, value, threshold, flag. Statistics:

    indicators    availability, share_zeros (threshold 1 - t_zero), share_unique, skew, kurt (both carry
                  COINr's joint outlier flag |skew| > t_skew AND kurt > t_kurt)
    correlations  pearson_parent, spearman_parent, pearson_index, spearman_index (other_node_id = the parent /
                  root; flag: below t_weak)
    pairs         pearson (threshold: t_high for a value >= 0, t_negative below 0; flag either way)
    aggregates    cronbach_alpha (flag below t_alpha), pca_components (eigenvalues > 1; flag above
                  t_components), pca_share_pc1 ... pca_share_pc<k> (no threshold)
    """
    t = dict(zip(frames["thresholds"]["threshold"], frames["thresholds"]["value"])) if "thresholds" in frames \
        else dict(THRESHOLDS)
    ind = frames["indicators"]
    parts = [
        _long(ind, "indicators", "indicator_id", None, "availability", "availability", t["t_avail"],
              "flag_availability"),
        _long(ind, "indicators", "indicator_id", None, "share_zeros", "share_zeros", 1 - t["t_zero"], "flag_zeros"),
        _long(ind, "indicators", "indicator_id", None, "share_unique", "share_unique", t["t_unq"], "flag_unique"),
        _long(ind, "indicators", "indicator_id", None, "skew", "skew", t["t_skew"], "flag_outliers"),
        _long(ind, "indicators", "indicator_id", None, "kurt", "kurt", t["t_kurt"], "flag_outliers"),
    ]
    corr = frames["correlations"]
    for relation in ("parent", "index"):
        subset = corr[corr["relation"] == relation]
        for method in ("pearson", "spearman"):
            parts.append(_long(subset, "correlations", "node_id", "other_node_id", f"{method}_{relation}", method,
                               t["t_weak"], f"flag_weak_{method}"))
    pairs = frames["pairs"]
    pair_rows = _long(pairs, "pairs", "node_id", "other_node_id", "pearson", "pearson", None, None)
    pair_rows["threshold"] = np.where(pairs["pearson"].fillna(0) >= 0, t["t_high"], t["t_negative"])
    pair_rows["flag"] = pairs["flag_high"] | pairs["flag_negative"]
    parts.append(pair_rows)
    agg = frames["aggregates"]
    parts.append(_long(agg, "aggregates", "node_id", None, "cronbach_alpha", "cronbach_alpha", t["t_alpha"],
                       "flag_alpha"))
    parts.append(_long(agg, "aggregates", "node_id", None, "pca_components", "pca_components", t["t_components"],
                       "flag_pca"))
    shares = agg[["node_id", "period", "pca_shares"]].dropna(subset=["pca_shares"]).explode("pca_shares")
    if len(shares):
        shares["component"] = shares.groupby(["node_id", "period"], dropna=False).cumcount() + 1
        parts.append(pd.DataFrame({
            "section": "aggregates",
            "node_id": shares["node_id"],
            "other_node_id": None,
            "period": shares["period"],
            "statistic": "pca_share_pc" + shares["component"].astype(str),
            "value": shares["pca_shares"].astype(float),
            "threshold": None,
            "flag": None,
        }))
    table = pd.concat([p for p in parts if len(p)], ignore_index=True)
    table = table[list(AUDIT_COLUMNS)].reset_index(drop=True).astype(object)
    table = table.where(table.notna(), None)  # one missing marker before the typed casts
    for column in ("value", "threshold"):
        table[column] = pd.to_numeric(table[column].astype(object).where(table[column].notna(), np.nan))
    return table.astype(AUDIT_COLUMNS)


def _names(frames: dict[str, pd.DataFrame], names: dict[str, str] | None) -> dict[str, str]:
    if names is not None:
        return dict(names)
    nodes = frames.get("nodes")
    if nodes is None or "name_zh" not in nodes.columns:
        return {}
    named = nodes[nodes["name_zh"].notna() & (nodes["name_zh"].astype(str).str.strip() != "")]
    return dict(zip(named["node_id"].astype(str), named["name_zh"].astype(str)))


def _fmt(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "—"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    text = f"{float(value):.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _period(value) -> str:
    return "all" if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) \
        else str(int(value))


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    from index.tables import render

    return render(headers, rows, align="<" * len(headers), rule=True)


# Each kind of flag in one line, for the summary of ``dei audit``.
FLAG_MEANINGS = {
    "availability": "an indicator reported for too few 盟市-years (below t_avail): its scores lean on imputation",
    "zeros": "mostly zeros: it hardly tells the 盟市 apart",
    "unique": "few distinct values: it hardly tells the 盟市 apart",
    "outliers": "skewed and heavy-tailed (|skew| > t_skew and kurt > t_kurt): a few 盟市 dominate it",
    "weak correlation": "a node correlates weakly with its parent or the index (< t_weak): it pulls its own way",
    "collinear pair": "two siblings correlate above t_high: they may count the same thing twice",
    "negative pair": "two siblings correlate below t_negative: they trade off inside their parent",
    "low alpha": "an aggregate's children are not consistent (Cronbach's alpha < t_alpha)",
    "several components": "an aggregate's children need more than one principal component: not one-dimensional",
}


def _shown_scope(frames: dict[str, pd.DataFrame]):
    """The pooled scope and the latest period (what the report shows; audit.parquet has every period)."""
    periods = [int(p) for p in frames["indicators"]["period"].dropna().unique().tolist()]
    latest = max(periods) if periods else None

    def shown(frame: pd.DataFrame) -> pd.DataFrame:
        keep = frame["period"].isna()
        if latest is not None:
            keep = keep | (frame["period"] == latest)
        return frame[keep.fillna(False).astype(bool)]

    return latest, shown


def _without_repeats(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    # with the parent being the root, the 'index' row repeats the 'parent' row
    corr = frames["correlations"]
    nodes = frames.get("nodes")
    parent_of = dict(zip(nodes["node_id"], nodes["parent_id"])) if nodes is not None else {}
    return corr[~((corr["relation"] == "index") & (corr["node_id"].map(parent_of) == corr["other_node_id"]))]


def _sev(value) -> float:
    return 0.0 if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) else float(value)


def flag_items(frames: dict[str, pd.DataFrame], names: dict[str, str] | None = None) -> list[tuple[str, float, str]]:
    """(kind, severity, line) for every flag in the shown scope; a larger severity is worse."""
    label = _names(frames, names)

    def name(node_id) -> str:
        return label.get(node_id) or str(node_id)

    t = dict(zip(frames["thresholds"]["threshold"], frames["thresholds"]["value"])) if "thresholds" in frames \
        else dict(THRESHOLDS)
    _, shown = _shown_scope(frames)
    ind, pairs, agg = (frames[k] for k in ("indicators", "pairs", "aggregates"))
    corr = _without_repeats(frames)
    flags: list[tuple[str, float, str]] = []
    for row in shown(ind).itertuples(index=False):
        where = f"{name(row.indicator_id)} [{_period(row.period)}]"
        if row.flag_availability:
            flags.append(("availability", 1 - _sev(row.availability),
                          f"indicators   {where}: availability {_fmt(row.availability)} < {t['t_avail']:g}"))
        if row.flag_zeros:
            flags.append(("zeros", _sev(row.share_zeros),
                          f"indicators   {where}: share of zeros {_fmt(row.share_zeros)} > {1 - t['t_zero']:g}"))
        if row.flag_unique:
            flags.append(("unique", 1 - _sev(row.share_unique),
                          f"indicators   {where}: share of unique values {_fmt(row.share_unique)} < {t['t_unq']:g}"))
        if row.flag_outliers:
            flags.append(("outliers", abs(_sev(row.skew)),
                          f"indicators   {where}: possible outliers, skew {_fmt(row.skew)}, kurt {_fmt(row.kurt)} "
                          f"(|skew| > {t['t_skew']:g} and kurt > {t['t_kurt']:g})"))
    for row in shown(corr).itertuples(index=False):
        if row.flag_weak_pearson or row.flag_weak_spearman:
            flags.append(("weak correlation", -min(_sev(row.pearson), _sev(row.spearman)),
                          f"correlations {name(row.node_id)} ~ {name(row.other_node_id)} ({row.relation}) "
                          f"[{_period(row.period)}]: pearson {_fmt(row.pearson)}, spearman {_fmt(row.spearman)} "
                          f"(weak below {t['t_weak']:g})"))
    for row in shown(pairs).itertuples(index=False):
        if row.flag_high or row.flag_negative:
            bound = f"> {t['t_high']:g}" if row.flag_high else f"< {t['t_negative']:g}"
            flags.append(("collinear pair" if row.flag_high else "negative pair", abs(_sev(row.pearson)),
                          f"pairs        {name(row.node_id)} ~ {name(row.other_node_id)} [{_period(row.period)}]: "
                          f"pearson {_fmt(row.pearson)} {bound}"))
    for row in shown(agg).itertuples(index=False):
        if row.flag_alpha:
            flags.append(("low alpha", -_sev(row.cronbach_alpha),
                          f"aggregates   {name(row.node_id)} [{_period(row.period)}]: Cronbach's alpha "
                          f"{_fmt(row.cronbach_alpha)} < {t['t_alpha']:g}"))
        if row.flag_pca:
            flags.append(("several components", _sev(row.pca_components),
                          f"aggregates   {name(row.node_id)} [{_period(row.period)}]: {row.pca_components} "
                          f"principal components with eigenvalue > 1"))
    return flags


def format_audit_summary(frames: dict[str, pd.DataFrame], names: dict[str, str] | None = None, worst: int = 3) -> str:
    """The short form `dei audit` prints first: flags counted by kind, what each kind means, the worst few."""
    from index.tables import render

    latest, _ = _shown_scope(frames)
    items = flag_items(frames, names)
    scope = f"pooled 'all' and {latest}" if latest is not None else "pooled"
    out = [f"统计审计 / statistical audit: Flags ({len(items)}, in the {scope} scope)"]
    if not items:
        return "\n".join(out + ["  nothing flagged"])
    kinds = [k for k in FLAG_MEANINGS if any(i[0] == k for i in items)]
    out += render(["kind", "count", "meaning"], [[k, sum(1 for i in items if i[0] == k), FLAG_MEANINGS[k]]
                                                  for k in kinds], align="<><", indent="  ")
    out.append("worst:")
    for kind in kinds:
        ranked = sorted((i for i in items if i[0] == kind), key=lambda i: -i[1])
        out += [f"  {i[2]}" for i in ranked[:worst]]
        if len(ranked) > worst:
            out.append(f"  … and {len(ranked) - worst} more ({kind})")
    return "\n".join(out)


def format_audit(frames: dict[str, pd.DataFrame], names: dict[str, str] | None = None) -> str:
    """A readable report for ``dei audit``: the flags first, then one compact table per section (pooled
    scope, plus the latest period). Nodes are shown by their Chinese name (frames["nodes"].name_zh, or
    ``names``: node_id -> name), falling back to node_id."""
    label = _names(frames, names)

    def name(node_id) -> str:
        return label.get(node_id) or str(node_id)

    ind, pairs, agg = (frames[k] for k in ("indicators", "pairs", "aggregates"))
    corr = _without_repeats(frames)
    out: list[str] = ["统计审计 / statistical audit", ""]
    latest, shown = _shown_scope(frames)
    flags = [text for _, _, text in flag_items(frames, names)]
    flag_columns = {
        "indicators": ["flag_availability", "flag_zeros", "flag_unique", "flag_outliers"],
        "correlations": ["flag_weak_pearson", "flag_weak_spearman"],
        "pairs": ["flag_high", "flag_negative"],
        "aggregates": ["flag_alpha", "flag_pca"],
    }
    frames_now = {"indicators": ind, "correlations": corr, "pairs": pairs, "aggregates": agg}
    earlier = sum(
        int((frame[flag_columns[k]].any(axis=1) & ~frame.index.isin(shown(frame).index)).sum())
        for k, frame in frames_now.items()
    )
    out.append(f"Flags ({len(flags)})")
    out.extend(f"  {f}" for f in flags) if flags else out.append("  none")
    if earlier:
        out.append(f"  (+ {earlier} flagged rows in earlier periods: see audit.parquet)")

    scope_note = f"(pooled 'all' and latest period {latest})" if latest is not None else "(pooled)"
    out += ["", f"Indicators {scope_note}, before imputation"]
    out += ["  " + s for s in _table(
        ["indicator", "period", "avail", "zeros", "unique", "skew", "kurt"],
        [[name(r.indicator_id), _period(r.period), _fmt(r.availability), _fmt(r.share_zeros), _fmt(r.share_unique),
          _fmt(r.skew), _fmt(r.kurt)] for r in shown(ind).itertuples(index=False)],
    )]
    out += ["", f"Correlations with parent and index {scope_note}"]
    out += ["  " + s for s in _table(
        ["node", "with", "period", "pearson", "spearman"],
        [[name(r.node_id), f"{name(r.other_node_id)} ({r.relation})", _period(r.period), _fmt(r.pearson),
          _fmt(r.spearman)] for r in shown(corr).itertuples(index=False)],
    )]
    out += ["", f"Sibling pairs {scope_note}"]
    out += ["  " + s for s in _table(
        ["parent", "pair", "period", "pearson"],
        [[name(r.parent_id), f"{name(r.node_id)} ~ {name(r.other_node_id)}", _period(r.period), _fmt(r.pearson)]
         for r in shown(pairs).itertuples(index=False)],
    )]
    out += ["", f"Aggregates {scope_note}"]
    out += ["  " + s for s in _table(
        ["aggregate", "period", "children", "alpha", "PC1 share", "eigen>1"],
        [[name(r.node_id), _period(r.period), _fmt(r.children), _fmt(r.cronbach_alpha), _fmt(r.pca_first_share),
          _fmt(r.pca_components)]
         for r in shown(agg).itertuples(index=False)],
    )]
    return "\n".join(out) + "\n"


__all__ = ["THRESHOLDS", "audit", "audit_table", "flag_items", "format_audit", "format_audit_summary",
           "thresholds_with_defaults"]
