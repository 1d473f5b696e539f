"""Outlier treatment ([treat] winsorise_then_log, COINr's default Treat()) on hand-worked examples.

ALL DATA HERE IS SYNTHETIC. 14 units U01..U14, two periods, four indicators under one root:

    A  period 1: 1, 2, ..., 12, 200, 1000    (one far outlier and a second one)
    B  period 1: -A                          (the same shape on the low tail)
    C  period 1: 1, 2, ..., 12, 1000, 1000   (two tied outliers)
    D  period 1: 1, 2, ..., 14               (no outlier)
    every indicator in period 2: 1, 2, ..., 14

Skewness / kurtosis (pandas skew() / kurt(), the sample-adjusted G1 / G2; checked below against pandas):
    A: 3.5251 / 12.696 fails (|skew| >= 2 and kurt >= 3.5); 1000 -> 200: 2.2841 / 3.7611 still fails;
       the two 200s -> 12: -0.2062 / -1.3566 passes. So winmax 5: A winsorised, 2 points, U13 and U14 = 12.
    B: mirror image: skewness negative, the low tail moves: U13 and U14 = -12.
    C: 2.2944 / 3.7905 fails; both 1000s are the maximum and move together to 12: passes (2 points).
    D and every period-2 indicator: skewness 0, kurtosis -1.2: untouched.
With winmax 1, A still fails after one point, so its untreated values are logged:
    log(x - min + 0.01 (max - min)) = log(x - 1 + 9.99); B likewise log(x + 1000 + 9.99).
C still ends winsorised (its one step already moved 2 tied points and it passes), as in COINr.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from index import engine
from index.coinr import load_coinr
from index.errors import ConfigError

TOL = 1e-9
UNITS = [f"U{i:02d}" for i in range(1, 15)]
A1 = [float(x) for x in range(1, 13)] + [200.0, 1000.0]
PERIOD_1 = {
    "A": A1,
    "B": [-x for x in A1],
    "C": [float(x) for x in range(1, 13)] + [1000.0, 1000.0],
    "D": [float(x) for x in range(1, 15)],
}
PERIOD_2 = {code: [float(x) for x in range(1, 15)] for code in PERIOD_1}


def write_coinr(directory, periods: dict[int, dict[str, list[float]]]):
    codes = list(next(iter(periods.values())))
    meta = ["Level,iCode,iName,Direction,Weight,Parent,Type"]
    meta += [f"1,{c},Indicator {c},1,1,IDX,Indicator" for c in codes]
    meta += ["2,IDX,Index,1,1,,Aggregate"]
    (directory / "imeta.csv").write_text("\n".join(meta) + "\n", encoding="utf-8")
    data = ["uCode,uName,Time," + ",".join(codes)]
    for period, values in periods.items():
        for i, unit in enumerate(UNITS):
            data.append(f"{unit},Unit {unit},{period}," + ",".join(repr(values[c][i]) for c in codes))
    (directory / "idata.csv").write_text("\n".join(data) + "\n", encoding="utf-8")


def run(tmp_path, treat: dict, periods=None):
    write_coinr(tmp_path, periods or {1: PERIOD_1, 2: PERIOD_2})
    con = duckdb.connect()
    load_coinr(con, tmp_path)
    log = engine.run(con, {"treat": treat})
    return con, log


def treated(con) -> dict:
    return {
        (u, p, i): (v, t)
        for u, p, i, v, t in con.execute(
            "select unit_code, period, indicator_id, treated_value, treatment from treat"
        ).fetchall()
    }


def test_winsorise_both_tails_and_ties(tmp_path):
    con, log = run(tmp_path, {"method": "winsorise_then_log"})
    cells = treated(con)
    expected = {
        ("U13", "A"): (12.0, "winsorised_high"),
        ("U14", "A"): (12.0, "winsorised_high"),
        ("U13", "B"): (-12.0, "winsorised_low"),
        ("U14", "B"): (-12.0, "winsorised_low"),
        ("U13", "C"): (12.0, "winsorised_high"),
        ("U14", "C"): (12.0, "winsorised_high"),
    }
    for (unit, period, code), (value, label) in cells.items():
        if period == 1 and (unit, code) in expected:
            assert (value, label) == expected[(unit, code)], (unit, code)
        else:
            original = (PERIOD_1 if period == 1 else PERIOD_2)[code][UNITS.index(unit)]
            assert value == original and label is None, (unit, period, code, value, label)
    decisions = {
        (i, p): (t, n)
        for i, p, t, n in con.execute(
            "select indicator_id, period, treatment, winsorised_points from treat_indicators"
        ).fetchall()
    }
    assert decisions[("A", 1)] == ("winsorised", 2)
    assert decisions[("B", 1)] == ("winsorised", 2)
    assert decisions[("C", 1)] == ("winsorised", 2)
    assert decisions[("D", 1)] == ("none", 0)
    assert all(decisions[(code, 2)] == ("none", 0) for code in PERIOD_2)  # each period on its own
    entry = next(e for e in log if e["step"] == "treat")
    assert entry["winsorised"] == ["A", "B", "C"] and entry["log_transformed"] == []


def test_log_when_winsorising_is_not_enough(tmp_path):
    con, _ = run(tmp_path, {"method": "winsorise_then_log", "winmax": 1})
    cells = treated(con)
    for i, unit in enumerate(UNITS):
        value, label = cells[(unit, 1, "A")]
        assert label == "log"
        assert math.isclose(value, math.log(A1[i] - 1 + 9.99), rel_tol=0, abs_tol=TOL)
        value, label = cells[(unit, 1, "B")]
        assert label == "log"
        assert math.isclose(value, math.log(-A1[i] + 1000 + 9.99), rel_tol=0, abs_tol=TOL)
    # ties: one step winsorised two points, more than winmax, and C passes: it stays winsorised
    assert cells[("U14", 1, "C")] == (12.0, "winsorised_high")
    assert cells[("U13", 1, "C")] == (12.0, "winsorised_high")


def test_winmax_zero_goes_straight_to_log(tmp_path):
    con, _ = run(tmp_path, {"method": "winsorise_then_log", "winmax": 0})
    decisions = dict(con.execute("select indicator_id, treatment from treat_indicators where period = 1").fetchall())
    assert decisions == {"A": "log", "B": "log", "C": "log", "D": "none"}


def test_skewness_and_kurtosis_are_pandas_g1_g2(tmp_path):
    # synthetic lognormal-ish data with a seed: the SQL moments must equal pandas' skew() and kurt()
    rng = np.random.default_rng(7)
    periods = {1: {f"R{j}": [float(x) for x in np.round(rng.lognormal(0, 1 + j / 2, len(UNITS)), 6)] for j in range(5)}}
    con, _ = run(tmp_path, {"method": "winsorise_then_log"}, periods)
    moments = {
        i: (s, k)
        for i, s, k in con.execute(
            "select indicator_id, skewness_before, kurtosis_before from treat_indicators"
        ).fetchall()
    }
    for code, values in periods[1].items():
        series = pd.Series(values, dtype=float)
        assert math.isclose(moments[code][0], series.skew(), rel_tol=1e-9, abs_tol=1e-12), code
        assert math.isclose(moments[code][1], series.kurt(), rel_tol=1e-9, abs_tol=1e-12), code


def test_the_hand_worked_statistics_hold():
    # the figures the module docstring relies on, from pandas (independent of the engine)
    def stats(values):
        s = pd.Series(values, dtype=float)
        return s.skew(), s.kurt()

    skew, kurt = stats(A1)
    assert abs(skew) >= 2 and kurt >= 3.5
    skew, kurt = stats(A1[:12] + [200.0, 200.0])
    assert abs(skew) >= 2 and kurt >= 3.5
    skew, kurt = stats(A1[:12] + [12.0, 12.0])
    assert abs(skew) < 2
    skew, kurt = stats(PERIOD_1["C"])
    assert abs(skew) >= 2 and kurt >= 3.5


def test_none_leaves_the_imputed_values(tmp_path):
    con, log = run(tmp_path, {"method": "none"})
    differ = con.execute(
        """
        select count(*) from treat join impute using (unit_code, period, indicator_id)
        where treat.treated_value is distinct from impute.filled_value or treat.treatment is not null
        """
    ).fetchone()[0]
    assert differ == 0
    assert con.execute("select count(*) from treat").fetchone()[0] == 14 * 2 * 4


def test_normalise_reads_the_treated_values(tmp_path):
    con, _ = run(tmp_path, {"method": "winsorise_then_log"})
    # C period 1 winsorised to 1..12, 12, 12: the pooled panel (with period 2's 1..14) has max 14, so
    # U14 normalises to (12 - 1) / (14 - 1) * 100, not 100
    value = con.execute(
        "select normalised from normalise where unit_code = 'U14' and period = 1 and indicator_id = 'C'"
    ).fetchone()[0]
    assert math.isclose(value, 11 / 13 * 100, rel_tol=0, abs_tol=TOL)
    assert con.execute("select count(*) from impute where filled_value = 1000").fetchone()[0] == 3  # untouched


def test_treat_method_keys():
    spec = engine.validate_method({"treat": {"method": "winsorise_then_log"}})
    assert spec["treat"] == {"method": "winsorise_then_log", "winmax": 5, "skew": 2.0, "kurtosis": 3.5}
    assert engine.validate_method({})["treat"]["method"] == "none"
    for body, named in [
        ({"method": "winsorise"}, "treat.method"),
        ({"method": "winsorise_then_log", "winmax": -1}, "treat.winmax"),
        ({"method": "winsorise_then_log", "winmax": 2.5}, "treat.winmax"),
        ({"method": "winsorise_then_log", "skew": "high"}, "treat.skew"),
        ({"method": "winsorise_then_log", "skew": 0}, "treat.skew"),
        ({"method": "winsorise_then_log", "kurtosis": float("nan")}, "treat.kurtosis"),
        ({"method": "none", "trim": 1}, "treat.trim"),
    ]:
        with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
            engine.validate_method({"treat": body})
