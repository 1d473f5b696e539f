"""The two unit levels of a release (index/levels.py), worked by hand on a SYNTHETIC lake: 2 盟市 and 5 旗县市区.

The lake (curated/, written here) holds one year of hand-made figures for 呼和浩特市 (150100) with 新城区
(150102), 回民区 (150103), 玉泉区 (150104), and 包头市 (150200) with 东河区 (150202), 昆都仑区 (150203)
(reference/units.csv). The SQL tree is a copy of the repo's with a tiny framework, its weights and a method
that screens out the units nobody reported for (the other 10 盟市 and 98 旗县 of the registry), so each level's
panel is the units written here. Everything else is the real engine run by index.compute.

The framework (weights within the parent in brackets)::

    DEI
    ├── digital_industrialisation (0.6)
    │   ├── broadband   (0.5)  万户, higher is better, 盟市 and 旗县, additive
    │   └── fiveg_rate  (0.5)  %, higher is better, 盟市 and 旗县
    └── industrial_digitalisation (0.4)
        ├── compute     (0.75) PFlop/s, higher is better, 盟市 only (a 旗县's figure is ignored)
        └── outage      (0.25) hours, LOWER is better, 盟市 and 旗县
    population: a denominator no indicator uses, 盟市 and 旗县, additive

(The dimensions borrow the ids of two DEI dimensions: the release's coupling analysis couples those two.)
At 旗县 level compute is dropped, so outage carries all of industrial_digitalisation (0.25 rescaled to 1).
Method: min-max 0–100 over the panel, arithmetic mean (weights re-normalised over present children).
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pandas as pd
import pytest

from index import compute, levels, rollup
from index.config import settings
from index.errors import ConfigError

YEAR = 2023
LEAGUE_NAMES = {150100: "呼和浩特市", 150200: "包头市"}
PARENT = {150102: 150100, 150103: 150100, 150104: 150100, 150202: 150200, 150203: 150200}
COUNTY_NAMES = {150102: "新城区", 150103: "回民区", 150104: "玉泉区", 150202: "东河区", 150203: "昆都仑区"}

# (node_id, parent_id, level, node_type, unit, polarity, levels, additive)
NODES = [
    ("DEI", None, 3, "Aggregate", "指数", None, None, None),
    ("digital_industrialisation", "DEI", 2, "Aggregate", "指数", None, None, None),
    ("industrial_digitalisation", "DEI", 2, "Aggregate", "指数", None, None, None),
    ("broadband", "digital_industrialisation", 1, "Indicator", "万户", 1, "league,county", True),
    ("fiveg_rate", "digital_industrialisation", 1, "Indicator", "%", 1, "league,county", False),
    ("compute", "industrial_digitalisation", 1, "Indicator", "PFlop/s", 1, "league", True),
    ("outage", "industrial_digitalisation", 1, "Indicator", "小时", -1, "league,county", False),
    ("population", None, 1, "Denominator", "万人", None, "league,county", True),
]
WEIGHTS = {
    "digital_industrialisation": 0.6,
    "industrial_digitalisation": 0.4,
    "broadband": 0.5,
    "fiveg_rate": 0.5,
    "compute": 0.75,
    "outage": 0.25,
}
POLARITY = {node: polarity for node, _, _, kind, _, polarity, _, _ in NODES if kind == "Indicator"}

# The figures. broadband is additive: 呼和浩特市's own 60 is its 旗县' 30 + 20 + 10 (agrees); 包头市 reported 70
# against 25 + 40 = 65 (-7.1 %, beyond the 1 % tolerance). Population adds up in both. The 旗县 report a
# compute figure too: compute is a 盟市-only indicator, so the 旗县 build must ignore it (999 would top it).
LEAGUES = {
    150100: dict(broadband=60.0, fiveg_rate=70.0, compute=100.0, outage=15.0, population=170.0),
    150200: dict(broadband=70.0, fiveg_rate=50.0, compute=300.0, outage=25.0, population=128.0),
}
COUNTIES = {
    150102: dict(broadband=30.0, fiveg_rate=60.0, outage=10.0, population=70.0, compute=999.0),
    150103: dict(broadband=20.0, fiveg_rate=80.0, outage=20.0, population=45.0, compute=1.0),
    150104: dict(broadband=10.0, fiveg_rate=40.0, outage=30.0, population=55.0),
    150202: dict(broadband=25.0, fiveg_rate=50.0, outage=5.0, population=48.0),
    150203: dict(broadband=40.0, fiveg_rate=70.0, outage=40.0, population=80.0, compute=999.0),
}

METHOD = """
[impute]
method = "panel_linear"

