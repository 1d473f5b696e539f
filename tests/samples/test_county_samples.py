"""The SYNTHETIC 旗县 sample submissions (index/samples/counties.py, issue 13): 72 files that parse back to their
truth, every 旗县 once a year, the REAL 2020 census where it is used, a roll-up that never `differs`, and
byte-identical regeneration. Written into tmp_path only; every figure but the census ones is SYNTHETIC.
"""

from __future__ import annotations

import csv
import hashlib
import math
from pathlib import Path

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from index import rollup
from index.config import settings
from index.framework import load_framework
from index.ingest import parse_file
from index.samples import DEFAULT_SEED, SYNTHETIC_NOTE, YEARS, generate
from index.samples.counties import county_figures, generate_counties
from index.units import registry

ZONE_LEAGUES = {150100, 150200, 150500, 152500, 152900}
KEY = ["unit_code", "year", "indicator_id"]


@pytest.fixture(scope="module")
def framework():
    return load_framework(settings().framework_file)


@pytest.fixture(scope="module")
def leagues(tmp_path_factory, framework):
    """The 盟市 samples (SYNTHETIC), generated into a temporary directory."""
    return generate(tmp_path_factory.mktemp("leagues"), seed=DEFAULT_SEED, framework=framework)


@pytest.fixture(scope="module")
def generated(tmp_path_factory, framework, leagues):
    out = tmp_path_factory.mktemp("counties")
    result = generate_counties(out, seed=DEFAULT_SEED, framework=framework, league_truth=leagues.truth)
    frames = [parse_file(path, framework) for path in result.files]  # a SubmissionError fails here
    parsed = pd.concat(frames, ignore_index=True)
    code_col = "unit_code" if "unit_code" in parsed.columns else "league_code"
    parsed = parsed.rename(columns={code_col: "unit_code"})
    return out, result, parsed


def _additive(row: dict) -> bool:
    value = row["additive"]
    return value is not pd.NA and value == value and bool(value)


def _census() -> pd.DataFrame:
    return pd.read_csv(settings().reference / "census2020_im_counties.csv")


def _text(path: Path) -> str:
    if path.suffix == ".xlsx":
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        return "\n".join(",".join(str(v) for v in row) for row in sheet.to_python())
    raw = path.read_bytes()
    return raw.decode("utf-8-sig") if raw.startswith(b"\xef\xbb\xbf") else raw.decode("gbk")


def _cells(path: Path) -> list[list[str]]:
    if path.suffix == ".xlsx":
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        return [[str(v) for v in row] for row in sheet.to_python()]
    return list(csv.reader(_text(path).splitlines()))


def test_one_file_per_league_and_year_in_both_formats(generated):
    _, result, _ = generated
    assert len(result.files) == 72
    leagues = registry().level("league")
    expected_stems = {f"{y}_{u.name_zh}统计局_旗县（市、区）数字经济主要指标" for u in leagues for y in YEARS}
    assert {p.stem for p in result.files} == expected_stems
    suffixes = pd.Series([p.suffix for p in result.files]).value_counts()
    assert set(suffixes.index) == {".xlsx", ".csv"} and 24 <= suffixes[".xlsx"] <= 48
    encodings = {
        "bom" if p.read_bytes().startswith(b"\xef\xbb\xbf") else "gbk" for p in result.files if p.suffix == ".csv"
    }
    assert encodings == {"bom", "gbk"}
    # a style per 盟市: each 盟市's six files share their format
    for league in leagues:
        assert len({p.suffix for p in result.files if f"_{league.name_zh}统计局_" in p.name}) == 1


def test_parsed_values_equal_the_truth(generated):
    _, result, parsed = generated
    merged = parsed.merge(result.truth, on=[*KEY, "source_file"], how="outer", suffixes=("", "_truth"), indicator=True)
    assert (merged["_merge"] == "both").all()
    both_nan = merged["value"].isna() & merged["value_truth"].isna()
    assert (both_nan | (merged["value"] == merged["value_truth"])).all()
    assert set(result.truth.columns) >= {"unit_code", "year", "indicator_id", "value"}


def test_every_county_once_a_year_with_every_county_figure(generated, framework):
    _, result, parsed = generated
    counties = {u.code for u in registry().level("county")}
    assert len(counties) == 103
    figures = {r["node_id"] for r in county_figures(framework)}
    assert {"population", "gdp"} <= figures
    assert set(parsed["indicator_id"]) == figures
    assert set(parsed["unit_code"]) == counties  # no 全市 row, no zone, no 盟市
    per_cell = parsed.groupby(KEY).size()
    assert (per_cell == 1).all()
    assert len(per_cell) == len(counties) * len(YEARS) * len(figures)
    # the 旗县 of each file are the 盟市's own
    parents = {u.code: u.parent_code for u in registry().level("county")}
    for name, rows in parsed.groupby("source_file"):
        league = next(u for u in registry().level("league") if f"_{u.name_zh}统计局_" in name)
        assert {parents[c] for c in rows["unit_code"]} == {league.code}
        assert set(rows["unit_code"]) == {u.code for u in registry().children(league.code, ("county",))}


