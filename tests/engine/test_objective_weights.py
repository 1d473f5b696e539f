"""Objective weights (entropy, CRITIC, PCA, balance) on small SYNTHETIC panels whose answers can be worked by hand.

ALL DATA HERE IS SYNTHETIC: units u0.., one period, made-up indicators. The ``normalise`` table is written
directly (as the engine's normalise step would leave it), so each method sees exactly the numbers shown.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from index.engine import objective_weights as ow
from index.errors import ConfigError
from index.framework import check_weights, register
from tests.fixtures.engine_inputs import framework_frame


def one_parent_framework(indicators: list[str]) -> pd.DataFrame:
    return framework_frame(
        [dict(node_id="IDX", parent_id=None, level=2, node_type="Aggregate"), *indicator_rows("IDX", *indicators)]
    )


def indicator_rows(parent: str, *indicators: str) -> list[dict]:
    """Framework rows of level-1 indicators (polarity +1) under parent."""
    return [dict(node_id=i, parent_id=parent, level=1, node_type="Indicator", polarity=1) for i in indicators]


def connection(framework: pd.DataFrame, columns: dict[str, list[float]]) -> duckdb.DuckDBPyConnection:
    """framework + equal input weights + a normalise table with one row per unit and indicator (period 2024)."""
    tree = framework[framework["parent_id"].notna()]
    equal = 1.0 / tree.groupby("parent_id")["node_id"].transform("count")
    con = duckdb.connect()
    register(con, framework, pd.DataFrame({"node_id": tree["node_id"], "weight": equal}))
    rows = [
        (f"u{i}", 2024, indicator, value) for indicator, values in columns.items() for i, value in enumerate(values)
    ]
    con.register("normalise_df", pd.DataFrame(rows, columns=["unit_code", "period", "indicator_id", "normalised"]))
    con.execute(
        "create table normalise as select unit_code, cast(period as integer) as period, indicator_id,"
        " cast(normalised as double) as normalised from normalise_df"
    )
    return con


def as_dict(frame: pd.DataFrame) -> dict[str, float]:
    return dict(zip(frame["node_id"], frame["weight"]))


# --------------------------------------------------------------------------- entropy


def test_entropy_gives_zero_weight_to_a_constant_indicator_and_matches_the_hand_worked_formula():
    # Two unit-periods. I1 = (0, 100): p = (0, 1), e = 0, d = 1.   I2 = (50, 50): p = (.5, .5), e = 1, d = 0.
    # I3 = (25, 75): p = (.25, .75), e = -(.25 ln .25 + .75 ln .75) / ln 2 = 0.8112781..., d = 0.1887219...
    fw = one_parent_framework(["I1", "I2", "I3"])
    con = connection(fw, {"I1": [0, 100], "I2": [50, 50], "I3": [25, 75]})
    weights = ow.compute(con, "entropy")
    check_weights(weights, fw)
    w = as_dict(weights)
    d3 = 1 + (0.25 * math.log(0.25) + 0.75 * math.log(0.75)) / math.log(2)
    assert w["I2"] == 0.0
    assert w["I1"] == pytest.approx(1 / (1 + d3), abs=1e-12)
    assert w["I3"] == pytest.approx(d3 / (1 + d3), abs=1e-12)


def test_entropy_shifts_a_child_with_negative_scores_by_its_minimum():
    # zscore-like scores (-1, 1) are shifted to (0, 2): the same p as (0, 100), so the same weights.
    shifted = ow.block_weights(np.array([[-1.0, 25.0], [1.0, 75.0]]), "entropy")
    plain = ow.block_weights(np.array([[0.0, 25.0], [100.0, 75.0]]), "entropy")
    assert np.allclose(shifted, plain, atol=1e-12)


def test_entropy_counts_only_present_values():
    # I1's missing third value is left out (n = 2 for I1): I1 = (0, 100, NULL) carries d = 1 as above.
    x = np.array([[0.0, 30.0], [100.0, 30.0], [np.nan, 30.0]])
    assert np.allclose(ow.block_weights(x, "entropy"), [1.0, 0.0])


# --------------------------------------------------------------------------- CRITIC


def test_critic_gives_two_perfectly_correlated_indicators_less_weight_than_an_uncorrelated_one():
    # I1 = I2 (r = 1), I3 uncorrelated with both (r = 0), all with the same sd σ.
    # C1 = σ (0 + 0 + 1) = σ, C2 = σ, C3 = σ (1 + 1 + 0) = 2σ  ->  w = (0.25, 0.25, 0.5).
    fw = one_parent_framework(["I1", "I2", "I3"])
    con = connection(fw, {"I1": [0, 100, 0, 100], "I2": [0, 100, 0, 100], "I3": [0, 0, 100, 100]})
    weights = ow.compute(con, "critic")
    check_weights(weights, fw)
    w = as_dict(weights)
    assert w["I1"] < w["I3"] and w["I2"] < w["I3"]
    assert [w["I1"], w["I2"], w["I3"]] == pytest.approx([0.25, 0.25, 0.5], abs=1e-12)


def test_critic_gives_zero_weight_to_a_constant_indicator():
    x = np.array([[0.0, 50.0, 0.0], [100.0, 50.0, 0.0], [0.0, 50.0, 100.0], [100.0, 50.0, 100.0]])
    w = ow.block_weights(x, "critic")
    assert w[1] == 0.0 and w[0] == pytest.approx(0.5) and w[2] == pytest.approx(0.5)


# --------------------------------------------------------------------------- PCA


def test_pca_gives_equal_weights_when_loadings_are_equal():
    # Rows are cyclic shifts L + (0, 10, 20), L + (10, 20, 0), L + (20, 0, 10) at two levels L = 0 and 50:
    # shifting the columns cyclically only reorders the rows, so every pair of columns has the same
    # correlation r (> 0, from the common level L). The correlation matrix is then 1 + r (J - I), whose top
    # eigenvector is (1, 1, 1) / √3 (eigenvalue 1 + 2r), so w = (1/3, 1/3, 1/3).
    fw = one_parent_framework(["I1", "I2", "I3"])
    con = connection(fw, {"I1": [0, 10, 20, 50, 60, 70], "I2": [10, 20, 0, 60, 70, 50], "I3": [20, 0, 10, 70, 50, 60]})
    weights = ow.compute(con, "pca")
    check_weights(weights, fw)
    assert list(weights["weight"]) == pytest.approx([1 / 3] * 3, abs=1e-9)


def test_pca_weights_are_the_squared_first_eigenvector():
    # Correlation matrix [[1, 1, 0], [1, 1, 0], [0, 0, 1]]: first eigenvector (1, 1, 0) / √2 (eigenvalue 2),
    # so w = (1/2, 1/2, 0); a sign flip of the eigenvector would not change it.
    x = np.array([[0.0, 0.0, 0.0], [100.0, 100.0, 0.0], [0.0, 0.0, 100.0], [100.0, 100.0, 100.0]])
    assert ow.block_weights(x, "pca") == pytest.approx([0.5, 0.5, 0.0], abs=1e-9)


# --------------------------------------------------------------------------- balance


def synthetic_unbalanced(seed: int = 7, n: int = 60) -> dict[str, list[float]]:
    """I1 and I2 share a common factor, I3 is independent: equal weights favour I1 and I2 (SYNTHETIC)."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=n)
    return {
        "I1": list(50 + 10 * (common + 0.3 * rng.normal(size=n))),
        "I2": list(50 + 10 * (common + 0.3 * rng.normal(size=n))),
        "I3": list(50 + 10 * rng.normal(size=n)),
    }


