"""Objective (data-driven) weights, to compare against an expert scheme — never to replace it silently.

Every method works per PARENT on the scores of its children over all unit-periods (pooled panel):
indicators from table ``normalise`` (column ``normalised``), aggregates from the scores built with the
weights just derived for the level below (weighted arithmetic mean of the present children, re-weighted over
the present ones, as 07_weight.sql / 08_aggregate.sql do). Levels are walked bottom-up, so the tree may have
any depth. Let x_ij be child j's score for unit-period i of one parent, n_j its number of present values.

    entropy   熵值法. p_ij = x_ij / Σ_i x_ij;  e_j = -(1 / ln n_j) Σ_i p_ij ln p_ij;  d_j = 1 - e_j;
              w_j = d_j / Σ_k d_k.  (The method as described in the Chinese evaluation literature, e.g.
              郭显光 1998, 改进的熵值法及其在经济效益评价中的应用, 系统工程理论与实践 18(12); the entropy is
              Shannon's.) p ln p needs x >= 0: a child with a negative value (zscore normalisation) is shifted
              by its own minimum, x' = x - min_i x, and 0 · ln 0 is taken as its limit 0. minmax scores are
              used as they are. A constant child has p = 1/n, e = 1, d = 0: weight 0.
    critic    Diakoulaki, Mavrotas & Papayannakis (1995), Computers & Operations Research 22(7) 763-770:
              C_j = σ_j Σ_k (1 - r_jk) over the parent's children, w_j = C_j / Σ_k C_k; σ the sample sd,
              r Pearson on pairwise-complete rows; r with a constant child is taken as 0.
    pca       first principal component (scikit-learn PCA) of the children standardised to mean 0, sd 1 on
              complete rows; w_j = v_j² with v the unit-length first eigenvector. Squared loadings scaled to sum
              1 give the same numbers, and squaring removes PCA's arbitrary sign.
    balance   after COINr get_opt_weights(optype = "balance"): choose w >= 0, Σ w = 1 so that the shares
              r_j / Σ_k r_k of the children's Pearson correlations with the parent's score y = Σ w_j x_j
              (present children, re-weighted) match target shares t (equal unless ``targets`` gives relative
              importances by node_id); minimise Σ_j (r_j / Σ r - t_j)² with scipy SLSQP from w = t. COINr
              correlates with the index and minimises the log of the mean; here it is the parent, per parent.

A parent whose children carry no information (all constant, too few values) gets equal weights; a parent with
one child gives it weight 1. The result names every non-root tree node and sums to 1 under every parent.

Scope (``[weights] scope``): "panel" (the default, 全局熵值法) pools every unit-period as above and writes table
``weights``. "period" also derives each period's weights from that period's rows of ``normalise`` alone (the
same formulas, the same bottom-up walk; year-by-year 熵值法) into table ``period_weights(node_id, period,
weight)``, and table ``weights`` keeps the pooled ones, so whatever is period-agnostic still reads a sensible
value. The steps read relation ``weights_by_period`` (07_weight_periods.sql): the period weights where they
exist, else the pooled weights for every period.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from index.engine.log import StepRecord, record
from index.engine.vocabulary import OBJECTIVE_WEIGHT_SCHEMES, WEIGHT_SCOPES
from index.engine.weight import empty_period_weights
from index.errors import ConfigError

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

SCHEMES = OBJECTIVE_WEIGHT_SCHEMES

FORMULAS = {
    "entropy": "熵值法 p_ij = x_ij/Σ_i x_ij, e_j = -(1/ln n) Σ_i p_ij ln p_ij, w_j = (1-e_j)/Σ_k(1-e_k)",
    "critic": "CRITIC (Diakoulaki et al. 1995) C_j = σ_j Σ_k (1-r_jk), w_j = C_j/Σ_k C_k",
    "pca": "first principal component of the standardised children, w_j = v_j² (unit eigenvector v)",
    "balance": "COINr balance: min_w Σ_j (r_j/Σ_k r_k - t_j)², r_j = corr(child j, weighted mean), w>=0, Σw=1",
}


# --------------------------------------------------------------------------- methods on one parent's block
# Each takes X (rows = unit-periods, columns = children; NaN = missing) and returns raw non-negative scores.


def entropy_weights(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    present = ~np.isnan(x)
    n = present.sum(axis=0)
    col_min = np.nanmin(np.where(present, x, np.inf), axis=0)
    shift = np.where(col_min < 0, col_min, 0.0)  # only children with negative scores are shifted
    x = np.where(present, x - shift, 0.0)
    total = x.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(total > 0, x / total, 0.0)
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
        e = np.where((n > 1) & (total > 0), -plogp.sum(axis=0) / np.log(np.maximum(n, 2)), 1.0)
    # a constant child has e = 1 exactly; say so rather than leave a 1e-16 rounding residue as its weight
    constant = np.nanmax(np.where(present, x, -np.inf), axis=0) == np.nanmin(np.where(present, x, np.inf), axis=0)
    return np.where(constant, 0.0, np.clip(1.0 - e, 0.0, None))


def _pairwise_corr(x: np.ndarray) -> np.ndarray:
    import pandas as pd

    r = pd.DataFrame(x).corr(method="pearson").to_numpy()
    return np.nan_to_num(r, nan=0.0)


def critic_weights(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.nan_to_num(np.nanstd(x, axis=0, ddof=1), nan=0.0)
    r = _pairwise_corr(x)
    np.fill_diagonal(r, 1.0)
    return sd * (1.0 - r).sum(axis=1)


def pca_weights(x: np.ndarray) -> np.ndarray:
    from sklearn.decomposition import PCA

    x = np.asarray(x, dtype=float)
    complete = x[~np.isnan(x).any(axis=1)]
    if complete.shape[0] < 2:
        return np.zeros(x.shape[1])
    sd = complete.std(axis=0)
    varying = sd > 0
    if not varying.any():
        return np.zeros(x.shape[1])
    # constant children have no variance to load on: they get 0 and stay out of the decomposition
    z = (complete[:, varying] - complete[:, varying].mean(axis=0)) / sd[varying]
    v = np.zeros(x.shape[1])
    v[varying] = PCA(n_components=1).fit(z).components_[0]
    return v**2


def weighted_mean(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Row-wise mean of the present children, re-weighted over them; NaN where present weights sum to 0."""
    present = ~np.isnan(x)
    num = np.where(present, x, 0.0) @ w
    den = present.astype(float) @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def child_parent_correlations(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Pearson correlation of each child with the parent's weighted mean, on pairwise-complete rows."""
    y = weighted_mean(x, w)
    both = ~np.isnan(x) & ~np.isnan(y)[:, None]
    k = both.sum(axis=0)
    xs = np.where(both, x, 0.0)
    ys = np.where(both, y[:, None], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx, my = xs.sum(axis=0) / k, ys.sum(axis=0) / k
        dx, dy = np.where(both, xs - mx, 0.0), np.where(both, ys - my, 0.0)
        r = (dx * dy).sum(axis=0) / np.sqrt((dx**2).sum(axis=0) * (dy**2).sum(axis=0))
    return np.nan_to_num(r, nan=0.0)


def balance_weights(x: np.ndarray, targets: np.ndarray | None = None) -> np.ndarray:
    from scipy.optimize import minimize

    x = np.asarray(x, dtype=float)
    m = x.shape[1]
    t = np.full(m, 1.0 / m) if targets is None else np.asarray(targets, dtype=float) / np.sum(targets)

    def objective(w):
        r = child_parent_correlations(x, w)
        total = r.sum()
        if total == 0:
            return float(m)  # no correlation at all: worse than any informative point
        return float(np.sum((r / total - t) ** 2))

    result = minimize(
        objective,
        t.copy(),
        method="SLSQP",
        bounds=[(0.0, 1.0)] * m,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0}],
        options={"ftol": 1e-12, "maxiter": 500},
    )
    w = np.clip(result.x, 0.0, None)
    # keep the starting point if the optimiser made things worse (flat or non-smooth objective)
    return w if objective(w) <= objective(t) else t


