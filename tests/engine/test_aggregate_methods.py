"""Every [aggregate] method on tiny hand-worked examples: per-level override, re-weighting over missing
children, the non-positive rule (error / shift), copeland, and contributions that add up to the root score.

ALL DATA HERE IS SYNTHETIC: made-up units and indicators. Indicators are normalised with goalposts 0 and 1,
scale 1, no truncation, so a normalised value equals the reported one and the arithmetic stays readable.
"""

from __future__ import annotations

import math

import duckdb
import pytest

from index import engine
from index.engine import aggregate
from index.errors import ConfigError
from tests.fixtures import engine_inputs
from tests.fixtures.cells import TOL, assert_close, cells
from tests.fixtures.config_errors import assert_refused
from tests.fixtures.engine_inputs import goalpost_indicator

PASS_THROUGH = {"method": "goalposts"}


def indicator(node_id: str, parent: str) -> dict:
    """An indicator passed through by PASS_THROUGH: goalposts 0 and 1, scale 1, no truncation."""
    return goalpost_indicator(node_id, parent)


def build(framework: list[dict], weights: list[tuple], values: dict) -> duckdb.DuckDBPyConnection:
    return engine_inputs.connect(framework, weights, values)


def run(con, aggregate_section: dict) -> list[dict]:
    return engine.run(con, {"normalise": PASS_THROUGH, "aggregate": aggregate_section})


def scores(con, node: str) -> dict:
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


def assert_contributions_add_up(con, root: str = "IDX"):
    rows = con.execute(
        """
        select r.unit_code, r.period, sum(r.contribution), any_value(s.score)
        from indicator_results r
        join node_scores s on s.unit_code = r.unit_code and s.period = r.period and s.node_id = ?
        group by r.unit_code, r.period
        """,
        [root],
    ).fetchall()
    assert rows
    for unit, period, total, score in rows:
        if score is None:
            assert total is None or total == 0, (unit, period, total)
        else:
            assert math.isclose(total, score, rel_tol=0, abs_tol=TOL), (unit, period, total, score)


# --- the four means on one node ----------------------------------------------------------------------------

FLAT = [
    dict(node_id="IDX", parent_id=None, level=2, node_type="Aggregate"),
    indicator("I1", "IDX"),
    indicator("I2", "IDX"),
]
FLAT_WEIGHTS = [("I1", 1.0), ("I2", 3.0)]  # rescaled: 0.25, 0.75
# A: 4, 16;  B: 1, 1;  C: I1 missing, 9
FLAT_VALUES = {**cells("ABC", 1, "I1", [4.0, 1.0, None]), **cells("ABC", 1, "I2", [16.0, 1.0, 9.0])}


@pytest.mark.parametrize(
    "section,expected_a",
    [
        # 0.25 * 4 + 0.75 * 16 = 13
        ({"method": "amean"}, 13.0),
        # 4^0.25 * 16^0.75 = 2^0.5 * 2^3 = 8 sqrt(2)
        ({"method": "gmean"}, 8 * math.sqrt(2)),
        # 1 / (0.25 / 4 + 0.75 / 16) = 1 / 0.109375
        ({"method": "hmean"}, 1 / 0.109375),
        # sqrt(0.25 * 16 + 0.75 * 256) = sqrt(196)
        ({"method": "genmean", "p": 2}, 14.0),
        # p = -1 is the harmonic mean, p = 1 the arithmetic one
        ({"method": "genmean", "p": -1}, 1 / 0.109375),
        ({"method": "genmean", "p": 1}, 13.0),
    ],
)
def test_means(section, expected_a):
    con = build(FLAT, FLAT_WEIGHTS, FLAT_VALUES)
    run(con, section)
    # B: every mean of 1 and 1 is 1;  C: I1 missing, the weight goes to I2 alone -> 9
    assert_close(scores(con, "IDX"), {("A", 1): expected_a, ("B", 1): 1.0, ("C", 1): 9.0})
    assert_contributions_add_up(con)


def test_gmean_contribution_rule():
    con = build(FLAT, FLAT_WEIGHTS, FLAT_VALUES)
    run(con, {"method": "gmean"})
    # A: arithmetic mean 13, gmean 8 sqrt(2) = 11.313708498984761, penalty 13 - 11.3137... = 1.686291501015239
    # contribution = effective weight * (value - penalty): I1 0.25 * (4 - 1.686...), I2 0.75 * (16 - 1.686...)
    penalty = 13 - 8 * math.sqrt(2)
    assert_close(
        contributions(con),
        {("A", 1, "I1"): 0.25 * (4 - penalty), ("A", 1, "I2"): 0.75 * (16 - penalty), ("C", 1, "I2"): 9.0},
    )
    assert contributions(con)[("C", 1, "I1")] is None