def test_balance_makes_child_parent_correlations_more_equal_than_equal_weights():
    data = synthetic_unbalanced()
    fw = one_parent_framework(list(data))
    con = connection(fw, data)
    weights = ow.compute(con, "balance")
    check_weights(weights, fw)
    x = np.column_stack([data[k] for k in data])
    r_equal = ow.child_parent_correlations(x, np.full(3, 1 / 3))
    r_balanced = ow.child_parent_correlations(x, weights["weight"].to_numpy())
    assert np.ptp(r_balanced) < np.ptp(r_equal) / 5
    assert as_dict(weights)["I3"] > 1 / 3  # the independent child has to be lifted to keep up


def test_balance_follows_target_shares():
    # Asking for I3 to count twice as much as each of the others gives I3 a larger share of the correlations.
    data = synthetic_unbalanced()
    x = np.column_stack([data[k] for k in data])
    con = connection(one_parent_framework(list(data)), data)
    equal = ow.compute(con, "balance")["weight"].to_numpy()
    heavier = ow.compute(con, "balance", targets={"I3": 2.0})["weight"].to_numpy()
    share = lambda w: ow.child_parent_correlations(x, w)[2] / ow.child_parent_correlations(x, w).sum()  # noqa: E731
    assert share(heavier) > share(equal)
    assert share(heavier) == pytest.approx(0.5, abs=0.02)


# --------------------------------------------------------------------------- levels, API


TWO_LEVEL = framework_frame(
    [
        dict(node_id="IDX", parent_id=None, level=3, node_type="Aggregate"),
        dict(node_id="A", parent_id="IDX", level=2, node_type="Aggregate"),
        dict(node_id="B", parent_id="IDX", level=2, node_type="Aggregate"),
        *indicator_rows("A", "A1", "A2"),
        *indicator_rows("B", "B1", "B2"),
        dict(node_id="POP", parent_id=None, level=1, node_type="Denominator"),
    ]
)


