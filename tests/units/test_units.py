"""The unit registry (reference/units.csv, index/units.py) against the 2020 census, and name resolution."""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path

import pytest

from index import units as U
from index.errors import SubmissionProblem
from index.units import UnitNameError, build_units, registry, render_csv, resolve_unit, write_units

REFERENCE = Path(__file__).resolve().parents[2] / "reference"
REG = registry(REFERENCE / U.UNITS_FILE)
COUNTIES = REG.level("county")
LEAGUES = {u.code: u for u in REG.level("league")}


def census_units() -> dict[int, dict]:
    with open(REFERENCE / U.CENSUS_FILE, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    out: dict[int, dict] = {}
    for row in rows:
        out.setdefault(
            int(row["code"]),
            {
                "name": row["name"],
                "level": row["level"],
                "parent": int(row["parent_code"]) if row["parent_code"] else None,
            },
        )
        if row["indicator"] == "人口数_合计":
            out[int(row["code"])]["pop"] = int(row["value"])
    return out


# ------------------------------------------------------------------------------------------ the registry


def test_committed_csv_equals_a_fresh_generation(tmp_path):
    out = write_units(tmp_path / "units.csv", reference=REFERENCE)
    assert out.read_bytes() == (REFERENCE / U.UNITS_FILE).read_bytes()
    assert render_csv(build_units(REFERENCE)) == (REFERENCE / U.UNITS_FILE).read_text(encoding="utf-8")


def test_counts_by_level():
    assert Counter(u.level for u in REG.units) == {"region": 1, "league": 12, "county": 103, "zone": 5}
    assert len([u for u in REG.units if u.level in ("region", "league", "county")]) == 116


def test_counts_per_league_match_the_census():
    census = census_units()
    expected = Counter(c["parent"] for c in census.values() if c["level"] == "county")
    got = Counter(u.parent_code for u in COUNTIES)
    assert got == expected
    assert {LEAGUES[code].name_zh: n for code, n in got.items()} == {
        "呼和浩特市": 9,
        "包头市": 9,
        "乌海市": 3,
        "赤峰市": 12,
        "通辽市": 8,
        "鄂尔多斯市": 9,
        "呼伦贝尔市": 14,
        "巴彦淖尔市": 7,
        "乌兰察布市": 11,
        "兴安盟": 6,
        "锡林郭勒盟": 12,
        "阿拉善盟": 3,
    }
    for county in COUNTIES:
        assert REG.parent(county).level == "league"


def test_every_census_unit_with_its_name_parent_level_and_population():
    census = census_units()
    assert {u.code for u in REG.units} == set(census)
    for u in REG.units:
        c = census[u.code]
        assert (u.name_zh, u.level, u.parent_code, u.pop_2020) == (c["name"], c["level"], c["parent"], c["pop"])


def test_populations_add_up_counties_plus_zones_to_the_league():
    for league in LEAGUES.values():
        below = REG.children(league.code)
        assert sum(u.pop_2020 for u in below) == league.pop_2020
    assert sum(u.pop_2020 for u in LEAGUES.values()) == REG.unit(150000).pop_2020


def test_kinds_and_english_names():
    for u in COUNTIES:
        assert u.kind in U.COUNTY_KINDS
        ending = {
            "市辖区": " District",
            "县级市": " City",
            "县": " County",
            "旗": " Banner",
            "自治旗": " Autonomous Banner",
        }[u.kind]
        assert u.name_en.endswith(ending), u
    assert {u.kind for u in LEAGUES.values()} == {"地级市", "盟"}
    assert all(u.kind == U.ZONE_KIND and not u.ranked for u in REG.level("zone"))
    assert all(u.ranked for u in REG.units if u.level != "zone")
    names_en = [u.name_en for u in REG.units]
    assert len(set(names_en)) == len(names_en)
    assert REG.unit(150121).name_en == "Tumed Left Banner"
    assert REG.unit(150102).name_en == "Xincheng District"
    assert REG.unit(150781).name_en == "Manzhouli City"
    assert counts_of_kind() == {"市辖区": 23, "县级市": 11, "县": 17, "旗": 49, "自治旗": 3}


def counts_of_kind() -> dict[str, int]:
    return dict(Counter(u.kind for u in COUNTIES))


def test_the_only_shared_short_name_is_zhaqi():
    shared = REG.ambiguous_names()
    assert {k: sorted(u.code for u in v) for k, v in shared.items()} == {"扎旗": [150526, 152223]}


# ------------------------------------------------------------------------------------------ resolution


@pytest.mark.parametrize("county", COUNTIES, ids=lambda u: u.name_zh)
def test_every_county_resolves_from_its_name_and_code(county):
    league = LEAGUES[county.parent_code]
    texts = [
        county.name_zh,
        f" {county.name_zh}\u3000",
        str(county.code),
        county.code,
        float(county.code),
        f"{county.code}.0",
        str(county.code).translate(str.maketrans("0123456789", "０１２３４５６７８９")),
        league.name_zh + county.name_zh,
        league.name_zh[:-1] + county.name_zh,
        "内蒙古自治区" + league.name_zh + county.name_zh,
    ]
    for text in texts:
        assert resolve_unit(text, path=REFERENCE / U.UNITS_FILE) is county, text
        assert REG.resolve(text, parent=league.code, levels="county") is county, text
        assert REG.resolve(text, parent=league.name_zh) is county, text
        assert REG.resolve(text, parent=150000) is county, text


def test_every_alias_stem_and_former_name_resolves():
    shared = REG.ambiguous_names()
    checked = 0
    for u in REG.units:
        for name in u.names()[1:]:
            if U.fold(name) in shared:
                assert REG.resolve(name, parent=u.parent_code) is u
            else:
                assert REG.resolve(name) is u, name
            checked += 1
    assert checked > 150


@pytest.mark.parametrize(
    "text, code",
    [
        ("土左旗", 150121),
        ("土右旗", 150221),
        ("达茂旗", 150223),
        ("达茂联合旗", 150223),
        ("莫旗", 150722),
        ("莫力达瓦旗", 150722),
        ("鄂温克旗", 150724),
        ("鄂伦春旗", 150723),
        ("科左中旗", 150521),
        ("科右前旗", 152221),
        ("察右后旗", 150928),
        ("东乌旗", 152525),
        ("阿左旗", 152921),
        ("伊旗", 150627),
        ("准旗", 150622),
        ("托县", 150122),
        ("托克托", 150122),
        ("新城", 150102),
        ("满洲里", 150781),
        ("东胜", 150602),
        ("昆区", 150203),
        ("呼和浩特市新城区", 150102),
        ("呼和浩特新城区", 150102),
        ("呼市新城区", 150102),
        ("锡盟二连", 152501),
        ("内蒙古包头市昆都仑区", 150203),
        ("集宁市", 150902),
        ("临河市", 150802),
        ("丰镇县", 150981),
        ("包头稀土高新区", 150271),
        ("伊克昭盟", 150600),
        ("内蒙古", 150000),
        ("150000", 150000),
    ],
)
def test_short_forms(text, code):
    assert REG.resolve(text).code == code


def test_an_ambiguous_short_name_is_rejected_with_its_candidates():
    with pytest.raises(UnitNameError) as caught:
        REG.resolve("扎旗")
    err = caught.value
    assert err.rule == "ambiguous_unit"
    assert [(c, n, p) for c, n, p, _ in err.candidate_rows] == [
        (150526, "扎鲁特旗", 150500),
        (152223, "扎赉特旗", 152200),
    ]
    assert "150526 扎鲁特旗 (通辽市)" in str(err) and "152223 扎赉特旗 (兴安盟)" in str(err)


@pytest.mark.parametrize(
    "parent, code",
    [(152200, 152223), ("兴安盟", 152223), ("兴安", 152223), ("150500", 150526), ("通辽", 150526), (150500.0, 150526)],
)
def test_an_ambiguous_short_name_resolves_with_its_parent(parent, code):
    assert REG.resolve("扎旗", parent=parent).code == code
    assert REG.resolve("扎旗", parent=REG.unit(parent if isinstance(parent, int) else code // 100 * 100)).code == code


def test_the_league_written_in_front_singles_out_an_ambiguous_name():
    assert REG.resolve("兴安盟扎旗").code == 152223
    assert REG.resolve("通辽市扎旗").code == 150526


def test_a_county_with_a_wrong_parent_is_rejected_naming_its_real_parent():
    with pytest.raises(UnitNameError) as caught:
        REG.resolve("土默特左旗", parent="包头")
    err = caught.value
    assert err.rule == "wrong_parent"
    assert err.candidate_rows == ((150121, "土默特左旗", 150100, "呼和浩特市"),)
    assert "包头市" in str(err) and "呼和浩特市" in str(err)
    with pytest.raises(UnitNameError) as written:
        REG.resolve("包头新城区")
    assert written.value.rule == "wrong_parent" and "呼和浩特市" in str(written.value)
    with pytest.raises(UnitNameError) as both:
        REG.resolve("扎旗", parent="赤峰")
    assert both.value.rule == "wrong_parent" and {c[0] for c in both.value.candidate_rows} == {150526, 152223}


@pytest.mark.parametrize(
    "text, closest",
    [
        ("土默特", {150121, 150221}),
        ("土默特左", {150121}),
        ("达尔罕茂明安旗", {150223}),
        ("科尔沁左翼前旗", {150521, 150522}),
    ],
)
def test_an_unknown_name_lists_the_closest_candidates(text, closest):
    with pytest.raises(UnitNameError) as caught:
        REG.resolve(text)
    err = caught.value
    assert err.rule == "unknown_unit"
    assert closest <= {c[0] for c in err.candidate_rows}
    for code in closest:
        assert REG.unit(code).name_zh in str(err)


@pytest.mark.parametrize("text", ["北京市", "", "   ", None, True, "1501", 150100.5, float("nan"), "150199", 159999])
def test_nonsense_is_unknown(text):
    with pytest.raises(UnitNameError) as caught:
        REG.resolve(text)
    assert caught.value.rule == "unknown_unit"


def test_levels_restrict_the_answer():
    with pytest.raises(UnitNameError) as zone:
        REG.resolve("乌拉盖管委会", levels="county")
    assert zone.value.rule == "wrong_level" and "not ranked" in str(zone.value)
    assert zone.value.candidate_rows == ((152571, "乌拉盖管委会", 152500, "锡林郭勒盟"),)
    with pytest.raises(UnitNameError) as league:
        REG.resolve("呼市", levels=("county",))
    assert league.value.rule == "wrong_level"
    assert REG.resolve("150172").level == "zone" and REG.resolve("150172").parent_code == 150100
    assert REG.resolve("呼市", levels=("league", "county")).code == 150100
    with pytest.raises(ValueError):
        REG.resolve("呼市", levels="city")


def test_an_unknown_parent_is_its_own_error():
    with pytest.raises(UnitNameError) as caught:
        REG.resolve("新城区", parent="北京")
    assert caught.value.rule == "unknown_parent"
    with pytest.raises(UnitNameError):
        REG.resolve("新城区", parent="土左旗")  # a county is no parent


def test_the_error_becomes_a_submission_problem():
    with pytest.raises(UnitNameError) as caught:
        REG.resolve("扎旗")
    problem = caught.value.problem("2024_测试局_旗县数据.xlsx", "Sheet1", 7, "旗县")
    assert problem == SubmissionProblem(
        "2024_测试局_旗县数据.xlsx", "Sheet1", 7, "旗县", "ambiguous_unit", str(caught.value)
    )
    assert str(problem).startswith("2024_测试局_旗县数据.xlsx sheet Sheet1 row 7, column 旗县: ambiguous_unit: ")
    assert isinstance(caught.value, ValueError)


# ------------------------------------------------------------------------------------------ building


def copy_reference(tmp_path: Path) -> Path:
    ref = tmp_path / "reference"
    ref.mkdir()
    for name in (U.CENSUS_FILE, U.NAMES_FILE, U.LEAGUES_FILE):
        shutil.copy(REFERENCE / name, ref / name)
    return ref


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    "old, new, says",
    [
        ("150121,土默特左旗,Tumed Left Banner,旗,", "150121,土默特左旗,Tumed Left Banner,县,", "kind"),
        ("150121,土默特左旗,", "150121,土默特右旗,", "census"),
        ("150122,托克托县,Togtoh County,县,托县,", "150122,托克托县,Togtoh County,县,托县|新城区,", "full name"),
        ("150125,武川县,Wuchuan County,县,,\n", "", "disagree"),
        ("150100,呼和浩特市,,,,", "150100,呼和浩特市,Hohhot,,,", "leagues.csv"),
        ("150124,清水河县,Qingshuihe County,", "150124,清水河县,,", "English"),
    ],
)
def test_the_build_rejects_a_broken_names_table(tmp_path, old, new, says):
    ref = copy_reference(tmp_path)
    edit(ref / U.NAMES_FILE, old, new)
    with pytest.raises(ValueError, match=says):
        build_units(ref)


def test_the_build_takes_league_names_from_leagues_csv(tmp_path):
    ref = copy_reference(tmp_path)
    edit(ref / U.LEAGUES_FILE, "呼和浩特|呼市|青城", "呼和浩特|呼市|青城|首府")
    built = {u.code: u for u in build_units(ref)}
    assert built[150100].aliases == ("呼和浩特", "呼市", "青城", "首府")
    write_units(ref / U.UNITS_FILE, reference=ref)
    assert resolve_unit("首府", path=ref / U.UNITS_FILE).code == 150100


def test_build_check_command(tmp_path, capsys):
    assert U.main(["build", "--check"]) == 0
    stale = tmp_path / "units.csv"
    stale.write_text("code\n", encoding="utf-8")
    assert U.main(["build", "--check", "--out", str(stale)]) == 1
    assert U.main(["resolve", "土左旗", "--level", "county"]) == 0
    assert "150121" in capsys.readouterr().out
    assert U.main(["resolve", "扎旗"]) == 1
