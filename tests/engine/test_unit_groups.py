"""Scoring within groups of units, hand-worked: 2 盟市 with 5 旗县 (A: c1, c2, c3; B: c4, c5), normalised over all
旗县 or within each 盟市 (`normalise.group`), ranked among all 旗县 and within the 盟市 (`rank.group`).

ALL DATA HERE IS SYNTHETIC.

Framework: root R over I1 (weight 0.6, polarity +1) and I2 (weight 0.4, polarity -1); minmax [0, 100], amean.

    unit  盟市  I1  I2 | all 旗县: I1n  I2n  score  rank  in 盟市 | within 盟市: I1n  I2n  score  rank  in 盟市
    c1    A     10   5 |           0    0     0     5      3     |              0    0     0     5      3
    c2    A     20   1 |          25  100    55     3      1     |             50  100    70     2      2
    c3    A     30   3 |          50   50    50     4      2     |            100   50    80     1      1
    c4    B     40   2 |          75   75    75     1      1     |              0  100    40     4      2
    c5    B     50   4 |         100   25    70     2      2     |            100    0    60     3      1

(I2 directed = -x; over all 旗县 its range is -5 .. -1, within A -5 .. -1, within B -4 .. -2.)
"""

from __future__ import annotations

import math

import pytest

from index import engine
from index.errors import ConfigError
from tests.fixtures import engine_inputs

TOL = 1e-9
PARENT = {"c1": "A", "c2": "A", "c3": "A", "c4": "B", "c5": "B"}
VALUES = {"c1": (10, 5), "c2": (20, 1), "c3": (30, 3), "c4": (40, 2), "c5": (50, 4)}
FRAMEWORK = [
    {"node_id": "R", "parent_id": None, "level": 2, "node_type": "Aggregate", "polarity": None},
    {"node_id": "I1", "parent_id": "R", "level": 1, "node_type": "Indicator", "polarity": 1},
    {"node_id": "I2", "parent_id": "R", "level": 1, "node_type": "Indicator", "polarity": -1},
]
WEIGHTS = [("I1", 0.6), ("I2", 0.4)]

# unit: (I1 normalised, I2 normalised, score, rank among all, rank within its 盟市)
OVER_ALL = {
    "c1": (0, 0, 0, 5, 3),
    "c2": (25, 100, 55, 3, 1),
    "c3": (50, 50, 50, 4, 2),
    "c4": (75, 75, 75, 1, 1),
    "c5": (100, 25, 70, 2, 2),
}
WITHIN_PARENT = {
    "c1": (0, 0, 0, 5, 3),
    "c2": (50, 100, 70, 2, 2),
    "c3": (100, 50, 80, 1, 1),
    "c4": (0, 100, 40, 4, 2),
    "c5": (100, 0, 60, 3, 1),
}


def connect(groups: bool = True):
    observations = {}
    for unit, (i1, i2) in VALUES.items():
        observations[(unit, 2024, "I1")] = i1
        observations[(unit, 2024, "I2")] = i2
    con = engine_inputs.connect(FRAMEWORK, WEIGHTS, observations)
    if groups:
        rows = ", ".join(f"('{unit}', 'parent', '{league}')" for unit, league in PARENT.items())
        con.execute(
            f"create table unit_groups as select * from (values {rows}) as g (unit_code, group_column, group_value)"
        )
    return con


def results(con) -> dict:
    normalised = {
        (u, i): v for u, i, v in con.execute("select unit_code, indicator_id, normalised from normalise").fetchall()
    }
    scores = {
        u: (s, r)
        for u, s, r in con.execute("select unit_code, score, rank from node_scores where node_id = 'R'").fetchall()
    }
    group_ranks = {
        u: (g, r)
        for u, g, r in con.execute(
            "select unit_code, group_value, group_rank from group_ranks where node_id = 'R'"
        ).fetchall()
    }
    return {
        unit: (normalised[(unit, "I1")], normalised[(unit, "I2")], *scores[unit], group_ranks.get(unit))
        for unit in VALUES
    }


def check(got: dict, expected: dict) -> None:
    for unit, (i1, i2, score, rank, in_parent) in expected.items():
        n1, n2, s, r, (group, g) = got[unit]
        assert math.isclose(n1, i1, abs_tol=TOL) and math.isclose(n2, i2, abs_tol=TOL), (unit, n1, n2)
        assert math.isclose(s, score, abs_tol=TOL), (unit, s, score)
        assert (r, group, g) == (rank, PARENT[unit], in_parent), (unit, r, group, g)


def test_normalised_over_all_counties_ranked_among_all_and_within_the_league():
    con = connect()
    log = engine.run(con, {"normalise": {"method": "minmax", "range": [0, 100]}, "rank": {"group": "parent"}})
    check(results(con), OVER_ALL)
    assert next(e for e in log if e["step"] == "group_ranks")["rows"] == 5 * 3  # 5 units × (R, I1, I2)


def test_normalised_within_each_league():
    con = connect()
    log = engine.run(
        con, {"normalise": {"method": "minmax", "range": [0, 100], "group": "parent"}, "rank": {"group": "parent"}}
    )
    check(results(con), WITHIN_PARENT)
    assert "within each parent" in next(e for e in log if e["step"] == "normalise")["notes"]


@pytest.mark.parametrize("method", ["zscore", "rank", "prank"])
def test_every_scale_is_computed_within_the_group(method):
    # within a group the result equals a separate build of that group's units alone
    grouped = connect()
    engine.run(grouped, {"normalise": {"method": method, "group": "parent"}})
    together = dict(
        ((u, i), v)
        for u, i, v in grouped.execute("select unit_code, indicator_id, normalised from normalise").fetchall()
    )
    for league in ("A", "B"):
        units = [u for u, parent in PARENT.items() if parent == league]
        alone = engine_inputs.connect(
            FRAMEWORK, WEIGHTS, {(u, 2024, i): VALUES[u][k] for u in units for k, i in enumerate(("I1", "I2"))}
        )
        engine.run(alone, {"normalise": {"method": method}})
        for u, i, v in alone.execute("select unit_code, indicator_id, normalised from normalise").fetchall():
            assert math.isclose(together[(u, i)], v, abs_tol=TOL), (method, u, i)


def test_without_a_rank_group_there_is_no_group_ranks_table():
    con = connect()
    log = engine.run(con, {})
    assert "group_ranks" not in {e["step"] for e in log}
    assert not con.execute("select 1 from duckdb_tables() where table_name = 'group_ranks'").fetchall()


@pytest.mark.parametrize("section", ["normalise", "rank"])
def test_an_unknown_group_column_is_refused_with_the_known_ones(section):
    con = connect()
    with pytest.raises(ConfigError, match=rf"{section}.group = 'league' is not a group column.*known: \['parent'\]"):
        engine.run(con, {section: {"group": "league"}})


def test_a_group_without_unit_groups_is_refused():
    con = connect(groups=False)
    with pytest.raises(ConfigError, match="rank.group = 'parent' needs a unit_groups table"):
        engine.run(con, {"rank": {"group": "parent"}})


def test_a_group_with_base_period_normalisation_is_refused():
    with pytest.raises(ConfigError, match="normalise.group does not apply to method = 'base_period'"):
        engine.validate_method({"normalise": {"method": "base_period", "base_period": 2024, "group": "parent"}})
