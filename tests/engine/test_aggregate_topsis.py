"""[aggregate] method = "topsis" (熵权-TOPSIS, issue 14): a published worked example, pymcdm as an independent
oracle, the units compared (normalise.scope, a missing child, all units equal), contributions that add up to the
score, topsis at one level only, and the spec's refusals.

The engine's rule (sql/engine/08_aggregate_topsis.sql), per parent, on the children's normalised scores x and
their weights w~ rescaled over the unit's children taking part: v = w~ x, A+ = w~ max x, A- = w~ min x,
D+ = |v - A+|, D- = |v - A-| (Euclidean), C = D- / (D+ + D-), score = 100 C; C = 0.5 when D+ + D- = 0.

ALL DATA HERE IS SYNTHETIC, except the fighter-aircraft decision matrix of Hwang & Yoon (1981), a textbook
example: made-up units and indicators, and a seeded random matrix for the oracle.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from index import engine
from index.engine import aggregate
from index.uncertainty import spec as uncertainty_spec
from tests.fixtures import engine_inputs
from tests.fixtures.cells import assert_close, cells
from tests.fixtures.config_errors import assert_refused
from tests.fixtures.engine_inputs import goalpost_indicator

PASS_THROUGH = {"method": "goalposts"}  # goalposts 0 and 1, scale 1: the normalised value is the reported one


def root(*indicators: str, level: int = 2, node: str = "IDX", parent: str | None = None) -> list[dict]:
    return [dict(node_id=node, parent_id=parent, level=level, node_type="Aggregate")] + [
        goalpost_indicator(i, node) for i in indicators
    ]


def scores(con, node: str = "IDX") -> dict:
    return {
        (u, p): s
        for u, p, s in con.execute(
            "select unit_code, period, score from node_scores where node_id = ?", [node]
        ).fetchall()
    }


def contributions(con) -> dict:
    return {
        (u, p, i): c
        for u, p, i, c in con.execute(
            "select unit_code, period, indicator_id, contribution from indicator_results"
        ).fetchall()
    }


def assert_contributions_add_up(con, node: str = "IDX") -> None:
    total: dict = {}
    for (unit, period, _), contribution in contributions(con).items():
        if contribution is not None:
            total[unit, period] = total.get((unit, period), 0.0) + contribution
    expected = scores(con, node)
    assert total.keys() == expected.keys()
    for key, score in expected.items():
        assert math.isclose(total[key], score, rel_tol=0, abs_tol=1e-9), (key, total[key], score)


def topsis_closeness(v: np.ndarray) -> np.ndarray:
    """Textbook TOPSIS on a weighted matrix v (rows = units), every column a benefit criterion."""
    ideal, anti = v.max(axis=0), v.min(axis=0)
    d_plus = np.sqrt(((v - ideal) ** 2).sum(axis=1))
    d_minus = np.sqrt(((v - anti) ** 2).sum(axis=1))
    return d_minus / (d_plus + d_minus)


# --- (a) a published worked example -------------------------------------------------------------------------
#
# Hwang, C.-L. & Yoon, K. (1981), Multiple Attribute Decision Making: Methods and Applications, Springer
# (Lecture Notes in Economics and Mathematical Systems 186), the TOPSIS chapter's fighter-aircraft example
# (also in Yoon & Hwang 1995, Multiple Attribute Decision Making: An Introduction, Sage). Four aircraft A1..A4 on
#   X1 maximum speed (Mach), X2 ferry range (NM), X3 maximum payload (lb), X4 acquisition cost ($10^6, a cost
#   attribute), X5 reliability, X6 maneuverability (both rated on the interval scale low 3, average 5, high 7,
#   very high 9), weights w = (0.2, 0.1, 0.1, 0.1, 0.2, 0.3).
# The book normalises each column by its Euclidean norm (r = x / sqrt(sum x^2)) and ranks A1 > A3 > A4 > A2 by
# relative closeness; C* = 0.643 (A1) and 0.268 (A2) as the example is usually reproduced, 0.614 (A3) and
# 0.312 (A4) worked by hand with the book's procedure from the matrix and weights below (to 3 decimals).
# The engine gets the vector-normalised r as its data, passed through unchanged by goalposts 0 and 1 (scale 1),
# and X4 with polarity -1, which the normalise step turns into 1 - r: TOPSIS is unchanged by adding a constant
# to a column, and the cost attribute's ideal (its least r) becomes the largest 1 - r, as the book takes it.
FIGHTERS = np.array(
    [
        [2.0, 1500, 20000, 5.5, 5, 9],
        [2.5, 2700, 18000, 6.5, 3, 5],
        [1.8, 2000, 21000, 4.5, 7, 7],
        [2.2, 1800, 20000, 5.0, 5, 5],
    ]
)
FIGHTER_WEIGHTS = (0.2, 0.1, 0.1, 0.1, 0.2, 0.3)
FIGHTER_CLOSENESS = {"A1": 0.643, "A2": 0.268, "A3": 0.614, "A4": 0.312}


def test_hwang_yoon_fighter_aircraft():
    vector_normalised = FIGHTERS / np.sqrt((FIGHTERS**2).sum(axis=0))
    attributes = [f"X{j + 1}" for j in range(6)]
    framework = [dict(node_id="IDX", parent_id=None, level=2, node_type="Aggregate")] + [
        goalpost_indicator(x, "IDX", polarity=-1 if x == "X4" else 1) for x in attributes
    ]
    values = {
        (f"A{i + 1}", 1981, x): float(vector_normalised[i, j]) for i in range(4) for j, x in enumerate(attributes)
    }
    con = engine_inputs.connect(framework, list(zip(attributes, FIGHTER_WEIGHTS)), values)
    engine.run(con, {"normalise": PASS_THROUGH, "aggregate": {"method": "topsis"}})
    closeness = {unit: score / 100 for (unit, _), score in scores(con).items()}
    for unit, published in FIGHTER_CLOSENESS.items():
        assert abs(closeness[unit] - published) < 0.0005, (unit, closeness[unit], published)
    ranks = dict(con.execute("select unit_code, rank from node_scores where node_id = 'IDX'").fetchall())
    assert ranks == {"A1": 1, "A3": 2, "A4": 3, "A2": 4}
    assert_contributions_add_up(con)


# --- (b) pymcdm as the oracle ---------------------------------------------------------------------------------


def test_pymcdm_agrees_on_a_random_20_by_5():
    """SYNTHETIC: 20 units × 5 indicators drawn with seed 14, one of them a cost (polarity -1), random weights;
    min-max normalised by the engine onto [0, 100]. pymcdm's TOPSIS is given the engine's normalised matrix, an
    identity normalisation (its default is min-max: the matrix must reach it as it is) and the weights rescaled
    to add up to 1 (it requires that), in the order of the matrix's columns."""
    from pymcdm.methods import TOPSIS

    rng = np.random.default_rng(14)
    units = [f"U{i:02d}" for i in range(20)]
    indicators = [f"I{j}" for j in range(5)]
    raw = rng.lognormal(mean=2.0, sigma=0.7, size=(20, 5))
    weights = rng.uniform(0.5, 3.0, size=5)
    framework = [dict(node_id="IDX", parent_id=None, level=2, node_type="Aggregate")] + [
        goalpost_indicator(i, "IDX", polarity=-1 if i == "I3" else 1) for i in indicators
    ]
    values = {(u, 2024, i): float(raw[a, b]) for a, u in enumerate(units) for b, i in enumerate(indicators)}
    con = engine_inputs.connect(framework, list(zip(indicators, weights.tolist())), values)
    engine.run(con, {"normalise": {"method": "minmax", "range": [0, 100]}, "aggregate": {"method": "topsis"}})

    normalised = dict(
        ((u, i), x) for u, i, x in con.execute("select unit_code, indicator_id, normalised from normalise").fetchall()
    )
    matrix = np.array([[normalised[u, i] for i in indicators] for u in units])
    assert matrix.min() == 0 and matrix.max() == 100
    oracle = TOPSIS(normalization_function=lambda column, cost: column)(
        matrix, weights / weights.sum(), np.ones(5, dtype=int)
    )
    engine_closeness = np.array([scores(con)[u, 2024] / 100 for u in units])
    np.testing.assert_allclose(engine_closeness, oracle, rtol=0, atol=1e-12)
    # and the formula written out here, on the weighted matrix
    np.testing.assert_allclose(engine_closeness, topsis_closeness(matrix * weights / weights.sum()), rtol=0, atol=1e-12)
    assert_contributions_add_up(con)


