"""`make bench` at size tiny: the results file has its documented shape and the pandas baseline agrees with the engine.

ALL DATA HERE IS SYNTHETIC (index.bench generates it, seeded). No assertion on speed: timings go to
bench/results.json only.
"""

from __future__ import annotations

import json

import pytest

from index import bench


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "results.json"
    returned = bench.run_bench("tiny", out)
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["generated_at"] == returned["generated_at"]
    return written


def test_results_json_has_machine_cases_targets(results):
    assert {"cpus", "python", "duckdb", "pandas"} <= set(results["machine"])
    assert results["generated_at"]
    assert results["synthetic_data"] is True
    assert set(results["targets"]) == {"national_total_seconds", "national_peak_gb"}
    assert isinstance(results["meets_targets"], bool)
    assert {"national", "asem"} <= set(results["cases"])


def test_national_case_is_the_tiny_synthetic_panel(results):
    data = results["cases"]["national"]["data"]
    shape = bench.SIZES["tiny"]
    assert data["synthetic"] is True
    assert data["units"] == shape["units"]
    assert data["indicators"] == shape["dimensions"] * shape["indicators_per_dimension"]
    assert data["values"] == data["units"] * data["indicators"] * shape["periods"]
    assert data["missing_values"] > 0
    assert data["polarity_minus_one"] > 0


def test_engine_and_pandas_give_the_same_dei(results):
    national = results["cases"]["national"]
    assert national["dei_rows_compared"] > 0
    assert national["rows_only_in_one"] == 0
    assert national["score_null_mismatches"] == 0
    assert national["max_abs_diff_dei"] < 1e-6
    assert national["max_abs_diff_all_scores"] < 1e-6
    assert national["max_abs_diff_contribution"] < 1e-6
    assert national["rank_mismatches"] == 0


@pytest.mark.parametrize("variant", ["engine", "pandas"])
def test_every_step_has_seconds_and_memory(results, variant):
    measured = results["cases"]["national"][variant]
    assert {"impute", "normalise", "weight", "aggregate", "rank"} <= set(measured["steps"])
    for step, entry in measured["steps"].items():
        assert entry["seconds"] >= 0, step
        assert entry["peak_rss_mb"] > 0, step
    assert measured["total_seconds"] >= 0
    assert measured["peak_rss_mb"] >= max(e["peak_rss_mb"] for e in measured["steps"].values())
    assert results["cases"]["national"]["speedup"] is not None


def test_asem_case_is_measured_or_says_why_not(results):
    asem = results["cases"]["asem"]
    if asem["status"] == "ok":
        assert asem["engine"]["total_seconds"] >= 0
        assert asem["engine"]["peak_rss_mb"] > 0
        assert all(e["seconds"] >= 0 for e in asem["engine"]["steps"].values())
    else:
        assert asem["status"] == "asem: not available yet"
        assert asem["reason"]


def test_synthetic_generator_is_seeded():
    _, first = bench.synthetic_panel("tiny")
    _, second = bench.synthetic_panel("tiny")
    assert first.equals(second)
    framework, weights = bench.synthetic_framework("tiny")
    sums = weights.merge(framework[["node_id", "parent_id"]], on="node_id").groupby("parent_id")["weight"].sum()
    assert ((sums - 1.0).abs() < 1e-9).all()


def test_repeated_runs_report_the_median_run_and_keep_every_total(tmp_path):
    results = bench.run_bench("tiny", tmp_path / "results.json", repeat=3)
    assert results["repeat"] == 3
    for variant in ("engine", "pandas"):
        measured = results["cases"]["national"][variant]
        runs = measured["runs"]
        assert runs["count"] == 3 and len(runs["total_seconds"]) == 3 and len(runs["peak_rss_mb"]) == 3
        assert measured["total_seconds"] == sorted(runs["total_seconds"])[1]  # the median of three


def test_repeat_must_be_at_least_one(tmp_path):
    with pytest.raises(ValueError, match="at least one run"):
        bench.run_bench("tiny", tmp_path / "results.json", repeat=0)


def test_cli_startup_case_times_whole_processes(results):
    case = results["cases"]["cli_startup"]
    assert case["status"] == "ok", case.get("error")
    assert set(case["commands"]) == {"help", "ranking", "asem_build"}
    for name, entry in case["commands"].items():
        assert entry["seconds"] >= 0 and entry["command"].startswith("dei ")
        assert name + "_seconds" in case["targets"]
    assert case["targets"]["asem_build_seconds"] == 0.69 and "COINr" in case["target_source"]
    assert isinstance(case["meets_targets"], bool) and case["synthetic_data"] is True


def test_two_level_case_builds_both_levels_and_ranks_counties_within_their_prefecture(results):
    two = results["cases"]["two_level"]
    shape, panel = bench.HIERARCHY["tiny"], bench.SIZES["tiny"]
    assert two["data"]["synthetic"] is True
    levels = two["engine"]["levels"]
    assert levels["county"]["units"] == shape["counties"] and levels["prefecture"]["units"] == shape["prefectures"]
    nodes = 1 + panel["dimensions"] * (1 + panel["indicators_per_dimension"])
    # every county has a prefecture: one group rank per county, node and period
    assert levels["county"]["group_ranks_rows"] == shape["counties"] * nodes * panel["periods"]
    assert levels["prefecture"]["group_ranks_rows"] is None
    for level in levels.values():
        assert level["build_seconds"] > 0 and level["peak_rss_mb"] > 0
    assert two["engine"]["peak_rss_mb"] >= max(level["peak_rss_mb"] for level in levels.values())
