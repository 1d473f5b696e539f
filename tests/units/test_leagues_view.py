"""index/leagues.py is a view over the unit registry that shows what reference/leagues.csv says."""

from __future__ import annotations

import csv
from pathlib import Path

from index import leagues, units

REFERENCE = Path(__file__).resolve().parents[2] / "reference"


def leagues_csv() -> list[dict]:
    with open(REFERENCE / "leagues.csv", encoding="utf-8-sig", newline="") as handle:
        return [
            {
                "code": int(row["code"]),
                "name_zh": row["name_zh"],
                "name_en": row["name_en"],
                "kind": row["kind"],
                "aliases": row["aliases"].split("|"),
                "approx_pop_2023_10k": float(row["approx_pop_2023_10k"]),
                "approx_gdp_2023_100m_yuan": float(row["approx_gdp_2023_100m_yuan"]),
            }
            for row in csv.DictReader(handle)
        ]


def test_the_leagues_view_equals_leagues_csv():
    assert leagues.leagues_table() == leagues_csv()
    assert leagues.leagues_table(REFERENCE / "leagues.csv") == leagues_csv()
    assert leagues.league_codes() == [row["code"] for row in leagues_csv()]
    assert leagues.league_names() == {row["code"]: row["name_zh"] for row in leagues_csv()}


def test_the_view_reads_the_registry():
    reg = units.registry(REFERENCE / units.UNITS_FILE)
    assert leagues.league_codes() == [u.code for u in reg.level("league")]
    for u in reg.level("league"):
        assert u.parent_code == units.REGION_CODE
        for name in u.names():
            assert leagues.resolve_league(name) == u.code


def test_the_folding_is_shared():
    assert leagues._fold is units.fold
    assert units.fold("\u3000包 头\u00a0市１") == "包头市1"


def test_counties_zones_and_the_region_are_no_league():
    for text in ("新城区", "土左旗", "150121", 150172, "乌拉盖", "呼和浩特市新城区", "内蒙古", "扎旗"):
        assert leagues.resolve_league(text) is None
    assert leagues.resolve_league("内蒙古包头市") == 150200
    assert leagues.resolve_league("乌兰察布盟") == 150900  # a former name