def test_genmean_reweights_over_present_children():
    framework = FLAT + [indicator("I3", "IDX")]
    weights = [("I1", 1.0), ("I2", 1.0), ("I3", 2.0)]
    values = {
        **cells("AB", 1, "I1", [1.0, 2.0]),
        **cells("AB", 1, "I2", [7.0, 2.0]),
        **cells("AB", 1, "I3", [None, 8.0]),
    }
    con = build(framework, weights, values)
    run(con, {"method": "genmean", "p": 2})
    # A: I3 missing, I1 and I2 weigh 1/2 each: sqrt((1 + 49) / 2) = 5
    # B: weights 1/4, 1/4, 1/2: sqrt((4 + 4) / 4 + 64 / 2) = sqrt(34)
    assert_close(scores(con, "IDX"), {("A", 1): 5.0, ("B", 1): math.sqrt(34)})
    assert_contributions_add_up(con)


# --- per-level override ---------------------------------------------------------------------------------------

TREE = [
    dict(node_id="IDX", parent_id=None, level=3, node_type="Aggregate"),
    dict(node_id="AGG1", parent_id="IDX", level=2, node_type="Aggregate"),
    dict(node_id="AGG2", parent_id="IDX", level=2, node_type="Aggregate"),
    indicator("I1", "AGG1"),
    indicator("I2", "AGG1"),
    indicator("I3", "AGG2"),
    indicator("I4", "AGG2"),
]
TREE_WEIGHTS = [("AGG1", 1.0), ("AGG2", 1.0), ("I1", 1.0), ("I2", 1.0), ("I3", 1.0), ("I4", 1.0)]
# A: 2, 6, 1, 15;  B: 3 everywhere
TREE_VALUES = {
    **cells("AB", 1, "I1", [2.0, 3.0]),
    **cells("AB", 1, "I2", [6.0, 3.0]),
    **cells("AB", 1, "I3", [1.0, 3.0]),
    **cells("AB", 1, "I4", [15.0, 3.0]),
}


def test_per_level_override():
    con = build(TREE, TREE_WEIGHTS, TREE_VALUES)
    log = run(con, {"method": "amean", "levels": {"3": "gmean"}})
    # level 2 stays amean: AGG1 (2 + 6) / 2 = 4 (gmean would give sqrt(12)), AGG2 (1 + 15) / 2 = 8
    # level 3 gmean: sqrt(4 * 8) = sqrt(32) (amean would give 6);  B: everything 3
    assert_close(scores(con, "AGG1"), {("A", 1): 4.0, ("B", 1): 3.0})
    assert_close(scores(con, "AGG2"), {("A", 1): 8.0, ("B", 1): 3.0})
    assert_close(scores(con, "IDX"), {("A", 1): math.sqrt(32), ("B", 1): 3.0})
    # contributions: effective weight 1/4 each, minus the root's penalty 6 - sqrt(32):
    #   I1 0.25 * (2 - (6 - sqrt(32)))
    assert_close(contributions(con), {("A", 1, "I1"): 0.25 * (2 - (6 - math.sqrt(32)))})
    assert_contributions_add_up(con)
    note = next(e for e in log if e["step"] == "aggregate")["notes"]
    assert "level 2: amean" in note and "level 3: gmean" in note


def test_override_of_a_level_without_aggregates_is_refused():
    con = build(TREE, TREE_WEIGHTS, TREE_VALUES)
    with pytest.raises(ConfigError, match=r"aggregate\.levels.*'7'"):
        run(con, {"method": "amean", "levels": {"7": "gmean"}})


# --- non-positive children ------------------------------------------------------------------------------------

ZERO_VALUES = {("A", 2021, "I1"): 0.0, ("A", 2021, "I2"): 8.0, ("B", 2021, "I1"): 3.0, ("B", 2021, "I2"): 3.0}


def test_gmean_zero_is_an_error_naming_node_unit_period_child():
    con = build(FLAT, [("I1", 1.0), ("I2", 1.0)], ZERO_VALUES)
    with pytest.raises(ConfigError) as caught:
        run(con, {"method": "gmean"})
    message = str(caught.value)
    for part in ("node IDX", "unit A", "period 2021", "child I1", "nonpositive"):
        assert part in message, message


