"""Every [normalise] method on a tiny hand-worked example, and normalise.validate_section.

ALL DATA HERE IS SYNTHETIC: made-up units A-D, indicators P (higher is better) and N (lower is better).
"""

from __future__ import annotations

import duckdb
import pytest

from index import engine
from index.engine import normalise
from index.errors import ConfigError
from tests.fixtures import engine_inputs
from tests.fixtures.cells import assert_close, cells
from tests.fixtures.config_errors import assert_refused
from tests.fixtures.engine_inputs import goalpost_indicator

FRAMEWORK = [
    dict(node_id="IDX", parent_id=None, level=2, node_type="Aggregate"),
    # goalposts: P 0..4 scaled to 100, truncated; N 15..35, not truncated (scale defaults to 1)
    goalpost_indicator("P", "IDX", lower=0.0, upper=4.0, scale=100.0, trunc2posts=True, polarity=1, target=4.0),
    goalpost_indicator("N", "IDX", lower=15.0, upper=35.0, scale=None, trunc2posts=False, polarity=-1, target=15.0),
]
WEIGHTS = [("P", 1.0), ("N", 1.0)]
# period 1: P  A 1, B 3, C 3, D 5 (B and C tie);   N  A 10, B 20, C 40, D 30
# period 2: P  A 2, B 3, C 6, D 4;                 N  A 5, B 40, C 40, D 0
VALUES = {
    ("A", 1, "P"): 1.0,
    ("B", 1, "P"): 3.0,
    ("C", 1, "P"): 3.0,
    ("D", 1, "P"): 5.0,
    ("A", 1, "N"): 10.0,
    ("B", 1, "N"): 20.0,
    ("C", 1, "N"): 40.0,
    ("D", 1, "N"): 30.0,
    ("A", 2, "P"): 2.0,
    ("B", 2, "P"): 3.0,
    ("C", 2, "P"): 6.0,
    ("D", 2, "P"): 4.0,
    ("A", 2, "N"): 5.0,
    ("B", 2, "N"): 40.0,
    ("C", 2, "N"): 40.0,
    ("D", 2, "N"): 0.0,
}


def build() -> duckdb.DuckDBPyConnection:
    return engine_inputs.connect(FRAMEWORK, WEIGHTS, VALUES)


def normalised(section: dict) -> dict:
    con = build()
    engine.run(con, {"normalise": section})
    return {
        (u, p, i): v
        for u, p, i, v in con.execute(
            "select unit_code, period, indicator_id, normalised from indicator_results"
        ).fetchall()
    }


def test_minmax_reverses_negative_polarity():
    got = normalised({"method": "minmax", "range": [0, 10], "scope": "year"})
    # P period 1: (x - 1) / 4 * 10 -> 0, 5, 5, 10
    # N period 1: d = -x in {-10, -20, -40, -30}, (d + 40) / 30 * 10 -> A 10, B 20/3, C 0, D 10/3
    assert_close(
        got, {**cells("ABCD", 1, "P", [0.0, 5.0, 5.0, 10.0]), **cells("ABCD", 1, "N", [10.0, 20 / 3, 0.0, 10 / 3])}
    )


def test_zscore_with_target_mean_and_sd():
    got = normalised({"method": "zscore", "mean": 50, "sd": 10, "scope": "year"})
    # P period 1: mean 3, deviations -2, 0, 0, 2, sample sd sqrt(8 / 3) = 1.632993161855452
    #   A 50 - 10 * 2 / 1.632993161855452 = 37.75255128608411, B = C = 50, D 62.24744871391589
    # N period 1: d = -x, mean -25, deviations 15, 5, -15, -5, sample sd sqrt(500 / 3) = 12.909944487358056
    #   A 50 + 10 * 15 / 12.909944487358056 = 61.61895003862225, B 53.872983346207417,
    #   C 38.38104996137775, D 46.12701665379258
    p = cells("ABCD", 1, "P", [37.75255128608411, 50.0, 50.0, 62.24744871391589])
    n = cells("ABCD", 1, "N", [61.61895003862225, 53.872983346207417, 38.38104996137775, 46.12701665379258])
    assert_close(got, {**p, **n})


def test_prank_by_year():
    got = normalised({"method": "prank", "scope": "year"})
    # P period 1: sport ranks (ties share the lowest) A 1, B 2, C 2, D 4; (r - 1) / (4 - 1)
    # N period 1: d = -x, ascending C (-40), D (-30), B (-20), A (-10) -> 0, 1/3, 2/3, 1
    assert_close(
        got, {**cells("ABCD", 1, "P", [0.0, 1 / 3, 1 / 3, 1.0]), **cells("CDBA", 1, "N", [0.0, 1 / 3, 2 / 3, 1.0])}
    )


def test_prank_panel_pools_the_periods():
    got = normalised({"method": "prank", "scope": "panel"})
    # P pooled: 1, 3, 3, 5, 2, 3, 6, 4 -> sorted 1, 2, 3, 3, 3, 4, 5, 6; lowest ranks 1 -> 1, 2 -> 2, 3 -> 3,
    # 4 -> 6, 5 -> 7, 6 -> 8; (r - 1) / 7
    # period 1: A 0, B 2/7, D 6/7;  period 2: A 1/7, B 2/7, D 5/7, C 1
    assert_close(
        got, {**cells("ABD", 1, "P", [0.0, 2 / 7, 6 / 7]), **cells("ABDC", 2, "P", [1 / 7, 2 / 7, 5 / 7, 1.0])}
    )


