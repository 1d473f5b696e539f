"""Bench of the uncertainty fast path: ``python -m index.uncertainty.bench [--national | --no-national] ...``.

Setup: COINr's sensitivity vignette on its ASEM example (tests/fixtures/asem/uncertainty.toml: winmax 1..5,
min-max [1, 100] or z-score (10, 2), 25 % weight noise at levels 2 and 3, amean or gmean). The fast path
(one engine build per variant, then matrices) runs N Monte Carlo replicates; the baseline builds K of the
same replicates one full engine build each (fresh connection, every step), in the same run, and is scaled to
N. The baseline's scores must equal the fast path's for those K replicates (max difference reported), so the
bench also checks correctness. Writes bench/uncertainty.json (or --out).

The national case, on the SYNTHETIC panel of index/bench/ (3,000 units × 60
indicators × 20 years, its generator and its method): the same kind of spec (min-max [1, 100] or z-score
(10, 2), 25 % weight noise on the weighted aggregate level, amean or gmean; gmean with nonpositive = "shift",
as z-scores of the untreated panel reach below zero; no winmax alternatives: the national method does not
treat), N = 1000 replicates by default. It runs in a worker process of its own so its peak resident set is its
own (sampled, and read from VmHWM, per step by index.bench.Meter, as index/bench/ measures its cases). The
replicates are summarised in bounded memory (analysis.monte_carlo_summary); the pairs of indistinguishable
units are not computed (pairs=False: 3,000 units per node and period). Target: N replicates in <= 60 s at a
peak <= 4 GB. Its baseline: K replicates as one engine build each, scaled to N. Writes
bench/uncertainty_national.json. `make bench` runs both cases (the national one takes about 1.5 minutes
with its baseline on an idle two-core machine); ``--national`` runs it alone, ``--no-national`` leaves it out.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
ASEM = REPO / "tests" / "fixtures" / "asem"
TARGET_SECONDS = 10.0
NATIONAL_TARGETS = {"seconds": 60.0, "peak_gb": 4.0}
NATIONAL_REPLICATES = 1000
NATIONAL_BASELINE = 2
NATIONAL_SEED = 1
FAST_STEPS = ("load_inputs", "engine_builds", "monte_carlo", "rank_intervals")


def run(replicates: int = 10_000, baseline: int = 200, sobol: bool = True) -> dict:
    from index.uncertainty import analysis
    from index.uncertainty import spec as uspec

    spec = uspec.load(ASEM / "uncertainty.toml").model_copy(update={"replicates": replicates})
    started = time.perf_counter()
    inputs = analysis.coinr_inputs(ASEM, ASEM / "method.toml")
    loaded = time.perf_counter()
    rep = analysis.Replicator(inputs, spec)
    built = time.perf_counter()
    mc = analysis.monte_carlo(rep, replicates, spec.seed)
    simulated = time.perf_counter()
    intervals, pairs = analysis.rank_intervals(rep, mc, spec.interval)
    summarised = time.perf_counter()
    result = {
        "setup": "COINr sensitivity vignette on ASEM (tests/fixtures/asem/uncertainty.toml)",
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()},
        "replicates": replicates,
        "variants_built": len(rep.builds),
        "fast": {
            "load_inputs_s": round(loaded - started, 3),
            "engine_builds_s": round(built - loaded, 3),
            "monte_carlo_s": round(simulated - built, 3),
            "rank_intervals_s": round(summarised - simulated, 3),
            "total_s": round(summarised - started, 3),
        },
        "target_s": TARGET_SECONDS,
    }
    if sobol:
        t = time.perf_counter()
        table, evaluations = analysis.sensitivity(rep, spec)
        result["sobol"] = {
            "n": spec.sensitivity.n,
            "evaluations": evaluations,
            "seconds": round(time.perf_counter() - t, 3),
        }
    if baseline:
        picks = {k: v[:baseline] for k, v in mc.picks.items()}
        noise = None if mc.noise is None else mc.noise[:baseline]
        per, result["baseline"] = _engine_baseline(rep, picks, noise, baseline, mc.scores, mc.ranks, replicates, 4)
        result["speedup"] = round(per * replicates / result["fast"]["total_s"], 1)
    result["within_target"] = result["fast"]["total_s"] <= TARGET_SECONDS
    return result


# ------------------------------------------------------------------------------------------ the national case


def _engine_baseline(rep, picks, noise, k: int, scores, ranks, replicates: int, digits: int) -> tuple[float, dict]:
    """The first k replicates built by the engine itself, timed, against the fast path's scores and ranks."""
    t = time.perf_counter()
    worst, mismatches = 0.0, 0
    for r in range(k):
        build = rep.replicate_build(picks, noise, r)
        both = ~np.isnan(build.scores)
        worst = max(worst, float(np.max(np.abs(build.scores[both] - scores[r][both]), initial=0.0)))
        mismatches += int((rep.ranks(build.scores[None])[0][both] != ranks[r][both]).sum())
    per = (time.perf_counter() - t) / k
    return per, {
        "replicates_timed": k,
        "seconds_per_replicate": round(per, digits),
        "scaled_total_s": round(per * replicates, 1),
        "max_score_difference": worst,
        "rank_mismatches": mismatches,
    }


