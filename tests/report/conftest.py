"""A SYNTHETIC release for the fast report tests: seeded random numbers in the published tables' shapes.

Nothing here is engine output or real data. The league codes and names are the real 12 盟市 (the map needs
them); the framework is a made-up two-dimension tree with four indicators, listed in an order that is NOT the
alphabetical order of the ids (dim_b before dim_a), as the real framework's dimensions are not.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from index.framework import FRAMEWORK_COLUMNS
from index.leagues import league_names
from tests.fixtures.cells import INDICATOR_RESULT_COLUMNS

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


def make_release(root, release_id="synthetic0001", region_row=False, extra_tables=(), inputs=None):
    """Write a synthetic release directory; extra_tables picks optional tables ('audit', 'target_attainment', 'weights',
    'uncertainty': rank_intervals and sensitivity in the contract's shapes, SYNTHETIC seeded numbers)."""
    rng = np.random.default_rng(7)
    names = league_names()
    codes = sorted(names)
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
    # the engine's indicator_results columns, keyed by league and year as a release publishes them
    values = pd.DataFrame(rows, columns=["league_code", "year", *INDICATOR_RESULT_COLUMNS[2:]])
    values.to_parquet(root / "indicator_values.parquet")

    srows = []
    for node, level in (("DEI", 3), ("dim_a", 2), ("dim_b", 2)):  # the published tables are sorted by id
        for year in YEARS:
            scores = {code: float(rng.uniform(10, 90)) for code in units}
            ranked = sorted(codes, key=lambda c: -scores[c])
            for code in units:
                rank = ranked.index(code) + 1 if code in ranked else 1
                srows.append(
                    (
                        release_id,
                        code,
                        names.get(code, "内蒙古自治区"),
                        year,
                        node,
                        node,
                        node,
                        level,
                        scores[code],
                        rank,
                        None if year == YEARS[0] else 1.0,
                        None if year == YEARS[0] else 0.0,
                    )
                )
    index_scores = pd.DataFrame(
        srows,
        columns=[
            "release_id",
            "league_code",
            "league_name",
            "year",
            "node_id",
            "node_name_zh",
            "node_name_en",
            "level",
            "score",
            "rank",
            "score_change",
            "rank_change",
        ],
    )
    index_scores.to_parquet(root / "index_scores.parquet")

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
        pd.DataFrame(
            {
                "league_code": codes * 2,
                "indicator_id": ["ind_up"] * 12 + ["ind_down"] * 12,
                "year": 2022,
                "value": [25.0] * 12 + [1.333] * 12,
                "target_2025": [50.0] * 12 + [1.2] * 12,
                "attainment": [0.5] * 12 + [0.9] * 12,
                "on_track": [True] * 6 + [False] * 6 + [True] * 10 + [None] * 2,
            }
        ).to_parquet(root / "target_attainment.parquet")
    if "weights" in extra_tables:
        pd.DataFrame(
            {"scheme": "expert", "node_id": ["ind_c", "ind_d"], "weight": [0.9, 0.1], "effective_weight": [0.45, 0.05]}
        ).to_parquet(root / "weights.parquet")

    uncertainty = None
    if "uncertainty" in extra_tables:
        uncertainty = write_uncertainty(root, release_id, index_scores)

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


UNCERTAIN_INPUTS = ("impute", "treat", "normalise", "weights", "weight_noise", "aggregate")


def write_uncertainty(root, release_id, scores: pd.DataFrame) -> dict:
    """SYNTHETIC rank_intervals and sensitivity tables around the release's ranks (a seeded generator of its
    own, so the other tables' numbers do not move): intervals of a few ranks, some ending between two ranks."""
    rng = np.random.default_rng(11)
    leagues = scores[scores["league_code"] != 150000]
    rows = []
    for r in leagues.itertuples(index=False):
        low = max(1.0, r.rank - float(rng.integers(0, 3)) + (0.5 if rng.random() < 0.2 else 0.0))
        high = min(12.0, r.rank + float(rng.integers(0, 3)) - (0.5 if rng.random() < 0.2 else 0.0))
        low, high = min(low, r.rank), max(high, r.rank)
        rows.append(
            dict(
                release_id=release_id,
                league_code=r.league_code,
                league_name=r.league_name,
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
            str(o.league_code)
            for o in ri[
                (ri["node_id"] == x.node_id) & (ri["year"] == x.year) & (ri["league_code"] != x.league_code)
            ].itertuples()
            if o.rank_low <= x.rank_high and x.rank_low <= o.rank_high
        )
        for x in ri.itertuples()
    ]
    ri.to_parquet(root / "rank_intervals.parquet")
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
                    league_code=None,
                    league_name=None,
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
    pd.DataFrame(srows).to_parquet(root / "sensitivity.parquet")
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
