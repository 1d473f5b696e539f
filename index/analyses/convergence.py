"""Whether units converge over time.

σ convergence: per period, the dispersion of the scores, as the coefficient of variation (population sd /
mean) and the standard deviation of their logs; a falling series is σ convergence.

Absolute β convergence: across units, the mean annual growth rate regressed on the initial level,
    (ln y_i,T − ln y_i,0) / T = α + β ln y_i,0 + ε_i        (T = last period − first period)
by ordinary least squares (scipy.stats.linregress); β < 0 with a small p-value is convergence, at the speed
θ = −ln(1 + β T) / T and the half-life ln 2 / θ.

Kernel density: per period, a Gaussian kernel density of the scores (scipy.stats.gaussian_kde, Scott's
bandwidth) on a common grid, for the ridge or line charts of the distribution's shift.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from index.errors import ConfigError


def sigma(scores: pd.DataFrame) -> pd.DataFrame:
    """Per node and period: units, mean, sd, cv, sd_log."""
    rows = []
    for (node, period), part in scores.dropna(subset=["score"]).groupby(["node_id", "period"], sort=True):
        y = part["score"].to_numpy(dtype=float)
        positive = np.all(y > 0)
        rows.append(
            {
                "node_id": node,
                "period": period,
                "units": y.size,
                "mean": y.mean(),
                "sd": y.std(ddof=0),
                "cv": y.std(ddof=0) / y.mean() if y.mean() else None,
                "sd_log": float(np.log(y).std(ddof=0)) if positive else None,
            }
        )
    return pd.DataFrame(rows)


def beta(scores: pd.DataFrame, first: int | None = None, last: int | None = None) -> pd.DataFrame:
    """Per node: absolute β convergence between ``first`` and ``last`` (default: the first and last period)."""
    from scipy import stats

    rows = []
    for node, part in scores.dropna(subset=["score"]).groupby("node_id", sort=True):
        p0 = part["period"].min() if first is None else first
        p1 = part["period"].max() if last is None else last
        if not p1 > p0:
            raise ConfigError(f"convergence: node {node} needs two periods (first {p0}, last {p1})")
        wide = part.pivot_table(index="unit_code", columns="period", values="score", aggfunc="first")
        if p0 not in wide.columns or p1 not in wide.columns:
            raise ConfigError(f"convergence: node {node} has no scores in period {p0} or {p1}")
        pair = wide[[p0, p1]].dropna()
        if (pair <= 0).any().any():
            raise ConfigError(f"convergence: node {node} has scores <= 0; β convergence needs logs")
        if len(pair) < 3:
            raise ConfigError(f"convergence: node {node} has fewer than 3 units with both periods")
        span = float(p1 - p0)
        x = np.log(pair[p0].to_numpy())
        growth = (np.log(pair[p1].to_numpy()) - x) / span
        fit = stats.linregress(x, growth)
        b = float(fit.slope)
        speed = -math.log(1 + b * span) / span if 1 + b * span > 0 else None
        rows.append(
            {
                "node_id": node,
                "first_period": p0,
                "last_period": p1,
                "units": len(pair),
                "alpha": float(fit.intercept),
                "beta": b,
                "beta_stderr": float(fit.stderr),
                "p_value": float(fit.pvalue),
                "r_squared": float(fit.rvalue**2),
                "converging": bool(b < 0 and fit.pvalue < 0.05),
                "speed": speed,
                "half_life": math.log(2) / speed if speed else None,
            }
        )
    return pd.DataFrame(rows)


def kernel_density(scores: pd.DataFrame, node: str, points: int = 128) -> pd.DataFrame:
    """period, x, density of one node's scores, on one grid spanning every period's scores (± 3 bandwidths)."""
    from scipy import stats

    part = scores[(scores["node_id"] == node)].dropna(subset=["score"])
    if part.empty:
        raise ConfigError(f"convergence: no scores for node {node}")
    by_period = {p: g["score"].to_numpy(dtype=float) for p, g in part.groupby("period", sort=True)}
    kdes = {p: stats.gaussian_kde(y) for p, y in by_period.items() if y.size > 1 and np.ptp(y) > 0}
    if not kdes:
        raise ConfigError(f"convergence: node {node} has no period with two distinct scores")
    pad = 3 * max(float(np.sqrt(k.covariance[0, 0])) for k in kdes.values())
    grid = np.linspace(part["score"].min() - pad, part["score"].max() + pad, points)
    return pd.concat(
        [pd.DataFrame({"period": p, "x": grid, "density": k(grid)}) for p, k in kdes.items()], ignore_index=True
    )
