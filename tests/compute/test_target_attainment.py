"""sql/release/target_attainment.sql by hand: the one definition of "share of the 2025 target" and "on track"
(the site shows the table, it does not work these out). SYNTHETIC figures."""

from __future__ import annotations

import duckdb
import pytest


def _attainment(repo, denominated: list[tuple]) -> dict:
    con = duckdb.connect()
    con.execute(
        "create table denominate (unit_code integer, period integer, indicator_id varchar, denominated_value double)"
    )
    con.executemany("insert into denominate values (?, ?, ?, ?)", denominated)
    con.execute(
        "create table units as select 150100 as unit_code, '呼和浩特市' as unit_name, 'league' as unit_level,"
        " 150000 as parent_code"
    )
    con.execute("""create table framework as select * from (values
        ('up', 'Indicator', '%', 1, 50.0), ('down', 'Indicator', '比值', -1, 1.2), ('none', 'Indicator', '%', 1, null)
    ) as t(node_id, node_type, unit, polarity, target_2025)""")
    con.execute("""create table region_values (unit_code integer, unit_name varchar, period integer,
                                               indicator_id varchar, denominated_value double)""")
    con.execute("set variable release_id = 'synthetic'")
    query = (repo / "sql" / "release" / "target_attainment.sql").read_text(encoding="utf-8").strip().rstrip(";")
    rows = con.execute(f"select * from ({query}) where year = 2022").fetch_df()
    return {r.indicator_id: r for r in rows.itertuples()}


def test_share_and_on_track_by_hand(repo):
    # up   (higher is better, target 50): 2019..2022 = 20, 26, 32, 38 -> share 38/50 = 0.76; growth 2021->2022
    #      38/32 - 1 = 0.1875 -> 2025: 38 × 1.1875³ = 63.63 >= 50: on track, not reached yet
    # down (lower is better, target 1.2): 1.5 in 2021 and 2022 -> share 1.2/1.5 = 0.8; growth 0 -> 1.5 > 1.2: behind
    # none has no target: not in the table
    out = _attainment(
        repo,
        [(150100, y, "up", v) for y, v in zip(range(2019, 2023), (20, 26, 32, 38))]
        + [(150100, 2021, "down", 1.5), (150100, 2022, "down", 1.5), (150100, 2022, "none", 9.0)],
    )
    assert set(out) == {"up", "down"}
    assert out["up"].attainment == pytest.approx(0.76) and out["up"].growth_rate == pytest.approx(0.1875)
    assert out["up"].projected_2025 == pytest.approx(38 * 1.1875**3)
    assert bool(out["up"].on_track) and not bool(out["up"].target_reached)
    assert out["down"].attainment == pytest.approx(0.8) and not bool(out["down"].on_track)


def test_a_reached_target_is_on_track_even_without_a_growth_rate(repo):
    # one reported year only: no growth rate, so no projection; 55 >= 50 is reached and so on track
    out = _attainment(repo, [(150100, 2022, "up", 55.0)])
    assert out["up"].growth_rate is None or out["up"].growth_rate != out["up"].growth_rate
    assert bool(out["up"].target_reached) and bool(out["up"].on_track)
