"""The roll-up check (index/rollup.py, sql/validate/rollup_check.sql), hand-worked on 2 盟市 and 5 旗县.

ALL DATA HERE IS SYNTHETIC. 盟市 A: 旗县 c1, c2, c3 and development zone zA; 盟市 B: 旗县 c4, c5. Figures: F
(additive, reported by 旗县), S (a share: not additive), L (additive, reported by 盟市 only). Tolerance 1 %.

    year  盟市  F of the 旗县 (+ zone)   sum  盟市 figure  relative   verdict
    2024  A     10, 20, 30               60   60.4         -0.66 %    agrees (within 1 %)
    2024  B     40, 50                   90   100          -10 %      differs
    2023  A     10, 20, -                 -    60           -          incomplete (c3 did not report)
    2023  B     40, 50                   90   -            -          no_league_figure
    2022  A     10, 20, 30               60   70           -14.3 %    zones_unreported (zA did not report)
    2021  A     10, 20, 30 + zA 5        65   66           -1.5 %     differs (the zone reported)
    2020  A     10, 20, 30               60   50           +20 %      differs (an excess is never the zone's)
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from index import rollup
from index.errors import ConfigError

UNITS = pd.DataFrame(
    [
        ("A", "league", "R"),
        ("B", "league", "R"),
        ("c1", "county", "A"),
        ("c2", "county", "A"),
        ("c3", "county", "A"),
        ("zA", "zone", "A"),
        ("c4", "county", "B"),
        ("c5", "county", "B"),
    ],
    columns=["unit_code", "unit_level", "parent_code"],
)
FRAMEWORK = pd.DataFrame(
    [("F", "league,county", True), ("S", "league,county", False), ("L", "league", True)],
    columns=["node_id", "levels", "additive"],
)
COUNTIES_A = {"c1": 10.0, "c2": 20.0, "c3": 30.0}
COUNTIES_B = {"c4": 40.0, "c5": 50.0}


def observations() -> pd.DataFrame:
    rows = []
    for year in (2024, 2022, 2021, 2020):
        rows += [(unit, year, "F", value) for unit, value in COUNTIES_A.items()]
    rows += [("c1", 2023, "F", 10.0), ("c2", 2023, "F", 20.0), ("c3", 2023, "F", None)]
    for year in (2024, 2023):
        rows += [(unit, year, "F", value) for unit, value in COUNTIES_B.items()]
    rows += [("zA", 2021, "F", 5.0)]
    rows += [("A", 2024, "F", 60.4), ("B", 2024, "F", 100.0), ("A", 2023, "F", 60.0), ("A", 2022, "F", 70.0)]
    rows += [("A", 2021, "F", 66.0), ("A", 2020, "F", 50.0)]
    # not checked: a share, and a figure the 旗县 do not report (a stray 旗县 row of it included)
    rows += [("c1", 2024, "S", 50.0), ("A", 2024, "S", 20.0), ("A", 2024, "L", 7.0), ("c1", 2024, "L", 1.0)]
    return pd.DataFrame(rows, columns=["unit_code", "year", "indicator_id", "value"])


EXPECTED = {
    ("A", 2024): ("agrees", 60.0, 60.4),
    ("B", 2024): ("differs", 90.0, 100.0),
    ("A", 2023): ("incomplete", 30.0, 60.0),
    ("B", 2023): ("no_league_figure", 90.0, None),
    ("A", 2022): ("zones_unreported", 60.0, 70.0),
    ("A", 2021): ("differs", 65.0, 66.0),
    ("A", 2020): ("differs", 60.0, 50.0),
}


def test_every_league_and_year_gets_the_hand_worked_verdict():
    found = rollup.check(observations(), UNITS, FRAMEWORK, tolerance_share=0.01)
    assert set(found["indicator_id"]) == {"F"}
    got = {
        (row.league_code, row.year): (
            row.verdict,
            row.parts_sum,
            None if pd.isna(row.league_value) else row.league_value,
        )
        for row in found.itertuples()
    }
    assert got.keys() == EXPECTED.keys()
    for key, (verdict, parts_sum, league_value) in EXPECTED.items():
        assert got[key][0] == verdict, key
        assert math.isclose(got[key][1], parts_sum), key
        assert got[key][2] == league_value, key
    a_2021 = found[(found["league_code"] == "A") & (found["year"] == 2021)].iloc[0]
    assert (a_2021["counties_reported"], a_2021["counties_expected"], a_2021["zones_reported"]) == (3, 3, 1)
    assert math.isclose(a_2021["relative_difference"], -1 / 66)


def test_a_wider_tolerance_lets_the_small_difference_agree():
    found = rollup.check(observations(), UNITS, FRAMEWORK, tolerance_share=0.02)
    verdict = found.set_index(["league_code", "year"])["verdict"]
    assert verdict[("A", 2021)] == "agrees" and verdict[("B", 2024)] == "differs"


def test_the_messages_name_the_league_year_figure_and_what_to_do():
    found = rollup.check(observations(), UNITS, FRAMEWORK, tolerance_share=0.01)
    lines = {(r.league_code, r.year): rollup.message(r, 0.01) for r in found.itertuples() if r.verdict != "agrees"}
    assert lines[("B", 2024)] == (
        "roll-up B 2024 F: the 旗县 add up to 90 but the 盟市 reported 100 (-10.0%, beyond the 1.0% tolerance);"
        " check both submissions"
    )
    assert "only 2 of 3 旗县 reported" in lines[("A", 2023)]
    assert "reported no figure of its own" in lines[("B", 2023)]
    assert "development zones did not report" in lines[("A", 2022)]


@pytest.mark.parametrize("text", ["1.5", "-0.1", "one percent"])
def test_a_bad_tolerance_setting_is_refused(monkeypatch, text):
    monkeypatch.setenv(rollup.TOLERANCE_ENV, text)
    with pytest.raises(ConfigError, match=rf"DEI_ROLLUP_TOLERANCE='{text}'"):
        rollup.tolerance()


def test_the_registry_gives_every_unit_its_level_and_parent():
    units = rollup.registry_units()
    counts = units["unit_level"].value_counts().to_dict()
    assert counts == {"county": 103, "league": 12, "zone": 5, "region": 1}
    leagues = set(units.loc[units["unit_level"] == "league", "unit_code"])
    assert set(units.loc[units["unit_level"].isin(["county", "zone"]), "parent_code"]) == leagues


def test_validate_logs_the_rollup_of_the_curated_lake_and_dei_rollup_lists_it(tmp_path, monkeypatch, capsys):
    """On a lake with the 盟市 file and the 旗县 file of 呼和浩特市 (SYNTHETIC): the 旗县 population falls 10 short."""
    from index import cli, pipeline
    from index.config import settings
    from index.units import registry

    monkeypatch.setenv("DEI_LAKE", str(tmp_path / "lake"))
    cfg = settings()
    cfg.landing.mkdir(parents=True)
    counties = registry().children(150100, ("county",))
    county_rows = [f"{u.name_zh},{20 + i}" for i, u in enumerate(counties)]
    total = sum(20 + i for i in range(len(counties)))
    (cfg.landing / "2024_呼和浩特市统计局_旗县区数字经济主要指标.csv").write_text(
        "\n".join(["旗县（市、区）,常住人口（万人）", *county_rows]) + "\n", encoding="utf-8"
    )
    (cfg.landing / "2024_自治区统计局_常住人口.csv").write_text(
        f"盟市,常住人口（万人）\n呼和浩特市,{total + 10}\n", encoding="utf-8"
    )
    pipeline.ingest_step(cfg=cfg)
    summary = pipeline.validate_step(cfg=cfg)
    assert summary["rollup"][0] == "roll-up of the 旗县 to their 盟市 (1 figures): 1 zones_unreported"
    assert "roll-up 150100 2024 population" in summary["rollup"][1] and "development zones" in summary["rollup"][1]
    out_csv = tmp_path / "rollup.csv"
    assert cli.main(["rollup", "--csv", str(out_csv)]) == 0
    out = capsys.readouterr().out
    assert "1 zones_unreported" in out and out_csv.is_file()
    assert pd.read_csv(out_csv)["parts_sum"].tolist() == [float(total)]
