"""The obstacle degree model (障碍度模型): which indicators hold a unit back most.

For unit i in one period, indicator j with effective weight w_ij in the index (its factor contribution F_ij:
the engine's effective weight, the product of the weights on its path to the root re-weighted over the
indicators present, as the release's indicator_values.effective_weight publishes it) and normalised value
x_ij rescaled to [0, 1] (the indicator deviation I_ij = 1 − x_ij):

    O_ij = F_ij I_ij / Σ_j F_ij I_ij × 100 %          obstacle degree of indicator j for unit i
    O_i,dimension = Σ_{j in the dimension} O_ij       obstacle degree of a dimension (any aggregate)

The obstacle degrees of a unit's indicators add up to 100 % (unless the unit is at the top on every indicator,
where there is no obstacle: every O_ij is then NULL). The normalised values must lie on a known scale
[lo, hi] (min-max normalisation: the spec's range), which is rescaled to [0, 1].
"""

from __future__ import annotations

import pandas as pd

from index.errors import ConfigError


def obstacle_degrees(
    normalised: pd.DataFrame, framework: pd.DataFrame, scale=(0.0, 100.0), top: int = 3
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(degrees, top obstacles).

    normalised: unit_code, period, indicator_id, normalised (on ``scale``), effective_weight; framework:
    node_id, parent_id, node_type (for the roll-up to every aggregate).
    degrees: unit_code, period, node_id, node_type, obstacle (a share, 0..1); top: unit_code, period, rank,
    indicator_id, obstacle (the ``top`` largest indicator obstacles of each unit and period)."""
    lo, hi = (float(v) for v in scale)
    if not hi > lo:
        raise ConfigError(f"obstacles: the normalised scale {scale!r} must be [lo, hi] with lo < hi")
    frame = normalised.dropna(subset=["normalised"]).copy()
    x = (frame["normalised"] - lo) / (hi - lo)
    if ((x < -1e-9) | (x > 1 + 1e-9)).any():
        raise ConfigError(
            f"obstacles: normalised values outside the scale {list(scale)}; the obstacle model "
            "needs min-max normalised values"
        )
    tree = framework[framework["node_type"].isin(["Indicator", "Aggregate"])]
    frame["factor"] = frame["effective_weight"].astype(float)
    frame["deviation"] = 1.0 - x.clip(0.0, 1.0)
    frame["product"] = frame["factor"] * frame["deviation"]
    totals = frame.groupby(["unit_code", "period"])["product"].transform("sum")
    frame["obstacle"] = (frame["product"] / totals).where(totals > 0)

    parent = dict(zip(tree["node_id"], tree["parent_id"]))
    rows = [
        frame[["unit_code", "period", "indicator_id", "obstacle"]]
        .rename(columns={"indicator_id": "node_id"})
        .assign(node_type="Indicator")
    ]
    # every aggregate: the sum over the indicators below it
    ancestors = []
    for node in frame["indicator_id"].unique():
        here = parent.get(node)
        while here is not None and not pd.isna(here):
            ancestors.append((node, here))
            here = parent.get(here)
    links = pd.DataFrame(ancestors, columns=["indicator_id", "node_id"])
    rolled = (
        frame.merge(links, on="indicator_id")
        .groupby(["unit_code", "period", "node_id"], as_index=False)["obstacle"]
        .sum(min_count=1)
        .assign(node_type="Aggregate")
    )
    degrees = pd.concat(rows + [rolled], ignore_index=True)[["unit_code", "period", "node_id", "node_type", "obstacle"]]
    ranked = frame.dropna(subset=["obstacle"]).sort_values(
        ["unit_code", "period", "obstacle", "indicator_id"], ascending=[True, True, False, True]
    )
    ranked["rank"] = ranked.groupby(["unit_code", "period"]).cumcount() + 1
    top_rows = ranked[ranked["rank"] <= top][["unit_code", "period", "rank", "indicator_id", "obstacle"]]
    return degrees.reset_index(drop=True), top_rows.reset_index(drop=True)
