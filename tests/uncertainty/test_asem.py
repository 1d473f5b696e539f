"""The uncertainty analysis on COINr's ASEM example against independent builds of the real engine.

Every expected value comes from another computation: COINr's own export (expected_aggregated.csv), a normal
engine build through the COINr door (index.coinr.compute_coinr) of a changed method or framework, or one full
engine build per replicate. Nothing here is a number typed in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from index.coinr import compute_coinr
from index.uncertainty import analysis
from index.uncertainty import spec as uspec
from tests.uncertainty.helpers import coinr_ranks, write_method

SCORE_TOL = 1e-12 * 100  # scores are on a 0-100 scale; rounding noise only


def aggregates(inputs) -> list[str]:
    return analysis.Tree.of(inputs.tables["framework"]).aggregates


def as_frame(rep, matrix) -> pd.DataFrame:
    """rows × aggregates (one period) -> a frame indexed by unit code."""
    return pd.DataFrame(matrix, index=rep.rows.units, columns=rep.tree.aggregates)


@pytest.fixture(scope="module")
def nominal(asem_inputs):
    return analysis.Replicator(asem_inputs, uspec.validate({"replicates": 20}))


def test_nominal_ranks_are_coinrs(nominal, asem_dir):
    expected = coinr_ranks(asem_dir / "expected_aggregated.csv", nominal.tree.aggregates)
    ours = as_frame(nominal, nominal.nominal_ranks)
    assert (ours.loc[expected.index, expected.columns].to_numpy() == expected.to_numpy()).all()
    engine = as_frame(nominal, nominal.nominal.ranks)
    assert (engine.loc[expected.index, expected.columns].to_numpy() == expected.to_numpy()).all()


def test_no_noise_every_replicate_is_the_nominal_build(nominal, asem_dir):
    mc = analysis.monte_carlo(nominal, 20, seed=3)
    coinr = pd.read_csv(asem_dir / "expected_aggregated.csv").set_index("uCode")[nominal.tree.aggregates]
    coinr = coinr.loc[nominal.rows.units].to_numpy()
    for r in range(20):
        assert np.max(np.abs(mc.scores[r] - nominal.nominal.scores)) <= SCORE_TOL
        assert np.max(np.abs(mc.scores[r] - coinr)) <= 1e-6  # COINr's export is rounded to ~15 digits
        assert (mc.ranks[r] == nominal.nominal.ranks).all()
    intervals, _ = analysis.rank_intervals(nominal, mc)
    assert (intervals["share_nominal_rank"] == 1.0).all()
    assert (intervals["rank_q5"] == intervals["nominal_rank"]).all()
    assert (intervals["rank_q95"] == intervals["nominal_rank"]).all()


def test_single_alternatives_equal_a_normal_build_of_that_method(asem_inputs, asem_dir, tmp_path):
    body = {
        "replicates": 8,
        "treat": {"winmax": [3]},
        "normalise": {"alternatives": [{"method": "zscore", "mean": 10, "sd": 2}]},
        "aggregate": {"alternatives": ["gmean"]},
    }
    rep = analysis.Replicator(asem_inputs, uspec.validate(body))
    mc = analysis.monte_carlo(rep, 8, seed=0)
    method = write_method(
        tmp_path / "method.toml",
        treat={"method": "winsorise_then_log", "winmax": 3, "skew": 2.0, "kurtosis": 3.5},
        normalise={"method": "zscore", "mean": 10, "sd": 2},
        aggregate={"method": "gmean"},
    )
    compute_coinr(asem_dir, method, tmp_path / "out")
    built = pd.read_csv(tmp_path / "out" / "aggregated.csv").set_index("uCode").loc[rep.rows.units]
    ranks = coinr_ranks(tmp_path / "out" / "aggregated.csv", rep.tree.aggregates).loc[rep.rows.units]
    for r in range(8):
        assert np.max(np.abs(mc.scores[r] - built[rep.tree.aggregates].to_numpy())) <= 1e-12 * 10
        assert (mc.ranks[r] == ranks.to_numpy()).all()


def test_noisy_replicates_equal_one_engine_build_each(asem_inputs, asem_dir):
    spec = uspec.load(asem_dir / "uncertainty.toml")
    rep = analysis.Replicator(asem_inputs, spec)
    mc = analysis.monte_carlo(rep, 64, seed=11)
    assert {"treat", "normalise", "aggregate"} <= set(mc.picks)
    # a few replicates covering both aggregations and both normalisations
    chosen = []
    for agg in (0, 1):
        for norm in (0, 1):
            hits = np.flatnonzero((mc.picks["aggregate"] == agg) & (mc.picks["normalise"] == norm))
            chosen.append(int(hits[0]))
    for r in chosen:
        build = rep.replicate_build(mc.picks, mc.noise, r)
        assert np.max(np.abs(build.scores - mc.scores[r])) <= 1e-9
        assert (rep.ranks(build.scores[None])[0] == mc.ranks[r]).all()
        assert (build.ranks == mc.ranks[r]).all()


def test_a_fixed_seed_gives_identical_results(asem_inputs, asem_dir):
    spec = uspec.load(asem_dir / "uncertainty.toml").model_copy(update={"replicates": 300})
    spec = spec.model_copy(update={"sensitivity": uspec.Sensitivity(n=64, bootstrap=50)})
    first = analysis.analyse(asem_inputs, spec)
    second = analysis.analyse(asem_inputs, spec)
    pd.testing.assert_frame_equal(first.rank_intervals, second.rank_intervals)
    pd.testing.assert_frame_equal(first.sensitivity, second.sensitivity)
    pd.testing.assert_frame_equal(first.exclusion, second.exclusion)
    other = analysis.analyse(asem_inputs, spec.model_copy(update={"seed": spec.seed + 1}))
    assert not other.rank_intervals["mean_rank"].equals(first.rank_intervals["mean_rank"])


def _without(asem_dir, tmp_path, nodes: set[str]):
    """A copy of the ASEM framework without ``nodes`` (rows of imeta, columns of idata)."""
    framework = tmp_path / "framework"
    framework.mkdir()
    meta = pd.read_csv(asem_dir / "imeta.csv", dtype=str, keep_default_na=False)
    meta[~meta["iCode"].isin(nodes)].to_csv(framework / "imeta.csv", index=False)
    data = pd.read_csv(asem_dir / "idata.csv", dtype=str, keep_default_na=False)
    data.drop(columns=[c for c in data.columns if c in nodes]).to_csv(framework / "idata.csv", index=False)
    return framework


@pytest.mark.parametrize("level, node", [(1, "Flights"), (1, "RDExp"), (2, "Physical")])
def test_leaving_one_out_equals_a_build_without_it(asem_inputs, asem_dir, tmp_path, level, node):
    spec = uspec.validate({"exclusion": {"level": level, "nodes": [node]}})
    rep = analysis.Replicator(asem_inputs, spec)
    table = analysis.exclusion_effects(rep, spec.exclusion)
    tree = rep.tree
    gone = tree.subtree(node)
    compute_coinr(_without(asem_dir, tmp_path, gone), asem_dir / "method.toml", tmp_path / "out")
    built = pd.read_csv(tmp_path / "out" / "aggregated.csv").set_index("uCode")
    remaining = [a for a in tree.aggregates if a not in gone]
    ranks = coinr_ranks(tmp_path / "out" / "aggregated.csv", remaining)
    mine = table.set_index(["unit_code", "node_id"])
    assert set(table["node_id"]) == set(remaining)
    for agg in remaining:
        for unit in rep.rows.units:
            row = mine.loc[(unit, agg)]
            assert abs(row["score"] - built.loc[unit, agg]) <= SCORE_TOL
            assert row["rank"] == ranks.loc[unit, agg]
            assert row["rank_change"] == row["nominal_rank"] - row["rank"]
    # the nodes off the excluded node's path do not move at all
    path, at = set(), tree.parent[tree.nodes.index(node)]
    while at >= 0:
        path.add(tree.aggregates[at])
        at = tree.parent[len(tree.indicators) + at]
    untouched = table[~table["node_id"].isin(path)]
    assert (untouched["score_change"] == 0).all()


def test_every_mean_noise_and_exclusion_equal_engine_builds(asem_inputs):
    """amean, gmean, genmean and hmean; noise on indicator and pillar weights; a pillar left out per replicate:
    each replicate against one full engine build of the same draw (its framework without the pillar)."""
    spec = uspec.validate(
        {
            "weights": {"noise": {"1": 0.1, "2": 0.25}},
            "exclusion": {"level": 2, "uncertain": True},
            "aggregate": {"alternatives": ["amean", "gmean", {"method": "genmean", "p": 0.5}, "hmean"]},
            "normalise": {"alternatives": [{"method": "minmax", "range": [1, 100]}]},
        }
    )
    rep = analysis.Replicator(asem_inputs, spec)
    mc = analysis.monte_carlo(rep, 60, seed=2)
    chosen = sorted({int(np.flatnonzero(mc.picks["aggregate"] == a)[0]) for a in range(4)} | {0, 1, 2})
    assert len({int(mc.picks["exclusion"][r]) for r in chosen}) > 1
    for r in chosen:
        build = rep.replicate_build(mc.picks, mc.noise, r)
        assert np.array_equal(np.isnan(build.scores), np.isnan(mc.scores[r]))
        assert np.nanmax(np.abs(build.scores - mc.scores[r])) <= 1e-9
        present = ~np.isnan(build.scores)
        assert (build.ranks[present] == mc.ranks[r][present]).all()