[screen]
# the registry's other units reported nothing: out of the panel
min_data = 0.5
on = "raw"

[normalise]
method = "minmax"
range = [0, 100]
scope = "panel"

[weights]
scheme = "sql/weights/expert.sql"

[aggregate]
method = "amean"
"""


def framework_sql() -> str:
    def lit(value):
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        return repr(value) if isinstance(value, int | float) else f"'{value}'"

    rows = ",\n".join(
        "    (" + ", ".join(lit(v) for v in (node, parent, level, kind, node, node, unit, unit, polarity)) + ", "
        f"NULL, NULL, '测试统计局', '{node}', NULL, NULL, 0, 100000, '测试', {lit(levels_)}, {lit(additive)})"
        for node, parent, level, kind, unit, polarity, levels_, additive in NODES
    )
    return f"""-- SYNTHETIC framework of tests/compute/test_levels.py
with nodes as (
    select * from (values
{rows}
    ) as nodes(node_id, parent_id, level, node_type, name_zh, name_en, unit, raw_unit, polarity, denominator,
               denominator_scale, department, definition, target_2025, target_note, valid_min, valid_max,
               source_clause, levels, additive)
)
select
    cast(node_id as varchar) as node_id, cast(parent_id as varchar) as parent_id, cast(level as integer) as level,
    cast(node_type as varchar) as node_type, cast(name_zh as varchar) as name_zh,
    cast(name_en as varchar) as name_en, cast(unit as varchar) as unit, cast(raw_unit as varchar) as raw_unit,
    cast(polarity as integer) as polarity, cast(denominator as varchar) as denominator,
    cast(denominator_scale as double) as denominator_scale, cast(department as varchar) as department,
    cast(definition as varchar) as definition, cast(target_2025 as double) as target_2025,
    cast(target_note as varchar) as target_note, cast(valid_min as double) as valid_min,
    cast(valid_max as double) as valid_max, cast(source_clause as varchar) as source_clause,
    cast(levels as varchar) as levels, cast(additive as boolean) as additive
from nodes
"""


def weights_sql() -> str:
    rows = ",\n".join(f"    ('{node}', {weight!r})" for node, weight in WEIGHTS.items())
    return f"select * from (values\n{rows}\n) as weights (node_id, weight)\n"


def write_lake(cfg, counties: bool = True) -> None:
    """One curated batch holding every figure above (SYNTHETIC); ``counties=False``: the 盟市' figures only."""
    units = {**LEAGUES, **(COUNTIES if counties else {})}
    figures = [(code, node, value) for code, row in units.items() for node, value in row.items()]
    frame = pd.DataFrame(
        {
            "unit_code": pd.Series([code for code, _, _ in figures], dtype="int32"),
            "indicator_id": [node for _, node, _ in figures],
            "value": [value for _, _, value in figures],
            "department": "测试统计局",
            "source_file": "levels.csv",
            "source_sheet": None,
            "source_row": pd.Series(range(1, len(figures) + 1), dtype="int32"),
            "source_column": [node for _, node, _ in figures],
            "sha256": "c" * 64,
            "ingested_at": datetime(2025, 3, 1, tzinfo=UTC),
        }
    )
    path = cfg.curated / f"year={YEAR}" / "levels.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path)


@pytest.fixture
def tiny(lake, sql_copy):
    """The settings of the SYNTHETIC lake above over a SQL tree with the tiny framework."""
    (sql_copy / "framework" / "dei_framework.sql").write_text(framework_sql(), encoding="utf-8")
    (sql_copy / "weights" / "expert.sql").write_text(weights_sql(), encoding="utf-8")
    (sql_copy / "method" / "dei.toml").write_text(METHOD, encoding="utf-8")
    cfg = settings()
    write_lake(cfg)
    return cfg


# ---------------------------------------------------------------------------------- the expected, by hand