def test_zha_qi_is_written_and_resolves_to_zarud(generated):
    _, result, parsed = generated
    tongliao = [p for p in result.files if "_通辽市统计局_" in p.name]
    with_short = [p for p in tongliao if any("扎旗" in row[:2] for row in _cells(p))]
    assert with_short
    for path in with_short:
        rows = parsed[parsed["source_file"] == path.name]
        assert 150526 in set(rows["unit_code"]) and 152223 not in set(rows["unit_code"])


def test_names_come_in_mixed_styles(generated):
    _, result, _ = generated
    labels = set()
    for path in result.files:
        for row in _cells(path):
            labels.update(row[:2])
    counties = registry().level("county")
    assert any(u.name_zh in labels for u in counties)
    assert any(str(u.code) in labels or f"{u.code}.0" in labels for u in counties)
    leagues = {u.code: u for u in registry().level("league")}
    assert any(f"{leagues[u.parent_code].name_zh}{u.name_zh}" in labels for u in counties)
    assert any(any(s in labels for s in (u.stem, *u.aliases) if s) for u in counties)
    assert "全市" in labels
    headers = {row[c] for p in result.files for row in _cells(p)[:5] for c in (0, 1) if c < len(row)}
    assert {"旗县（市、区）", "旗县市区", "地区"} <= headers


def test_2020_population_is_the_census(generated):
    _, _, parsed = generated
    census = _census()
    pop = census[(census["indicator"] == "人口数_合计") & (census["level"] == "county")].set_index("code")["value"]
    got = parsed[(parsed["indicator_id"] == "population") & (parsed["year"] == 2020)].set_index("unit_code")["value"]
    assert len(got) == 103
    for code, value in got.items():
        assert round(value * 1e4) == pop[code], code  # written to the person: exactly the census


def test_2020_league_population_is_the_census_and_counties_plus_zones_add_up(leagues):
    census = _census()
    pop = census[census["indicator"] == "人口数_合计"].set_index("code")
    truth = leagues.truth.drop_duplicates(["league_code", "year", "indicator_id"])
    got = truth[(truth["indicator_id"] == "population") & (truth["year"] == 2020)].set_index("league_code")["value"]
    assert len(got) == 12
    for code, value in got.items():
        assert value == pytest.approx(round(pop.loc[code, "value"] / 1e4, 2), abs=1e-9)
        parts = pop[(pop["parent_code"] == code) & pop["level"].isin(["county", "zone"])]["value"].sum()
        assert parts == pop.loc[code, "value"]


def test_2020_ict_employment_share_is_the_census_share(generated, leagues):
    _, _, parsed = generated
    census = _census().set_index(["code", "indicator"])["value"]

    def share(code):
        return 100 * census[(code, "信息传输软件和信息技术服务业")] / census[(code, "各种行业人口总计")]

    got = parsed[(parsed["indicator_id"] == "ict_employment_share") & (parsed["year"] == 2020)]
    assert len(got) == 103 and got["value"].notna().all()
    for row in got.itertuples():
        assert row.value == pytest.approx(round(share(row.unit_code), 2), abs=1e-9), row.unit_code
    truth = leagues.truth
    league = truth[(truth["indicator_id"] == "ict_employment_share") & (truth["year"] == 2020)]
    assert len(league) == 12
    for row in league.itertuples():
        assert row.value == pytest.approx(round(share(row.league_code), 2), abs=1e-9), row.league_code


def test_2020_files_say_which_figures_are_the_census_and_every_file_says_synthetic(generated):
    _, result, _ = generated
    for path in result.files:
        text = _text(path)
        assert SYNTHETIC_NOTE in text, path.name
        assert "填报单位：" in text and "各旗县（市、区）数字经济主要指标（" in text
        assert ("第七次全国人口普查" in text) == path.name.startswith("2020_"), path.name


def test_a_few_missing_cells_never_a_denominator_nor_an_additive_figure(generated, framework):
    _, result, parsed = generated
    missing = parsed[parsed["value"].isna()]
    assert 5 <= len(missing) <= 15
    additive = {r["node_id"] for r in framework.to_dict("records") if _additive(r)}
    denominators = set(framework.loc[framework["node_type"] == "Denominator", "node_id"])
    assert not set(missing["indicator_id"]) & (additive | denominators)
    # never a whole row
    reported = parsed.groupby(["unit_code", "year"])["value"].count()
    assert (reported > 0).all()


