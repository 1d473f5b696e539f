"""The ``dei`` command (click). Each sub-command calls the same functions the Airflow tasks call.

    dei samples [--out DIR] [--seed N]
                                regenerate the sample landing files (seeded; python -m index.samples: the same)
    dei ingest                  landing -> raw
    dei validate                raw -> curated (Great Expectations), failures to quarantine; logs the roll-up
    dei rollup [--csv F]        each 盟市's additive figures against what its 旗县 add up to (index/rollup.py)
    dei compute --framework DIR --method SPEC.toml --out OUTDIR
                                any index in COINr's layout (imeta.csv, idata.csv) through the same engine
    dei compute [--weights F] [--method F] [--publish] [--replicates N]
                                re-compute from the curated lake; with --publish, also the release's
                                uncertainty analysis (N Monte Carlo replicates); without it, write a scenario to
                                data_lake/scenarios/<name>/, print its id and how ranks moved against the
                                current release; warns about every indicator the scheme leaves out
    dei compute --years 2018-2022 [--framework-file F.sql] [--weights F] [--publish]
                                recompute history: only those reporting years, or a past framework
                                (index/history.py; the same as triggering dei_compute with those Params)
    dei run [--replicates N]    ingest, validate, compute, analyse uncertainty and publish in one go (no Airflow)
    dei ranking [--node N] [--year Y] [--release DIR]
                                N: node id, Chinese or English name
    dei weights suggest --scheme entropy|critic|pca|balance [--out F]
                                write an editable SQL weight scheme (default: <DEI_SQL>/weights/<method>.sql)
    dei releases list | diff A B [--node N] [--year Y] | rollback ID | sync
                                A, B: release ids, scenario ids or names, unique prefixes
    dei scenarios list          every scenario: id, name, weight scheme, method, created, path
    dei compare A B [--node N] [--year Y] [--xlsx F]
                                the same as `dei releases diff A B`
    dei compare --weights a.sql b.sql ... [--method F] [--node N] [--year Y] [--xlsx F]
                                each scheme computed as a scenario, side by side; moves against the first
    dei export --xlsx F [--release ID | --scenario ID]
                                a whole release (default: current) or scenario as one workbook
    dei report --out DIR        the offline monitoring site of the current release
    dei audit [--details]       the statistical audit (published with every release as audit.parquet):
                                a summary of the flags; every table with --details
    dei sensitivity --uncertainty U.toml --out DIR [--framework DIR --method M.toml] [--weights F]
                    [--replicates N] [--seed S]
                                uncertainty and sensitivity analysis: rank intervals, Sobol indices,
                                leave-one-out (index/uncertainty/)
    dei analyse --out DIR [--release DIR | --framework DIR --method M.toml] [--group G]
                                disparity, obstacle degrees, coupling coordination, convergence (CSV)
    dei units build [--out F] [--check] | dei units resolve NAME... [--parent P] [--level L]
                                the unit registry (python -m index.units: the same)
    dei expectations build [--out F] [--units-csv F]
                                rewrite expectations/ from the framework (python -m index.validate build-suite)
    dei bench [--size full|tiny] [--out F] [--repeat N]
                                time the engine against pandas (index/bench/, as python -m index.bench)
    dei bench uncertainty [--replicates N] [--baseline K] [--no-sobol] [--national | --no-national] [--out F]
                                the uncertainty fast path (index/uncertainty/bench.py, its own defaults)

Start time matters (`dei --help` and `dei ranking` well under a second): only click and light index modules are
imported at module level; pandas, duckdb, pydantic, rich, numpy are imported inside the cmd_* functions, and the
bench command is built only when used.

A bad argument is one line on stderr naming the valid choices, and exit code 2.

Exit codes: 0 done; 1 done, but files were rejected (quarantined); 2 a clear error (framework, weights,
method, submission, disk); 3 an unexpected error (one line; the traceback goes to a log file, or is shown
with DEI_DEBUG=1); 130 interrupted.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

import click

from index.config import settings
from index.engine.vocabulary import NAMED_WEIGHT_SCHEMES, OBJECTIVE_WEIGHT_SCHEMES
from index.errors import ConfigError, SubmissionError


def _print_json(obj) -> None:
    import json

    print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def cmd_samples(args) -> int:
    from index import samples, storage
    from index.samples.counties import generate_counties

    cfg = settings()
    seed = samples.DEFAULT_SEED if args.seed is None else args.seed
    if args.out or not storage.is_object_lake(cfg):
        out = Path(args.out) if args.out else cfg.landing
        written = samples.generate(out, seed=seed)
        counties = generate_counties(out, seed=seed, league_truth=written.truth)
        where = str(out)
    else:
        # an object-store lake: written beside, then uploaded into its landing/ as a department would upload
        import tempfile

        with tempfile.TemporaryDirectory(prefix="dei-samples-") as tmp:
            written = samples.generate(Path(tmp), seed=seed)
            counties = generate_counties(Path(tmp), seed=seed, league_truth=written.truth)
            store = storage.lake_store(cfg)
            for path in sorted(Path(tmp).rglob("*")):
                if path.is_file():
                    store.put(storage.key("landing", path.relative_to(tmp).as_posix()), path.read_bytes())
        where = store.key_url("landing/")
    print(
        f"wrote {len(written.files)} 盟市 sample files and {len(counties.files)} 旗县 sample files"
        f" (one per 盟市 and year) to {where}"
    )
    return 0


def _stage_exit(stage: str, summary: dict) -> int:
    """Exit 1 (with the problems on stderr) when the step rejected files; the good ones went through."""
    from index import pipeline

    if not summary.get("rejected"):
        return 0
    print("\n".join(pipeline.stage_lines(stage, summary)), file=sys.stderr)
    return 1


def cmd_ingest(args) -> int:
    from index import pipeline

    summary = pipeline.ingest_step()
    _print_json(summary)
    return _stage_exit("ingest", summary)


def cmd_validate(args) -> int:
    from index import pipeline

    summary = pipeline.validate_step()
    _print_json(summary)
    return _stage_exit("validation", summary)


def cmd_rollup(args) -> int:
    from index import rollup

    found = rollup.check_lake()
    if found is None:
        print("the curated lake is empty: nothing to roll up (run dei ingest and dei validate first)")
        return 0
    lines = rollup.findings(found, most=len(found))
    print("\n".join(lines) if lines else "no 旗县 figure of an additive indicator in the curated lake")
    if args.csv:
        found.to_csv(args.csv, index=False, encoding="utf-8")
        print(f"wrote {args.csv} ({len(found)} rows)")
    return 0


def cmd_units(args) -> int:
    from index import units

    if args.action == "build":
        return units.build_command(Path(args.out) if args.out else None, args.check)
    return units.resolve_command(list(args.names), args.parent, list(args.levels))


def cmd_expectations(args) -> int:
    from index import validate
    from index.framework import load_framework
    from index.units import reporting_codes

    cfg = settings()
    codes = validate.read_unit_codes(Path(args.units_csv)) if args.units_csv else reporting_codes()
    suite = validate.build_suite(load_framework(cfg.framework_file), codes)
    path = Path(args.out) if args.out else cfg.expectations / "raw_observations.json"
    validate.write_suite(suite, path)
    print(f"wrote {path} ({len(suite['expectations'])} expectations)")
    return 0


def cmd_compute(args) -> int:
    if args.framework:  # first: the COINr door needs none of the lake's modules
        return _compute_coinr(args)
    from index import compute as compute_mod
    from index import history, pipeline, publish
    from index.commands import ranking
    from index.commands.compare import scheme_warnings
    from index.commands.scenarios import scenario_name, scenarios_dir
    from index.tables import shown_path

    cfg = history.settings_for(settings(), args.framework_file, args.years)
    if args.weights:
        for line in scheme_warnings(args.weights, cfg):
            print(line, file=sys.stderr)
    if args.publish:
        staged = pipeline.compute_step(args.weights, args.method, cfg=cfg, replicates=args.replicates)
        release = pipeline.publish_step(pipeline.analyse_step(staged, cfg=cfg), triggered_by="cli", cfg=cfg)
        _show_release(Path(release["path"]), release)
        previous = release.get("previous")
        if (cfg.years is not None or cfg.framework_override is not None) and previous and previous != release["id"]:
            print(f"a recomputation of history; `dei releases rollback {previous}` makes the earlier one current")
        return 0
    name = scenario_name(args.weights, args.method)
    if cfg.years is not None:  # a recomputation of chosen years is a scenario of its own
        name += f"-{cfg.years[0]}-{cfg.years[1]}"
    out = Path(args.out) if args.out else scenarios_dir(cfg) / name
    if out.exists():
        import shutil

        shutil.rmtree(out)
    result = compute_mod.compute(
        weights=args.weights, method=args.method, cfg=cfg, out_dir=out, replicates=args.replicates
    )
    print(f"scenario {result.release_id} written to {shown_path(out)}")
    current = publish.current_release_dir(cfg)
    if current is None:
        print("no published release yet; the scenario's own ranking:")
        print(ranking.format_ranking(ranking.ranking(out), "DEI"))
    else:
        moves = ranking.rank_moves(current, out)
        print(ranking.format_moves(moves))
        print(f"in full: dei compare {current.name[:8]} {result.release_id[:8]}")
    return 0


def _compute_coinr(args) -> int:
    """A framework in COINr's layout (imeta.csv, idata.csv): the second door into the same engine."""
    from index.coinr import compute_coinr

    if not args.method or not args.out:
        print("dei compute --framework DIR needs --method SPEC.toml and --out OUTDIR", file=sys.stderr)
        return 2
    log = compute_coinr(Path(args.framework), Path(args.method), Path(args.out))
    # the step log, not a table: printed as is, so this door (start-time target) never imports rich
    for entry in log:
        notes = f"  {entry.get('notes')}" if entry.get("notes") else ""
        print(f"{entry['step']:<20}{entry.get('seconds') or 0:>8.3f} s{notes}")
    print(f"wrote {', '.join(sorted(p.name for p in Path(args.out).iterdir()))} to {args.out}")
    return 0