def minmax(values: dict, polarity: int) -> dict:
    """Min-max to 0..100 over the units given, polarity applied (lower is better: max - x)."""
    low, high = min(values.values()), max(values.values())
    return {u: 100.0 * ((v - low) if polarity == 1 else (high - v)) / (high - low) for u, v in values.items()}


def normalised(figures: dict, indicators, groups: dict | None = None) -> dict:
    """unit -> indicator -> normalised value; with groups (unit -> group), each group scaled on its own."""
    out = {u: {} for u in figures}
    for node in indicators:
        for group in set((groups or {}).values()) or {None}:
            members = [u for u in figures if groups is None or groups[u] == group]
            for u, n in minmax({u: figures[u][node] for u in members}, POLARITY[node]).items():
                out[u][node] = n
    return out


def dei_scores(norm: dict, weights: dict) -> dict:
    """unit -> {dimension: score, 'DEI': score}: arithmetic means weighted within each parent."""
    tree = {parent: [n for n, p, *_ in NODES if p == parent and n in weights] for parent, *_ in NODES}
    out = {}
    for unit, values in norm.items():
        scores = dict(values)
        for dim in ("digital_industrialisation", "industrial_digitalisation"):
            kids = tree[dim]
            scores[dim] = sum(weights[k] * scores[k] for k in kids) / sum(weights[k] for k in kids)
        scores["DEI"] = sum(weights[d] * scores[d] for d in tree["DEI"]) / sum(weights[d] for d in tree["DEI"])
        out[unit] = scores
    return out


def ranks(scores: dict) -> dict:
    """1 = best; ties share the lowest rank."""
    return {u: 1 + sum(other > s + 1e-9 for other in scores.values()) for u, s in scores.items()}


# the 旗县 build: compute is not a county indicator, outage is industrial_digitalisation's only child (weight 0.25 -> 1)
COUNTY_INDICATORS = ("broadband", "fiveg_rate", "outage")
COUNTY_WEIGHTS = {**{k: v for k, v in WEIGHTS.items() if k != "compute"}, "outage": 1.0}


def published(out, table: str, where: str = "true") -> pd.DataFrame:
    return duckdb.connect().execute(f"select * from read_parquet('{out / (table + '.parquet')}') where {where}").df()


# ------------------------------------------------------------------------------------------------ tests


