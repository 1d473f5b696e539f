"""Screening ([screen] min_data, on = raw | imputed): who is dropped, and that dropped units vanish downstream.

The synthetic part: ALL DATA THERE IS SYNTHETIC. The ASEM part uses COINr's ASEM example
(tests/fixtures/asem, EU JRC, MIT licence), whose README states that screening the raw data at 90% drops
BGD, BRN, KHM, LAO and MMR while screening the imputed data drops nobody.
"""

from __future__ import annotations

import copy
import math
import tomllib
from pathlib import Path

import duckdb
import pytest

from index import engine
from index.coinr import load_coinr
from index.errors import ConfigError

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "asem"
RAW_DROPS = {"BGD", "BRN", "KHM", "LAO", "MMR"}


def asem_method() -> dict:
    with (FIXTURE / "method.toml").open("rb") as handle:
        return tomllib.load(handle)


def run_asem(screen: dict):
    con = duckdb.connect()
    load_coinr(con, FIXTURE)
    method = copy.deepcopy(asem_method())
    method["screen"] = screen
    return con, engine.run(con, method)


def units_in(con, table: str) -> set[str]:
    return {u for (u,) in con.execute(f"select distinct unit_code from {table}").fetchall()}


def test_asem_screened_on_raw_drops_five_units_everywhere_downstream():
    con, log = run_asem({"min_data": 0.9, "on": "raw"})
    dropped = {u for (u,) in con.execute("select unit_code from screen_units where not kept").fetchall()}
    assert dropped == RAW_DROPS
    assert len(units_in(con, "impute")) == 51  # imputation comes before screening
    for table in ("screen", "treat", "normalise", "weight", "aggregate", "indicator_results", "node_scores"):
        assert units_in(con, table).isdisjoint(RAW_DROPS), table
        assert len(units_in(con, table)) == 46, table
    entry = next(e for e in log if e["step"] == "screen")
    assert {d["unit_code"] for d in entry["dropped"]} == RAW_DROPS
    assert all(unit in entry["notes"] for unit in RAW_DROPS)
    # ranks are among the 46 kept units only
    assert con.execute("select max(rank) from node_scores where node_id = 'Index'").fetchone()[0] == 46


def test_asem_screened_on_imputed_keeps_everyone():
    con, log = run_asem({"min_data": 0.9, "on": "imputed"})
    assert con.execute("select count(*) from screen_units where not kept").fetchone()[0] == 0
    assert len(units_in(con, "node_scores")) == 51
    assert next(e for e in log if e["step"] == "screen")["dropped"] == []


# --- synthetic: 3 indicators, units A (3 of 3 reported), B (2 of 3), C (nothing) ---------------------------


def write_small(directory):
    (directory / "imeta.csv").write_text(
        "Level,iCode,iName,Direction,Weight,Parent,Type\n"
        "1,X,X,1,1,IDX,Indicator\n1,Y,Y,1,1,IDX,Indicator\n1,Z,Z,1,1,IDX,Indicator\n"
        "2,IDX,Index,1,1,,Aggregate\n",
        encoding="utf-8",
    )
    (directory / "idata.csv").write_text("uCode,uName,X,Y,Z\nA,A,1,2,3\nB,B,4,,6\nC,C,,,\n", encoding="utf-8")


@pytest.mark.parametrize(
    "screen,impute,kept",
    [
        # B has 2 / 3 = 0.667 of the indicators, C 0 / 3
        ({"min_data": 0.0}, "none", {"A", "B", "C"}),
        ({"min_data": 0.6, "on": "raw"}, "none", {"A", "B"}),
        ({"min_data": 0.7, "on": "raw"}, "none", {"A"}),
        ({"min_data": 1.0, "on": "imputed"}, "none", {"A"}),
        # mean imputation fills every gap (C gets the cross-section means), so on imputed data all pass ...
        ({"min_data": 1.0, "on": "imputed"}, "mean", {"A", "B", "C"}),
        # ... while on the raw data the same imputation does not help
        ({"min_data": 0.7, "on": "raw"}, "mean", {"A"}),
    ],
)
def test_share_of_indicators_present(tmp_path, screen, impute, kept):
    write_small(tmp_path)
    con = duckdb.connect()
    load_coinr(con, tmp_path)
    engine.run(con, {"impute": {"method": impute}, "screen": screen})
    assert units_in(con, "treat") == kept
    assert units_in(con, "node_scores") == kept
    shares = dict(con.execute("select unit_code, data_availability from screen_units").fetchall())
    if screen.get("on", "imputed") == "raw" or impute == "none":
        assert math.isclose(shares["B"], 2 / 3) and shares["C"] == 0 and shares["A"] == 1


def test_screen_method_keys():
    assert engine.validate_method({})["screen"] == {"min_data": 0.0, "on": "imputed"}
    for body, named in [
        ({"min_data": 1.5}, "screen.min_data"),
        ({"min_data": "90%"}, "screen.min_data"),
        ({"on": "denominated"}, "screen.on"),
        ({"by": "unit"}, "screen.by"),
    ]:
        with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
            engine.validate_method({"screen": body})