def national_spec(replicates: int = NATIONAL_REPLICATES, seed: int = NATIONAL_SEED):
    """ASEM's vignette on the SYNTHETIC national framework (levels: indicators 1, dimensions 2, root 3)."""
    from index.uncertainty import spec as uspec

    return uspec.validate(
        {
            "replicates": replicates,
            "seed": seed,
            "normalise": {
                "alternatives": [{"method": "minmax", "range": [1, 100]}, {"method": "zscore", "mean": 10, "sd": 2}]
            },
            "weights": {"noise": {"2": 0.25}},  # the dimensions: the only weighted aggregate level (the root has none)
            "aggregate": {"alternatives": [{"method": "amean"}, {"method": "gmean", "nonpositive": "shift"}]},
        },
        "the national uncertainty bench",
    )


def national_inputs(data_dir: Path):
    """The SYNTHETIC panel written by index.bench.write_inputs, loaded as index.bench's engine worker loads it,
    with index.bench's method (treat none: no winmax alternatives)."""
    import duckdb
    import pandas as pd

    from index import bench as engine_bench
    from index import engine
    from index.framework import register
    from index.uncertainty import analysis

    con = duckdb.connect()
    try:
        register(con, pd.read_pickle(data_dir / "framework.pkl"), pd.read_parquet(data_dir / "weights.parquet"))
        con.execute("create table units as select * from read_parquet(?)", [str(data_dir / "units.parquet")])
        con.execute(
            "create table observations as select unit_code, cast(period as integer) as period, variable_id,"
            " cast(value as double) as value, loaded_at from read_parquet(?)",
            [str(data_dir / "observations.parquet")],
        )
        tables = analysis._tables_of(con, ("framework", "weights", "units", "observations"))
    finally:
        con.close()
    method = engine.validate_method(dict(engine_bench.METHOD), "index.bench.METHOD")
    return analysis.Inputs(tables, method, "SYNTHETIC national panel (index.bench)")


def _national_worker(data_dir: Path, replicates: int, baseline: int, result_path: Path) -> None:
    """One process: the fast path step by step under index.bench.Meter, then the baseline."""
    from index.bench import Meter
    from index.uncertainty import analysis

    spec = national_spec(replicates)
    meter = Meter()
    meter.mark("load_inputs")
    inputs = national_inputs(data_dir)
    meter.mark("engine_builds")
    rep = analysis.Replicator(inputs, spec)
    meter.mark("monte_carlo")
    summary = analysis.monte_carlo_summary(rep, replicates, spec.seed, spec.interval)
    meter.mark("rank_intervals")
    intervals, pairs = analysis.rank_intervals(rep, summary, spec.interval, pairs=False)
    meter.mark(None)
    result = {
        "variants_built": len(rep.builds),
        "batch_replicates": analysis.batch_size(rep),
        "summary_passes": summary.passes,
        "rank_interval_rows": len(intervals),
    }
    if baseline:
        meter.mark("baseline")
        k = min(baseline, replicates)
        picks = {name: v[:k] for name, v in summary.picks.items()}
        noise = None if summary.noise is None else summary.noise[:k]
        fast = rep.evaluate(picks, noise)  # the fast path's scores of the same replicates
        fast_ranks = rep.ranks(fast)
        _, result["baseline"] = _engine_baseline(rep, picks, noise, k, fast, fast_ranks, replicates, 3)
        meter.mark(None)
    measured = meter.stop()
    result["steps"] = measured["steps"]
    result_path.write_text(json.dumps(result), encoding="utf-8")


