"""A SYNTHETIC release for the fast report tests: seeded random numbers in the published tables' shapes.

Nothing here is engine output or real data. The unit codes and names are the real 12 盟市 and 103 旗县市区 (the
maps need them); the framework is a made-up two-dimension tree with four indicators, listed in an order that is
NOT the alphabetical order of the ids (dim_b before dim_a), as the real framework's dimensions are not. Counties
have two of the four (COUNTY_INDICATORS), as the real county build has the county-level indicators only.
``layout="old"`` writes the tables as releases before the unit level did (league_code / league_name, 盟市 only).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from index.framework import FRAMEWORK_COLUMNS
from index.leagues import league_names
from index.units import registry
from tests.fixtures.cells import INDICATOR_RESULT_COLUMNS

REGION = 150000
COUNTY_INDICATORS = ["ind_up", "ind_c"]

YEARS = [2019, 2020, 2021, 2022]
FRAMEWORK = [
    # node_id, parent_id, level, node_type, name_zh, name_en, unit, raw_unit, polarity, weight, target, note
    ("DEI", None, 3, "Aggregate", "合成指数", "Synthetic index", "指数", "指数", None, 1.0, None, None),
    ("dim_b", "DEI", 2, "Aggregate", "维度乙", "Dimension B", "指数", "指数", None, 0.4, None, None),
    ("dim_a", "DEI", 2, "Aggregate", "维度甲", "Dimension A", "指数", "指数", None, 0.6, None, None),
    ("ind_d", "dim_b", 1, "Indicator", "指标丁", "Indicator D", "%", "%", 1.0, 0.3, None, None),
    ("ind_c", "dim_b", 1, "Indicator", "指标丙", "Indicator C", "元/人", "万元", 1.0, 0.7, None, None),
    ("ind_up", "dim_a", 1, "Indicator", "正向指标", "Higher is better", "%", "%", 1.0, 0.5, 50.0, "达50%"),
    ("ind_down", "dim_a", 1, "Indicator", "逆向指标", "Lower is better", "比值", "比值", -1.0, 0.5, 1.2, "不高于1.2"),
    ("population", None, 1, "Denominator", "常住人口", "Resident population", "万人", "万人", None, None, None, None),
]


SYNTHETIC_INPUT = {
    "file": "合成文件.csv",
    "sha256": "ab" * 32,
    "department": "合成部门",
    "values": 48,
    "years": [2019, 2022],
    "synthetic": True,
}


def unit_columns(codes, names: dict, parents: dict, levels: dict) -> dict:
    """unit_code, unit_name, unit_level, parent_code for a list of codes (the contract's unit columns)."""
    return {
        "unit_code": list(codes),
        "unit_name": [names[c] for c in codes],
        "unit_level": [levels[c] for c in codes],
        "parent_code": pd.array([parents[c] for c in codes], dtype="Int64"),
    }


def to_old_layout(frame: pd.DataFrame, level_kind: bool = False) -> pd.DataFrame:
    """The table as a release before the unit level: 盟市 (and region) rows, league_code / league_name."""
    frame = frame[frame["unit_level"] != "county"] if "unit_level" in frame.columns else frame
    frame = frame.rename(columns={"unit_code": "league_code", "unit_name": "league_name"})
    if level_kind and "unit_level" in frame.columns:
        frame = frame.rename(columns={"unit_level": "level_kind"})
    return frame.drop(columns=[c for c in ("unit_level", "parent_code", "rank_in_parent") if c in frame.columns])


def make_release(
    root, release_id="synthetic0001", region_row=False, extra_tables=(), inputs=None, layout="new", counties=True
):
    """Write a synthetic release directory; extra_tables picks optional tables ('audit', 'target_attainment', 'weights',
    'uncertainty': rank_intervals and sensitivity in the contract's shapes, SYNTHETIC seeded numbers; 'analyses': the
    regional analysis tables, write_analyses). counties=True
    adds every 旗县市区 of the registry (new layout only); layout="old" writes the pre-unit-level columns."""
    rng = np.random.default_rng(7)
    county_rng = np.random.default_rng(13)  # counties draw apart, so the leagues' numbers stay as they were
    names = league_names()
    codes = sorted(names)
    county_units = registry().level("county") if counties and layout == "new" else []
    county_codes = [u.code for u in county_units]
    unit_names = {**names, REGION: "内蒙古自治区", **{u.code: u.name_zh for u in county_units}}
    parents = {**{c: REGION for c in codes}, REGION: None, **{u.code: u.parent_code for u in county_units}}
    levels = {**{c: "league" for c in codes}, REGION: "region", **{c: "county" for c in county_codes}}
    root.mkdir(parents=True, exist_ok=True)
    fw = pd.DataFrame(
        FRAMEWORK,
        columns=[*FRAMEWORK_COLUMNS[: FRAMEWORK_COLUMNS.index("polarity") + 1], "weight", "target_2025", "target_note"],
    )
    fw["denominator"] = None
    fw["denominator_scale"] = np.nan
    fw["department"] = "合成部门"
    fw["definition"] = "合成定义"
    fw["source_clause"] = "合成条款"
    if layout == "new":  # which indicators the 旗县 report, and their weight in the county build (rescaled to 1)
        fw["levels"] = None
        fw.loc[fw["node_type"] == "Indicator", "levels"] = "league"
        fw.loc[fw["node_id"].isin(COUNTY_INDICATORS), "levels"] = "league,county"
        fw["county_weight"] = fw["node_id"].map({"DEI": 1.0, "dim_a": 0.6, "dim_b": 0.4, "ind_up": 1.0, "ind_c": 1.0})
    fw.to_parquet(root / "framework.parquet")

    indicators = ["ind_up", "ind_down", "ind_c", "ind_d"]  # fixed draw order for the seeded numbers
    units = codes + ([150000] if region_row else [])
    rows = []
    for code in units:
        for year in YEARS:
            for ind in indicators:
                raw = float(rng.uniform(1, 100)) if ind != "ind_down" else float(rng.uniform(1.1, 1.6))
                imputed = bool(code == codes[0] and year == 2020 and ind == "ind_c")
                rows.append(
                    (
                        code,
                        year,
                        ind,
                        None if imputed else raw,
                        None if imputed else raw,
                        imputed,
                        "panel_linear" if imputed else None,
                        float(rng.uniform(0, 100)),
                        0.25,
                        1.0,
                    )
                )
    for code in county_codes:
        for year in YEARS:
            for ind in COUNTY_INDICATORS:
                raw = float(county_rng.uniform(1, 100))
                rows.append((code, year, ind, raw, raw, False, None, float(county_rng.uniform(0, 100)), 0.5, 1.0))
    # the engine's indicator_results columns, keyed by unit and year as a release publishes them
    values = pd.DataFrame(rows, columns=["unit_code", "year", *INDICATOR_RESULT_COLUMNS[2:]])
    values = pd.concat(
        [
            pd.DataFrame(unit_columns(values["unit_code"], unit_names, parents, levels)),
            values.drop(columns="unit_code"),
        ],
        axis=1,
    )
    values.insert(len(values.columns), "units_covered", 1)
    (to_old_layout(values, level_kind=True) if layout == "old" else values).to_parquet(
        root / "indicator_values.parquet"
    )

    srows = []
    for node, level in (("DEI", 3), ("dim_a", 2), ("dim_b", 2)):  # the published tables are sorted by id
        for year in YEARS:
            scores = {code: float(rng.uniform(10, 90)) for code in units}
            scores.update({code: float(county_rng.uniform(10, 90)) for code in county_codes})
            ranked = sorted(codes, key=lambda c: -scores[c])
            ranked_counties = sorted(county_codes, key=lambda c: -scores[c])
            for code in units + county_codes:
                if code in county_codes:
                    rank = ranked_counties.index(code) + 1
                    siblings = [c for c in ranked_counties if parents[c] == parents[code]]
                    in_parent = siblings.index(code) + 1
                else:
                    rank = in_parent = ranked.index(code) + 1 if code in ranked else 1
                srows.append(
                    (
                        release_id,
                        code,
                        unit_names[code],
                        levels[code],
                        parents[code],
                        year,
                        node,
                        node,
                        node,
                        level,
                        scores[code],
                        rank,
                        in_parent,
                        None if year == YEARS[0] else 1.0,
                        None if year == YEARS[0] else 0.0,
                    )
                )
    index_scores = pd.DataFrame(
        srows,
        columns=[
            "release_id",
            "unit_code",
            "unit_name",
            "unit_level",
            "parent_code",
            "year",
            "node_id",
            "node_name_zh",
            "node_name_en",
            "level",
            "score",
            "rank",
            "rank_in_parent",
            "score_change",
            "rank_change",
        ],
    )
    index_scores["parent_code"] = index_scores["parent_code"].astype("Int64")
    (to_old_layout(index_scores) if layout == "old" else index_scores).to_parquet(root / "index_scores.parquet")

    if "audit" in extra_tables:
        pd.DataFrame(
            {
                "section": ["correlation", "correlation", "indicator"],
                "node_id": ["ind_up", "ind_c", "ind_d"],
                "other_node_id": ["dim_a", "dim_b", None],
                "period": [2022, 2022, 2022],
                "statistic": ["pearson_corr", "pearson_corr", "skewness"],
                "value": [0.81, -0.12, 2.7],
                "threshold": [0.0, 0.0, 2.0],
                "flag": [None, "negative correlation with parent", "skew above threshold"],
            }
        ).to_parquet(root / "audit.parquet")
    if "audit_bool" in extra_tables:  # the engine's shape: boolean flags, pooled rows with period NULL
        pd.DataFrame(
            {
                "section": ["indicators", "indicators", "pairs", "aggregates"],
                "node_id": ["ind_up", "ind_up", "ind_c", "dim_a"],
                "other_node_id": [None, None, "ind_d", None],
                "period": [2022.0, None, 2022.0, None],
                "statistic": ["availability", "availability", "pearson", "pca_share_pc1"],
                "value": [0.5, 0.9, 0.95, 0.7],
                "threshold": [0.65, 0.65, 0.9, None],
                "flag": [True, False, True, None],
            }
        ).to_parquet(root / "audit.parquet")
    if "target_attainment" in extra_tables:
        # Two indicators with a target; ind_down cannot be projected for the last two leagues (on_track NULL).
        # The contract's columns (sql/release/target_attainment.sql) the site reads.
        # Counties: ind_up for each, on track in every other one.
        n = len(county_codes)
        target_codes = codes * 2 + county_codes
        table = pd.DataFrame(
            {
                **unit_columns(target_codes, unit_names, parents, levels),
                "indicator_id": ["ind_up"] * 12 + ["ind_down"] * 12 + ["ind_up"] * n,
                "year": 2022,
                "value": [25.0] * 12 + [1.333] * 12 + [40.0] * n,
                "target_2025": [50.0] * 12 + [1.2] * 12 + [50.0] * n,
                "attainment": [0.5] * 12 + [0.9] * 12 + [0.8] * n,
                "on_track": [True] * 6 + [False] * 6 + [True] * 10 + [None] * 2 + [i % 2 == 0 for i in range(n)],
            }
        )
        (to_old_layout(table, level_kind=True) if layout == "old" else table).to_parquet(
            root / "target_attainment.parquet"
        )
    if "weights" in extra_tables:
        pd.DataFrame(
            {"scheme": "expert", "node_id": ["ind_c", "ind_d"], "weight": [0.9, 0.1], "effective_weight": [0.45, 0.05]}
        ).to_parquet(root / "weights.parquet")

    if "analyses" in extra_tables:
        write_analyses(root, release_id, index_scores, parents)

    uncertainty = None
    if "uncertainty" in extra_tables:
        uncertainty = write_uncertainty(root, release_id, index_scores, layout)

    (root / "release.json").write_text(
        json.dumps(
            {
                **({"uncertainty": uncertainty} if uncertainty else {}),
                "id": release_id,
                "created_at": "2025-01-01T00:00:00+00:00",
                "published_at": "2025-01-01T00:00:01+00:00",
                "inputs": [SYNTHETIC_INPUT] if inputs is None else inputs,
                "framework": {"path": "sql/framework/x.sql", "sha256": "cd" * 32},
                "weight_scheme": {"path": "sql/weights/x.sql", "sha256": "ef" * 32},
                "method": {
                    "path": "sql/method/x.toml",
                    "sha256": "01" * 32,
                    "spec": {
                        # spec keys in no particular order; weights.scheme as the engine records it (not the scheme's name)
                        "aggregate": {"method": "amean"},
                        "normalise": {"method": "minmax", "range": [0, 100], "scope": "panel"},
                        "impute": {"method": "panel_linear"},
                        "weights": {"scheme": "metadata"},
                        "denominate": {},
                        "treat": {"method": "none", "winmax": 5, "skew": 2.0, "kurtosis": 3.5},
                        "screen": {"min_data": 0.0, "on": "imputed"},
                    },
                },
                "code_version": "0.0.0+synthetic",
                "triggered_by": "test",
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    return root


def write_analyses(root, release_id, scores: pd.DataFrame, parents: dict) -> None:
    """The regional analysis tables (disparity, disparity_groups, disparity_pairs, distribution, coupling,
    convergence_sigma, convergence_beta) in the contract's shapes, computed by index/analyses/ from the SYNTHETIC
    scores above, so they hang together (the Dagum parts add up to the Gini). The synthetic framework has no
    数字产业化 / 产业数字化: its second coupling system couples dim_a × dim_b under that name. Coupling has rows for
    the 旗县市区 too, as a release has."""
    from index.analyses.convergence import beta, kernel_density, sigma
    from index.analyses.coupling import coupling_table
    from index.analyses.disparity import disparity_table
    from index.targets import contract

    groups = pd.read_csv(Path(__file__).resolve().parents[2] / "reference" / "league_groups.csv")
    long = scores.rename(columns={"year": "period"})[["unit_code", "unit_level", "period", "node_id", "score"]]
    leagues = long[long["unit_level"] == "league"].drop(columns="unit_level")
    summary, group_rows, pair_rows = [], [], []
    for grouping in ("region_group", "core_group"):
        a, b, c = disparity_table(leagues, dict(zip(groups["code"], groups[grouping])))
        summary.append(a.assign(grouping=grouping))
        group_rows.append(b.assign(grouping=grouping).rename(columns={"group": "group_name"}))
        pair_rows.append(c.assign(grouping=grouping))
    couplings = []
    for level in ("league", "county"):
        part = long[(long["unit_level"] == level) & (long["node_id"] != "DEI")].drop(columns="unit_level")
        for name, subsystems in (("六维度", ["dim_b", "dim_a"]), ("数字产业化 × 产业数字化", ["dim_a", "dim_b"])):
            table = coupling_table(part, subsystems, name=name)
            couplings.append(table.assign(subsystems="level 2" if name == "六维度" else "dim_a × dim_b"))
    units = scores[["unit_code", "unit_name", "unit_level", "parent_code"]].drop_duplicates("unit_code")
    frames = {
        "disparity": pd.concat(summary, ignore_index=True),
        "disparity_groups": pd.concat(group_rows, ignore_index=True),
        "disparity_pairs": pd.concat(pair_rows, ignore_index=True),
        "distribution": pd.concat(
            [kernel_density(leagues, node).assign(node_id=node) for node in ("DEI", "dim_a", "dim_b")],
            ignore_index=True,
        ),
        "coupling": pd.concat(couplings, ignore_index=True).merge(units, on="unit_code", how="left"),
        "convergence_sigma": sigma(leagues),
        "convergence_beta": beta(leagues).rename(columns={"first_period": "first_year", "last_period": "last_year"}),
    }
    for name, frame in frames.items():
        frame = frame.rename(columns={"period": "year"}).assign(release_id=release_id)
        cols = [c for c, _ in contract.columns(name)]
        frame[cols].to_parquet(root / f"{name}.parquet")


UNCERTAIN_INPUTS = ("impute", "treat", "normalise", "weights", "weight_noise", "aggregate")


def write_uncertainty(root, release_id, scores: pd.DataFrame, layout: str = "new") -> dict:
    """SYNTHETIC rank_intervals and sensitivity tables around the release's ranks (a seeded generator of its
    own, so the other tables' numbers do not move): intervals of a few ranks, some ending between two ranks.
    盟市 only, as the contract says."""
    rng = np.random.default_rng(11)
    leagues = scores[scores["unit_level"] == "league"]
    rows = []
    for r in leagues.itertuples(index=False):
        low = max(1.0, r.rank - float(rng.integers(0, 3)) + (0.5 if rng.random() < 0.2 else 0.0))
        high = min(12.0, r.rank + float(rng.integers(0, 3)) - (0.5 if rng.random() < 0.2 else 0.0))
        low, high = min(low, r.rank), max(high, r.rank)
        rows.append(
            dict(
                release_id=release_id,
                unit_code=r.unit_code,
                unit_name=r.unit_name,
                unit_level="league",
                parent_code=REGION,
                year=r.year,
                node_id=r.node_id,
                level=r.level,
                nominal_score=r.score,
                nominal_rank=r.rank,
                engine_rank=r.rank,
                mean_rank=(low + high) / 2,
                median_rank=float(r.rank),
                rank_low=low,
                rank_high=high,
                share_nominal_rank=float(rng.uniform(0.2, 1.0)),
                mean_score=r.score,
                median_score=r.score,
                score_low=r.score - 5,
                score_high=r.score + 5,
                interval_low=0.05,
                interval_high=0.95,
            )
        )
    ri = pd.DataFrame(rows)
    ri["indistinguishable_from"] = [
        ";".join(
            str(o.unit_code)
            for o in ri[
                (ri["node_id"] == x.node_id) & (ri["year"] == x.year) & (ri["unit_code"] != x.unit_code)
            ].itertuples()
            if o.rank_low <= x.rank_high and x.rank_low <= o.rank_high
        )
        for x in ri.itertuples()
    ]
    (to_old_layout(ri) if layout == "old" else ri).to_parquet(root / "rank_intervals.parquet")
    srows = []
    for year in YEARS:
        for name in UNCERTAIN_INPUTS:
            first = float(rng.uniform(-0.05, 0.5))
            total = first + float(rng.uniform(0, 0.3))
            srows.append(
                dict(
                    release_id=release_id,
                    input=name,
                    alternatives="a | b",
                    output="mean_abs_rank_shift",
                    unit_code=None,
                    unit_name=None,
                    unit_level=None,
                    parent_code=None,
                    year=year,
                    node_id="DEI",
                    first_order=first,
                    first_order_low=first - 0.1,
                    first_order_high=first + 0.1,
                    total_order=total,
                    total_order_low=total - 0.05,
                    total_order_high=total + 0.05,
                    output_variance=1.0,
                )
            )
    sens = pd.DataFrame(srows)
    (to_old_layout(sens) if layout == "old" else sens).to_parquet(root / "sensitivity.parquet")
    return {
        "spec": "sql/method/dei_uncertainty.toml",
        "sha256": "12" * 32,
        "replicates": 1000,
        "seed": 1,
        "sobol_n": 128,
        "interval": [0.05, 0.95],
    }


@pytest.fixture
def synthetic_release(tmp_path):
    return make_release(tmp_path / "release")


@pytest.fixture
def release_factory(tmp_path):
    """make_release into a fresh folder under tmp_path each call."""
    counter = iter(range(1000))

    def factory(**kwargs):
        return make_release(tmp_path / f"release{next(counter)}", **kwargs)

    return factory