def test_rank_averages_ties():
    got = normalised({"method": "rank", "scope": "year"})
    # P period 1: A 1, B and C share ranks 2 and 3 -> 2.5 each, D 4;  N period 1 (reversed): C 1, D 2, B 3, A 4
    assert_close(got, {**cells("ABCD", 1, "P", [1.0, 2.5, 2.5, 4.0]), **cells("CDBA", 1, "N", [1.0, 2.0, 3.0, 4.0])})


def test_goalposts_from_the_framework():
    got = normalised({"method": "goalposts"})
    # P (posts 0, 4, scale 100, truncated): (x - 0) / 4 * 100 -> A 25, B 75, C 75, D 5/4 -> truncated to 1 -> 100
    # N (polarity -1, posts 15, 35, scale 1, not truncated): (35 - x) / 20 -> A 1.25, B 0.75, C -0.25, D 0.25
    #   period 2 D: x = 0 -> 35 / 20 = 1.75 (beyond the post, kept)
    p, n = cells("ABCD", 1, "P", [25.0, 75.0, 75.0, 100.0]), cells("ABCD", 1, "N", [1.25, 0.75, -0.25, 0.25])
    assert_close(got, {**p, **n, ("D", 2, "N"): 1.75})


@pytest.mark.parametrize("cap_max", [False, True])
def test_dist2targ(cap_max):
    got = normalised({"method": "dist2targ", "scope": "year", "cap_max": cap_max})
    # P target 4, period-1 min 1: 1 - (4 - x) / (4 - 1) -> A 0, B 2/3, C 2/3, D 4/3 (capped: 1)
    # N target 15, lower is better: 1 - (x - 15) / (max x - 15), period-1 max 40
    #   -> A 1 - (-5) / 25 = 1.2 (capped: 1), B 0.8, C 0, D 0.4
    p = cells("ABCD", 1, "P", [0.0, 2 / 3, 2 / 3, 1.0 if cap_max else 4 / 3])
    n = cells("ABCD", 1, "N", [1.0 if cap_max else 1.2, 0.8, 0.0, 0.4])
    assert_close(got, {**p, **n})


def test_base_year():
    got = normalised({"method": "base_year", "base_period": 1})
    # P: x / x(period 1) * 100 -> period 2 A 2/1 = 200, B 3/3 = 100, C 6/3 = 200, D 4/5 = 80; period 1 all 100
    # N (lower is better, inverted): x(period 1) / x * 100 -> A 10/5 = 200, B 20/40 = 50, C 40/40 = 100,
    #   D x = 0: no positive divisor -> NULL
    period_2 = {
        **cells("ABCD", 2, "P", [200.0, 100.0, 200.0, 80.0]),
        **cells("ABCD", 2, "N", [200.0, 50.0, 100.0, None]),
    }
    assert_close(got, {("A", 1, "P"): 100.0, ("D", 1, "N"): 100.0, **period_2})


def test_base_period_must_exist():
    con = build()
    with pytest.raises(ConfigError, match="base_period"):
        engine.run(con, {"normalise": {"method": "base_year", "base_period": 1999}})


def test_goalposts_need_the_framework_columns():
    con = build()
    con.execute("update framework set goalpost_upper = null where node_id = 'N'")
    with pytest.raises(ConfigError, match=r"goalposts.*\['N'\]"):
        engine.run(con, {"normalise": {"method": "goalposts"}})


# --- validate_section ---------------------------------------------------------------------------------------


def test_defaults():
    assert normalise.validate_section({}, "m") == {"method": "minmax", "range": [0, 100], "scope": "panel"}
    spec = normalise.validate_section({"method": "zscore"}, "m")
    assert (spec["mean"], spec["sd"]) == (0.0, 1.0)
    assert normalise.validate_section({"method": "dist2targ"}, "m")["cap_max"] is False


@pytest.mark.parametrize(
    "body,named",
    [
        ({"method": "softmax"}, "normalise.method"),
        ({"scope": "decade"}, "normalise.scope"),
        ({"range": [5, 5]}, "normalise.range"),
        ({"method": "zscore", "sd": 0}, "normalise.sd"),
        ({"method": "minmax", "mean": 3}, "normalise.mean"),
        ({"method": "base_year"}, "normalise.base_period"),
        ({"method": "base_year", "base_period": "2020"}, "normalise.base_period"),
        ({"method": "dist2targ", "cap_max": "yes"}, "normalise.cap_max"),
        ({"goalposts": [0, 1]}, "normalise.goalposts"),
    ],
)
def test_bad_values_name_the_key(body, named):
    assert_refused(normalise.validate_section, body, named)


def test_bad_method_lists_the_allowed_ones():
    assert_refused(normalise.validate_section, {"method": "softmax"}, "dist2targ")
