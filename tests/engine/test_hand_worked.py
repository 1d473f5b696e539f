"""A hand-worked example of the whole engine chain; every expected number is worked out in the comments.

ALL DATA HERE IS SYNTHETIC: made-up units A, B, C and indicators I1..I4, chosen so the arithmetic is easy.

Framework (level 1 = indicator, 2 = aggregate, 3 = root):

    IDX (root, level 3)
    ├── AGG1 (weight 0.6)            ├── AGG2 (weight 0.4)
    │   ├── I1 (0.25, polarity +1)   │   ├── I3 (0.4, polarity +1, denominator POP, scale 100)
    │   └── I2 (0.75, polarity -1)   │   └── I4 (0.6, polarity +1)
    POP: Denominator (no parent, no weight)

Method: denominate on, impute panel_linear, normalise minmax [0, 100] pooled over the panel, amean.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from index import engine
from tests.fixtures import engine_inputs
from tests.fixtures.cells import INDICATOR_RESULT_COLUMNS, TOL, assert_close, cells
from tests.fixtures.engine_inputs import framework_frame

METHOD = {
    "denominate": {},
    "impute": {"method": "panel_linear"},
    "normalise": {"method": "minmax", "range": [0, 100], "scope": "panel"},
    "aggregate": {"method": "amean"},
}


FRAMEWORK = framework_frame(
    [
        dict(node_id="IDX", parent_id=None, level=3, node_type="Aggregate"),
        dict(node_id="AGG1", parent_id="IDX", level=2, node_type="Aggregate"),
        dict(node_id="AGG2", parent_id="IDX", level=2, node_type="Aggregate"),
        dict(node_id="I1", parent_id="AGG1", level=1, node_type="Indicator", polarity=1),
        dict(node_id="I2", parent_id="AGG1", level=1, node_type="Indicator", polarity=-1),
        dict(
            node_id="I3",
            parent_id="AGG2",
            level=1,
            node_type="Indicator",
            polarity=1,
            denominator="POP",
            denominator_scale=100.0,
        ),
        dict(node_id="I4", parent_id="AGG2", level=1, node_type="Indicator", polarity=1),
        dict(node_id="POP", parent_id=None, level=1, node_type="Denominator"),
    ]
)

WEIGHTS = pd.DataFrame(
    [("AGG1", 0.6), ("AGG2", 0.4), ("I1", 0.25), ("I2", 0.75), ("I3", 0.4), ("I4", 0.6)], columns=["node_id", "weight"]
)

LOADED = datetime(2024, 1, 1)
RELOADED = datetime(2024, 6, 1)

# {(unit, period, variable): value}; each row lists A, B, C in 2021, then A, B, C in 2022; None = reported missing
OBSERVATIONS = {
    # I1: A's 2021 value is first submitted as 999, then corrected to 10 by a later load (below)
    **cells("ABC", (2021, 2022), "I1", [999.0, 20.0, 30.0, 20.0, 30.0, 40.0]),
    # I2 (lower is better): C's 2022 value is reported missing -> panel_linear must fill it
    **cells("ABC", (2021, 2022), "I2", [5.0, 3.0, 1.0, 4.0, 2.0, None]),
    # I3 raw, divided by POP and multiplied by 100
    **cells("ABC", (2021, 2022), "I3", [2.0, 6.0, 3.0, 4.0, 6.0, 5.0]),
    **cells("ABC", (2021, 2022), "POP", [100.0, 200.0, 50.0, 100.0, 300.0, 50.0]),
    **cells("ABC", (2021, 2022), "I4", [1.0, 2.0, 3.0, 3.0, 3.0, 1.0]),
    # a variable the framework does not know: ignored
    ("A", 2021, "NOT_IN_FRAMEWORK"): 123.0,
}


@pytest.fixture(scope="module")
def engine_run():
    units = pd.DataFrame({"unit_code": ["A", "B", "C"], "unit_name": ["a", "b", "c"]})
    rows = [(u, p, v, x, LOADED) for (u, p, v), x in OBSERVATIONS.items()] + [("A", 2021, "I1", 10.0, RELOADED)]
    con = engine_inputs.connect(FRAMEWORK, WEIGHTS, rows, units)
    log = engine.run(con, METHOD)
    yield con, log
    con.close()


@pytest.fixture(scope="module")
def con(engine_run):
    return engine_run[0]


@pytest.fixture(scope="module")
def log(engine_run):
    return engine_run[1]


def indicator_column(con, column: str) -> dict:
    rows = con.execute(f"select unit_code, period, indicator_id, {column} from indicator_results").fetchall()
    return {(u, p, i): v for u, p, i, v in rows}


def node_column(con, column: str) -> dict:
    rows = con.execute(f"select unit_code, period, node_id, {column} from node_scores").fetchall()
    return {(u, p, n): v for u, p, n, v in rows}


def test_output_shapes(con, log):
    # 3 units x 2 periods x 4 indicators = 24 indicator rows
    assert con.execute("select count(*) from indicator_results").fetchone()[0] == 24
    # 3 units x 2 periods x (4 indicators + 3 aggregates) = 42 node rows
    assert con.execute("select count(*) from node_scores").fetchone()[0] == 42
    assert [c[0] for c in con.execute("describe indicator_results").fetchall()] == INDICATOR_RESULT_COLUMNS
    assert [c[0] for c in con.execute("describe node_scores").fetchall()] == [
        "unit_code",
        "period",
        "node_id",
        "level",
        "score",
        "rank",
        "score_change",
        "rank_change",
    ]
    steps = [entry["step"] for entry in log]
    assert steps[:10] == "stage denominate impute screen treat normalise weight aggregate rank period_change".split()


def test_raw_values_latest_load_wins(con):
    raw = indicator_column(con, "raw_value")
    assert raw[("A", 2021, "I1")] == 10.0  # the later load (10) supersedes 999
    assert raw[("C", 2022, "I2")] is None  # reported missing stays NULL in raw_value


def test_denominated_values(con):
    # I3 denominated = I3 / POP * 100
    #   2021: A 2/100*100 = 2;  B 6/200*100 = 3;  C 3/50*100 = 6
    #   2022: A 4/100*100 = 4;  B 6/300*100 = 2;  C 5/50*100 = 10
    # other indicators have no denominator: denominated = raw
    expected = cells("ABC", (2021, 2022), "I3", [2.0, 3.0, 6.0, 4.0, 2.0, 10.0])
    expected |= {("A", 2021, "I1"): 10.0, ("B", 2022, "I4"): 3.0}
    expected[("C", 2022, "I2")] = None  # missing before imputation
    assert_close(indicator_column(con, "denominated_value"), expected)


def test_imputed_values_and_flags(con):
    # C's I2 is known only in 2021 (1.0); 2022 is after its last known period, so panel_linear carries the
    # nearest known value: 1.0. It is the only imputed cell.
    rows = con.execute(
        "select unit_code, period, indicator_id, imputation from indicator_results where imputed"
    ).fetchall()
    assert rows == [("C", 2022, "I2", "panel_linear")]
    assert con.execute("select count(*) from indicator_results where imputation is not null").fetchone()[0] == 1
    assert con.execute("select count(*) from impute where imputed").fetchone()[0] == 1
    assert (
        con.execute(
            "select filled_value from impute where unit_code = 'C' and period = 2022 and indicator_id = 'I2'"
        ).fetchone()[0]
        == 1.0
    )


def test_normalised_values(con):
    # minmax [0, 100], min and max pooled over both periods:
    # I1 values {10, 20, 30, 20, 30, 40}: min 10, max 40 -> (x - 10) / 30 * 100
    #   2021: A 0/30*100 = 0;     B 10/30*100 = 33.333...;  C 20/30*100 = 66.666...
    #   2022: A 33.333...;        B 66.666...;              C 30/30*100 = 100
    # I2 polarity -1, values {5, 3, 1, 4, 2, 1 (imputed)}: min 1, max 5 -> 100 - (x - 1) / 4 * 100
    #   2021: A 100 - 4/4*100 = 0;  B 100 - 2/4*100 = 50;  C 100 - 0 = 100
    #   2022: A 100 - 3/4*100 = 25; B 100 - 1/4*100 = 75;  C 100 - 0 = 100
    # I3 denominated {2, 3, 6, 4, 2, 10}: min 2, max 10 -> (x - 2) / 8 * 100
    #   2021: A 0;  B 1/8*100 = 12.5;  C 4/8*100 = 50
    #   2022: A 2/8*100 = 25;  B 0;    C 8/8*100 = 100
    # I4 {1, 2, 3, 3, 3, 1}: min 1, max 3 -> (x - 1) / 2 * 100
    #   2021: A 0;  B 50;  C 100
    #   2022: A 100;  B 100;  C 0
    # one row per indicator: A, B, C in 2021, then A, B, C in 2022
    expected = {
        **cells("ABC", (2021, 2022), "I1", [0.0, 100 / 3, 200 / 3, 100 / 3, 200 / 3, 100.0]),
        **cells("ABC", (2021, 2022), "I2", [0.0, 50.0, 100.0, 25.0, 75.0, 100.0]),
        **cells("ABC", (2021, 2022), "I3", [0.0, 12.5, 50.0, 25.0, 0.0, 100.0]),
        **cells("ABC", (2021, 2022), "I4", [0.0, 50.0, 100.0, 100.0, 100.0, 0.0]),
    }
    assert_close(indicator_column(con, "normalised"), expected)


def test_effective_weights_and_contributions(con):
    # nothing missing after imputation, so no re-weighting: product of weights along the path
    #   I1 0.6 * 0.25 = 0.15;  I2 0.6 * 0.75 = 0.45;  I3 0.4 * 0.4 = 0.16;  I4 0.4 * 0.6 = 0.24  (sum 1)
    expected = {"I1": 0.15, "I2": 0.45, "I3": 0.16, "I4": 0.24}
    weights = indicator_column(con, "effective_weight")
    assert_close(weights, {(u, p, i): w for u in "ABC" for p in (2021, 2022) for i, w in expected.items()})
    # contributions of B in 2022: I1 66.667 * 0.15 = 10;  I2 75 * 0.45 = 33.75;  I3 0 * 0.16 = 0;
    # I4 100 * 0.24 = 24;  sum 67.75 = IDX score of B in 2022 (below)
    assert_close(
        indicator_column(con, "contribution"),
        {("B", 2022, "I1"): 10.0, ("B", 2022, "I2"): 33.75, ("B", 2022, "I3"): 0.0, ("B", 2022, "I4"): 24.0},
    )


def test_aggregate_scores(con):
    # AGG1 = 0.25 * I1 + 0.75 * I2
    #   2021: A 0.25*0 + 0.75*0 = 0
    #         B 0.25*33.333 + 0.75*50 = 8.3333 + 37.5 = 45.8333...
    #         C 0.25*66.667 + 0.75*100 = 16.6667 + 75 = 91.6666...
    #   2022: A 0.25*33.333 + 0.75*25 = 8.3333 + 18.75 = 27.0833...
    #         B 0.25*66.667 + 0.75*75 = 16.6667 + 56.25 = 72.9166...
    #         C 0.25*100 + 0.75*100 = 100
    # AGG2 = 0.4 * I3 + 0.6 * I4
    #   2021: A 0;  B 0.4*12.5 + 0.6*50 = 5 + 30 = 35;  C 0.4*50 + 0.6*100 = 20 + 60 = 80
    #   2022: A 0.4*25 + 0.6*100 = 10 + 60 = 70;  B 0 + 60 = 60;  C 0.4*100 + 0 = 40
    # IDX = 0.6 * AGG1 + 0.4 * AGG2
    #   2021: A 0;  B 0.6*45.8333 + 0.4*35 = 27.5 + 14 = 41.5;  C 0.6*91.6667 + 0.4*80 = 55 + 32 = 87
    #   2022: A 0.6*27.0833 + 0.4*70 = 16.25 + 28 = 44.25;  B 0.6*72.9167 + 0.4*60 = 43.75 + 24 = 67.75
    #         C 0.6*100 + 0.4*40 = 60 + 16 = 76
    agg1 = [0.0, 45.833333333333333, 91.666666666666667, 27.083333333333333, 72.916666666666667, 100.0]
    expected = {
        **cells("ABC", (2021, 2022), "AGG1", agg1),
        **cells("ABC", (2021, 2022), "AGG2", [0.0, 35.0, 80.0, 70.0, 60.0, 40.0]),
        **cells("ABC", (2021, 2022), "IDX", [0.0, 41.5, 87.0, 44.25, 67.75, 76.0]),
        # indicators appear in node_scores with score = normalised
        ("B", 2021, "I3"): 12.5,
        ("C", 2022, "I2"): 100.0,
    }
    assert_close(node_column(con, "score"), expected)
    levels = dict(con.execute("select distinct node_id, level from node_scores").fetchall())
    assert levels == {"IDX": 3, "AGG1": 2, "AGG2": 2, "I1": 1, "I2": 1, "I3": 1, "I4": 1}


def test_contributions_add_up_to_root(con):
    rows = con.execute(
        """
        select r.unit_code, r.period, sum(r.contribution), any_value(s.score)
        from indicator_results r
        join node_scores s on s.unit_code = r.unit_code and s.period = r.period and s.node_id = 'IDX'
        group by all
        """
    ).fetchall()
    assert len(rows) == 6
    for unit, period, total, root in rows:
        assert abs(total - root) <= TOL, (unit, period, total, root)


def test_ranks(con):
    # IDX   2021: C 87 -> 1, B 41.5 -> 2, A 0 -> 3        2022: C 76 -> 1, B 67.75 -> 2, A 44.25 -> 3
    # AGG2  2021: C 80 -> 1, B 35 -> 2, A 0 -> 3          2022: A 70 -> 1, B 60 -> 2, C 40 -> 3
    # I4    2021: C 100 -> 1, B 50 -> 2, A 0 -> 3         2022: A 100 and B 100 tie -> 1, 1; C 0 -> 3
    ranks = node_column(con, "rank")
    # A, B, C in 2021, then in 2022
    expected = {
        **cells("ABC", (2021, 2022), "IDX", [3, 2, 1, 3, 2, 1]),
        **cells("ABC", (2021, 2022), "AGG2", [3, 2, 1, 1, 2, 3]),
        **cells("ABC", (2021, 2022), "I4", [3, 2, 1, 1, 1, 3]),
    }
    assert {k: ranks[k] for k in expected} == expected


def test_period_change(con):
    # score_change = 2022 score - 2021 score; rank_change = 2021 rank - 2022 rank (positive = moved up)
    # IDX:  A 44.25 - 0 = 44.25, rank 3 -> 3: 0;  B 67.75 - 41.5 = 26.25, 2 -> 2: 0;  C 76 - 87 = -11, 1 -> 1: 0
    # AGG2: A 70 - 0 = 70, rank 3 -> 1: +2;  B 60 - 35 = 25, 2 -> 2: 0;  C 40 - 80 = -40, 1 -> 3: -2
    # I4:   A 100 - 0 = 100, 3 -> 1: +2;  B 100 - 50 = 50, 2 -> 1: +1;  C 0 - 100 = -100, 1 -> 3: -2
    score_change = {
        **cells("ABC", 2022, "IDX", [44.25, 26.25, -11.0]),
        **cells("ABC", 2022, "AGG2", [70.0, 25.0, -40.0]),
        **cells("ABC", 2022, "I4", [100.0, 50.0, -100.0]),
    }
    assert_close(node_column(con, "score_change"), score_change)
    rank_change = node_column(con, "rank_change")
    expected = {**cells("ABC", 2022, "IDX", [0, 0, 0]), **cells("ABC", 2022, "AGG2", [2, 0, -2])}
    expected |= cells("ABC", 2022, "I4", [2, 1, -2])
    assert {k: rank_change[k] for k in expected} == expected
    # the first period has nothing to compare with
    first = con.execute(
        "select count(*) from node_scores where period = 2021 and (score_change is not null or rank_change is not null)"
    ).fetchone()[0]
    assert first == 0


def test_log(log):
    impute_entry = next(e for e in log if e["step"] == "impute")
    assert impute_entry["imputed"] == 1
    assert "1 of 1 missing cells imputed" in impute_entry["notes"]
    assert all({"step", "rows", "seconds", "notes"} <= set(e) for e in log)