def block_weights(x: np.ndarray, scheme: str, targets: np.ndarray | None = None) -> np.ndarray:
    """Weights of one parent's children (summing to 1) from their scores ``x`` (rows × children)."""
    m = x.shape[1]
    if m == 1:
        return np.ones(1)
    if scheme == "entropy":
        raw = entropy_weights(x)
    elif scheme == "critic":
        raw = critic_weights(x)
    elif scheme == "pca":
        raw = pca_weights(x)
    elif scheme == "balance":
        raw = balance_weights(x, targets)
    else:
        raise ConfigError(f"objective weight scheme {scheme!r} is not known; use one of {list(SCHEMES)}")
    raw = np.nan_to_num(np.clip(raw, 0.0, None), nan=0.0)
    total = raw.sum()
    return raw / total if total > 0 else np.full(m, 1.0 / m)


# --------------------------------------------------------------------------- the tree


def _has_table(con, name: str) -> bool:
    from index.engine.sqlsteps import relation_names

    return name in relation_names(con)


def compute(con: duckdb.DuckDBPyConnection, scheme: str, **options) -> pd.DataFrame:
    """Weights (node_id, weight) of every non-root tree node, derived by ``scheme`` from table ``normalise``.

    Options: ``targets`` (balance only): dict node_id -> relative target importance; a child not named gets 1.
    """
    tree, scores, targets = _inputs(con, scheme, options)
    return _tree_weights(tree, scores, scheme, targets)


def compute_by_period(con: duckdb.DuckDBPyConnection, scheme: str, **options) -> pd.DataFrame:
    """Weights (node_id, period, weight): :func:`compute` on each period's rows of ``normalise`` alone."""
    import pandas as pd

    tree, scores, targets = _inputs(con, scheme, options)
    frames = []
    for period, rows in scores.groupby(level="period", sort=True):
        frame = _tree_weights(tree, rows, scheme, targets)
        frame.insert(1, "period", int(period))
        frames.append(frame)
    if not frames:
        return pd.DataFrame({"node_id": [], "period": [], "weight": []})
    return pd.concat(frames, ignore_index=True)


