"""The statistical audit (index/engine/audit.py, sql/engine/12_audit*.sql) against statistics computed here
independently with pandas / numpy / scipy / scikit-learn.

ALL DATA HERE IS SYNTHETIC: seeded numpy draws for 30 made-up units over 2 periods, with planted features:
a highly correlated sibling pair (a1, a2), a negatively correlated pair (b1, b2), a heavily skewed indicator
with one far outlier per period (b3), an indicator that is mostly zeros (a3) and one with 40 % gaps (a4).

    ROOT (level 3)
    ├── A (level 2, 中文名 甲): a1, a2, a3, a4
    └── B (level 2):            b1, b2, b3
"""

from __future__ import annotations

import math
import re
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from index import engine
from index.commands import audit_text  # the audit as text (outside the engine), tested on the same run
from index.engine import audit as audit_module
from index.framework import FRAMEWORK_COLUMNS
from tests.fixtures import engine_inputs

TOL = 1e-9
UNITS = [f"u{i:02d}" for i in range(30)]
PERIODS = [2021, 2022]
CHILDREN = {"A": ["a1", "a2", "a3", "a4"], "B": ["b1", "b2", "b3"], "ROOT": ["A", "B"]}
METHOD = {"impute": {"method": "mean"}, "normalise": {"method": "minmax", "range": [0, 100], "scope": "panel"}}


def framework_frame() -> pd.DataFrame:
    rows = [
        dict(node_id="ROOT", parent_id=None, level=3, node_type="Aggregate", name_zh="总指数"),
        dict(node_id="A", parent_id="ROOT", level=2, node_type="Aggregate", name_zh="甲"),
        dict(node_id="B", parent_id="ROOT", level=2, node_type="Aggregate", name_zh=None),
    ]
    for parent in ("A", "B"):
        for child in CHILDREN[parent]:
            rows.append(
                dict(
                    node_id=child, parent_id=parent, level=1, node_type="Indicator", polarity=-1 if child == "a4" else 1
                )
            )
    frame = pd.DataFrame(rows)
    for column in FRAMEWORK_COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    return frame[FRAMEWORK_COLUMNS]


WEIGHTS = pd.DataFrame(
    [
        ("A", 0.5),
        ("B", 0.5),
        ("a1", 0.25),
        ("a2", 0.25),
        ("a3", 0.25),
        ("a4", 0.25),
        ("b1", 0.3),
        ("b2", 0.3),
        ("b3", 0.4),
    ],
    columns=["node_id", "weight"],
)