def test_counties_and_leagues_are_scored_each_against_their_own_level(tiny, tmp_path):
    out = tmp_path / "release"
    compute.compute(cfg=tiny, out_dir=out)
    scores = published(out, "index_scores", f"year = {YEAR}")
    by = {(int(r.unit_code), r.node_id): r for r in scores.itertuples()}
    assert set(scores["unit_level"]) == {"league", "county"}
    assert {int(c) for c in scores.loc[scores["unit_level"] == "county", "unit_code"]} == set(COUNTIES)
    assert {int(c) for c in scores.loc[scores["unit_level"] == "league", "unit_code"]} == set(LEAGUES)

    # 旗县: scaled among the 5 旗县 (broadband 10..40, fiveg 40..80, outage 5..40), never against a 盟市's figure.
    # E.g. 新城区: broadband (30-10)/30 = 66.67, fiveg (60-40)/40 = 50, outage (40-10)/35 = 85.71;
    # infrastructure 58.33, data 85.71, DEI 0.6 × 58.33 + 0.4 × 85.71 = 69.29 (the best of the five).
    county_norm = normalised(COUNTIES, COUNTY_INDICATORS)
    county = dei_scores(county_norm, COUNTY_WEIGHTS)
    assert county[150102]["DEI"] == pytest.approx(0.6 * (200 / 3 + 50) / 2 + 0.4 * 3000 / 35)
    for code, expected in county.items():
        for node in ("DEI", "digital_industrialisation", "industrial_digitalisation"):
            row = by[(code, node)]
            assert row.score == pytest.approx(expected[node], abs=1e-9), (code, node)
            assert (row.unit_name, row.unit_level, row.parent_code) == (COUNTY_NAMES[code], "county", PARENT[code])
    dei = {code: county[code]["DEI"] for code in COUNTIES}
    # rank among the 5: 新城区 69.29, 回民区 62.86, 东河区 62.50, 昆都仑区 52.50, 玉泉区 11.43
    assert {code: by[(code, "DEI")].rank for code in COUNTIES} == ranks(dei)
    assert ranks(dei) == {150102: 1, 150103: 2, 150202: 3, 150203: 4, 150104: 5}
    # and within the 盟市: 新城区 1, 回民区 2, 玉泉区 3 in 呼和浩特市; 东河区 1, 昆都仑区 2 in 包头市
    within = {}
    for league in LEAGUES:
        within.update(ranks({c: s for c, s in dei.items() if PARENT[c] == league}))
    assert {code: by[(code, "DEI")].rank_in_parent for code in COUNTIES} == within
    assert within == {150102: 1, 150103: 2, 150104: 3, 150202: 1, 150203: 2}

    # 盟市: the whole framework, scaled between the 2 盟市 (so every indicator is 0 or 100)
    league = dei_scores(normalised(LEAGUES, POLARITY), WEIGHTS)
    assert league[150100]["DEI"] == pytest.approx(0.6 * 50 + 0.4 * 25)  # 40: best on fiveg and outage only
    for code, expected in league.items():
        for node in ("DEI", "digital_industrialisation", "industrial_digitalisation"):
            assert by[(code, node)].score == pytest.approx(expected[node], abs=1e-9), (code, node)
        row = by[(code, "DEI")]
        assert (row.unit_name, row.unit_level, row.parent_code) == (LEAGUE_NAMES[code], "league", 150000)
    league_ranks = ranks({code: league[code]["DEI"] for code in LEAGUES})
    assert league_ranks == {150200: 1, 150100: 2}
    assert {code: (by[(code, "DEI")].rank, by[(code, "DEI")].rank_in_parent) for code in LEAGUES} == {
        code: (r, r) for code, r in league_ranks.items()
    }

    # indicator_values: the 旗县 have rows for their level's indicators only; contributions add up to the DEI
    values = published(out, "indicator_values", f"year = {YEAR} and unit_level <> 'region'")
    shown = values.groupby("unit_level")["indicator_id"].agg(lambda s: set(s))
    assert shown["county"] == set(COUNTY_INDICATORS) and shown["league"] == set(POLARITY)
    for r in values.itertuples():
        expected = (county_norm if r.unit_level == "county" else normalised(LEAGUES, POLARITY))[int(r.unit_code)]
        assert r.normalised == pytest.approx(expected[r.indicator_id], abs=1e-9), (r.unit_code, r.indicator_id)
        assert r.units_covered == 1
    sums = values.groupby("unit_code")["contribution"].sum()
    for code, total in sums.items():
        assert total == pytest.approx(by[(int(code), "DEI")].score, abs=1e-9)


def test_a_lake_without_county_figures_publishes_the_leagues_alone(tiny, tmp_path):
    for path in tiny.curated.glob("year=*/*.parquet"):
        path.unlink()
    write_lake(tiny, counties=False)
    out = tmp_path / "release"
    compute.compute(cfg=tiny, out_dir=out)
    scores = published(out, "index_scores", f"year = {YEAR}")
    assert set(scores["unit_level"]) == {"league"}
    league = dei_scores(normalised(LEAGUES, POLARITY), WEIGHTS)
    for r in scores.itertuples():
        assert r.score == pytest.approx(league[int(r.unit_code)][r.node_id], abs=1e-9)
        assert r.rank_in_parent == r.rank and r.parent_code == 150000


