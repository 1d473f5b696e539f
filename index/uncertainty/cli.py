"""``dei sensitivity``: uncertainty and sensitivity analysis of an index built by the engine.

    dei sensitivity --uncertainty U.toml --out DIR [--method M.toml] [--weights F] [--replicates N] [--seed S]
        on the DEI's curated lake (the inputs `dei compute` uses)
    dei sensitivity --framework DIR --method M.toml --uncertainty U.toml --out DIR [--replicates N] [--seed S]
        on a framework in COINr's layout (imeta.csv, idata.csv)

Writes to DIR: rank_intervals.csv (per unit, aggregate node and period: nominal, mean, median and interval
of rank and score, share keeping the nominal rank, units not distinguishable), indistinguishable_pairs.csv,
sensitivity.csv (first-order and total Sobol indices with bootstrap intervals, per uncertain input, for the
mean absolute rank shift and each unit's rank of the target node), exclusion_effects.csv (each node left out
once) and summary.json (inputs varied, replicates, seed, timings).

``sensitivity`` is the click command index/cli.py adds to `dei`; ``run(args)`` runs it and returns the exit code
(0 done, 2 a clear error on one line).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from index.errors import ConfigError

OUTPUTS = (
    "rank_intervals.csv",
    "indistinguishable_pairs.csv",
    "sensitivity.csv",
    "exclusion_effects.csv",
    "summary.json",
)


_FILE, _DIR = click.Path(dir_okay=False), click.Path(file_okay=False)


def _args(**params):
    """What index/cli.py's main() runs: ``func(args)``, ``command`` naming it in messages."""
    from types import SimpleNamespace

    return SimpleNamespace(command="sensitivity", func=run, **params)


@click.command(
    "sensitivity",
    help="uncertainty and sensitivity analysis: rank intervals, Sobol indices, leave-one-out",
    short_help="uncertainty and sensitivity analysis: rank intervals, Sobol indices, leave-one-out",
)
@click.option(
    "--uncertainty",
    required=True,
    type=_FILE,
    metavar="U.toml",
    help="the uncertainty spec, e.g. sql/method/dei_uncertainty.toml",
)
@click.option("--out", required=True, type=_DIR, metavar="DIR", help="directory for the CSV tables")
@click.option(
    "--framework",
    type=_DIR,
    metavar="DIR",
    help="a framework in COINr's layout (imeta.csv, idata.csv); default: the DEI's curated lake",
)
@click.option(
    "--method",
    metavar="M.toml",
    help="the nominal method spec (default for the lake: dei.toml; required with --framework)",
)
@click.option("--weights", metavar="F", help="weight scheme file for the lake (as in dei compute)")
@click.option(
    "--replicates", type=click.IntRange(min=1), metavar="N", help="Monte Carlo replicates (overrides the spec)"
)
@click.option("--seed", type=int, metavar="S", help="seed (overrides the spec)")
def sensitivity(**params):
    return _args(**params)


class _Bar:
    """A rich progress bar on stderr (only on a terminal): one line per stage, updated in place."""

    def __init__(self):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
            disable=not console.is_terminal,
        )
        self.tasks: dict[str, int] = {}

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(stage, total=total)
        self.progress.update(self.tasks[stage], completed=done, total=total)


def run(args) -> int:
    """Run ``dei sensitivity``; 0 when the tables are written, 2 with one line on stderr for a bad input."""
    try:
        return _run(args)
    except ConfigError as exc:
        line = " ".join(str(exc).split())
        print(f"dei sensitivity: {line}", file=sys.stderr)
        return 2


def _run(args) -> int:
    from index.uncertainty import analysis
    from index.uncertainty import spec as uspec

    spec = uspec.load(args.uncertainty)
    updates = {k: v for k, v in (("replicates", args.replicates), ("seed", args.seed)) if v is not None}
    if updates:
        spec = spec.model_copy(update=updates)
    if spec.exclusion is None:
        spec = spec.model_copy(update={"exclusion": uspec.Exclusion()})  # the table is always written
    out = Path(args.out)
    if args.framework:
        if not args.method:
            raise ConfigError("--framework DIR needs --method M.toml (the nominal method spec)")
        if args.weights:
            raise ConfigError("--weights is for the lake; with --framework name the scheme in the method spec")
        if not Path(args.framework).is_dir():
            raise ConfigError(f"--framework {args.framework}: no such directory")
        inputs = analysis.coinr_inputs(args.framework, args.method)
    else:
        inputs = analysis.lake_inputs(args.weights, args.method)
    inputs.scheme_dirs.insert(0, Path(args.uncertainty).resolve().parent)
    with _Bar() as bar:
        results = analysis.analyse(inputs, spec, progress=bar)
    out.mkdir(parents=True, exist_ok=True)
    results.rank_intervals.to_csv(out / "rank_intervals.csv", index=False)
    results.pairs.to_csv(out / "indistinguishable_pairs.csv", index=False)
    results.sensitivity.to_csv(out / "sensitivity.csv", index=False)
    results.exclusion.to_csv(out / "exclusion_effects.csv", index=False)
    summary = {
        "source": inputs.source,
        "uncertainty": str(args.uncertainty),
        "replicates": spec.replicates,
        "seed": spec.seed,
        "inputs": results.choices,
        "timings_seconds": {k: round(v, 4) if isinstance(v, float) else v for k, v in results.timings.items()},
    }
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    t = results.timings
    print(
        f"{spec.replicates} replicates over {t['variants']} engine build(s) in {t['total']:.1f} s "
        f"(Monte Carlo {t['monte_carlo']:.2f} s, Sobol {t['sobol']:.1f} s); wrote {', '.join(OUTPUTS)} to {out}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m index.uncertainty.cli sensitivity ...``: the same as ``dei sensitivity ...``."""
    from index import cli as dei_cli

    return dei_cli.main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