def test_upper_levels_are_weighted_from_scores_built_with_the_lower_level_weights():
    # A's children are both constant: no information, so equal weights within A, and A's score is constant,
    # so A gets entropy weight 0 within IDX. B2 is constant: B1 takes all of B.
    con = connection(TWO_LEVEL, {"A1": [50, 50, 50], "A2": [20, 20, 20], "B1": [0, 40, 100], "B2": [70, 70, 70]})
    weights = ow.compute(con, "entropy")
    check_weights(weights, TWO_LEVEL)
    assert as_dict(weights) == pytest.approx({"A": 0.0, "B": 1.0, "A1": 0.5, "A2": 0.5, "B1": 1.0, "B2": 0.0})


def test_any_depth_and_every_scheme_gives_weights_that_pass_the_checks():
    deep = framework_frame(
        [
            dict(node_id="IDX", parent_id=None, level=4, node_type="Aggregate"),
            dict(node_id="D1", parent_id="IDX", level=3, node_type="Aggregate"),
            dict(node_id="D2", parent_id="IDX", level=3, node_type="Aggregate"),
            dict(node_id="S1", parent_id="D1", level=2, node_type="Aggregate"),
            dict(node_id="S2", parent_id="D1", level=2, node_type="Aggregate"),
            *indicator_rows("S1", "X1", "X2"),
            *indicator_rows("S2", "X3", "X4"),
            *indicator_rows("D2", "X5", "X6"),  # indicators beside sub-aggregates
        ]
    )
    rng = np.random.default_rng(3)
    data = {f"X{i}": list(rng.uniform(0, 100, size=20)) for i in range(1, 7)}
    data["X2"][4] = None  # a missing value is re-weighted over the present siblings
    con = connection(deep, data)
    for scheme in ow.SCHEMES:
        weights = ow.compute(con, scheme)
        check_weights(weights, deep, source=scheme)
        assert set(weights["node_id"]) == set(deep["node_id"]) - {"IDX"}


def test_apply_replaces_the_weights_table_and_returns_a_log_entry():
    con = connection(TWO_LEVEL, {"A1": [0, 50, 100], "A2": [10, 20, 30], "B1": [0, 40, 100], "B2": [70, 70, 70]})
    expected = as_dict(ow.compute(con, "critic"))
    entry = ow.apply(con, "critic")
    table = dict(con.execute("select node_id, weight from weights").fetchall())
    assert table == pytest.approx(expected)
    assert table["B2"] == 0.0  # not the equal input weight 0.5
    assert entry["step"] == "objective_weights" and entry["scheme"] == "critic" and entry["rows"] == 6
    assert "CRITIC" in entry["notes"]


def test_unknown_scheme_and_missing_normalise_table_are_config_errors():
    con = connection(TWO_LEVEL, {"A1": [0, 1], "A2": [0, 1], "B1": [0, 1], "B2": [0, 1]})
    with pytest.raises(ConfigError, match="entropy"):
        ow.compute(con, "vibes")
    con.execute("drop table normalise")
    with pytest.raises(ConfigError, match="normalise"):
        ow.compute(con, "entropy")


def test_engine_run_applies_an_objective_scheme_named_in_the_method_and_logs_it():
    from datetime import datetime

    from index import engine

    values = {"A1": [0, 50, 100], "A2": [10, 20, 30], "B1": [0, 40, 100], "B2": [70, 70, 70]}
    con = connection(TWO_LEVEL, values)
    con.execute("drop table normalise")
    con.register("units_df", pd.DataFrame({"unit_code": ["u0", "u1", "u2"], "unit_name": ["a", "b", "c"]}))
    con.execute("create table units as select * from units_df")
    rows = [(f"u{i}", 2024, k, float(v), datetime(2024, 1, 1)) for k, vs in values.items() for i, v in enumerate(vs)]
    con.register("obs_df", pd.DataFrame(rows, columns=["unit_code", "period", "variable_id", "value", "loaded_at"]))
    con.execute(
        "create table observations as select unit_code, cast(period as integer) as period, variable_id, value,"
        " loaded_at from obs_df"
    )
    log = engine.run(con, {"weights": {"scheme": "entropy"}})
    entries = [e for e in log if e["step"] == "objective_weights"]
    assert len(entries) == 1 and entries[0]["scheme"] == "entropy"
    used = dict(con.execute("select node_id, weight from weights").fetchall())
    assert used == pytest.approx(as_dict(ow.compute(con, "entropy")))
    assert used["B2"] == 0.0  # the constant indicator, not the 0.5 registered as input
