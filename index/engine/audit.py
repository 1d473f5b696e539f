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
        cube = block.pivot_table(
            index=["scope", "child_a"], columns="child_b", values="correlation", dropna=False
        ).reindex(columns=children)
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
            rows.append(
                {
                    "node_id": node_id,
                    "period": None if scope == -1 else int(scope),
                    "pca_shares": shares,
                    "pca_first_share": shares[0] if shares else None,
                    "pca_components": kaiser,
                    "flag_pca": bool(kaiser is not None and kaiser > t_components),
                }
            )
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


def _nodes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The tree's nodes with their names (the framework's optional `name` column, index/engine/inputs.py)."""
    columns = set(con.sql("from framework limit 0").columns)
    name = "cast(name as varchar)" if "name" in columns else "cast(null as varchar)"
    return con.execute(
        f"select node_id, parent_id, cast(level as integer) as level, node_type, {name} as name "
        "from framework where node_type <> 'Denominator' order by level desc, node_id"
    ).df()


def audit(con: duckdb.DuckDBPyConnection, thresholds: dict | None = None) -> dict[str, pd.DataFrame]:
    """Run the audit on the engine's tables on ``con``; return frames indicators, correlations, pairs,
    aggregates (see the module docstring), plus thresholds (the limits used) and nodes (node_id, parent_id,
    level, node_type, name) for the report. Leaves tables audit_* on the connection."""
    limits = thresholds_with_defaults(thresholds)
    variables = {f"audit_{key}": value for key, value in limits.items()}
    for table, file_name in STEPS:
        run_step(con, table, file_name, variables)
    frames = {name: con.execute(f"select * from audit_{name}").df() for name in ("indicators", "correlations", "pairs")}
    matrices = con.execute("select * from audit_child_matrices order by aggregate_id, child_a, child_b").df()
    aggregates = con.execute("select * from audit_aggregates").df()
    frames["aggregates"] = _pca(matrices, aggregates, limits["t_components"])
    for frame in frames.values():
        frame["period"] = frame["period"].astype("Int32")
    frames["thresholds"] = pd.DataFrame({"threshold": list(limits), "value": list(limits.values())})
    frames["nodes"] = _nodes(con)
    return frames


def _long(
    frame: pd.DataFrame,
    section: str,
    node: str,
    other: str | None,
    statistic: str,
    value: str,
    threshold: float | None,
    flag: str | None,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "section": section,
            "node_id": frame[node],
            "other_node_id": frame[other] if other else None,
            "period": frame["period"],
            "statistic": statistic,
            "value": frame[value],
            "threshold": threshold,
            "flag": frame[flag] if flag else None,
        }
    )


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
    t = (
        dict(zip(frames["thresholds"]["threshold"], frames["thresholds"]["value"]))
        if "thresholds" in frames
        else dict(THRESHOLDS)
    )
    ind = frames["indicators"]
    parts = [
        _long(
            ind, "indicators", "indicator_id", None, "availability", "availability", t["t_avail"], "flag_availability"
        ),
        _long(ind, "indicators", "indicator_id", None, "share_zeros", "share_zeros", 1 - t["t_zero"], "flag_zeros"),
        _long(ind, "indicators", "indicator_id", None, "share_unique", "share_unique", t["t_unq"], "flag_unique"),
        _long(ind, "indicators", "indicator_id", None, "skew", "skew", t["t_skew"], "flag_outliers"),
        _long(ind, "indicators", "indicator_id", None, "kurt", "kurt", t["t_kurt"], "flag_outliers"),
    ]
    corr = frames["correlations"]
    for relation in ("parent", "index"):
        subset = corr[corr["relation"] == relation]
        for method in ("pearson", "spearman"):
            parts.append(
                _long(
                    subset,
                    "correlations",
                    "node_id",
                    "other_node_id",
                    f"{method}_{relation}",
                    method,
                    t["t_weak"],
                    f"flag_weak_{method}",
                )
            )
    pairs = frames["pairs"]
    pair_rows = _long(pairs, "pairs", "node_id", "other_node_id", "pearson", "pearson", None, None)
    pair_rows["threshold"] = np.where(pairs["pearson"].fillna(0) >= 0, t["t_high"], t["t_negative"])
    pair_rows["flag"] = pairs["flag_high"] | pairs["flag_negative"]
    parts.append(pair_rows)
    agg = frames["aggregates"]
    parts.append(
        _long(agg, "aggregates", "node_id", None, "cronbach_alpha", "cronbach_alpha", t["t_alpha"], "flag_alpha")
    )
    parts.append(
        _long(agg, "aggregates", "node_id", None, "pca_components", "pca_components", t["t_components"], "flag_pca")
    )
    shares = agg[["node_id", "period", "pca_shares"]].dropna(subset=["pca_shares"]).explode("pca_shares")
    if len(shares):
        shares["component"] = shares.groupby(["node_id", "period"], dropna=False).cumcount() + 1
        parts.append(
            pd.DataFrame(
                {
                    "section": "aggregates",
                    "node_id": shares["node_id"],
                    "other_node_id": None,
                    "period": shares["period"],
                    "statistic": "pca_share_pc" + shares["component"].astype(str),
                    "value": shares["pca_shares"].astype(float),
                    "threshold": None,
                    "flag": None,
                }
            )
        )
    table = pd.concat([p for p in parts if len(p)], ignore_index=True)
    table = table[list(AUDIT_COLUMNS)].reset_index(drop=True).astype(object)
    table = table.where(table.notna(), None)  # one missing marker before the typed casts
    for column in ("value", "threshold"):
        table[column] = pd.to_numeric(table[column].astype(object).where(table[column].notna(), np.nan))
    return table.astype(AUDIT_COLUMNS)


__all__ = ["THRESHOLDS", "audit", "audit_table", "thresholds_with_defaults"]