def test_gmean_zero_with_shift():
    con = build(FLAT, [("I1", 1.0), ("I2", 1.0)], ZERO_VALUES)
    log = run(con, {"method": "gmean", "nonpositive": "shift"})
    # smallest child of IDX anywhere: 0 -> shift 1 - 0 = 1
    # A: sqrt((0 + 1) * (8 + 1)) - 1 = 3 - 1 = 2;  B: sqrt(4 * 4) - 1 = 3
    got = scores(con, "IDX")
    assert all(math.isfinite(v) for v in got.values())
    assert_close(got, {("A", 2021): 2.0, ("B", 2021): 3.0})
    # A: arithmetic mean 4, penalty 2: I1 0.5 * (0 - 2) = -1, I2 0.5 * (8 - 2) = 3
    assert_close(contributions(con), {("A", 2021, "I1"): -1.0, ("A", 2021, "I2"): 3.0})
    assert_contributions_add_up(con)
    assert "shifted IDX by 1" in next(e for e in log if e["step"] == "aggregate")["notes"]


def test_hmean_negative_with_shift():
    values = {**ZERO_VALUES, ("A", 2021, "I1"): -1.0}
    con = build(FLAT, [("I1", 1.0), ("I2", 1.0)], values)
    run(con, {"method": "hmean", "nonpositive": "shift"})
    # shift 1 - (-1) = 2: A 2 / (1/1 + 1/10) - 2 = 2 / 1.1 - 2;  B 2 / (1/5 + 1/5) - 2 = 3
    assert_close(scores(con, "IDX"), {("A", 2021): 2 / 1.1 - 2, ("B", 2021): 3.0})
    assert_contributions_add_up(con)


# --- copeland -------------------------------------------------------------------------------------------------


def test_copeland_three_units_and_a_sparse_fourth():
    framework = FLAT + [indicator("I3", "IDX")]
    weights = [("I1", 1.0), ("I2", 1.0), ("I3", 2.0)]
    # A: 3, 1, 3;  B: 2, 2, 2;  C: 1, 3, 1;  D: 0 and nothing else
    values = {
        **cells("ABCD", 1, "I1", [3.0, 2.0, 1.0, 0.0]),
        **cells("ABCD", 1, "I2", [1.0, 2.0, 3.0, None]),
        **cells("ABCD", 1, "I3", [3.0, 2.0, 1.0, None]),
    }
    con = build(framework, weights, values)
    run(con, {"method": "copeland"})
    # pairs among A, B, C share all three children (weight 1 + 1 + 2 = 4):
    #   A vs B: I1 win (+1), I2 loss (-1), I3 win (+2) -> +2/4 = 0.5;  A vs C and B vs C alike: 0.5
    # pairs with D share I1 only (weight 1): A, B and C all beat D -> +1 each, D -1 each
    # A 0.5 + 0.5 + 1 = 2;  B -0.5 + 0.5 + 1 = 1;  C -0.5 - 0.5 + 1 = 0;  D -3
    assert_close(scores(con, "IDX"), {("A", 1): 2.0, ("B", 1): 1.0, ("C", 1): 0.0, ("D", 1): -3.0})
    # A's shares: I1 1/4 + 1/4 + 1 = 1.5;  I2 -1/4 - 1/4 = -0.5;  I3 2/4 + 2/4 = 1
    assert_close(contributions(con), {("A", 1, "I1"): 1.5, ("A", 1, "I2"): -0.5, ("A", 1, "I3"): 1.0})
    assert_contributions_add_up(con)
    ranks = dict(con.execute("select unit_code, rank from node_scores where node_id = 'IDX'").fetchall())
    assert ranks == {"A": 1, "B": 2, "C": 3, "D": 4}


# --- validate_section -----------------------------------------------------------------------------------------


def test_defaults():
    assert aggregate.validate_section({}, "m") == {"method": "amean"}
    assert aggregate.validate_section({"method": "gmean"}, "m")["nonpositive"] == "error"
    spec = aggregate.validate_section({"levels": {3: "hmean"}}, "m")
    assert spec["levels"] == {"3": "hmean"} and spec["nonpositive"] == "error"
    assert aggregate.method_for_level({"aggregate": spec}, 3) == "hmean"
    assert aggregate.method_for_level({"aggregate": spec}, 2) == "amean"


@pytest.mark.parametrize(
    "body,named",
    [
        ({"method": "median"}, "aggregate.method"),
        ({"method": "genmean"}, "aggregate.p"),
        ({"method": "genmean", "p": "two"}, "aggregate.p"),
        ({"method": "amean", "p": 2}, "aggregate.p"),
        ({"method": "gmean", "nonpositive": "ignore"}, "aggregate.nonpositive"),
        ({"levels": {"3": "median"}}, "aggregate.levels.3"),
        ({"levels": {"top": "gmean"}}, "aggregate.levels"),
        ({"levels": "gmean"}, "aggregate.levels"),
        ({"weights": [1, 2]}, "aggregate.weights"),
    ],
)
def test_bad_values_name_the_key(body, named):
    assert_refused(aggregate.validate_section, body, named)


def test_bad_method_lists_the_allowed_ones():
    assert_refused(aggregate.validate_section, {"method": "median"}, "copeland")
