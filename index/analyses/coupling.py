"""Coupling coordination (耦合协调度) of subsystems, e.g. 数字产业化 with 产业数字化, or all six dimensions.

For one unit and period, subsystem scores U_1..U_m rescaled to [0, 1] (a 0–100 score / 100):

    C = m × (Π U_i)^(1/m) / Σ U_i        coupling degree (1 when the subsystems are equal; 0 if one is 0)
    T = Σ α_i U_i                         coordination index, α_i = 1/m unless weights are given
    D = sqrt(C × T)                       coupling coordination degree

C = m (Π U)^(1/m) / Σ U is the common form (for m = 2: 2 sqrt(U_1 U_2) / (U_1 + U_2)); it lies in [0, 1].
Classes of D, customary in the Chinese literature (ten equal bands of 0.1):
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from index.errors import ConfigError

CLASSES = (
    (0.0, "极度失调", "extreme imbalance"),
    (0.1, "严重失调", "serious imbalance"),
    (0.2, "中度失调", "moderate imbalance"),
    (0.3, "轻度失调", "mild imbalance"),
    (0.4, "濒临失调", "on the verge of imbalance"),
    (0.5, "勉强协调", "barely coordinated"),
    (0.6, "初级协调", "primary coordination"),
    (0.7, "中级协调", "intermediate coordination"),
    (0.8, "良好协调", "good coordination"),
    (0.9, "优质协调", "quality coordination"),
)
__doc__ += "\n".join(f"    [{lo:.1f}, {lo + 0.1:.1f}{']' if lo == 0.9 else ')'}  {zh}  {en}" for lo, zh, en in CLASSES)


def coupling(values: np.ndarray, alphas=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """C, T, D for each row of ``values`` (rows × m subsystems, each in [0, 1])."""
    u = np.asarray(values, dtype=float)
    if u.ndim != 2 or u.shape[1] < 2:
        raise ConfigError("coupling: needs at least two subsystems")
    if np.any(u < -1e-12) or np.any(u > 1 + 1e-12) or not np.all(np.isfinite(u)):
        raise ConfigError("coupling: subsystem scores must lie in [0, 1] (a 0-100 score divided by 100)")
    m = u.shape[1]
    a = np.full(m, 1.0 / m) if alphas is None else np.asarray(alphas, dtype=float)
    if a.shape != (m,) or abs(a.sum() - 1) > 1e-9 or np.any(a < 0):
        raise ConfigError("coupling: one weight per subsystem, non-negative, adding up to 1")
    total = u.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(total > 0, m * np.prod(u, axis=1) ** (1.0 / m) / total, 0.0)
    t = u @ a
    return c, t, np.sqrt(c * t)


def coupling_class(d: float) -> tuple[str, str]:
    """(Chinese, English) label of a coupling coordination degree D in [0, 1]."""
    band = min(int(np.floor(d * 10 + 1e-12)), 9)
    _, zh, en = CLASSES[band]
    return zh, en


def coupling_table(
    scores: pd.DataFrame, subsystems: list[str], scale: float = 100.0, name: str | None = None, alphas=None
) -> pd.DataFrame:
    """Per unit and period: the subsystems' scores (from a long frame unit_code, period, node_id, score on
    0..``scale``), C, T, D and the class. Units missing a subsystem score are left out."""
    wide = scores[scores["node_id"].isin(subsystems)].pivot_table(
        index=["unit_code", "period"], columns="node_id", values="score", aggfunc="first"
    )
    missing = [s for s in subsystems if s not in wide.columns]
    if missing:
        raise ConfigError(f"coupling: no scores for subsystem(s) {missing}")
    wide = wide[subsystems].dropna()
    c, t, d = coupling(wide.to_numpy() / scale, alphas)
    out = wide.reset_index()
    out.columns.name = None
    labels = [coupling_class(v) for v in d]
    return out.assign(
        system=name or " × ".join(subsystems),
        coupling=c,
        coordination=t,
        coupling_coordination=d,
        class_zh=[z for z, _ in labels],
        class_en=[e for _, e in labels],
    )