def _print_ranking(path: Path, table, title: str) -> None:
    """The ranking table, then the note that the release is built from synthetic inputs, when it is."""
    from index.commands import ranking

    print(ranking.format_ranking(table, title))
    synthetic = ranking.synthetic_note(path)
    if synthetic:
        print(synthetic)


def _show_release(path: Path, release: dict | None = None) -> None:
    from index.commands import ranking

    table = ranking.ranking(path)
    year = int(table[0]["year"])
    _print_ranking(path, table, f"{year} 年内蒙古数字经济发展指数 (DEI) 盟市排名")
    note = "" if release is None else (" (new)" if release.get("created") else " (unchanged: same inputs)")
    from index.tables import shown_path

    print(f"release {path.name}{note}: {shown_path(path)}")
    counties = ranking.units_ranked(path, "county")
    if counties:
        print(
            f"also {counties} 旗县市区, ranked in the 自治区 and within their 盟市: dei ranking --level county,"
            f" dei ranking --within {table[0]['unit_name']}"
        )


def cmd_run(args) -> int:
    """The whole chain; files rejected on the way do not stop it, but make the exit code 1."""
    from index import pipeline

    report = pipeline.RunReport()
    try:
        release = pipeline.run_all(weights=args.weights, method=args.method, report=report, replicates=args.replicates)
    except BaseException:
        print("\n".join(report.lines()))  # what happened before the failure; main() explains the failure
        raise
    _show_release(Path(release["path"]), release)
    print("\n".join(report.lines()))
    return 1 if report.rejected else 0


