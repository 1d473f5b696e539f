"""Gini with Dagum's decomposition and Theil T (index/analyses/disparity.py) against hand-worked values and
independent formulas. Values are SYNTHETIC."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from index.analyses import disparity
from index.errors import ConfigError


def test_a_hand_worked_two_group_decomposition():
    # A = {1, 3}, B = {5, 7}: G = 40 / (2 · 16 · 4) = 0.3125; G_AA = 4 / 16, G_BB = 4 / 48;
    # p = (1/2, 1/2), s = (1/4, 3/4); G_w = 0.25·0.5·0.25 + (1/12)·0.5·0.75 = 0.0625;
    # G_BA = 16 / (2·2·8) = 0.5, every B above every A so D = 1: G_nb = 0.5 · (0.5·0.25 + 0.5·0.75) = 0.25, G_t = 0
    d = disparity.dagum([1, 3, 5, 7], ["A", "A", "B", "B"])
    assert d["gini"] == pytest.approx(0.3125)
    assert d["within"] == pytest.approx(0.0625)
    assert d["between"] == pytest.approx(0.25)
    assert d["transvariation"] == pytest.approx(0.0)
    groups = d["groups"].set_index("group")
    assert groups.loc["A", "gini"] == pytest.approx(0.25) and groups.loc["B", "gini"] == pytest.approx(1 / 12)
    (pair,) = d["pairs"].to_dict("records")
    assert (pair["group_a"], pair["group_b"]) == ("B", "A")  # the richer group first
    assert pair["gini_between"] == pytest.approx(0.5) and pair["relative_affluence"] == pytest.approx(1.0)


def test_the_gini_equals_the_sorted_formula():
    y = np.random.default_rng(3).lognormal(3, 0.6, 40)
    ranked = np.sort(y)
    n = y.size
    sorted_formula = 2 * np.sum(np.arange(1, n + 1) * ranked) / (n * ranked.sum()) - (n + 1) / n
    assert disparity.gini(y) == pytest.approx(sorted_formula, rel=1e-12)


def test_dagums_three_parts_add_up_to_the_gini_with_overlapping_groups():
    rng = np.random.default_rng(11)
    y = np.concatenate([rng.normal(50, 8, 7), rng.normal(60, 10, 5), rng.normal(55, 3, 4)])
    groups = ["west"] * 7 + ["east"] * 5 + ["core"] * 4
    d = disparity.dagum(y, groups)
    assert d["transvariation"] > 0  # the groups overlap
    assert d["within"] + d["between"] + d["transvariation"] == pytest.approx(d["gini"], rel=1e-12)
    assert len(d["pairs"]) == 3
    assert (d["pairs"]["relative_affluence"].between(0, 1)).all()


def test_theil_equals_log_n_minus_the_entropy_and_splits_exactly():
    y = np.random.default_rng(5).lognormal(2, 0.5, 30)
    groups = np.array(["a", "b", "c"] * 10)
    t = disparity.theil(y, groups)
    assert t["theil"] == pytest.approx(math.log(y.size) - stats.entropy(y), rel=1e-10)
    assert t["within"] + t["between"] == pytest.approx(t["theil"], rel=1e-10)


def test_values_at_or_below_zero_are_refused():
    with pytest.raises(ConfigError, match="above 0"):
        disparity.dagum([0.0, 1.0], ["a", "b"])


def test_the_table_covers_every_period_and_node_and_names_units_without_a_group():
    scores = pd.DataFrame(
        {
            "unit_code": ["u1", "u2", "u3", "u4"] * 2,
            "period": [2023] * 4 + [2024] * 4,
            "node_id": "ROOT",
            "score": [1, 3, 5, 7, 2, 3, 4, 5],
        }
    )
    summary, groups, pairs = disparity.disparity_table(scores, {"u1": "A", "u2": "A", "u3": "B", "u4": "B"})
    assert summary["period"].tolist() == [2023, 2024]
    assert summary.loc[0, "gini"] == pytest.approx(0.3125)
    assert summary.loc[0, "share_within"] + summary.loc[0, "share_between"] == pytest.approx(1.0)
    assert len(groups) == 4 and len(pairs) == 2
    with pytest.raises(ConfigError, match="u4"):
        disparity.disparity_table(scores, {"u1": "A", "u2": "A", "u3": "B"})


def test_gini_and_theil_equal_pysals_inequality():
    """PySAL's `inequality` (test-only: importing it costs seconds and brings geopandas) as the oracle for the
    Gini, Theil T and its between / within split, on SYNTHETIC positive scores in three groups."""
    from inequality.gini import Gini
    from inequality.theil import Theil, TheilD

    rng = np.random.default_rng(71)
    y = rng.lognormal(3.0, 0.6, size=40)
    groups = rng.choice(np.array(["蒙东", "蒙西", "呼包鄂乌"]), size=40)
    assert disparity.gini(y) == pytest.approx(Gini(y).g, rel=1e-12)
    ours = disparity.theil(y, groups)
    theirs = TheilD(y, groups)
    assert ours["theil"] == pytest.approx(Theil(y).T, rel=1e-12) == pytest.approx(float(theirs.T), rel=1e-12)
    assert ours["between"] == pytest.approx(float(np.ravel(theirs.bg)[0]), rel=1e-10)
    assert ours["within"] == pytest.approx(float(np.ravel(theirs.wg)[0]), rel=1e-10)
    # Dagum's parts add up to the same Gini
    parts = disparity.dagum(y, groups)
    assert parts["within"] + parts["between"] + parts["transvariation"] == pytest.approx(Gini(y).g, rel=1e-12)