def test_the_rollup_check_sums_the_counties_of_each_league(tiny, monkeypatch):
    # the registry's 盟市 have more 旗县 (and zones) than this lake: the check sees the 7 units written here
    units = pd.DataFrame(
        [(code, "league", 150000) for code in LEAGUES] + [(code, "county", PARENT[code]) for code in COUNTIES],
        columns=["unit_code", "unit_level", "parent_code"],
    )
    monkeypatch.setattr(rollup, "registry_units", lambda: units)
    found = rollup.check_lake(tiny)
    verdicts = {(int(r.league_code), r.indicator_id): r for r in found.itertuples()}
    # additive figures reported by 旗县: broadband and population (compute is 盟市-only, never summed)
    assert set(verdicts) == {(league, node) for league in LEAGUES for node in ("broadband", "population")}
    for (league, node), row in verdicts.items():
        parts = sum(COUNTIES[c][node] for c in COUNTIES if PARENT[c] == league)
        assert row.parts_sum == pytest.approx(parts) and row.league_value == pytest.approx(LEAGUES[league][node])
        assert row.counties_reported == row.counties_expected == sum(PARENT[c] == league for c in COUNTIES)
    agree, differ = verdicts[(150100, "broadband")], verdicts[(150200, "broadband")]
    assert (agree.parts_sum, agree.verdict) == (60.0, "agrees")  # 30 + 20 + 10 = 60
    assert differ.parts_sum == 65.0 and differ.verdict == "differs"  # 25 + 40 = 65 against 70
    assert differ.relative_difference == pytest.approx((65.0 - 70.0) / 70.0)
    assert abs(differ.relative_difference) > rollup.DEFAULT_TOLERANCE
    assert verdicts[(150100, "population")].verdict == verdicts[(150200, "population")].verdict == "agrees"
    assert "150200 2023 broadband" in rollup.message(differ, 0.01)


def test_normalise_scope_league_scales_each_county_within_its_league(tiny, tmp_path):
    method = tmp_path / "by_league.toml"
    method.write_text(METHOD + '\n[county]\nnormalise_scope = "league"\n', encoding="utf-8")
    out = tmp_path / "release"
    result = compute.compute(method=method, cfg=tiny, out_dir=out)
    assert result.manifest["method"]["spec"]["county"] == {"normalise_scope": "league"}
    values = published(out, "indicator_values", f"year = {YEAR} and unit_level = 'county'")
    norm = {(int(r.unit_code), r.indicator_id): r.normalised for r in values.itertuples()}
    # 新城区 has the most broadband in 呼和浩特市 (30 of 30, 20, 10): 100, though 昆都仑区 has more (40);
    # 东河区 has the least outage in 包头市 (5 against 40): 100; 回民区 the most 5G in 呼和浩特市 (80): 100
    assert norm[(150102, "broadband")] == norm[(150203, "broadband")] == 100.0
    assert norm[(150202, "outage")] == norm[(150103, "fiveg_rate")] == 100.0
    expected = normalised(COUNTIES, COUNTY_INDICATORS, groups=PARENT)
    for (code, node), value in norm.items():
        assert value == pytest.approx(expected[code][node], abs=1e-9), (code, node)
    scores = published(out, "index_scores", f"year = {YEAR} and node_id = 'DEI'")
    got = {int(r.unit_code): r for r in scores.itertuples()}
    county = dei_scores(expected, COUNTY_WEIGHTS)
    for code in COUNTIES:
        assert got[code].score == pytest.approx(county[code]["DEI"], abs=1e-9), code
    # the 盟市 build does not see [county]: the same scores as with the region-wide scope
    league = dei_scores(normalised(LEAGUES, POLARITY), WEIGHTS)
    assert {code: got[code].score for code in LEAGUES} == pytest.approx({c: league[c]["DEI"] for c in LEAGUES})


@pytest.mark.parametrize(
    "section, named",
    [
        pytest.param({"normalize_scope": "league"}, "county.normalize_scope", id="an_unknown_key"),
        pytest.param({"normalise_scope": "nation"}, "county.normalise_scope", id="a_value_outside_the_choices"),
    ],
)
def test_a_bad_county_section_is_a_config_error_naming_the_key(tmp_path, section, named):
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        levels.split_method({"normalise": {"method": "minmax"}, "county": section})
    path = tmp_path / "bad.toml"
    key, value = next(iter(section.items()))
    path.write_text(f'[normalise]\nmethod = "minmax"\n\n[county]\n{key} = "{value}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")) as caught:
        levels.load_method(path)
    assert str(path) in str(caught.value)


def test_the_county_section_is_split_off_before_the_engine_sees_the_method():
    method = levels.split_method({"normalise": {"method": "minmax"}, "county": {"normalise_scope": "league"}})
    assert "county" not in method.engine and method.county.normalise_scope == "league"
    spec = levels.level_spec(method, levels.COUNTY)
    assert spec["normalise"]["group"] == spec["rank"]["group"] == levels.PARENT_GROUP
    assert "group" not in (levels.level_spec(method, levels.LEAGUE).get("rank") or {})
