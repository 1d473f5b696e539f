"""The benchmark's baseline: a straightforward pandas version of the engine's DEI build.

Same rules as the engine with the DEI method (sql/method/dei.toml without denomination): the latest load of a
value wins; panel_linear imputation (interpolate between a unit's own known periods, carry the nearest at the
ends, a unit that never reported the indicator gets the cross-section mean of that period); minmax to
[lo, hi] pooled over the panel, polarity -1 reversed, a constant indicator at the middle; weighted arithmetic
means per aggregate re-weighted over the present children; rank 1 = best with ties at the minimum rank;
change against the previous period; contribution = normalised × effective weight relative to the root.

Idiomatic pandas, not tuned: a wide unit × indicator by period frame for the interpolation (one vectorised
``DataFrame.interpolate``, the row being the unit's series), ``groupby().transform`` for the statistics.
It handles a framework of indicators under one level of aggregates under the root, which is what the
benchmark generates. Used only by index/bench/__init__.py, to time against and to cross-check the engine's scores.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd


def _noop(label: str | None) -> None:
    return None


def build(
    framework: pd.DataFrame,
    weights: pd.DataFrame,
    units: pd.DataFrame,
    observations: pd.DataFrame,
    method: dict,
    mark: Callable[[str | None], None] = _noop,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (indicator_results, node_scores) like the engine's output tables; ``mark(step)`` opens each step."""
    lo, hi = (float(x) for x in method["normalise"]["range"])
    tree = framework[framework["node_type"] != "Denominator"].merge(weights, on="node_id", how="left")
    indicators = tree[tree["node_type"] == "Indicator"].set_index("node_id")
    root = tree.loc[tree["parent_id"].isna(), "node_id"].iloc[0]
    dims = tree[(tree["node_type"] == "Aggregate") & tree["parent_id"].notna()].set_index("node_id")
    if not set(dims.index) >= set(indicators["parent_id"]) or not (dims["parent_id"] == root).all():
        raise ValueError("the pandas baseline handles indicators -> aggregates -> root only")

    # stage: the latest load wins (ties: the larger value, a NULL last); full grid units × indicators × periods
    mark("stage")
    obs = observations[
        observations["variable_id"].isin(indicators.index) & observations["unit_code"].isin(units["unit_code"])
    ]
    obs = obs.sort_values(["loaded_at", "value"], na_position="first").drop_duplicates(
        ["unit_code", "variable_id", "period"], keep="last"
    )
    periods = np.sort(observations["period"].unique())
    grid = pd.MultiIndex.from_product(
        [units["unit_code"].unique(), indicators.index], names=["unit_code", "indicator_id"]
    )
    raw = obs.pivot(index=["unit_code", "variable_id"], columns="period", values="value")
    raw.index.names = ["unit_code", "indicator_id"]
    raw = raw.reindex(index=grid, columns=periods)

    # impute panel_linear: interpolate along each unit's series on the period values, nearest value at the ends
    mark("impute")
    filled = raw.interpolate(axis=1, method="index", limit_direction="both")
    cross_section_mean = raw.groupby(level="indicator_id").mean()
    never_reported = filled.isna().all(axis=1)
    fallback = cross_section_mean.reindex(filled.index.get_level_values("indicator_id"))
    fallback.index = filled.index
    filled = filled.where(~never_reported, fallback, axis=0)
    imputed = raw.isna() & filled.notna()

    # normalise minmax over the pooled panel, higher = better
    mark("normalise")
    long = pd.DataFrame({"raw_value": raw.stack(), "filled_value": filled.stack(), "imputed": imputed.stack()})
    long.index.names = ["unit_code", "indicator_id", "period"]
    long = long.reset_index()
    long["imputation"] = np.where(
        long["imputed"],
        np.where(
            never_reported.reindex(pd.MultiIndex.from_frame(long[["unit_code", "indicator_id"]])).to_numpy(),
            "mean",
            "panel_linear",
        ),
        None,
    )
    by_indicator = long.groupby("indicator_id")["filled_value"]
    low, high = by_indicator.transform("min"), by_indicator.transform("max")
    share = (long["filled_value"] - low) / (high - low)
    polarity = long["indicator_id"].map(indicators["polarity"]).astype("float64")
    normalised = np.where(polarity < 0, hi - share * (hi - lo), lo + share * (hi - lo))
    normalised = np.where(high == low, (lo + hi) / 2.0, normalised)
    long["normalised"] = np.where(long["filled_value"].isna(), np.nan, normalised)

    # aggregate: weighted means over the present children, first the dimensions, then the root
    mark("aggregate")
    long["dimension"] = long["indicator_id"].map(indicators["parent_id"])
    long["weight"] = long["indicator_id"].map(indicators["weight"]).astype("float64")
    long["present_weight"] = long["weight"].where(long["normalised"].notna())
    long["weighted"] = long["present_weight"] * long["normalised"]
    dim = long.groupby(["unit_code", "period", "dimension"], as_index=False)[["present_weight", "weighted"]].sum()
    dim["score"] = dim["weighted"] / dim["present_weight"].where(dim["present_weight"] > 0)
    dim["weight"] = dim["dimension"].map(dims["weight"]).astype("float64")
    dim["present_weight_root"] = dim["weight"].where(dim["score"].notna())
    dim["weighted"] = dim["present_weight_root"] * dim["score"]
    top = dim.groupby(["unit_code", "period"], as_index=False)[["present_weight_root", "weighted"]].sum()
    top["score"] = top["weighted"] / top["present_weight_root"].where(top["present_weight_root"] > 0)

    # weight: effective weight relative to the root, re-weighted over present siblings; contribution
    mark("weight")
    dim = dim.merge(
        top[["unit_code", "period", "present_weight_root"]], on=["unit_code", "period"], suffixes=("", "_sum")
    )
    dim["effective_weight"] = (dim["weight"] / dim["present_weight_root_sum"]).where(dim["score"].notna(), 0.0)
    long = long.merge(
        dim[["unit_code", "period", "dimension", "present_weight", "effective_weight"]].rename(
            columns={"present_weight": "dimension_present_weight", "effective_weight": "dimension_effective_weight"}
        ),
        on=["unit_code", "period", "dimension"],
        how="left",
    )
    long["effective_weight"] = (
        (long["dimension_effective_weight"] * long["weight"] / long["dimension_present_weight"])
        .where(long["normalised"].notna(), 0.0)
        .fillna(0.0)
    )
    long["contribution"] = long["normalised"] * long["effective_weight"]

    # rank within node and period, 1 = best, ties at the minimum
    mark("rank")
    scores = pd.concat(
        [
            long[["unit_code", "period", "indicator_id", "normalised"]]
            .set_axis(["unit_code", "period", "node_id", "score"], axis=1)
            .assign(level=1),
            dim[["unit_code", "period", "dimension", "score"]].rename(columns={"dimension": "node_id"}).assign(level=2),
            top[["unit_code", "period", "score"]].assign(node_id=root, level=3),
        ],
        ignore_index=True,
    )
    scores["rank"] = scores.groupby(["node_id", "period"])["score"].rank(method="min", ascending=False).astype("Int32")

    # year over year: against the previous period of the same unit and node
    mark("period_change")
    scores = scores.sort_values(["unit_code", "node_id", "period"], ignore_index=True)
    history = scores.groupby(["unit_code", "node_id"])
    scores["score_change"] = scores["score"] - history["score"].shift()
    scores["rank_change"] = history["rank"].shift() - scores["rank"]

    mark("outputs")
    indicator_results = long[
        [
            "unit_code",
            "period",
            "indicator_id",
            "raw_value",
            "imputed",
            "imputation",
            "normalised",
            "effective_weight",
            "contribution",
        ]
    ].assign(denominated_value=long["raw_value"])
    node_scores = scores[["unit_code", "period", "node_id", "level", "score", "rank", "score_change", "rank_change"]]
    mark(None)
    return indicator_results, node_scores