def _unit_name(code) -> str:
    from index import units

    return units.unit(code).name_zh


def cmd_ranking(args) -> int:
    from index import publish
    from index.commands import ranking

    path = Path(args.release) if args.release else publish.current_release_dir(settings())
    if path is None:
        print("no published release yet: run `make run` or `dei run`", file=sys.stderr)
        return 1
    if not (path / "index_scores.parquet").is_file():
        print(f"dei ranking: {path} is not a release directory (no index_scores.parquet)", file=sys.stderr)
        return 2
    table = ranking.ranking(path, node_id=args.node, year=args.year, level=args.level, within=args.within)
    if not table:
        print(f"dei ranking: no ranked unit for {args.within or args.level}", file=sys.stderr)
        return 1
    parent = table[0].get("parent_code") if args.within else None
    where = f" {_unit_name(parent)} 旗县市区" if parent else (" 旗县市区" if args.level == "county" else "")
    _print_ranking(path, table, f"{table[0]['node_id']} {int(table[0]['year'])}{where}")
    return 0


def cmd_weights(args) -> int:
    from index.commands.weights_suggest import compare, suggest
    from index.framework import dropout_warnings, load_framework, load_weights
    from index.tables import render, shown_path

    cfg = settings()
    path = suggest(args.method, Path(args.out) if args.out else None, cfg=cfg)
    framework = load_framework(cfg.framework_file)
    suggested = load_weights(path, framework)
    table = compare(suggested, load_weights(cfg.default_weights, framework))
    names = dict(zip(framework["node_id"], framework["name_zh"]))
    print(f"wrote {shown_path(path)} — a suggestion to compare, not the default. Against {cfg.default_weights.name}:")
    rows = [
        [names.get(r.node_id, r.node_id), r.node_id, f"{r.expert:.4f}", f"{r.suggested:.4f}", f"{r.difference:+.4f}"]
        for r in table.itertuples(index=False)
    ]
    print("\n".join(render(["node", "id", "expert", "suggested", "diff"], rows, align="<<>>>")))
    for line in dropout_warnings(suggested, framework, path.name):
        print(line, file=sys.stderr)
    print(f"Try it: dei compute --weights {shown_path(path)}")
    return 0


def cmd_releases(args) -> int:
    from index import releases

    cfg = settings()
    if args.action == "list":
        print(releases.format_list(releases.list_releases(cfg)))
    elif args.action == "diff":
        return cmd_compare(args)
    elif args.action == "rollback":
        from index.commands.scenarios import resolve

        # a unique prefix will do, as for diff; an unknown one lists the releases on disk
        result = releases.rollback(resolve(args.id, cfg, kinds=("release",)).id, triggered_by="cli", cfg=cfg)
        _show_release(Path(result["path"]))
    elif args.action == "sync":
        _print_json(releases.sync_targets(cfg))
    return 0


def _latest_release(cfg) -> Path:
    """published/latest; on a lake on object storage the current release's copy in the cache."""
    from index import storage

    if storage.is_object_lake(cfg):
        from index.publish import current_release_dir

        return current_release_dir(cfg) or cfg.published / "latest"
    return cfg.published / "latest"


def cmd_report(args) -> int:
    from index.report import build

    cfg = settings()
    release = Path(args.release) if args.release else _latest_release(cfg)
    if not (release / "index_scores.parquet").is_file():
        print(f"no release at {release}: run `make run` or `dei run` first", file=sys.stderr)
        return 1
    Path(args.out).mkdir(parents=True, exist_ok=True)  # an unwritable --out is said before the build
    print(f"wrote {build(release, Path(args.out), args.lang)}")
    return 0


def cmd_analyse(args) -> int:
    from index.analyses import run

    if args.framework:
        if not args.method:
            print("dei analyse --framework DIR needs --method SPEC.toml (and --group COLUMN)", file=sys.stderr)
            return 2
        written = run.analyse_coinr(Path(args.framework), Path(args.method), Path(args.out), args.group)
    else:
        cfg = settings()
        release = Path(args.release) if args.release else _latest_release(cfg)
        if not (release / "index_scores.parquet").is_file():
            print(f"no release at {release}: run `make run` or `dei run` first", file=sys.stderr)
            return 1
        written = run.analyse_release(release, Path(args.out), args.group or "region_group", cfg)
    print(f"wrote {len(written)} files to {args.out}: " + ", ".join(p.name for p in written))
    return 0


