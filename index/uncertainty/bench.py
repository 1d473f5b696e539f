"""Bench of the uncertainty fast path: ``python -m index.uncertainty.bench [--replicates N] [--baseline K]``.

Setup: COINr's sensitivity vignette on its ASEM example (tests/fixtures/asem/uncertainty.toml: winmax 1..5,
min-max [1, 100] or z-score (10, 2), 25 % weight noise at levels 2 and 3, amean or gmean). The fast path
(one engine build per variant, then matrices) runs N Monte Carlo replicates; the baseline builds K of the
same replicates one full engine build each (fresh connection, every step), in the same run, and is scaled to
N. The baseline's scores must equal the fast path's for those K replicates (max difference reported), so the
bench also checks correctness. Writes bench/uncertainty.json (or --out).
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
        result["sobol"] = {"n": spec.sensitivity.n, "evaluations": evaluations,
                           "seconds": round(time.perf_counter() - t, 3)}
    if baseline:
        picks = {k: v[:baseline] for k, v in mc.picks.items()}
        noise = None if mc.noise is None else mc.noise[:baseline]
        t = time.perf_counter()
        worst, rank_mismatches = 0.0, 0
        for r in range(baseline):
            build = rep.replicate_build(picks, noise, r)
            both = ~np.isnan(build.scores)
            worst = max(worst, float(np.max(np.abs(build.scores[both] - mc.scores[r][both]), initial=0.0)))
            engine_ranks = rep.ranks(build.scores[None])[0]
            rank_mismatches += int((engine_ranks[both] != mc.ranks[r][both]).sum())
        per = (time.perf_counter() - t) / baseline
        result["baseline"] = {
            "replicates_timed": baseline,
            "seconds_per_replicate": round(per, 4),
            "scaled_total_s": round(per * replicates, 1),
            "max_score_difference": worst,
            "rank_mismatches": rank_mismatches,
        }
        result["speedup"] = round(per * replicates / result["fast"]["total_s"], 1)
    result["within_target"] = result["fast"]["total_s"] <= TARGET_SECONDS
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index.uncertainty.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--replicates", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=200, help="replicates built one engine build each (0: none)")
    parser.add_argument("--no-sobol", action="store_true")
    parser.add_argument("--out", default=str(REPO / "bench" / "uncertainty.json"))
    args = parser.parse_args(argv)
    result = run(args.replicates, args.baseline, not args.no_sobol)
    text = json.dumps(result, indent=2)
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n", encoding="utf-8")
    return 0 if result["within_target"] and result.get("baseline", {}).get("rank_mismatches", 0) == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
