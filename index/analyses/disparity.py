"""Regional disparity and where it comes from.

For values y > 0 of n units (a node's scores in one period), mean μ, and groups j = 1..k (n_j units, mean
μ_j, ordered so that μ_1 ≤ … ≤ μ_k), with p_j = n_j / n and s_j = n_j μ_j / (n μ):

Gini (Dagum 1997, "A new approach to the decomposition of the Gini income inequality ratio", Empirical
Economics 22):
    G     = Σ_j Σ_h Σ_i Σ_r |y_ji − y_hr| / (2 n² μ)
    G_jj  = Σ_i Σ_r |y_ji − y_jr| / (2 n_j² μ_j)                    each group's own Gini
    G_jh  = Σ_i Σ_r |y_ji − y_hr| / (n_j n_h (μ_j + μ_h))           the Gini between two groups
    d_jh  = mean over pairs of max(y_ji − y_hr, 0), p_jh = mean of max(y_hr − y_ji, 0)   (μ_j ≥ μ_h)
    D_jh  = (d_jh − p_jh) / (d_jh + p_jh)                            relative economic affluence
    G_w   = Σ_j G_jj p_j s_j                                         within-group contribution
    G_nb  = Σ_{j>h} G_jh (p_j s_h + p_h s_j) D_jh                    net between-group contribution
    G_t   = Σ_{j>h} G_jh (p_j s_h + p_h s_j) (1 − D_jh)              transvariation (overlap) contribution
    G     = G_w + G_nb + G_t                                         exactly

Theil T: T = (1/n) Σ_i (y_i / μ) ln(y_i / μ) = Σ_j s_j T_j + Σ_j s_j ln(μ_j / μ) (within + between, exactly).

Coefficient of variation: the population standard deviation over the mean (ddof 0, as the Gini and Theil are
population measures).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from index.errors import ConfigError


def _positive(values) -> np.ndarray:
    y = np.asarray(values, dtype=float)
    if y.size == 0:
        raise ConfigError("disparity: no values")
    if not np.all(np.isfinite(y)) or np.any(y <= 0):
        raise ConfigError("disparity: the Gini and Theil decompositions need finite values above 0")
    return y


def _abs_sum(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a[:, None] - b[None, :]).sum())


def gini(values) -> float:
    """The Gini coefficient of ``values`` (all > 0)."""
    y = _positive(values)
    return _abs_sum(y, y) / (2 * y.size**2 * y.mean())


def dagum(values, groups) -> dict:
    """Dagum's decomposition: {gini, within, between, transvariation, groups: DataFrame, pairs: DataFrame}.

    groups: one label per value. ``groups`` frame: group, units, mean, gini (G_jj), share_units (p_j),
    share_values (s_j); ``pairs`` frame: group_a, group_b (mean of a ≥ mean of b), gini_between (G_jh), d, p,
    relative_affluence (D_jh), net_between and transvariation (their contributions to G)."""
    y = _positive(values)
    labels = np.asarray(groups, dtype=object)
    if labels.shape != y.shape:
        raise ConfigError("disparity: one group label per value")
    if pd.isna(labels).any():
        raise ConfigError("disparity: every unit needs a group")
    n, mu = y.size, y.mean()
    names = sorted(set(labels.tolist()), key=lambda g: (y[labels == g].mean(), str(g)))
    parts = {g: y[labels == g] for g in names}
    rows = []
    for g in names:
        yg = parts[g]
        rows.append(
            {
                "group": g,
                "units": yg.size,
                "mean": yg.mean(),
                "gini": _abs_sum(yg, yg) / (2 * yg.size**2 * yg.mean()),
                "share_units": yg.size / n,
                "share_values": yg.size * yg.mean() / (n * mu),
            }
        )
    table = pd.DataFrame(rows)
    within = float((table["gini"] * table["share_units"] * table["share_values"]).sum())
    p = dict(zip(table["group"], table["share_units"]))
    s = dict(zip(table["group"], table["share_values"]))
    pair_rows = []
    for j_index, j in enumerate(names):
        for h in names[:j_index]:  # mean of j ≥ mean of h
            yj, yh = parts[j], parts[h]
            diff = yj[:, None] - yh[None, :]
            g_jh = float(np.abs(diff).sum()) / (yj.size * yh.size * (yj.mean() + yh.mean()))
            d_jh = float(np.maximum(diff, 0).mean())
            p_jh = float(np.maximum(-diff, 0).mean())
            affluence = (d_jh - p_jh) / (d_jh + p_jh) if d_jh + p_jh > 0 else 0.0
            weight = p[j] * s[h] + p[h] * s[j]
            pair_rows.append(
                {
                    "group_a": j,
                    "group_b": h,
                    "gini_between": g_jh,
                    "d": d_jh,
                    "p": p_jh,
                    "relative_affluence": affluence,
                    "net_between": g_jh * weight * affluence,
                    "transvariation": g_jh * weight * (1 - affluence),
                }
            )
    pairs = pd.DataFrame(
        pair_rows,
        columns=["group_a", "group_b", "gini_between", "d", "p", "relative_affluence", "net_between", "transvariation"],
    )
    return {
        "gini": gini(y),
        "within": within,
        "between": float(pairs["net_between"].sum()),
        "transvariation": float(pairs["transvariation"].sum()),
        "groups": table,
        "pairs": pairs,
    }


def theil(values, groups=None) -> dict:
    """Theil T and, with ``groups``, its split: {theil, within, between}."""
    y = _positive(values)
    mu = y.mean()
    total = float(np.mean(y / mu * np.log(y / mu)))
    if groups is None:
        return {"theil": total, "within": None, "between": None}
    labels = np.asarray(groups, dtype=object)
    within = between = 0.0
    for g in set(labels.tolist()):
        yg = y[labels == g]
        share = yg.sum() / y.sum()
        within += share * float(np.mean(yg / yg.mean() * np.log(yg / yg.mean())))
        between += share * float(np.log(yg.mean() / mu))
    return {"theil": total, "within": within, "between": between}


def coefficient_of_variation(values) -> float:
    y = np.asarray(values, dtype=float)
    return float(y.std(ddof=0) / y.mean())


def disparity_table(scores: pd.DataFrame, groups: dict) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Per period and node of a long score frame (unit_code, period, node_id, score) and a unit -> group map:
    (summary, groups, pairs). summary: gini, gini_within, gini_between, gini_transvariation (and their shares
    of the Gini), theil, theil_within, theil_between, cv, units."""
    summary, group_rows, pair_rows = [], [], []
    for (period, node), part in scores.dropna(subset=["score"]).groupby(["period", "node_id"], sort=True):
        labels = part["unit_code"].map(groups)
        if labels.isna().any():
            missing = sorted(part.loc[labels.isna(), "unit_code"].astype(str))
            raise ConfigError(f"disparity: unit(s) {missing} have no group")
        d = dagum(part["score"].to_numpy(), labels.to_numpy())
        t = theil(part["score"].to_numpy(), labels.to_numpy())
        summary.append(
            {
                "period": period,
                "node_id": node,
                "units": len(part),
                "gini": d["gini"],
                "gini_within": d["within"],
                "gini_between": d["between"],
                "gini_transvariation": d["transvariation"],
                "share_within": d["within"] / d["gini"] if d["gini"] else None,
                "share_between": d["between"] / d["gini"] if d["gini"] else None,
                "share_transvariation": d["transvariation"] / d["gini"] if d["gini"] else None,
                "theil": t["theil"],
                "theil_within": t["within"],
                "theil_between": t["between"],
                "cv": coefficient_of_variation(part["score"]),
            }
        )
        group_rows.append(d["groups"].assign(period=period, node_id=node))
        pair_rows.append(d["pairs"].assign(period=period, node_id=node))
    return (
        pd.DataFrame(summary),
        pd.concat(group_rows, ignore_index=True) if group_rows else pd.DataFrame(),
        pd.concat(pair_rows, ignore_index=True) if pair_rows else pd.DataFrame(),
    )
