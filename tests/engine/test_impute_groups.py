"""Imputation within groups (group_mean, group_median) and by nearest neighbours (knn), hand-worked.

ALL DATA HERE IS SYNTHETIC.
"""

from __future__ import annotations

import math

import duckdb
import pytest

from index import engine
from index.coinr import load_coinr
from index.errors import ConfigError

TOL = 1e-9


def write(directory, meta_codes: list[str], data: str):
    meta = ["Level,iCode,iName,Direction,Weight,Parent,Type"]
    meta += [f"1,{c},{c},1,1,IDX,Indicator" for c in meta_codes]
    meta += ["2,IDX,Index,1,1,,Aggregate", ",Region_group,Region,,,,Group"]
    (directory / "imeta.csv").write_text("\n".join(meta) + "\n", encoding="utf-8")
    (directory / "idata.csv").write_text(data, encoding="utf-8")


# Region_group: north = A, B, C, I; south = D, E, F; H has no group.
# X, period 1: north A -, B 2, C 10, I 3  -> mean 5, median 3;   south all missing -> nothing to fill
#    period 2: north A -, B 4, C 4, I 7   -> mean 5, median 4;   south D -, E 1, F 2 -> mean 1.5, median 1.5
# H is missing in both periods and has no group: it stays missing.
GROUP_DATA = """uCode,uName,Time,Region_group,X
A,A,1,north,
B,B,1,north,2
C,C,1,north,10
I,I,1,north,3
D,D,1,south,
E,E,1,south,
F,F,1,south,
H,H,1,,
A,A,2,north,
B,B,2,north,4
C,C,2,north,4
I,I,2,north,7
D,D,2,south,
E,E,2,south,1
F,F,2,south,2
H,H,2,,
"""
GROUP_EXPECTED = {
    "group_mean": {("A", 1): 5.0, ("A", 2): 5.0, ("D", 2): 1.5},
    "group_median": {("A", 1): 3.0, ("A", 2): 4.0, ("D", 2): 1.5},
}


def run(tmp_path, codes, data, impute):
    write(tmp_path, codes, data)
    con = duckdb.connect()
    load_coinr(con, tmp_path)
    log = engine.run(con, {"impute": impute})
    return con, log


@pytest.mark.parametrize("method", sorted(GROUP_EXPECTED))
def test_group_imputation(tmp_path, method):
    con, log = run(tmp_path, ["X"], GROUP_DATA, {"method": method, "group": "Region_group"})
    rows = con.execute("select unit_code, period, filled_value, imputed, imputation from impute").fetchall()
    expected = GROUP_EXPECTED[method]
    for unit, period, value, imputed, imputation in rows:
        if (unit, period) in expected:
            assert imputed and imputation == method, (unit, period)
            assert math.isclose(value, expected[(unit, period)], rel_tol=0, abs_tol=TOL), (unit, period, value)
        else:
            assert not imputed, (unit, period)
    missing = {(u, p) for u, p, v, _, _ in rows if v is None}
    # south in period 1 had no value at all; H has no group
    assert missing == {("D", 1), ("E", 1), ("F", 1), ("H", 1), ("H", 2)}
    entry = next(e for e in log if e["step"] == "impute")
    assert entry["imputed"] == 3 and entry["missing"] == 5
    assert "Region_group" in entry["notes"]


def test_group_column_must_exist(tmp_path):
    with pytest.raises(ConfigError, match=r"Income_group.*Region_group"):
        run(tmp_path, ["X"], GROUP_DATA, {"method": "group_mean", "group": "Income_group"})


# knn: A lacks Z. On (X, Y) its nearest units are B (distance 0.22), then E (0.34); C, D, F are far away.
#   period 1: k = 1 -> B's Z = 10;  k = 2 -> (10 + 14) / 2 = 12
#   period 2: the same X, Y with Z doubled: k = 2 -> (20 + 28) / 2 = 24 (neighbours come from the same period)
# (unit, X, Y, Z in period 1); period 2 repeats X and Y and doubles Z
KNN_UNITS = [
    ("A", 1.0, 1.0, None),
    ("B", 1.1, 1.2, 10),
    ("E", 0.85, 0.7, 14),
    ("C", 5.0, 5.0, 50),
    ("D", 5.2, 4.9, 52),
    ("F", 9.0, 9.0, 90),
]
KNN_DATA = "uCode,uName,Time,X,Y,Z\n" + "".join(
    f"{unit},{unit},{period},{x},{y},{'' if z is None else z * period}\n"
    for period in (1, 2)
    for unit, x, y, z in KNN_UNITS
)


@pytest.mark.parametrize("k,expected", [(1, {1: 10.0, 2: 20.0}), (2, {1: 12.0, 2: 24.0})])
def test_knn(tmp_path, k, expected):
    con, _ = run(tmp_path, ["X", "Y", "Z"], KNN_DATA, {"method": "knn", "k": k})
    rows = con.execute(
        "select unit_code, period, indicator_id, filled_value, imputed, imputation from impute where imputed"
    ).fetchall()
    assert {(u, p, i) for u, p, i, *_ in rows} == {("A", 1, "Z"), ("A", 2, "Z")}
    for _, period, _, value, _, imputation in rows:
        assert imputation == "knn"
        assert math.isclose(value, expected[period], rel_tol=0, abs_tol=TOL), (period, value)


def test_impute_method_keys():
    assert engine.validate_method({"impute": {"method": "knn"}})["impute"] == {"method": "knn", "k": 5}
    spec = engine.validate_method({"impute": {"method": "group_median", "group": "EurAsia_group"}})
    assert spec["impute"] == {"method": "group_median", "group": "EurAsia_group"}
    for body, named in [
        ({"method": "group_mean"}, "impute.group"),
        ({"method": "group_mean", "group": 3}, "impute.group"),
        ({"method": "mean", "group": "EurAsia_group"}, "impute.group"),
        ({"method": "knn", "k": 0}, "impute.k"),
        ({"method": "knn", "k": 2.5}, "impute.k"),
        ({"method": "median", "k": 3}, "impute.k"),
        ({"method": "hotdeck"}, "impute.method"),
    ]:
        with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
            engine.validate_method({"impute": body})
