"""The uncertainty bench at a tiny size: it runs, and its baseline (one engine build per replicate) agrees
with the fast path. The timing targets are for `python -m index.uncertainty.bench`, not for CI."""

from __future__ import annotations

from index.uncertainty import bench


def test_tiny_bench_agrees_with_its_baseline():
    result = bench.run(replicates=200, baseline=3, sobol=False)
    assert result["variants_built"] == 11  # the nominal + 5 winmax x 2 normalisations
    assert result["baseline"]["rank_mismatches"] == 0
    assert result["baseline"]["max_score_difference"] <= 1e-9
    assert set(result["fast"]) == {"load_inputs_s", "engine_builds_s", "monte_carlo_s", "rank_intervals_s", "total_s"}
