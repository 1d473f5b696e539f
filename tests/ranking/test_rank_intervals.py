"""`dei ranking` prints each rank's interval beside it when the release has rank_intervals (SYNTHETIC releases
from tests/conftest.make_release; the intervals below are made up), and the ranking alone when it has not."""

from __future__ import annotations

import pandas as pd

from index import cli
from index.commands import ranking


def _intervals(release, rows):
    frame = pd.DataFrame(rows, columns=["unit_code", "rank_low", "rank_high"])
    frame = frame.assign(node_id="DEI", year=2024, interval_low=0.05, interval_high=0.95)
    frame.to_parquet(release / "rank_intervals.parquet")


def test_the_interval_stands_beside_each_rank(tmp_path, make_release, capsys):
    release = make_release(tmp_path / "r", scores={150100: 60.0, 150200: 50.0, 150300: 40.0})
    _intervals(release, [(150100, 1.0, 2.0), (150200, 1.5, 2.5)])  # 150300: no interval (no replicate ranked it)
    assert cli.main(["ranking", "--release", str(release)]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(line for line in lines if "排名" in line)
    assert header.split()[:2] == ["排名", "5–95%"]
    rows = {r["unit_name"]: r for r in ranking.ranking(release)}
    for name, row in rows.items():
        shown = [line for line in lines if name in line][0].split()
        assert shown[0] == str(row["rank"])
        # a quantile between two ranks rounds outwards: 1.5–2.5 reads "1–3"
        expected = ranking.interval_text(row)
        assert (shown[1] == expected) if expected else (shown[1] == name)
    assert ranking.interval_text(rows["包头市"]) == "1–3" and ranking.interval_text(rows["呼和浩特市"]) == "1–2"
    assert any("plausible method choices" in line for line in lines)


def test_a_release_without_rank_intervals_prints_the_ranking_alone(tmp_path, make_release, capsys):
    release = make_release(tmp_path / "old")
    assert cli.main(["ranking", "--release", str(release)]) == 0
    out = capsys.readouterr().out
    assert "区间" not in out and "plausible" not in out
    assert all("rank_low" not in row for row in ranking.ranking(release))


def test_county_intervals_stand_beside_the_county_ranks_not_the_ranks_within_a_league(tmp_path, make_release, capsys):
    # SYNTHETIC: a 旗县 row and a 盟市 row in the same table, told apart by unit_level
    counties = {150102: 70.0, 150103: 30.0}
    release = make_release(tmp_path / "r", scores={150100: 60.0, 150200: 50.0}, counties=counties)
    frame = pd.DataFrame(
        [(150100, "league", 1.0, 2.0), (150102, "county", 1.0, 3.0), (150103, "county", 2.0, 4.0)],
        columns=["unit_code", "unit_level", "rank_low", "rank_high"],
    ).assign(node_id="DEI", year=2024, interval_low=0.05, interval_high=0.95)
    frame.to_parquet(release / "rank_intervals.parquet")
    county = {r["unit_code"]: r for r in ranking.ranking(release, level="county")}
    assert ranking.interval_text(county[150102]) == "1–3" and ranking.interval_text(county[150103]) == "2–4"
    league = {r["unit_code"]: r for r in ranking.ranking(release)}
    assert ranking.interval_text(league[150100]) == "1–2" and ranking.interval_text(league[150200]) == ""
    within = ranking.ranking(release, within="150100")
    assert within and all("rank_low" not in row for row in within)  # a rank within the 盟市 has no interval