# --- the units compared ---------------------------------------------------------------------------------------

# one child: C = (x - min) / (max - min), the min-max of the child over the units compared
PANEL_VALUES = cells("AB", [2020, 2021], "I1", [0.2, 0.6, 0.4, 1.0])  # A: 0.2, 0.4;  B: 0.6, 1.0


@pytest.mark.parametrize(
    "scope, expected",
    [
        # panel: min 0.2, max 1.0 over both periods
        ("panel", {("A", 2020): 0.0, ("A", 2021): 25.0, ("B", 2020): 50.0, ("B", 2021): 100.0}),
        # period: 2020 compares 0.2 and 0.6, 2021 0.4 and 1.0
        ("period", {("A", 2020): 0.0, ("A", 2021): 0.0, ("B", 2020): 100.0, ("B", 2021): 100.0}),
    ],
)
def test_the_ideal_is_taken_over_the_normalise_scope(scope, expected):
    con = engine_inputs.connect(root("I1"), [("I1", 1.0)], PANEL_VALUES)
    log = engine.run(con, {"normalise": {**PASS_THROUGH, "scope": scope}, "aggregate": {"method": "topsis"}})
    assert_close(scores(con), expected)
    note = next(entry["notes"] for entry in log if entry["step"] == "aggregate")
    assert note == "level 2: topsis " + ("(ideal over the panel)" if scope == "panel" else "(ideal over each period)")