def _inputs(con, scheme: str, options: dict):
    """The tree, the indicators' scores (rows = unit-periods, columns = indicators) and the balance targets."""
    if scheme not in SCHEMES:
        raise ConfigError(f"objective weight scheme {scheme!r} is not known; use one of {list(SCHEMES)}")
    unknown = sorted(set(options) - {"targets"})
    if unknown:
        raise ConfigError(f"objective weights: unknown option(s) {unknown}; allowed: ['targets']")
    for table in ("framework", "normalise"):
        if not _has_table(con, table):
            raise ConfigError(f"objective weights need table {table!r} on the connection (run the engine first)")
    targets = options.get("targets") or {}

    tree = con.execute("select node_id, parent_id, node_type from framework where node_type <> 'Denominator'").df()
    # keys as text: during a run the engine's tables key cells by enum types (pandas would see categoricals)
    long = con.execute(
        "select cast(unit_code as varchar) as unit_code, period, cast(indicator_id as varchar) as indicator_id,"
        " normalised from normalise"
    ).df()
    scores = long.pivot(index=["unit_code", "period"], columns="indicator_id", values="normalised")
    indicators = tree.loc[tree["node_type"] == "Indicator", "node_id"]
    scores = scores.reindex(columns=list(indicators)).astype(float)
    return tree, scores, targets


def _tree_weights(tree, scores, scheme: str, targets: dict) -> pd.DataFrame:
    """The bottom-up walk: each parent's children weighted from ``scores``, then scored for the level above."""
    import pandas as pd

    children = tree[tree["parent_id"].notna()].groupby("parent_id", sort=False)["node_id"].apply(list).to_dict()
    weights: dict[str, float] = {}
    pending = dict(children)
    # Bottom-up: a parent is ready once each of its children has a score column. One pass per level.
    while pending:
        ready = [p for p, kids in pending.items() if all(k in scores.columns for k in kids)]
        if not ready:
            raise ConfigError(f"objective weights: cannot score children of {sorted(pending)} (cycle in framework?)")
        new_columns = {}
        for parent in ready:
            kids = pending.pop(parent)
            x = scores[kids].to_numpy(dtype=float)
            t = np.array([float(targets.get(k, 1.0)) for k in kids]) if scheme == "balance" else None
            w = block_weights(x, scheme, t)
            weights.update(zip(kids, (float(v) for v in w)))
            new_columns[parent] = weighted_mean(x, w)
        scores = pd.concat([scores, pd.DataFrame(new_columns, index=scores.index)], axis=1)

    order = tree.loc[tree["parent_id"].notna(), "node_id"]
    return pd.DataFrame({"node_id": list(order), "weight": [weights[n] for n in order]})


def apply(con: duckdb.DuckDBPyConnection, scheme: str, scope: str = "panel", **options) -> StepRecord:
    """Replace table ``weights`` on ``con`` by the weights ``scheme`` derives from the pooled panel and, with
    ``scope = "period"``, table ``period_weights`` by each period's (else leave it empty); return the engine
    log entry."""
    if scope not in WEIGHT_SCOPES:
        raise ConfigError(f"weights.scope = {scope!r} is not allowed; use one of {list(WEIGHT_SCOPES)}")
    started = time.perf_counter()
    frame = compute(con, scheme, **options)
    con.register("objective_weights_df", frame)
    con.execute(
        "create or replace table weights as "
        "select cast(node_id as varchar) as node_id, cast(weight as double) as weight from objective_weights_df"
    )
    con.unregister("objective_weights_df")
    zero = int((frame["weight"] == 0).sum())
    notes = f"weights derived from the data by {FORMULAS[scheme]}; {zero} node(s) got weight 0"
    rows = len(frame)
    if scope == "period":
        by_period = compute_by_period(con, scheme, **options)
        con.register("period_weights_df", by_period)
        con.execute(
            "create or replace table period_weights as select cast(node_id as varchar) as node_id,"
            " cast(period as integer) as period, cast(weight as double) as weight from period_weights_df"
        )
        con.unregister("period_weights_df")
        periods = sorted(set(by_period["period"]))
        shown = " … ".join(str(p) for p in (periods[:1] + periods[-1:] if len(periods) > 1 else periods))
        zero_cells = int((by_period["weight"] == 0).sum())
        notes += (
            f"; per period: {shown} ({len(periods)} periods, each from its own rows; table weights keeps the pooled"
            f" panel's), {zero_cells} node-period(s) got weight 0"
        )
        rows += len(by_period)
    else:
        empty_period_weights(con)
        notes += "; over the pooled panel (every period the same weights)"
    return record("objective_weights", None, rows, started, notes, scheme=scheme, scope=scope)


__all__ = ["SCHEMES", "FORMULAS", "compute", "compute_by_period", "apply", "block_weights"]
