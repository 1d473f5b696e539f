"""A geometric mean with nonpositive = "shift" at a node whose children are all aggregates (the index root),
when one unit scores 0 on a whole dimension: the fast path must shift like the engine does, not fail.
SYNTHETIC framework in COINr's layout: u1 is the lowest on every indicator of A, so A's min-max score is 0."""

from __future__ import annotations

import numpy as np
import pandas as pd

from index.coinr import compute_coinr
from index.uncertainty import analysis
from index.uncertainty import spec as uspec

METHOD = """
[normalise]
method = "minmax"
range = [0, 100]
[aggregate]
method = "amean"
"""
SHIFTED = METHOD.replace('method = "amean"', 'method = "gmean"\nnonpositive = "shift"')


def write_framework(folder):
    folder.mkdir(parents=True, exist_ok=True)
    indicators = {"a1": "A", "a2": "A", "b1": "B", "b2": "B"}
    rows = [
        dict(Level=1, iCode=i, iName=i, Direction=1, Weight=1.0, Parent=p, Type="Indicator")
        for i, p in indicators.items()
    ]
    rows += [dict(Level=2, iCode=p, iName=p, Direction=1, Weight=1.0, Parent="Root", Type="Aggregate") for p in "AB"]
    rows.append(dict(Level=3, iCode="Root", iName="Root", Direction=1, Weight="", Parent="", Type="Aggregate"))
    pd.DataFrame(rows).to_csv(folder / "imeta.csv", index=False)
    rng = np.random.default_rng(11)
    data = {"uCode": [f"u{j}" for j in range(1, 7)], "uName": [f"unit {j}" for j in range(1, 7)]}
    for i in indicators:
        column = rng.uniform(10.0, 50.0, 6).round(3)
        if i.startswith("a"):
            column[0] = 1.0  # u1 is the worst on all of A
        data[i] = column
    pd.DataFrame(data).to_csv(folder / "idata.csv", index=False)
    return folder


def test_a_shifted_geometric_root_over_a_zero_dimension_matches_the_engine(tmp_path):
    folder = write_framework(tmp_path / "framework")
    (tmp_path / "method.toml").write_text(METHOD, encoding="utf-8")
    (tmp_path / "shifted.toml").write_text(SHIFTED, encoding="utf-8")
    spec = uspec.validate(
        {
            "replicates": 4,
            "aggregate": {"alternatives": [{"method": "gmean", "nonpositive": "shift"}]},
            "sensitivity": {"skip": True},
        }
    )
    rep = analysis.Replicator(analysis.coinr_inputs(folder, tmp_path / "method.toml"), spec)
    mc = analysis.monte_carlo(rep, 4, seed=1)
    table, _ = analysis.rank_intervals(rep, mc)
    compute_coinr(folder, tmp_path / "shifted.toml", tmp_path / "out")
    built = pd.read_csv(tmp_path / "out" / "aggregated.csv").set_index("uCode")
    assert built.loc["u1", "A"] == 0.0  # the case under test
    root = table[table["node_id"] == "Root"].set_index("unit_code")
    for unit in built.index:
        assert abs(root.loc[unit, "mean_score"] - built.loc[unit, "Root"]) <= 1e-9, unit