def test_a_missing_child_and_all_units_equal():
    # weights 1 and 3. A: 0, 0;  B: 1, 1;  C: I1 missing, I2 0.5 (its weight goes to I2 alone);  I3 equal for all
    framework = root("I1", "I2")
    values = {**cells("ABC", 1, "I1", [0.0, 1.0, None]), **cells("ABC", 1, "I2", [0.0, 1.0, 0.5])}
    con = engine_inputs.connect(framework, [("I1", 1.0), ("I2", 3.0)], values)
    engine.run(con, {"normalise": PASS_THROUGH, "aggregate": {"method": "topsis"}})
    # C: v = 0.5, A+ = 1 × 1.0, A- = 1 × 0.0: D+ = D- = 0.5, C = 0.5
    assert_close(scores(con), {("A", 1): 0.0, ("B", 1): 100.0, ("C", 1): 50.0})
    assert_contributions_add_up(con)

    # every unit the same on every child: D+ = D- = 0, the score is the middle, 50
    same = {**cells("AB", 1, "I1", [0.3, 0.3]), **cells("AB", 1, "I2", [0.7, 0.7])}
    con = engine_inputs.connect(framework, [("I1", 1.0), ("I2", 3.0)], same)
    engine.run(con, {"normalise": PASS_THROUGH, "aggregate": {"method": "topsis"}})
    assert_close(scores(con), {("A", 1): 50.0, ("B", 1): 50.0})
    assert_contributions_add_up(con)


# --- (c) contributions ----------------------------------------------------------------------------------------


def test_contributions_are_arithmetic_shares_of_the_score():
    # weights 1 and 3 (w~ 0.25, 0.75). A: 0.2, 0.8;  B: 1.0, 0.4;  C: 0.6, 0.0
    values = {**cells("ABC", 1, "I1", [0.2, 1.0, 0.6]), **cells("ABC", 1, "I2", [0.8, 0.4, 0.0])}
    con = engine_inputs.connect(root("I1", "I2"), [("I1", 1.0), ("I2", 3.0)], values)
    engine.run(con, {"normalise": PASS_THROUGH, "aggregate": {"method": "topsis"}})
    v = np.array([[0.2, 0.8], [1.0, 0.4], [0.6, 0.0]]) * [0.25, 0.75]
    expected = dict(zip("ABC", 100 * topsis_closeness(v)))
    assert_close(scores(con), {(u, 1): s for u, s in expected.items()})
    # A: score × (0.25 × 0.2) / (0.25 × 0.2 + 0.75 × 0.8) and × (0.75 × 0.8) / the same
    shares = contributions(con)
    assert_close(
        {k: c for k, c in shares.items() if k[0] == "A"},
        {("A", 1, "I1"): expected["A"] * 0.05 / 0.65, ("A", 1, "I2"): expected["A"] * 0.6 / 0.65},
    )
    # C: I2 = 0 gets no share
    assert shares["C", 1, "I2"] == pytest.approx(0.0, abs=1e-12)
    assert_contributions_add_up(con)


# --- (d) topsis at one level only -----------------------------------------------------------------------------

TWO_LEVELS = [
    dict(node_id="IDX", parent_id=None, level=3, node_type="Aggregate"),
    dict(node_id="D1", parent_id="IDX", level=2, node_type="Aggregate"),
    dict(node_id="D2", parent_id="IDX", level=2, node_type="Aggregate"),
    goalpost_indicator("I1", "D1"),
    goalpost_indicator("I2", "D1"),
    goalpost_indicator("I3", "D2"),
    goalpost_indicator("I4", "D2"),
]
TWO_LEVEL_WEIGHTS = [("D1", 1.0), ("D2", 1.0), ("I1", 2.0), ("I2", 1.0), ("I3", 1.0), ("I4", 1.0)]


