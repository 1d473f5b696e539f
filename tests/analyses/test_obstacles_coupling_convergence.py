"""The obstacle degree model, coupling coordination and convergence (index/analyses/) on hand-worked,
SYNTHETIC examples."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from index.analyses import convergence, coupling, obstacles
from index.errors import ConfigError

FRAMEWORK = pd.DataFrame(
    [
        ("ROOT", None, "Aggregate"),
        ("A", "ROOT", "Aggregate"),
        ("B", "ROOT", "Aggregate"),
        ("a1", "A", "Indicator"),
        ("a2", "A", "Indicator"),
        ("b1", "B", "Indicator"),
    ],
    columns=["node_id", "parent_id", "node_type"],
)
# effective weights: A 0.6 × a1 0.5, A 0.6 × a2 0.5, B 0.4 × b1 1.0
EFFECTIVE = [0.3, 0.3, 0.4]


def one_unit(scores: list[float]) -> pd.DataFrame:
    """Unit u's normalised a1, a2, b1 in 2024 with the effective weights above."""
    return pd.DataFrame(
        {
            "unit_code": "u",
            "period": 2024,
            "indicator_id": ["a1", "a2", "b1"],
            "normalised": scores,
            "effective_weight": EFFECTIVE,
        }
    )


def test_obstacle_degrees_of_a_hand_worked_unit():
    # deviations 0, 0.5, 1 -> products 0, 0.15, 0.4 (sum 0.55)
    normalised = one_unit([100.0, 50.0, 0.0])
    degrees, top = obstacles.obstacle_degrees(normalised, FRAMEWORK)
    got = dict(zip(degrees["node_id"], degrees["obstacle"]))
    assert got["a1"] == pytest.approx(0.0)
    assert got["a2"] == pytest.approx(0.15 / 0.55)
    assert got["b1"] == pytest.approx(0.4 / 0.55)
    assert got["A"] == pytest.approx(0.15 / 0.55) and got["B"] == pytest.approx(0.4 / 0.55)
    assert got["ROOT"] == pytest.approx(1.0)
    assert top["indicator_id"].tolist() == ["b1", "a2", "a1"] and top["rank"].tolist() == [1, 2, 3]


def test_a_unit_at_the_top_everywhere_has_no_obstacle_and_z_scores_are_refused():
    normalised = one_unit([100.0, 100.0, 100.0])
    degrees, top = obstacles.obstacle_degrees(normalised, FRAMEWORK)
    assert degrees["obstacle"].isna().all() and top.empty
    with pytest.raises(ConfigError, match="min-max"):
        obstacles.obstacle_degrees(normalised.assign(normalised=[-1.3, 0.2, 2.5]), FRAMEWORK)


@pytest.mark.parametrize(
    "u, c, t, d, label",
    [
        ((0.5, 0.5), 1.0, 0.5, math.sqrt(0.5), "中级协调"),
        ((0.2, 0.8), 0.8, 0.5, math.sqrt(0.4), "初级协调"),  # C = 2 sqrt(0.16) / 1.0
        ((0.0, 0.6), 0.0, 0.3, 0.0, "极度失调"),
        ((0.2, 0.4, 0.8), 3 * 0.4 / 1.4, 1.4 / 3, math.sqrt(0.4), "初级协调"),  # (0.064)^(1/3) = 0.4
    ],
)
def test_coupling_coordination_of_hand_worked_subsystems(u, c, t, d, label):
    got_c, got_t, got_d = coupling.coupling(np.array([u]))
    assert got_c[0] == pytest.approx(c) and got_t[0] == pytest.approx(t) and got_d[0] == pytest.approx(d)
    assert coupling.coupling_class(got_d[0])[0] == label


def test_the_ten_classes_cover_zero_to_one():
    assert coupling.coupling_class(0.0)[0] == "极度失调"
    assert coupling.coupling_class(0.95)[0] == "优质协调" and coupling.coupling_class(1.0)[0] == "优质协调"
    assert [coupling.coupling_class(k / 10 + 0.05)[0] for k in range(10)] == [zh for _, zh, _ in coupling.CLASSES]


def test_the_coupling_table_reads_scores_on_0_to_100():
    scores = pd.DataFrame(
        {"unit_code": ["u", "u"], "period": [2024, 2024], "node_id": ["A", "B"], "score": [20.0, 80.0]}
    )
    table = coupling.coupling_table(scores, ["A", "B"])
    assert table.loc[0, "coupling"] == pytest.approx(0.8) and table.loc[0, "class_zh"] == "初级协调"
    with pytest.raises(ConfigError, match="C"):
        coupling.coupling_table(scores, ["A", "C"])


def test_beta_convergence_recovers_a_planted_slope():
    y0 = np.array([10.0, 20.0, 40.0, 80.0, 160.0])
    growth = 0.1 - 0.02 * np.log(y0)  # planted: alpha 0.1, beta -0.02, over 5 years
    y1 = y0 * np.exp(5 * growth)
    scores = pd.DataFrame(
        {
            "unit_code": [f"u{i}" for i in range(5)] * 2,
            "period": [2019] * 5 + [2024] * 5,
            "node_id": "ROOT",
            "score": np.concatenate([y0, y1]),
        }
    )
    (row,) = convergence.beta(scores).to_dict("records")
    assert row["beta"] == pytest.approx(-0.02) and row["alpha"] == pytest.approx(0.1)
    assert row["converging"] and row["r_squared"] == pytest.approx(1.0)
    assert row["speed"] == pytest.approx(-math.log(1 - 0.1) / 5)


def test_sigma_convergence_and_the_kernel_density():
    scores = pd.DataFrame(
        {
            "unit_code": ["a", "b", "c"] * 2,
            "period": [2023] * 3 + [2024] * 3,
            "node_id": "ROOT",
            "score": [10.0, 20.0, 30.0, 18.0, 20.0, 22.0],
        }
    )
    table = convergence.sigma(scores).set_index("period")
    assert table.loc[2023, "cv"] == pytest.approx(np.std([10, 20, 30]) / 20)
    assert table.loc[2024, "cv"] < table.loc[2023, "cv"]  # the spread narrows: σ convergence
    density = convergence.kernel_density(scores, "ROOT", points=512)
    for _, part in density.groupby("period"):
        assert np.trapezoid(part["density"], part["x"]) == pytest.approx(1.0, abs=0.01)
