"""Leaving a node out where a zero weight is not the same build: the screening threshold would move. On a
SYNTHETIC framework in COINr's layout, every exclusion must still equal a normal engine build of the
framework without that node, and the ones that move the screening must be built so."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from index.coinr import compute_coinr
from index.uncertainty import analysis
from index.uncertainty import spec as uspec

INDICATORS = {"i1": "A", "i2": "A", "i3": "B", "i4": "B", "i5": "B"}
# SYNTHETIC gaps: u1 misses i1 (4 of 5 present: kept at 0.8, dropped once an indicator it has goes);
# u2 misses i1 and i3 (3 of 5: dropped; kept at 3 of 4 once i1 or i3 goes)
WEIGHTS = {"i1": 1.0, "i2": 2.0, "i3": 1.0, "i4": 2.0, "i5": 1.0}
MISSING = {("u1", "i1"), ("u2", "i1"), ("u2", "i3")}
METHOD = """
[screen]
min_data = 0.75
on = "raw"
[normalise]
method = "minmax"
range = [0, 100]
[aggregate]
method = "amean"
"""


def write_framework(folder, indicators=INDICATORS):
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        dict(Level=1, iCode=i, iName=i, Direction=1, Weight=WEIGHTS[i], Parent=p, Type="Indicator")
        for i, p in indicators.items()
    ]
    parents = sorted(set(indicators.values()))
    rows += [dict(Level=2, iCode=p, iName=p, Direction=1, Weight=1.0, Parent="Root", Type="Aggregate") for p in parents]
    rows.append(dict(Level=3, iCode="Root", iName="Root", Direction=1, Weight="", Parent="", Type="Aggregate"))
    pd.DataFrame(rows).to_csv(folder / "imeta.csv", index=False)
    rng = np.random.default_rng(7)
    data = {"uCode": [f"u{j}" for j in range(1, 9)], "uName": [f"unit {j}" for j in range(1, 9)]}
    for i in INDICATORS:  # every column drawn, so a reduced framework keeps the same values
        column = rng.uniform(1.0, 50.0, 8).round(3)
        if i in indicators:
            data[i] = ["" if (u, i) in MISSING else v for u, v in zip(data["uCode"], column)]
    pd.DataFrame(data).to_csv(folder / "idata.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic")
    folder = write_framework(root / "full")
    (root / "method.toml").write_text(METHOD, encoding="utf-8")
    return root, folder


def test_each_exclusion_equals_a_build_without_the_node(synthetic, tmp_path):
    root, folder = synthetic
    inputs = analysis.coinr_inputs(folder, root / "method.toml")
    spec = uspec.validate({"exclusion": {"level": 1}})
    rep = analysis.Replicator(inputs, spec)
    table = analysis.exclusion_effects(rep, spec.exclusion)
    rebuilt = table.groupby("excluded")["rebuilt"].first().to_dict()
    assert rebuilt == {"i1": True, "i2": False, "i3": True, "i4": False, "i5": False}
    for node in INDICATORS:
        reduced = write_framework(tmp_path / node, {i: p for i, p in INDICATORS.items() if i != node})
        compute_coinr(reduced, root / "method.toml", tmp_path / f"out_{node}")
        built = pd.read_csv(tmp_path / f"out_{node}" / "aggregated.csv").set_index("uCode")
        ranks = built[["A", "B", "Root"]].rank(ascending=False, method="min")
        mine = table[table["excluded"] == node].set_index(["unit_code", "node_id"])
        for unit in rep.rows.units:
            for agg in ("A", "B", "Root"):
                score = mine["score"].get((unit, agg), np.nan)
                if unit in built.index and not np.isnan(built.loc[unit, agg]):
                    assert abs(score - built.loc[unit, agg]) <= 1e-10, (node, unit, agg)
                    assert mine.loc[(unit, agg), "rank"] == ranks.loc[unit, agg]
                else:  # screened out, or no child present: no score
                    assert np.isnan(score), (node, unit, agg)


def test_a_zero_weight_is_used_where_the_screening_stays(synthetic):
    root, folder = synthetic
    inputs = analysis.coinr_inputs(folder, root / "method.toml")
    rep = analysis.Replicator(inputs, uspec.validate({}))
    kept_before = rep.nominal.kept.copy()
    decisions = {node: rep._needs_rebuild(rep.nominal, node) for node in INDICATORS}
    # u1 has 4/5 (kept); without an indicator it has, 3/4 = 0.75 (still kept); without i1, 4/4.
    # u2 has 3/5 (dropped); without i1 or i3 it has 3/4 (kept): only those two move the screening
    assert decisions == {"i1": True, "i2": False, "i3": True, "i4": False, "i5": False}
    assert kept_before.sum() == 7