def test_values_within_framework_bounds(generated, leagues, framework):
    _, result, _ = generated
    truth = result.truth.dropna(subset=["value"]).drop_duplicates(KEY)
    bounds = truth.merge(framework, left_on="indicator_id", right_on="node_id")
    assert (bounds["value"] >= bounds["valid_min"]).all()
    assert ((bounds["value"] <= bounds["valid_max"]) | bounds["valid_max"].isna()).all()
    # a 旗县's intensity (per person, per GDP) stays below valid_max wherever its 盟市's own does (the 盟市
    # samples put 乌海's 信息通信业收入 per person above it in some years: its 旗县 cannot all be below)
    wide = truth.pivot_table(index=["unit_code", "year"], columns="indicator_id", values="value")
    own = leagues.truth.drop_duplicates(["league_code", "year", "indicator_id"])
    own = own.pivot_table(index=["league_code", "year"], columns="indicator_id", values="value")
    parents = {u.code: u.parent_code for u in registry().level("county")}
    checked = 0
    for row in framework[framework["node_type"] == "Indicator"].to_dict("records"):
        if isinstance(row["denominator"], str) and row["node_id"] in wide:
            intensity = wide[row["node_id"]] / wide[row["denominator"]] * row["denominator_scale"]
            league = own[row["node_id"]] / own[row["denominator"]] * row["denominator_scale"]
            for (code, year), value in intensity.items():
                if league[(parents[code], year)] <= row["valid_max"]:
                    assert value <= row["valid_max"], (row["node_id"], code, year)
                    checked += 1
    assert checked > 1000


def test_rollup_never_differs(generated, leagues, framework):
    _, result, _ = generated
    league_obs = (
        leagues.truth.rename(columns={"league_code": "unit_code"})
        .drop_duplicates(KEY)
        .dropna(subset=["value"])[[*KEY, "value"]]
    )
    county_obs = result.truth.dropna(subset=["value"])[[*KEY, "value"]]
    observations = pd.concat([league_obs, county_obs], ignore_index=True)
    found = rollup.check(observations, rollup.registry_units(), framework, tolerance_share=0.01)
    additive = {r["node_id"] for r in county_figures(framework) if _additive(r)}
    assert set(found["indicator_id"]) == additive
    assert len(found) == 12 * len(YEARS) * len(additive)
    assert set(found["verdict"]) <= {"agrees", "zones_unreported"}
    zones = found[found["verdict"] == "zones_unreported"]
    assert set(zones["league_code"]) == ZONE_LEAGUES
    # every figure of a 盟市 without zones adds up; population in 2020 even with zones once they are counted
    assert (found.loc[~found["league_code"].isin(ZONE_LEAGUES), "verdict"] == "agrees").all()
    # never above the 盟市's own figure beyond the 盟市's rounding (its population is written to 0.01 万人)
    assert (found["relative_difference"].fillna(0) <= 1e-3).all()  # NaN: a 盟市 figure of 0, 旗县 all 0
    with_zones = found[(found["indicator_id"] == "population") & (found["year"] == 2020)]
    assert (with_zones.set_index("league_code")["verdict"].loc[sorted(ZONE_LEAGUES)] == "zones_unreported").all()


def test_district_rates_sit_above_their_league_and_banners_below(generated, leagues, framework):
    _, result, _ = generated
    units = {u.code: u for u in registry().level("county")}
    truth = result.truth.dropna(subset=["value"]).drop_duplicates(KEY)
    rates = [
        r["node_id"]
        for r in county_figures(framework)
        if r["node_type"] == "Indicator" and not _additive(r) and r["node_id"] != "ict_employment_share"
    ]
    league = leagues.truth.drop_duplicates(["league_code", "year", "indicator_id"]).set_index(
        ["league_code", "year", "indicator_id"]
    )["value"]
    gaps = {"市辖区": [], "banner": []}
    for row in truth[truth["indicator_id"].isin(rates)].itertuples():
        unit = units[row.unit_code]
        base = league.get((unit.parent_code, row.year, row.indicator_id))
        if base is None or math.isnan(base) or not 0 < base < 100 or not 0 < row.value < 100:
            continue
        gap = math.log(row.value / (100 - row.value)) - math.log(base / (100 - base))
        if unit.kind == "市辖区":
            gaps["市辖区"].append(gap)
        elif unit.kind in ("旗", "县", "自治旗"):
            gaps["banner"].append(gap)
    mean = {k: sum(v) / len(v) for k, v in gaps.items()}
    assert mean["市辖区"] > 0 > mean["banner"]


def test_without_league_truth_and_on_a_second_run_the_files_are_byte_identical(generated, tmp_path, framework):
    out, _, _ = generated
    again = generate_counties(tmp_path / "again", seed=DEFAULT_SEED, framework=framework)

    def digests(folder: Path) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}

    assert len(again.files) == 72
    assert digests(tmp_path / "again") == digests(out)