def cmd_audit(args) -> int:
    from index.commands.audit_text import format_audit, format_audit_summary
    from index.compute import run_engine
    from index.engine.audit import audit

    if args.framework:
        # any COINr-layout framework (iMeta / iData), built by the engine with its own method spec
        from index import coinr, engine

        if not args.method:
            print("dei audit --framework DIR needs --method SPEC.toml", file=sys.stderr)
            return 2
        con, spec, _, _ = coinr.open_inputs(Path(args.framework), Path(args.method))
        try:
            engine.run(con, spec)
            print(f"Statistical audit of {args.framework} (method: {Path(args.method).name})")
            frames = audit(con)
        finally:
            con.close()
    else:
        run = run_engine(args.weights, args.method, settings())
        try:
            print(f"Statistical audit of the curated lake (weights: {run.scheme}, method: {run.method_path.name})")
            frames = audit(run.con)
        finally:
            run.con.close()
    print(format_audit_summary(frames))
    if args.out:
        written = write_audit_csv(frames, Path(args.out))
        print(f"wrote {len(written)} files to {args.out}: " + ", ".join(p.name for p in written))
    if args.details:
        print(format_audit(frames))
    elif not args.out:
        print("Every flag and table: dei audit --details")
    return 0


def write_audit_csv(frames: dict, out: Path) -> list[Path]:
    """The audit as CSV: audit.csv (the long table every release publishes as audit.parquet) and one file per
    section (indicators, correlations, pairs, aggregates, thresholds, nodes), each written whole or not at all."""
    import csv

    from index.engine.audit import audit_table
    from index.files import write_text_atomic

    out.mkdir(parents=True, exist_ok=True)
    tables = {"audit": audit_table(frames), **frames}
    written = []
    for name, frame in tables.items():
        path = out / f"{name}.csv"
        write_text_atomic(path, frame.to_csv(index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n"))
        written.append(path)
    return written


def cmd_scenarios(args) -> int:
    from index.commands import scenarios

    print(scenarios.format_list(scenarios.list_scenarios(settings())))
    return 0


def cmd_compare(args) -> int:
    """`dei compare A B` / `dei releases diff A B`, or `dei compare --weights a.sql b.sql ...`."""
    from index.commands import compare

    cfg = settings()
    ids = [i for i in (getattr(args, "ids", None) or [getattr(args, "a", None), getattr(args, "b", None)]) if i]
    if getattr(args, "weights", None):
        if ids:
            raise ConfigError("give either two ids (dei compare A B) or --weights a.sql b.sql ..., not both")
        scenarios, warnings = compare.compute_schemes(args.weights, args.method, cfg)
        for line in warnings:
            print(line, file=sys.stderr)
        table = compare.scheme_table(scenarios, args.node, args.year)
        print(compare.format_scheme_table(table))
        headers, rows = table.headers, table.rows
        title = f"{table.node_id} {table.year}"
    else:
        if len(ids) != 2:
            raise ConfigError(
                f"compare needs two release or scenario ids (got {len(ids)}), or --weights a.sql b.sql ..."
            )
        if getattr(args, "method", None):
            # two ids name computations already made, each with its own method (their headers show it)
            raise ConfigError(
                "--method goes with --weights (the schemes are computed with that method); two ids compare "
                "computations already made: compute one with `dei compute --method M.toml` and compare its id"
            )
        comparison = compare.diff(ids[0], ids[1], cfg, node=args.node, year=args.year)
        print(compare.format_diff(comparison))
        headers, rows = compare.diff_table(comparison)
        title = f"{comparison.node_id} {comparison.year}"
    if getattr(args, "xlsx", None):
        print(f"wrote {compare.write_xlsx(Path(args.xlsx), title, headers, rows)}")
    return 0


def cmd_export(args) -> int:
    from index.commands.scenarios import resolve
    from index.report.downloads import write_release_workbook

    cfg = settings()
    if args.release and args.scenario:
        raise ConfigError("give --release or --scenario, not both")
    if args.scenario:
        source = resolve(args.scenario, cfg, kinds=("scenario",))
    else:
        from index.publish import current_release_id

        rid = args.release or current_release_id(cfg)
        if rid is None:
            raise ConfigError("no published release yet: run `dei run`, or give --scenario ID")
        source = resolve(rid, cfg, kinds=("release",))
    target = Path(args.xlsx)
    if target.suffix.lower() != ".xlsx":
        raise ConfigError(f"--xlsx {target}: the file name must end in .xlsx")
    write_release_workbook(target.parent, source.path, source.manifest, target=target)
    print(f"wrote {target} ({source.label})")
    return 0


# ------------------------------------------------------------------------------------------------ the parser
# click, imported here and nowhere else at start; every heavy library is imported inside a cmd_* function. Each
# command's callback only collects its arguments into an Args (with the cmd_* function to run): main() runs it,
# so that every error a command raises is caught in one place and said in one line.


class Args:
    """The parsed arguments of one command: ``command`` (the top-level name, for messages), ``func`` and the
    options as attributes."""

    def __init__(self, **values):
        self.__dict__.update(values)

    def __repr__(self) -> str:
        return f"Args({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"


def _args(func, params: dict, **extra) -> Args:
    ctx = click.get_current_context()
    while ctx.parent is not None and ctx.parent.parent is not None:
        ctx = ctx.parent
    return Args(command=ctx.info_name if ctx.parent is not None else "dei", func=func, **extra, **params)


def _choices_text(values) -> str:
    return f"choose one of: {', '.join(str(v) for v in values)}"


class _Choice(click.Choice):
    """click.Choice whose messages name the valid values on one line ("choose one of: ...")."""

    def get_invalid_choice_message(self, value, ctx) -> str:
        return f"invalid choice: {value!r}; {_choices_text(self.choices)}"

    def get_missing_message(self, param, ctx) -> str:
        return _choices_text(self.choices)


class _Group(click.Group):
    """A group whose sub-commands are listed in the order they were added, that names them when the one given is
    missing or unknown, and that can hold commands built only when used (``lazy``: their module is not imported
    at start, not even for `dei --help`)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("no_args_is_help", False)
        super().__init__(*args, **kwargs)
        self.order: list[str] = list(self.commands)
        self.lazy: dict[str, tuple[str, object]] = {}  # name -> (short help, factory returning the command)

    def add_command(self, cmd, name=None) -> None:
        super().add_command(cmd, name)
        name = name or cmd.name
        if name not in self.order:
            self.order.append(name)

    def lazy_command(self, name: str, short_help: str):
        def register(factory):
            self.lazy[name] = (short_help, factory)
            self.order.append(name)
            return factory

        return register

    def list_commands(self, ctx) -> list[str]:
        return list(self.order)

    def get_command(self, ctx, name):
        if name not in self.commands and name in self.lazy:
            cmd = self.lazy[name][1]()
            self.commands[name] = cmd
            cmd.name = name
        return self.commands.get(name)

    def format_commands(self, ctx, formatter) -> None:
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            if name in self.commands:
                if self.commands[name].hidden:
                    continue
                rows.append((name, self.commands[name].get_short_help_str(limit)))
            else:
                rows.append((name, self.lazy[name][0]))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        if not args and not self.invoke_without_command and not ctx.resilient_parsing:
            raise click.UsageError(f"missing a command; {_choices_text(self.list_commands(ctx))}", ctx)
        return super().parse_args(ctx, args)

    def resolve_command(self, ctx, args: list[str]):
        name = args[0]
        if self.get_command(ctx, name) is None and not name.startswith("-") and not ctx.resilient_parsing:
            raise click.UsageError(f"no such command {name!r}; {_choices_text(self.list_commands(ctx))}", ctx)
        return super().resolve_command(ctx, args)


class _SqlFile(click.ParamType):
    """--weights / --method: the file must exist (as given, or inside the SQL tree in use); otherwise the error
    lists the files of that kind in the tree (and, for weights, the schemes the engine derives)."""

    def __init__(self, kind: str):
        self.kind = kind
        self.name = kind

    def convert(self, value, param, ctx):
        from index.config import resolve

        kind = self.kind
        folder, suffix = {"weights": ("weights", ".sql"), "method": ("method", ".toml")}[kind]
        text = str(value)
        cfg = settings()
        if kind == "weights" and text in NAMED_WEIGHT_SCHEMES:
            return text  # a scheme the engine derives (equal, entropy, ...)
        if resolve(text, cfg, confined=False).is_file():
            return text
        choices = sorted(p.name for p in (cfg.sql / folder).glob(f"*{suffix}"))
        named = f"; or a named scheme: {', '.join(NAMED_WEIGHT_SCHEMES)}" if kind == "weights" else ""
        self.fail(
            f"no such file {text!r}; the {kind} files in {cfg.sql / folder} are: {', '.join(choices) or 'none'}{named}",
            param,
            ctx,
        )


class _Year(click.ParamType):
    name = "year"

    def convert(self, value, param, ctx):
        try:
            return int(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a year, e.g. 2024", param, ctx)


class Writable(click.Path):
    """click.Path for something a command will write: refused before any work when a folder on its way is a file
    (or, for a file, when it names a folder)."""

    def convert(self, value, param, ctx):
        value = super().convert(value, param, ctx)
        path = Path(value)
        if not self.dir_okay and path.is_dir():
            self.fail(f"{str(value)!r} is a directory, not a file", param, ctx)
        for parent in path.parents:
            if parent.exists():
                if not parent.is_dir():
                    self.fail(f"cannot write {str(value)!r}: {str(parent)!r} is a file, not a directory", param, ctx)
                break
        return value


# one instance of each type (click.Path looks up its translated words when made: a few ms at every start)
WEIGHTS, METHOD, YEAR = _SqlFile("weights"), _SqlFile("method"), _Year()
REPLICATES = click.IntRange(min=1)
OUT_DIR, OUT_FILE = Writable(file_okay=False), Writable(dir_okay=False)
EXISTING_DIR, EXISTING_FILE = click.Path(exists=True, file_okay=False), click.Path(exists=True, dir_okay=False)
_CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


@click.group("dei", cls=_Group, context_settings=_CONTEXT, help="内蒙古数字经济发展指数 pipeline")
def dei():
    pass


def _command(name: str, help: str, group=None, **kwargs):
    return (group or dei).command(name, help=help, short_help=help, **kwargs)


def _group(name: str, help: str):
    return dei.group(name, cls=_Group, help=help, short_help=help)


@_command("samples", "regenerate the sample landing files")
@click.option("--out", type=OUT_DIR, help="landing directory (default: the lake's landing/)")
@click.option("--seed", type=int, help="the generator's seed (default: the one the committed samples use)")
def _samples(**params):
    return _args(cmd_samples, params)


@_command("ingest", "landing -> raw")
def _ingest(**params):
    return _args(cmd_ingest, params)


@_command("validate", "raw -> curated, failures to quarantine")
def _validate(**params):
    return _args(cmd_validate, params)


@_command("rollup", "each 盟市's additive figures against what its 旗县 add up to, on the curated lake")
@click.option("--csv", type=OUT_FILE, help="also write every compared figure to this CSV")
def _rollup(**params):
    return _args(cmd_rollup, params)


@_group("expectations", "Great Expectations suites")
def _expectations():
    pass


@_command("build", "rewrite expectations/ from the framework", group=_expectations)
@click.option("--out", type=OUT_FILE, help="the suite file (default: <DEI_EXPECTATIONS>/raw_observations.json)")
@click.option(
    "--units-csv",
    "--leagues-csv",
    "units_csv",
    type=EXISTING_FILE,
    help="the units a submission may name, a CSV with a code column (default: the registry's 盟市, 旗县市区 and"
    " development zones)",
)
def _expectations_build(**params):
    return _args(cmd_expectations, params, action="build")


@_group("units", "the unit registry (reference/units.csv: 自治区, 盟市, 旗县市区)")
def _units():
    pass


@_command("build", "write reference/units.csv from the census, unit_names.csv and leagues.csv", group=_units)
@click.option("--out", type=OUT_FILE, help="where to write (default reference/units.csv)")
@click.option("--check", is_flag=True, help="only compare with the file; exit 1 when it differs")
def _units_build(**params):
    return _args(cmd_units, params, action="build")


@_command("resolve", "resolve names or codes as a submission would write them", group=_units)
@click.argument("names", nargs=-1, required=True)
@click.option("--parent", help="the 盟市 (code or name)")
@click.option(
    "--level",
    "levels",
    multiple=True,
    type=_Choice(["region", "league", "county", "zone"]),
    help="accept only these levels (repeatable)",
)
def _units_resolve(**params):
    return _args(cmd_units, params, action="resolve")


def _engine_options(func):
    func = click.option(
        "--replicates",
        type=REPLICATES,
        metavar="N",
        help="Monte Carlo replicates of the release's uncertainty analysis (default 1000)",
    )(func)
    func = click.option("--method", type=METHOD, help="method spec TOML, default sql/method/dei.toml")(func)
    func = click.option(
        "--weights",
        type=WEIGHTS,
        help="weight scheme: a SQL file (e.g. sql/weights/expert.sql) or a"
        f" named scheme ({', '.join(s for s in NAMED_WEIGHT_SCHEMES if s != 'metadata')})",
    )(func)
    return func


@_command("compute", "re-compute from the curated lake")
@_engine_options
@click.option("--framework", type=EXISTING_DIR, help="a framework in COINr's layout: DIR/imeta.csv and DIR/idata.csv")
@click.option("--publish", is_flag=True, help="publish the result as the new release")
@click.option("--out", type=OUT_DIR, help="output directory (default data_lake/scenarios/<scheme>)")
@click.option("--years", metavar="Y|Y1-Y2", help="recompute history: only these reporting years")
@click.option(
    "--framework-file", type=EXISTING_FILE, help="recompute history with another framework SQL file (a past one)"
)
def _compute(**params):
    return _args(cmd_compute, params)


@_command("run", "the whole chain")
@_engine_options
def _run(**params):
    return _args(cmd_run, params)


@_group("weights", "objective weights to compare against the expert scheme")
def _weights():
    pass


@_command("suggest", "write sql/weights/<scheme>.sql from the curated lake", group=_weights)
# --scheme: a weight scheme, as in `dei compute --weights`; --method (the method spec elsewhere) still read here
@click.option(
    "--scheme",
    "--method",
    "method",
    required=True,
    type=_Choice(list(OBJECTIVE_WEIGHT_SCHEMES)),
    help="the objective weight scheme (--method: its earlier spelling)",
)
@click.option("--out", type=OUT_FILE, help="where to write the SQL file (default <DEI_SQL>/weights/<scheme>.sql)")
def _weights_suggest(**params):
    return _args(cmd_weights, params, action="suggest")


@_group("releases", "list, compare and roll back published releases")
def _releases():
    pass


@_command("list", "every release with its lineage and status", group=_releases)
def _releases_list(**params):
    return _args(cmd_releases, params, action="list")


@_command("diff", "how scores and ranks moved between two releases or scenarios", group=_releases)
@click.argument("a")
@click.argument("b")
@click.option("--node", help="node id, Chinese or English name (default: DEI)")
@click.option("--year", type=YEAR, help="default: the latest year both hold")
def _releases_diff(**params):
    return _args(cmd_releases, params, action="diff")


_releases_diff.help = (
    "how scores and ranks moved between two releases or scenarios\n\n"
    "A, B: release id, scenario id or name (a unique prefix will do)"
)


@_command("rollback", "make an earlier release current again, in every target", group=_releases)
@click.argument("id")
def _releases_rollback(**params):
    return _args(cmd_releases, params, action="rollback")


_releases_rollback.help = (
    "make an earlier release current again, in every target\n\nID: release id (a unique prefix will do)"
)


@_command("sync", "bring the DuckDB catalog and PostgreSQL up to `latest`", group=_releases)
def _releases_sync(**params):
    return _args(cmd_releases, params, action="sync")


@_command("report", "build the offline monitoring site (数字经济发展指数监测平台) of a release")
@click.option("--out", required=True, type=OUT_DIR, help="output directory; open DIR/index.html")
@click.option("--release", help="a release directory (default: data_lake/published/latest)")
@click.option(
    "--lang",
    type=_Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="language shown first (both are included)",
)
def _report(**params):
    return _args(cmd_report, params)


@_command("analyse", "disparity (Dagum Gini, Theil), obstacle degrees, coupling coordination, convergence")
@click.option("--out", required=True, type=OUT_DIR, help="output directory for the CSV files")
@click.option("--release", type=EXISTING_DIR, help="a release directory (default: data_lake/published/latest)")
@click.option("--framework", type=EXISTING_DIR, help="a framework in COINr's layout instead of a release")
@click.option("--method", type=EXISTING_FILE, help="with --framework: its method spec TOML")
@click.option(
    "--group",
    help="groups: region_group (蒙东/蒙西, default) or core_group (呼包鄂乌) for a release;"
    " one of iData's *_group columns with --framework",
)
def _analyse(**params):
    return _args(cmd_analyse, params)


@_command("audit", "statistical audit: indicator statistics, correlations, alpha, PCA")
@click.option("--weights", type=WEIGHTS, help="weight scheme SQL file")
@click.option("--method", type=METHOD, help="method spec TOML (with --framework: required, its own spec)")
@click.option("--framework", type=EXISTING_DIR, help="a framework in COINr's layout instead of the curated lake")
@click.option("--out", type=OUT_DIR, help="also write the audit as CSV files into this directory")
@click.option("--details", "--all", "details", is_flag=True, help="every flag and every table, not just the summary")
def _audit(**params):
    return _args(cmd_audit, params)


@_command("ranking", "show a ranking from the current release (the 12 盟市, or the 旗县市区)")
@click.option(
    "--level",
    type=_Choice(["league", "county"]),
    default="league",
    show_default=True,
    help="league: the 12 盟市; county: the 103 旗县市区 across the 自治区",
)
@click.option("--within", metavar="盟市", help="the 旗县市区 of one 盟市 (name, alias or code), ranked within it")
@click.option("--node", default="DEI", help="node id, Chinese or English name (default: DEI)")
@click.option("--year", type=YEAR)
@click.option("--release", type=EXISTING_DIR, help="a release directory (default: latest)")
def _ranking(**params):
    return _args(cmd_ranking, params)


@_group("scenarios", "computations written but not published (data_lake/scenarios/)")
def _scenarios():
    pass


@_command("list", "id, name, weight scheme, method, created, path", group=_scenarios)
def _scenarios_list(**params):
    return _args(cmd_scenarios, params, action="list")


class _GreedyCommand(click.Command):
    """``--weights a.sql b.sql ...``: every value up to the next option belongs to --weights (argparse's
    nargs="+"), here spelt as one --weights per value before click parses."""

    greedy = ("--weights",)

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        out: list[str] = []
        taking, ended = None, False
        for arg in args:
            if ended or arg == "--":
                taking, ended = None, True
            elif arg.startswith("-") and len(arg) > 1:
                taking = arg if arg in self.greedy else None
            elif taking is not None and out and out[-1] != taking:
                out.append(taking)
            out.append(arg)
        return super().parse_args(ctx, out)


@_command("compare", "two releases or scenarios side by side, or several weight schemes", cls=_GreedyCommand)
@click.argument("ids", nargs=-1, metavar="[ID]...")
@click.option(
    "--weights",
    type=WEIGHTS,
    multiple=True,
    metavar="F...",
    help="weight scheme files, each computed as a scenario; moves are against the first",
)
@click.option("--method", type=METHOD, help="method spec TOML for --weights (default: dei.toml)")
@click.option("--node", help="node id, Chinese or English name (default: DEI)")
@click.option("--year", type=YEAR, help="default: the latest year all hold")
@click.option("--xlsx", type=OUT_FILE, metavar="FILE", help="also write the table as a workbook")
def _compare(**params):
    params["weights"] = list(params["weights"]) or None
    params["ids"] = list(params["ids"])
    return _args(cmd_compare, params)


_compare.help = (
    "two releases or scenarios side by side, or several weight schemes\n\n"
    "ID: two release or scenario ids / names (unique prefixes)"
)


@_command("export", "a whole release or scenario as one XLSX workbook")
@click.option("--xlsx", required=True, type=OUT_FILE, metavar="FILE", help="the workbook to write")
@click.option("--release", metavar="ID", help="release id or unique prefix (default: the current release)")
@click.option("--scenario", metavar="ID", help="scenario id or name, or a unique prefix")
def _export(**params):
    return _args(cmd_export, params)


from index.uncertainty import cli as uncertainty_cli  # noqa: E402  light at import: click and index.errors only

dei.add_command(uncertainty_cli.sensitivity)


@dei.lazy_command("bench", "time the engine against pandas; `bench uncertainty`: the uncertainty fast path")
def _bench_command():
    """Built when used: index.bench (and its defaults) is not imported at start."""
    from index import bench

    @click.group(
        "bench",
        cls=_Group,
        invoke_without_command=True,
        help=bench.__doc__.splitlines()[0],
        short_help="time the engine against pandas (index/bench/)",
    )
    @click.option(
        "--size",
        type=_Choice(sorted(bench.SIZES)),
        default="full",
        show_default=True,
        help="the SYNTHETIC national panel's size (tiny: for CI)",
    )
    @click.option(
        "--out",
        type=OUT_FILE,
        default=str(bench.DEFAULT_OUT),
        metavar="FILE",
        help="the JSON results",
        show_default=os.path.relpath(bench.DEFAULT_OUT, bench.REPO),
    )
    @click.option(
        "--repeat",
        type=REPLICATES,
        metavar="N",
        help="fresh-process runs per variant; the median run is"
        f" reported (default: {bench.DEFAULT_REPEAT['full']} at full size, {bench.DEFAULT_REPEAT['tiny']} at tiny)",
    )
    def group(**params):
        return _args(cmd_bench, params)

    @group.command(
        "uncertainty",
        help="the uncertainty fast path against one engine build per replicate "
        "(index/uncertainty/bench.py; defaults are its own)",
        short_help="the uncertainty fast path against one engine build per replicate",
    )
    @click.option("--replicates", type=int, metavar="N", help="Monte Carlo replicates (default 10000)")
    @click.option(
        "--baseline", type=int, metavar="K", help="replicates built one engine build each (0: none; default 200)"
    )
    @click.option("--no-sobol", is_flag=True, help="skip the Sobol indices")
    @click.option("--national", is_flag=True, help="the national SYNTHETIC case only (3,000 x 60 x 20)")
    @click.option("--no-national", is_flag=True, help="the ASEM case only")
    @click.option("--out", type=OUT_FILE, help="the JSON results (default bench/uncertainty.json)")
    def uncertainty(**params):
        return _args(cmd_bench_uncertainty, params)

    return group


def cmd_bench(args) -> int:
    """What `python -m index.bench` does (index.bench.main without --worker)."""
    from index import bench

    results = bench.run_bench(args.size, Path(args.out), args.repeat)
    print(bench.table(results))
    print(f"written to {Path(args.out)}")
    return 0


def cmd_bench_uncertainty(args) -> int:
    """`python -m index.uncertainty.bench` with the options given (its own defaults for the rest)."""
    from index.uncertainty import bench

    argv = [
        f"--{k}={v}"
        for k, v in (("replicates", args.replicates), ("baseline", args.baseline), ("out", args.out))
        if v is not None
    ]
    flags = [f"--{name.replace('_', '-')}" for name in ("no_sobol", "national", "no_national") if getattr(args, name)]
    return bench.main(argv + flags)


def _command_path(group: click.Group, argv: list[str]) -> str:
    """The command an argv names ("dei weights suggest"), for an error click raised without its context."""
    words, command = ["dei"], group
    for arg in argv:
        if not isinstance(command, click.Group) or arg.startswith("-"):
            continue
        child = command.get_command(click.Context(command), arg)
        if child is None:
            break
        words.append(arg)
        command = child
    return " ".join(words)


def _one_line(exc: click.ClickException, group: click.Group, argv: list[str]) -> str:
    ctx = getattr(exc, "ctx", None)
    prog = ctx.command_path if ctx is not None else _command_path(group, argv)
    message = " ".join(exc.format_message().split())
    return f"{prog}: {message} (see `{prog} --help`)"


def parse(argv: list[str] | None = None, group: click.Group | None = None) -> Args:
    """The Args of ``argv``; a bad argument is one line on stderr (the problem and the valid choices) and
    SystemExit(2); --help prints the help and SystemExit(0)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    group = group or dei
    try:
        result = group.main(args=argv, prog_name="dei", standalone_mode=False)
    except click.ClickException as exc:
        print(_one_line(exc, group, argv), file=sys.stderr)
        raise SystemExit(2 if isinstance(exc, click.UsageError) else exc.exit_code) from None
    except click.Abort:
        print("dei: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    if not callable(getattr(result, "func", None)):  # --help (0), or click's own exit
        raise SystemExit(result or 0)
    return result


def _release_id() -> str | None:
    try:
        from index.targets.parquet import current_release_id  # not index.publish: keeps every start light

        return current_release_id(settings())
    except Exception:  # only used to word an error message
        return None


def _published_note(before: str | None) -> str:
    after = _release_id()
    if after != before:
        return f"release {after} was published before the error"
    return f"nothing was published (latest is still {before})" if before else "nothing was published"


def _os_error_message(exc: OSError) -> str:
    where = f" {exc.filename}" if exc.filename else ""
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return f"the disk is full: cannot write{where}: {reason}"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"not allowed to write or read{where}: {reason}"
    return f"cannot read or write{where}: {reason}"


def _save_traceback(command: str) -> Path | None:
    """The full traceback in a file of its own, so the user sees one line and support sees everything."""
    import tempfile
    import traceback
    from datetime import UTC, datetime

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = Path(tempfile.gettempdir()) / f"dei-{command}-{stamp}-{os.getpid()}.log"
    try:
        path.write_text(traceback.format_exc(), encoding="utf-8")
    except OSError:
        return None
    return path


def main(argv: list[str] | None = None) -> int:
    """Exit codes: 0 done, 1 done but files were rejected, 2 a clear error (config, submission, disk),
    3 an unexpected error (one line here; the traceback in a log file, or shown with DEI_DEBUG=1), 130 Ctrl-C."""
    args = parse(argv)
    before = _release_id()
    try:
        return args.func(args)
    except (ConfigError, SubmissionError) as exc:
        print(f"dei {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (`dei ranking | head`): nothing to say; stdout goes nowhere from here on, so the
        # interpreter's flush at exit cannot fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # as a shell reports a process ended by SIGPIPE
    except OSError as exc:
        print(f"dei {args.command}: {_os_error_message(exc)}; {_published_note(before)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"dei {args.command}: interrupted; {_published_note(before)}", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("DEI_DEBUG") == "1":
            raise
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        saved = _save_traceback(args.command)
        where = f"full traceback in {saved}" if saved else "rerun with DEI_DEBUG=1 to see the traceback"
        print(
            f"dei {args.command}: unexpected error: {type(exc).__name__}: {first}; {_published_note(before)}; {where}",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":
    sys.exit(main())