def synthetic_observations(seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for period in PERIODS:
        base = rng.normal(50, 10, len(UNITS))
        other = rng.normal(20, 5, len(UNITS))
        values = {
            "a1": base,
            "a2": 2 * base + rng.normal(0, 0.5, len(UNITS)),  # planted: correlates ~1 with a1
            "a3": np.where(rng.random(len(UNITS)) < 0.7, 0.0, rng.uniform(1, 5, len(UNITS))),  # mostly zeros
            "a4": base + rng.normal(0, 8, len(UNITS)),
            "b1": other,
            "b2": 100 - 3 * other + rng.normal(0, 3, len(UNITS)),  # planted: negative with b1
            "b3": rng.normal(10, 1, len(UNITS)),
        }
        values["b3"][0] = 200.0  # planted: one far outlier -> strong skew and kurtosis
        for variable, column in values.items():
            for position, unit in enumerate(UNITS):
                if variable == "a4" and position % 5 < 2:
                    if position % 2 == 0:
                        continue  # never reported
                    rows.append((unit, period, variable, None, datetime(2024, 1, 1)))  # reported missing
                    continue
                rows.append((unit, period, variable, float(column[position]), datetime(2024, 1, 1)))
    return pd.DataFrame(rows, columns=["unit_code", "period", "variable_id", "value", "loaded_at"])


@pytest.fixture(scope="module")
def run():
    observations = synthetic_observations()
    con = engine_inputs.connect(framework_frame(), WEIGHTS, observations, UNITS)
    engine.run(con, METHOD)
    frames = audit_module.audit(con)
    scores = con.execute("select unit_code, period, node_id, score from node_scores").df()
    yield {"frames": frames, "observations": observations, "scores": scores, "con": con}
    con.close()


def scopes():
    return [(period, [period]) for period in PERIODS] + [(None, PERIODS)]


def pick(frame: pd.DataFrame, period, **keys) -> pd.Series:
    mask = frame["period"].isna() if period is None else frame["period"] == period
    for column, value in keys.items():
        mask &= frame[column] == value
    rows = frame[mask.fillna(False).astype(bool)]
    assert len(rows) == 1, (period, keys, rows)
    return rows.iloc[0]


def wide_scores(scores: pd.DataFrame, periods: list[int], nodes: list[str]) -> pd.DataFrame:
    subset = scores[scores.period.isin(periods) & scores.node_id.isin(nodes)]
    return subset.pivot_table(index=["unit_code", "period"], columns="node_id", values="score")[nodes]


def close(a, b, tol: float = TOL) -> bool:
    if a is None or b is None or pd.isna(a) or pd.isna(b):
        return (a is None or pd.isna(a)) and (b is None or pd.isna(b))
    return math.isclose(float(a), float(b), rel_tol=0, abs_tol=tol)


def test_indicator_statistics_match_pandas_on_data_before_imputation(run):
    observations, indicators = run["observations"], run["frames"]["indicators"]
    for indicator in ["a1", "a2", "a3", "a4", "b1", "b2", "b3"]:
        for period, periods in scopes():
            reported = observations[(observations.variable_id == indicator) & observations.period.isin(periods)]
            values = reported["value"].dropna()
            cells = len(UNITS) * len(periods)  # the full grid, units that never reported included
            row = pick(indicators, period, indicator_id=indicator)
            assert row["cells"] == cells
            assert close(row["availability"], len(values) / cells)
            assert close(row["share_zeros"], (values == 0).sum() / len(values))
            assert close(row["share_unique"], values.nunique() / len(values))
            assert close(row["skew"], values.skew()), (indicator, period)
            assert close(row["kurt"], values.kurt()), (indicator, period)


def test_planted_features_are_flagged_with_coinr_default_thresholds(run):
    indicators = run["frames"]["indicators"]
    for period, _ in scopes():
        b3 = pick(indicators, period, indicator_id="b3")
        assert abs(b3["skew"]) > 2 and b3["kurt"] > 3.5 and b3["flag_outliers"]
        assert pick(indicators, period, indicator_id="a3")["flag_zeros"]  # about 70 % zeros
        assert pick(indicators, period, indicator_id="a3")["flag_unique"]
        a4 = pick(indicators, period, indicator_id="a4")
        assert a4["availability"] < 0.65 and a4["flag_availability"]  # two cells in five missing
        b1 = pick(indicators, period, indicator_id="b1")
        assert not (b1["flag_outliers"] or b1["flag_zeros"] or b1["flag_unique"] or b1["flag_availability"])


def test_correlations_with_parent_and_index_match_numpy_and_scipy(run):
    scores, correlations = run["scores"], run["frames"]["correlations"]
    parent_of = {child: parent for parent, kids in CHILDREN.items() for child in kids}
    for node, parent in parent_of.items():
        for relation, other in (("parent", parent), ("index", "ROOT")):
            for period, periods in scopes():
                wide = wide_scores(scores, periods, [node, other]).dropna()
                row = pick(correlations, period, node_id=node, relation=relation)
                assert row["other_node_id"] == other
                assert row["pairs"] == len(wide)
                assert close(row["pearson"], np.corrcoef(wide[node], wide[other])[0, 1]), (node, relation, period)
                expected_rho = stats.spearmanr(wide[node], wide[other]).statistic
                assert close(row["spearman"], expected_rho), (node, relation, period)
                assert row["flag_weak_pearson"] == (row["pearson"] < 0.3)


def test_sibling_pairs_match_numpy_and_planted_pairs_are_flagged(run):
    scores, pairs = run["scores"], run["frames"]["pairs"]
    for parent, kids in CHILDREN.items():
        for i, first in enumerate(sorted(kids)):
            for second in sorted(kids)[i + 1 :]:
                for period, periods in scopes():
                    wide = wide_scores(scores, periods, [first, second]).dropna()
                    row = pick(pairs, period, node_id=first, other_node_id=second)
                    assert row["parent_id"] == parent
                    assert close(row["pearson"], np.corrcoef(wide[first], wide[second])[0, 1])
                    assert row["flag_high"] == (row["pearson"] > 0.9)
                    assert row["flag_negative"] == (row["pearson"] < -0.4)
    for period, _ in scopes():
        assert pick(pairs, period, node_id="a1", other_node_id="a2")["flag_high"]
        assert pick(pairs, period, node_id="b1", other_node_id="b2")["flag_negative"]
        assert not pick(pairs, period, node_id="b1", other_node_id="b3")["flag_negative"]


def cronbach_alpha(frame: pd.DataFrame) -> float:
    covariance = frame.cov()  # pairwise complete, as COINr's get_cronbach()
    k = frame.shape[1]
    return k / (k - 1) * (1 - np.trace(covariance.to_numpy()) / covariance.to_numpy().sum())


def test_cronbach_alpha_matches_its_formula(run):
    scores, aggregates = run["scores"], run["frames"]["aggregates"]
    for node, kids in CHILDREN.items():
        for period, periods in scopes():
            wide = wide_scores(scores, periods, kids)
            row = pick(aggregates, period, node_id=node)
            assert row["children"] == len(kids)
            assert close(row["cronbach_alpha"], cronbach_alpha(wide)), (node, period)
            assert row["flag_alpha"] == (row["cronbach_alpha"] < 0.7)


def test_pca_shares_match_eigenvalues_of_the_correlation_matrix_and_sklearn(run):
    scores, aggregates = run["scores"], run["frames"]["aggregates"]
    for node, kids in CHILDREN.items():
        for period, periods in scopes():
            wide = wide_scores(scores, periods, kids).dropna()
            eigen = np.sort(np.linalg.eigvalsh(np.corrcoef(wide.to_numpy(), rowvar=False)))[::-1]
            row = pick(aggregates, period, node_id=node)
            assert row["complete_cases"] == len(wide)
            assert len(row["pca_shares"]) == len(kids)
            assert np.allclose(row["pca_shares"], eigen / eigen.sum(), rtol=0, atol=TOL), (node, period)
            assert close(row["pca_first_share"], eigen[0] / len(kids))
            sk = PCA().fit(StandardScaler().fit_transform(wide.to_numpy()))
            assert np.allclose(row["pca_shares"], sk.explained_variance_ratio_, rtol=0, atol=1e-8)
            assert row["pca_components"] == int((eigen > 1).sum())


def test_thresholds_override_defaults_and_unknown_keys_are_refused(run):
    strict = audit_module.audit(run["con"], {"t_high": 0.9999999, "t_skew": 100})
    assert not strict["pairs"]["flag_high"].any()
    assert not strict["indicators"]["flag_outliers"].any()
    with pytest.raises(ValueError, match="t_typo"):
        audit_module.audit(run["con"], {"t_typo": 1})
    with pytest.raises(ValueError, match="t_high"):
        audit_module.audit(run["con"], {"t_high": "high"})


def test_audit_table_has_the_documented_columns_types_and_rows(run):
    frames = run["frames"]
    table = audit_module.audit_table(frames)
    assert list(table.columns) == [
        "section",
        "node_id",
        "other_node_id",
        "period",
        "statistic",
        "value",
        "threshold",
        "flag",
    ]
    assert {str(table[c].dtype) for c in ("section", "node_id", "other_node_id", "statistic")} == {"string"}
    assert str(table["period"].dtype) == "Int32"
    assert table["value"].dtype == np.float64 and table["threshold"].dtype == np.float64
    assert str(table["flag"].dtype) == "boolean"
    assert set(table["section"]) == {"indicators", "correlations", "pairs", "aggregates"}
    # it round-trips through DuckDB with the SQL types the release uses
    con = duckdb.connect()
    con.register("audit_df", table)
    types = dict(con.execute("select column_name, column_type from (describe select * from audit_df)").fetchall())
    assert types == {
        "section": "VARCHAR",
        "node_id": "VARCHAR",
        "other_node_id": "VARCHAR",
        "period": "INTEGER",
        "statistic": "VARCHAR",
        "value": "DOUBLE",
        "threshold": "DOUBLE",
        "flag": "BOOLEAN",
    }
    # the long rows carry the frames' values and flags
    pooled = table["period"].isna()
    high = table[pooled & (table.section == "pairs") & (table.node_id == "a1") & (table.other_node_id == "a2")]
    assert len(high) == 1 and bool(high["flag"].iloc[0]) and high["threshold"].iloc[0] == 0.9
    assert close(high["value"].iloc[0], pick(frames["pairs"], None, node_id="a1", other_node_id="a2")["pearson"])
    negative = table[pooled & (table.section == "pairs") & (table.node_id == "b1") & (table.other_node_id == "b2")]
    assert bool(negative["flag"].iloc[0]) and negative["threshold"].iloc[0] == -0.4
    skew = table[pooled & (table.statistic == "skew") & (table.node_id == "b3")]
    assert bool(skew["flag"].iloc[0]) and skew["threshold"].iloc[0] == 2.0
    shares = table[pooled & (table.statistic.str.startswith("pca_share_pc")) & (table.node_id == "A")]
    assert sorted(shares["statistic"]) == ["pca_share_pc1", "pca_share_pc2", "pca_share_pc3", "pca_share_pc4"]
    assert close(shares["value"].sum(), 1.0)
    counts = table[pooled].groupby("section").size()
    assert counts["indicators"] == 7 * 5  # 7 indicators × availability, zeros, unique, skew, kurt


def test_format_audit_lists_flags_first_with_chinese_names(run):
    text = audit_text.format_audit(run["frames"])
    flags_at, tables_at = text.index("Flags ("), text.index("Indicators")
    assert flags_at < tables_at
    flag_block = text[flags_at:tables_at]
    assert "a1 ~ a2" in flag_block and "b1 ~ b2" in flag_block and "possible outliers" in flag_block
    assert "甲" in text  # A's name_zh
    assert "总指数" in text
    assert re.search(r"^  B +all ", text, flags=re.MULTILINE)  # B has no name_zh: shown by node_id
    assert not re.search(r"^  A +all ", text, flags=re.MULTILINE)


def test_the_audit_summary_counts_flags_by_kind_and_shows_the_worst(run):
    frames = run["frames"]
    items = audit_text.flag_items(frames)
    text = audit_text.format_audit_summary(frames, worst=1)
    assert text.splitlines()[0].startswith(f"统计审计 / statistical audit: Flags ({len(items)}, ")
    for kind in {k for k, _, _ in items}:
        line = next(line for line in text.splitlines() if line.strip().startswith(kind + " "))
        count = sum(1 for k, _, _ in items if k == kind)
        assert line.split()[len(kind.split())] == str(count)
        assert audit_text.FLAG_MEANINGS[kind] in line
        worst = max((i for i in items if i[0] == kind), key=lambda i: i[1])
        assert worst[2] in text
    assert "Indicators" not in text  # details only with --details
