"""Property tests on seeded random frameworks and panels. ALL DATA HERE IS SYNTHETIC (numpy random draws).

For every unit and period: sum(contribution) equals the root score (1e-9), the effective weights add up to 1,
and every aggregate's score equals the weighted mean of its PRESENT children, weights re-scaled over them.
"""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from index import engine
from index.framework import FRAMEWORK_COLUMNS, check_weights
from tests.fixtures import engine_inputs

TOL = 1e-9


def random_inputs(seed: int):
    """A root on level 4, aggregates on levels 3 and 2, indicators on level 1 (some directly under level 3)."""
    rng = np.random.default_rng(seed)
    rows = [dict(node_id="ROOT", parent_id=None, level=4, node_type="Aggregate")]
    rows.append(dict(node_id="DEN", parent_id=None, level=1, node_type="Denominator"))
    indicator_count = 0

    def add_indicators(parent: str, n: int):
        nonlocal indicator_count
        for _ in range(n):
            indicator_count += 1
            denominated = rng.random() < 0.2
            rows.append(
                dict(
                    node_id=f"ind_{indicator_count}",
                    parent_id=parent,
                    level=1,
                    node_type="Indicator",
                    polarity=int(rng.choice([1, -1])),
                    denominator="DEN" if denominated else None,
                    denominator_scale=100.0 if denominated else None,
                )
            )

    for a in range(int(rng.integers(2, 4))):
        upper = f"agg3_{a}"
        rows.append(dict(node_id=upper, parent_id="ROOT", level=3, node_type="Aggregate"))
        for b in range(int(rng.integers(1, 4))):
            lower = f"agg2_{a}_{b}"
            rows.append(dict(node_id=lower, parent_id=upper, level=2, node_type="Aggregate"))
            add_indicators(lower, int(rng.integers(1, 5)))
        if rng.random() < 0.5:
            add_indicators(upper, 1)  # an indicator two levels below its parent: uneven depth
    framework = pd.DataFrame(rows)
    for column in FRAMEWORK_COLUMNS:
        if column not in framework.columns:
            framework[column] = None
    framework = framework[FRAMEWORK_COLUMNS]

    tree = framework[(framework.node_type != "Denominator") & framework.parent_id.notna()]
    raw = pd.Series(rng.uniform(0.1, 1.0, len(tree)), index=tree.node_id.values)
    # one zero weight, to exercise an aggregate whose only present child may weigh nothing
    raw.iloc[int(rng.integers(0, len(raw)))] = 0.0
    parents = tree.set_index("node_id").parent_id
    sums = raw.groupby(parents).transform("sum")
    share = raw / sums.replace(0.0, np.nan)
    share = share.fillna(1.0 / raw.groupby(parents).transform("count"))
    weights = pd.DataFrame({"node_id": share.index, "weight": share.values})
    check_weights(weights, framework)

    units = [f"u{i}" for i in range(8)] + ["u_empty"]  # u_empty reports nothing at all
    periods = [2001, 2002, 2003, 2004, 2005]
    variables = framework.loc[framework.node_type != "Aggregate", "node_id"].tolist()
    observations = []
    for unit in units[:-1]:
        for period in periods:
            for variable in variables:
                draw = rng.random()
                if draw < 0.08:
                    continue  # never reported
                value = None if draw < 0.25 else float(rng.uniform(1, 100))
                observations.append((unit, period, variable, value, datetime(2024, 1, 1)))
    # an indicator nobody reported in one period
    gone = variables[0] if variables[0] != "DEN" else variables[1]
    observations = [o for o in observations if not (o[1] == 2003 and o[2] == gone)]
    observations = pd.DataFrame(observations, columns=["unit_code", "period", "variable_id", "value", "loaded_at"])
    units = pd.DataFrame({"unit_code": units, "unit_name": units})
    return framework, weights, units, observations


def run_engine(seed: int, impute_method: str):
    framework, weights, units, observations = random_inputs(seed)
    con = engine_inputs.connect(framework, weights, observations, units)
    method = {
        "denominate": {},
        "impute": {"method": impute_method},
        "normalise": {"method": "minmax", "range": [0, 100], "scope": "panel"},
        "aggregate": {"method": "amean"},
    }
    engine.run(con, method)
    results = con.execute("select * from indicator_results").df()
    scores = con.execute("select * from node_scores").df()
    con.close()
    return framework, weights, results, scores


CASES = [(seed, method) for seed in (1, 2, 3, 4, 5) for method in ("none", "panel_linear")]


@pytest.mark.parametrize("seed,impute_method", CASES)
def test_contributions_add_up_to_root_score(seed, impute_method):
    framework, _, results, scores = run_engine(seed, impute_method)
    root = scores[scores.node_id == "ROOT"].set_index(["unit_code", "period"]).score
    grouped = results.groupby(["unit_code", "period"])
    total = grouped.contribution.sum(min_count=1)
    weight_total = grouped.effective_weight.sum()
    assert len(root) == 9 * 5
    for key, score in root.items():
        if pd.isna(score):
            assert pd.isna(total[key]), key
            assert weight_total[key] == 0.0, key
        else:
            assert abs(total[key] - score) <= TOL, (key, total[key], score)
            assert abs(weight_total[key] - 1.0) <= TOL, (key, weight_total[key])
    empty = scores.loc[(scores.unit_code == "u_empty") & (scores.node_id == "ROOT"), "score"]
    if impute_method == "none":
        assert empty.isna().all()  # the unit without data has no score anywhere
    else:
        assert empty.notna().all()  # panel methods fall back to the cross-section mean of the period


@pytest.mark.parametrize("seed,impute_method", CASES)
def test_aggregates_are_reweighted_means_of_present_children(seed, impute_method):
    framework, weights, results, scores = run_engine(seed, impute_method)
    weight_of = weights.set_index("node_id").weight
    score_of = scores.set_index(["unit_code", "period", "node_id"]).score
    aggregates = framework[framework.node_type == "Aggregate"]
    children_of = framework[framework.parent_id.notna()].groupby("parent_id").node_id.apply(list)
    reweighted = 0
    for unit in scores.unit_code.unique():
        for period in scores.period.unique():
            for node in aggregates.node_id:
                present = [
                    (weight_of[c], score_of[(unit, period, c)])
                    for c in children_of[node]
                    if not pd.isna(score_of[(unit, period, c)])
                ]
                total_weight = sum(w for w, _ in present)
                got = score_of[(unit, period, node)]
                if total_weight == 0:
                    assert pd.isna(got), (unit, period, node, got)
                    continue
                expected = sum(w * s for w, s in present) / total_weight
                assert not pd.isna(got) and math.isclose(got, expected, rel_tol=0, abs_tol=TOL), (
                    unit,
                    period,
                    node,
                    got,
                    expected,
                )
                if len(present) < len(children_of[node]):
                    reweighted += 1
    if impute_method == "none":
        assert reweighted > 0  # missing values really exercised the re-weighting