def run_national(replicates: int = NATIONAL_REPLICATES, baseline: int = NATIONAL_BASELINE) -> dict:
    """The national case: SYNTHETIC data written once, then the worker process; the report against the targets."""
    import os
    import subprocess
    import sys
    import tempfile

    from index import bench as engine_bench

    with tempfile.TemporaryDirectory(prefix="dei-ua-bench-") as tmp:
        work = Path(tmp)
        t = time.perf_counter()
        data = engine_bench.write_inputs("full", work / "data")
        generated = time.perf_counter() - t
        result_path = work / "national_result.json"
        cmd = [
            sys.executable,
            "-m",
            "index.uncertainty.bench",
            "--national-worker",
            "--data",
            str(work / "data"),
            "--replicates",
            str(replicates),
            "--baseline",
            str(baseline),
            "--out",
            str(result_path),
        ]
        proc = subprocess.run(
            cmd, capture_output=True, text=True, cwd=REPO, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        )
        if proc.returncode != 0:
            raise RuntimeError(f"national uncertainty worker failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
        worker = json.loads(result_path.read_text(encoding="utf-8"))
    steps = worker.pop("steps")
    fast = {f"{name}_s": steps[name]["seconds"] for name in FAST_STEPS}
    fast["total_s"] = round(sum(fast.values()), 3)
    peak_mb = max(steps[name]["peak_rss_mb"] for name in FAST_STEPS)
    result = {
        "setup": "SYNTHETIC national panel (index.bench, 3,000 units x 60 indicators x 20 years); min-max [1, 100]"
        " or z-score (10, 2), 25 % weight noise on the dimensions, amean or gmean (nonpositive = shift)",
        "synthetic_data": True,
        "data": data,
        "data_generation_s": round(generated, 3),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        },
        "replicates": replicates,
        **worker,
        "fast": fast,
        "fast_peak_rss_mb": peak_mb,
        "steps": steps,
        "pairs": "skipped at national scale (rank_intervals(pairs=False)): indistinguishable_from is not computed",
        "targets": NATIONAL_TARGETS,
    }
    if "baseline" in result:
        result["speedup"] = round(result["baseline"]["scaled_total_s"] / fast["total_s"], 1)
    missed = []
    if fast["total_s"] > NATIONAL_TARGETS["seconds"]:
        missed.append(f"{fast['total_s'] - NATIONAL_TARGETS['seconds']:.1f} s over {NATIONAL_TARGETS['seconds']:g} s")
    if peak_mb / 1024 > NATIONAL_TARGETS["peak_gb"]:
        missed.append(f"{peak_mb / 1024 - NATIONAL_TARGETS['peak_gb']:.2f} GB over {NATIONAL_TARGETS['peak_gb']:g} GB")
    result["within_target"] = not missed
    result["verdict"] = "met" if not missed else "missed by " + " and ".join(missed)
    return result


def national_line(result: dict) -> str:
    base = result.get("baseline")
    shown = (
        f"; baseline (one engine build per replicate, {base['replicates_timed']} timed) {base['scaled_total_s']:.0f} s"
        f" for {result['replicates']}, speedup {result.get('speedup')}x, rank mismatches {base['rank_mismatches']}"
        if base
        else ""
    )
    return (
        f"national uncertainty (SYNTHETIC): {result['replicates']} replicates in {result['fast']['total_s']:.1f} s,"
        f" peak {result['fast_peak_rss_mb'] / 1024:.2f} GB (targets {NATIONAL_TARGETS['seconds']:g} s,"
        f" {NATIONAL_TARGETS['peak_gb']:g} GB): {result['verdict']}{shown}"
    )


def _write(result: dict, out: Path) -> None:
    text = json.dumps(result, indent=2)
    print(text)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n", encoding="utf-8")


def _passed(result: dict) -> bool:
    return bool(result["within_target"]) and result.get("baseline", {}).get("rank_mismatches", 0) == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index.uncertainty.bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--replicates",
        type=int,
        help=f"default 10000 (ASEM); with --national: that case's, default {NATIONAL_REPLICATES}",
    )
    parser.add_argument(
        "--baseline",
        type=int,
        help="replicates built one engine build each (0: none; default 200"
        f" for ASEM; with --national: that case's, default {NATIONAL_BASELINE})",
    )
    parser.add_argument("--no-sobol", action="store_true")
    parser.add_argument("--national", action="store_true", help="the national SYNTHETIC case only")
    parser.add_argument("--no-national", action="store_true", help="the ASEM case only")
    parser.add_argument("--national-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", help="bench/uncertainty.json (ASEM), bench/uncertainty_national.json (--national)")
    args = parser.parse_args(argv)
    if args.national_worker:
        _national_worker(
            args.data,
            args.replicates or NATIONAL_REPLICATES,
            NATIONAL_BASELINE if args.baseline is None else args.baseline,
            Path(args.out),
        )
        return 0
    passed = True
    if not args.national:
        result = run(args.replicates or 10_000, 200 if args.baseline is None else args.baseline, not args.no_sobol)
        _write(result, Path(args.out or REPO / "bench" / "uncertainty.json"))
        passed &= _passed(result)
    if not args.no_national:
        replicates = (args.replicates if args.national else None) or NATIONAL_REPLICATES
        baseline = args.baseline if args.national and args.baseline is not None else NATIONAL_BASELINE
        result = run_national(replicates, baseline)
        _write(result, Path(args.out if args.national and args.out else REPO / "bench" / "uncertainty_national.json"))
        print(national_line(result))
        passed &= _passed(result)
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