def test_topsis_at_one_level_only():
    """SYNTHETIC: 6 units (seed 5); TOPSIS for the dimensions (level 2), the arithmetic mean above them."""
    rng = np.random.default_rng(5)
    units = list("ABCDEF")
    x = rng.uniform(0, 1, size=(6, 4))
    values = {(u, 1, f"I{j + 1}"): float(x[i, j]) for i, u in enumerate(units) for j in range(4)}
    con = engine_inputs.connect(TWO_LEVELS, TWO_LEVEL_WEIGHTS, values)
    log = engine.run(con, {"normalise": PASS_THROUGH, "aggregate": {"method": "amean", "levels": {"2": "topsis"}}})
    d1 = 100 * topsis_closeness(x[:, :2] * [2 / 3, 1 / 3])
    d2 = 100 * topsis_closeness(x[:, 2:] * [0.5, 0.5])
    assert_close(scores(con, "D1"), {(u, 1): s for u, s in zip(units, d1)})
    assert_close(scores(con, "D2"), {(u, 1): s for u, s in zip(units, d2)})
    assert_close(scores(con, "IDX"), {(u, 1): (a + b) / 2 for u, a, b in zip(units, d1, d2)})
    assert_contributions_add_up(con)
    note = next(entry["notes"] for entry in log if entry["step"] == "aggregate")
    assert note == "level 2: topsis (ideal over the panel); level 3: amean"


def test_topsis_at_both_levels_adds_up():
    rng = np.random.default_rng(6)
    values = {(u, p, f"I{j + 1}"): float(rng.uniform(0, 1)) for u in "ABCDE" for p in (1, 2) for j in range(4)}
    values["C", 2, "I3"] = None  # a missing child: D2 of C in period 2 is I4 alone
    con = engine_inputs.connect(TWO_LEVELS, TWO_LEVEL_WEIGHTS, values)
    engine.run(con, {"normalise": {**PASS_THROUGH, "scope": "period"}, "aggregate": {"method": "topsis"}})
    assert all(0 <= s <= 100 for s in scores(con).values())
    assert_contributions_add_up(con)


# --- (e) the spec ---------------------------------------------------------------------------------------------


def test_topsis_is_a_method_at_any_level():
    assert aggregate.validate_section({"method": "topsis"}, "m") == {"method": "topsis"}
    spec = aggregate.validate_section({"levels": {2: "topsis"}}, "m")
    assert spec == {"method": "amean", "levels": {"2": "topsis"}}
    assert aggregate.method_for_level({"aggregate": spec}, 2) == "topsis"


@pytest.mark.parametrize(
    "body, named",
    [
        ({"method": "topsis", "p": 2}, "aggregate.p"),
        ({"levels": {"2": "topsis"}, "p": 1}, "aggregate.p"),
        ({"levels": {"2": "topsiss"}}, "aggregate.levels.2"),
        ({"method": "TOPSIS"}, "aggregate.method"),
    ],
)
def test_a_bad_combination_names_the_key(body, named):
    assert_refused(aggregate.validate_section, body, named, "topsis")


@pytest.mark.parametrize(
    "alternatives, named",
    [
        (["topsis"], "aggregate.alternatives[0] = 'topsis'"),
        (["amean", {"method": "amean", "levels": {"2": "topsis"}}], "aggregate.alternatives[1]: topsis"),
    ],
)
def test_the_uncertainty_analysis_does_not_offer_topsis(alternatives, named):
    assert "topsis" not in uncertainty_spec.FAST_AGGREGATE_METHODS
    assert_refused(uncertainty_spec.validate, {"aggregate": {"alternatives": alternatives}}, named)


def test_the_ideal_is_taken_within_the_normalise_group():
    # one child, one period; groups g1 = {A, B}, g2 = {C, D}. A 0.2, B 0.4, C 0.6, D 1.0
    con = engine_inputs.connect(root("I1"), [("I1", 1.0)], cells("ABCD", 1, "I1", [0.2, 0.4, 0.6, 1.0]))
    con.execute(
        "create table unit_groups as select * from (values ('A', 'parent', 'g1'), ('B', 'parent', 'g1'),"
        " ('C', 'parent', 'g2'), ('D', 'parent', 'g2')) as g (unit_code, group_column, group_value)"
    )
    engine.run(con, {"normalise": {**PASS_THROUGH, "group": "parent"}, "aggregate": {"method": "topsis"}})
    assert_close(scores(con), {("A", 1): 0.0, ("B", 1): 100.0, ("C", 1): 0.0, ("D", 1): 100.0})
    # without the group: all four compared
    con.execute("drop table if exists unit_groups")
    engine.run(con, {"normalise": PASS_THROUGH, "aggregate": {"method": "topsis"}})
    assert_close(scores(con), {("A", 1): 0.0, ("B", 1): 25.0, ("C", 1): 50.0, ("D", 1): 100.0})
