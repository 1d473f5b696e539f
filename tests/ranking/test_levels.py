"""`dei ranking` at both unit levels (--level, --within) and on a release from before the 旗县 level. The
releases are SYNTHETIC (tests/conftest.make_release: 3 盟市 and 5 of their 旗县市区)."""

from __future__ import annotations

import pytest

from index import cli
from index.commands import ranking

LEAGUES = {150100: 60.0, 150200: 50.0, 150300: 40.0}
# 新城区, 回民区 (呼和浩特市), 东河区, 昆都仑区 (包头市), 海勃湾区 (乌海市)
COUNTIES = {150102: 70.0, 150103: 30.0, 150202: 65.0, 150203: 75.0, 150302: 20.0}


@pytest.fixture
def release(tmp_path, make_release):
    return make_release(tmp_path / "r1", scores=LEAGUES, counties=COUNTIES)


def shown(capsys) -> list[list[str]]:
    return [line.split() for line in capsys.readouterr().out.splitlines()]


def test_the_default_ranks_the_leagues_alone(release):
    rows = ranking.ranking(release)
    assert [(r["unit_code"], r["rank"]) for r in rows] == [(150100, 1), (150200, 2), (150300, 3)]
    assert {r["unit_level"] for r in rows} == {"league"}


def test_level_county_ranks_the_counties_across_the_region(release, capsys):
    rows = ranking.ranking(release, level="county")
    by_score = sorted(COUNTIES, key=lambda c: -COUNTIES[c])
    assert [r["unit_code"] for r in rows] == by_score and [r["rank"] for r in rows] == [1, 2, 3, 4, 5]
    assert cli.main(["ranking", "--release", str(release), "--level", "county"]) == 0
    lines = shown(capsys)
    assert next(line for line in lines if "排名" in line)[:3] == ["排名", "旗县市区", "得分"]
    assert [line[:2] for line in lines if line and line[0].isdigit()] == [
        ["1", "昆都仑区"],
        ["2", "新城区"],
        ["3", "东河区"],
        ["4", "回民区"],
        ["5", "海勃湾区"],
    ]


@pytest.mark.parametrize("within", ["包头市", "包头", "150200"])
def test_within_ranks_the_counties_of_one_league_and_keeps_the_region_rank(release, capsys, within):
    rows = ranking.ranking(release, within=within)
    # 昆都仑区 75 and 东河区 65: 1st and 2nd in 包头市, 1st and 3rd of the five
    assert [(r["unit_name"], r["rank"], r["rank_in_region"]) for r in rows] == [("昆都仑区", 1, 1), ("东河区", 2, 3)]
    assert cli.main(["ranking", "--release", str(release), "--within", within]) == 0
    lines = shown(capsys)
    assert "全区排名" in next(line for line in lines if "排名" in line)
    assert [line[:2] for line in lines if line and line[0].isdigit()] == [["1", "昆都仑区"], ["2", "东河区"]]


def test_within_a_name_that_is_no_league_is_one_clear_line(release, capsys):
    assert cli.main(["ranking", "--release", str(release), "--within", "北京市"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dei ranking: --within:") and "Traceback" not in err


def test_a_release_from_before_the_county_level_ranks_its_leagues_and_says_it_has_no_counties(
    tmp_path, make_release, capsys
):
    old = make_release(tmp_path / "old", scores=LEAGUES, layout="league")
    rows = ranking.ranking(old)
    assert [(r["unit_code"], r["unit_name"], r["rank"]) for r in rows] == [
        (150100, "呼和浩特市", 1),
        (150200, "包头市", 2),
        (150300, "乌海市", 3),
    ]
    assert cli.main(["ranking", "--release", str(old), "--level", "county"]) == 2
    assert "--level county: the release ranks ['league'] only" in capsys.readouterr().err
    assert cli.main(["ranking", "--release", str(old), "--within", "包头市"]) == 2
    assert "--within 包头市: the release ranks ['league'] only" in capsys.readouterr().err
