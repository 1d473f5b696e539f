"""The ``dei`` command. Each sub-command calls the same functions the Airflow tasks call.

    dei samples                 regenerate the sample landing files (seeded)
    dei ingest                  landing -> raw
    dei validate                raw -> curated (Great Expectations), failures to quarantine
    dei compute --framework DIR --method SPEC.toml --out OUTDIR
                                any index in COINr's layout (imeta.csv, idata.csv) through the same engine
    dei compute [--weights F] [--method F] [--publish] [--replicates N]
                                re-compute from the curated lake; with --publish, also the release's
                                uncertainty analysis (N Monte Carlo replicates); without it, write a scenario to
                                data_lake/scenarios/<name>/, print its id and how ranks moved against the
                                current release; warns about every indicator the scheme leaves out
    dei run [--replicates N]    ingest, validate, compute, analyse uncertainty and publish in one go (no Airflow)
    dei ranking [--node N] [--year Y] [--release DIR]
                                N: node id, Chinese or English name
    dei weights suggest --method entropy|critic|pca|balance [--out F]
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
    dei expectations build      rewrite expectations/ from the framework

A bad argument is one line on stderr naming the valid choices, and exit code 2.

Exit codes: 0 done; 1 done, but files were rejected (quarantined); 2 a clear error (framework, weights,
method, submission, disk); 3 an unexpected error (one line; the traceback goes to a log file, or is shown
with DEI_DEBUG=1); 130 interrupted.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import shutil
import sys
import tempfile
import traceback
from datetime import datetime, timezone
from pathlib import Path

from index.config import settings
from index.engine.vocabulary import NAMED_WEIGHT_SCHEMES, OBJECTIVE_WEIGHT_SCHEMES
from index.errors import ConfigError, SubmissionError


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def cmd_samples(args) -> int:
    from index import samples

    out = Path(args.out) if args.out else settings().landing
    written = samples.generate(out, seed=args.seed) if args.seed is not None else samples.generate(out)
    print(f"wrote {len(written)} sample files to {out}")
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


def cmd_expectations(args) -> int:
    from index import validate
    from index.framework import load_framework
    from index.leagues import league_codes

    cfg = settings()
    suite = validate.build_suite(load_framework(cfg.framework_file), league_codes())
    path = cfg.expectations / "raw_observations.json"
    validate.write_suite(suite, path)
    print(f"wrote {path} ({len(suite['expectations'])} expectations)")
    return 0


def cmd_compute(args) -> int:
    if args.framework:  # first: the COINr door needs none of the lake's modules
        return _compute_coinr(args)
    from index import compute as compute_mod
    from index import pipeline, publish, ranking
    from index.compare import scheme_warnings
    from index.scenarios import scenario_name, scenarios_dir
    from index.tables import shown_path

    cfg = settings()
    if args.weights:
        for line in scheme_warnings(args.weights, cfg):
            print(line, file=sys.stderr)
    if args.publish:
        staged = pipeline.compute_step(args.weights, args.method, cfg=cfg, replicates=args.replicates)
        release = pipeline.publish_step(pipeline.analyse_step(staged, cfg=cfg), triggered_by="cli", cfg=cfg)
        _show_release(Path(release["path"]), release)
        return 0
    out = Path(args.out) if args.out else scenarios_dir(cfg) / scenario_name(args.weights, args.method)
    if out.exists():
        shutil.rmtree(out)
    result = compute_mod.compute(weights=args.weights, method=args.method, cfg=cfg, out_dir=out,
                                 replicates=args.replicates)
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
    for entry in log:
        notes = f"  {entry.get('notes')}" if entry.get("notes") else ""
        print(f"{entry['step']:<20}{entry.get('seconds') or 0:>8.3f} s{notes}")
    print(f"wrote {', '.join(sorted(p.name for p in Path(args.out).iterdir()))} to {args.out}")
    return 0


def _print_ranking(path: Path, table, title: str) -> None:
    """The ranking table, then the note that the release is built from synthetic inputs, when it is."""
    from index import ranking

    print(ranking.format_ranking(table, title))
    synthetic = ranking.synthetic_note(path)
    if synthetic:
        print(synthetic)


def _show_release(path: Path, release: dict | None = None) -> None:
    from index import ranking

    table = ranking.ranking(path)
    year = int(table[0]["year"])
    _print_ranking(path, table, f"{year} 年内蒙古数字经济发展指数 (DEI) 盟市排名")
    note = "" if release is None else (" (new)" if release.get("created") else " (unchanged: same inputs)")
    from index.tables import shown_path

    print(f"release {path.name}{note}: {shown_path(path)}")


def cmd_run(args) -> int:
    """The whole chain; files rejected on the way do not stop it, but make the exit code 1."""
    from index import pipeline

    report = pipeline.RunReport()
    try:
        release = pipeline.run_all(weights=args.weights, method=args.method, report=report,
                                   replicates=args.replicates)
    except BaseException:
        print("\n".join(report.lines()))  # what happened before the failure; main() explains the failure
        raise
    _show_release(Path(release["path"]), release)
    print("\n".join(report.lines()))
    return 1 if report.rejected else 0


def cmd_ranking(args) -> int:
    from index import publish, ranking

    path = Path(args.release) if args.release else publish.current_release_dir(settings())
    if path is None:
        print("no published release yet: run `make run` or `dei run`", file=sys.stderr)
        return 1
    if not (path / "index_scores.parquet").is_file():
        print(f"dei ranking: {path} is not a release directory (no index_scores.parquet)", file=sys.stderr)
        return 2
    table = ranking.ranking(path, node_id=args.node, year=args.year)
    _print_ranking(path, table, f"{table[0]['node_id']} {int(table[0]['year'])}")
    return 0


def cmd_weights(args) -> int:
    from index.framework import dropout_warnings, load_framework, load_weights
    from index.tables import render, shown_path
    from index.weights_suggest import compare, suggest

    cfg = settings()
    path = suggest(args.method, Path(args.out) if args.out else None, cfg=cfg)
    framework = load_framework(cfg.framework_file)
    suggested = load_weights(path, framework)
    table = compare(suggested, load_weights(cfg.default_weights, framework))
    names = dict(zip(framework["node_id"], framework["name_zh"]))
    print(f"wrote {shown_path(path)} — a suggestion to compare, not the default. Against {cfg.default_weights.name}:")
    rows = [[names.get(r.node_id, r.node_id), r.node_id, f"{r.expert:.4f}", f"{r.suggested:.4f}",
             f"{r.difference:+.4f}"] for r in table.itertuples(index=False)]
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
        from index.scenarios import resolve

        # a unique prefix will do, as for diff; an unknown one lists the releases on disk
        result = releases.rollback(resolve(args.id, cfg, kinds=("release",)).id, triggered_by="cli", cfg=cfg)
        _show_release(Path(result["path"]))
    elif args.action == "sync":
        _print_json(releases.sync_targets(cfg))
    return 0


def cmd_report(args) -> int:
    from index.report import build

    cfg = settings()
    release = Path(args.release) if args.release else cfg.published / "latest"
    if not (release / "index_scores.parquet").is_file():
        print(f"no release at {release}: run `make run` or `dei run` first", file=sys.stderr)
        return 1
    Path(args.out).mkdir(parents=True, exist_ok=True)  # an unwritable --out is said before the build
    print(f"wrote {build(release, Path(args.out), args.lang)}")
    return 0


def cmd_audit(args) -> int:
    from index.compute import run_engine
    from index.engine.audit import audit, format_audit, format_audit_summary

    run = run_engine(args.weights, args.method, settings())
    print(f"Statistical audit of the curated lake (weights: {run.scheme}, method: {run.method_path.name})")
    frames = audit(run.con)
    print(format_audit_summary(frames))
    if args.details:
        print(format_audit(frames))
    else:
        print("Every flag and table: dei audit --details")
    return 0


def cmd_scenarios(args) -> int:
    from index import scenarios

    print(scenarios.format_list(scenarios.list_scenarios(settings())))
    return 0


def cmd_compare(args) -> int:
    """`dei compare A B` / `dei releases diff A B`, or `dei compare --weights a.sql b.sql ...`."""
    from index import compare

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
            raise ConfigError(f"compare needs two release or scenario ids (got {len(ids)}), or --weights a.sql b.sql ...")
        comparison = compare.diff(ids[0], ids[1], cfg, node=args.node, year=args.year)
        print(compare.format_diff(comparison))
        headers, rows = compare.diff_table(comparison)
        title = f"{comparison.node_id} {comparison.year}"
    if getattr(args, "xlsx", None):
        print(f"wrote {compare.write_xlsx(Path(args.xlsx), title, headers, rows)}")
    return 0


def cmd_export(args) -> int:
    from index.report.downloads import write_release_workbook
    from index.scenarios import resolve

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


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line (the problem and the valid choices), not usage + error."""

    def error(self, message: str):
        for action in self._actions:  # a missing sub-command or choice: name the ones there are
            if "required" in message and action.choices and action.dest in message.split(":")[-1]:
                message += f"; {action.dest}: choose one of: {', '.join(action.choices)}"
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def _sql_file(kind: str):
    """An argparse type for --weights / --method: the file must exist (as given, or inside the SQL tree in use);
    otherwise the error lists the files of that kind in the tree."""
    folder, suffix = {"weights": ("weights", ".sql"), "method": ("method", ".toml")}[kind]

    def check(text: str) -> str:
        from index.config import resolve

        cfg = settings()
        if kind == "weights" and text in NAMED_WEIGHT_SCHEMES:
            return text  # a scheme the engine derives (equal, entropy, ...)
        if resolve(text, cfg, confined=False).is_file():
            return text
        choices = sorted(p.name for p in (cfg.sql / folder).glob(f"*{suffix}"))
        named = f"; or a named scheme: {', '.join(NAMED_WEIGHT_SCHEMES)}" if kind == "weights" else ""
        raise argparse.ArgumentTypeError(
            f"no such file {text!r}; the {kind} files in {cfg.sql / folder} are: {', '.join(choices) or 'none'}"
            f"{named}")

    return check


def _replicates(text: str) -> int:
    from index.uncertainty.cli import _positive

    return _positive(text)


def _existing_dir(text: str) -> str:
    if not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"no such directory {text!r}")
    return text


def _year(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a year, e.g. 2024") from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dei", description="内蒙古数字经济发展指数 pipeline")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("samples", help="regenerate the sample landing files")
    p.add_argument("--out")
    p.add_argument("--seed", type=int)
    p.set_defaults(func=cmd_samples)

    sub.add_parser("ingest", help="landing -> raw").set_defaults(func=cmd_ingest)
    sub.add_parser("validate", help="raw -> curated, failures to quarantine").set_defaults(func=cmd_validate)

    p = sub.add_parser("expectations", help="Great Expectations suites")
    p.add_argument("action", choices=["build"])
    p.set_defaults(func=cmd_expectations)

    for name, func, text in (("compute", cmd_compute, "re-compute from the curated lake"), ("run", cmd_run, "the whole chain")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--weights", type=_sql_file("weights"), help="weight scheme: a SQL file (e.g. sql/weights/equal.sql) or a named scheme (equal, entropy, critic, pca, balance)")
        p.add_argument("--method", type=_sql_file("method"), help="method spec TOML, default sql/method/dei.toml")
        p.add_argument("--replicates", type=_replicates, metavar="N",
                       help="Monte Carlo replicates of the release's uncertainty analysis (default 1000)")
        if name == "compute":
            p.add_argument("--framework", type=_existing_dir,
                           help="a framework in COINr's layout: DIR/imeta.csv and DIR/idata.csv")
            p.add_argument("--publish", action="store_true", help="publish the result as the new release")
            p.add_argument("--out", help="output directory (default data_lake/scenarios/<scheme>)")
        p.set_defaults(func=func)

    p = sub.add_parser("weights", help="objective weights to compare against the expert scheme")
    wsub = p.add_subparsers(dest="action", required=True)
    q = wsub.add_parser("suggest", help="write sql/weights/<method>.sql from the curated lake")
    q.add_argument("--method", required=True, choices=list(OBJECTIVE_WEIGHT_SCHEMES))
    q.add_argument("--out", help="where to write the SQL file (default <DEI_SQL>/weights/<method>.sql)")
    q.set_defaults(func=cmd_weights)

    p = sub.add_parser("releases", help="list, compare and roll back published releases")
    rsub = p.add_subparsers(dest="action", required=True)
    rsub.add_parser("list", help="every release with its lineage and status").set_defaults(func=cmd_releases)
    q = rsub.add_parser("diff", help="how scores and ranks moved between two releases or scenarios")
    q.add_argument("a", help="release id, scenario id or name (a unique prefix will do)")
    q.add_argument("b", help="release id, scenario id or name (a unique prefix will do)")
    q.add_argument("--node", help="node id, Chinese or English name (default: DEI)")
    q.add_argument("--year", type=_year, help="default: the latest year both hold")
    q.set_defaults(func=cmd_releases)
    q = rsub.add_parser("rollback", help="make an earlier release current again, in every target")
    q.add_argument("id", help="release id (a unique prefix will do)")
    q.set_defaults(func=cmd_releases)
    rsub.add_parser("sync", help="bring the DuckDB catalog and PostgreSQL up to `latest`").set_defaults(func=cmd_releases)

    p = sub.add_parser("report", help="build the offline monitoring site (数字经济发展指数监测平台) of a release")
    p.add_argument("--out", required=True, help="output directory; open DIR/index.html")
    p.add_argument("--release", help="a release directory (default: data_lake/published/latest)")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="language shown first (both are included)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("audit", help="statistical audit: indicator statistics, correlations, alpha, PCA")
    p.add_argument("--weights", type=_sql_file("weights"), help="weight scheme SQL file")
    p.add_argument("--method", type=_sql_file("method"), help="method spec TOML")
    p.add_argument("--details", "--all", action="store_true", help="every flag and every table, not just the summary")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("ranking", help="show a ranking from the current release")
    p.add_argument("--node", default="DEI", help="node id, Chinese or English name (default: DEI)")
    p.add_argument("--year", type=_year)
    p.add_argument("--release", help="a release directory (default: latest)")
    p.set_defaults(func=cmd_ranking)

    p = sub.add_parser("scenarios", help="computations written but not published (data_lake/scenarios/)")
    ssub = p.add_subparsers(dest="action", required=True)
    ssub.add_parser("list", help="id, name, weight scheme, method, created, path").set_defaults(func=cmd_scenarios)

    p = sub.add_parser("compare", help="two releases or scenarios side by side, or several weight schemes")
    p.add_argument("ids", nargs="*", metavar="ID", help="two release or scenario ids / names (unique prefixes)")
    p.add_argument("--weights", nargs="+", type=_sql_file("weights"), metavar="F",
                   help="weight scheme files, each computed as a scenario; moves are against the first")
    p.add_argument("--method", type=_sql_file("method"), help="method spec TOML for --weights (default: dei.toml)")
    p.add_argument("--node", help="node id, Chinese or English name (default: DEI)")
    p.add_argument("--year", type=_year, help="default: the latest year all hold")
    p.add_argument("--xlsx", metavar="FILE", help="also write the table as a workbook")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("export", help="a whole release or scenario as one XLSX workbook")
    p.add_argument("--xlsx", required=True, metavar="FILE", help="the workbook to write")
    p.add_argument("--release", metavar="ID", help="release id or unique prefix (default: the current release)")
    p.add_argument("--scenario", metavar="ID", help="scenario id or name, or a unique prefix")
    p.set_defaults(func=cmd_export)

    from index.uncertainty import cli as uncertainty_cli  # light at import: argparse and index.errors only

    uncertainty_cli.add_parser(sub)
    return parser


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
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = Path(tempfile.gettempdir()) / f"dei-{command}-{stamp}-{os.getpid()}.log"
    try:
        path.write_text(traceback.format_exc(), encoding="utf-8")
    except OSError:
        return None
    return path


def main(argv: list[str] | None = None) -> int:
    """Exit codes: 0 done, 1 done but files were rejected, 2 a clear error (config, submission, disk),
    3 an unexpected error (one line here; the traceback in a log file, or shown with DEI_DEBUG=1), 130 Ctrl-C."""
    args = build_parser().parse_args(argv)
    before = _release_id()
    try:
        return args.func(args)
    except (ConfigError, SubmissionError) as exc:
        print(f"dei {args.command}: {exc}", file=sys.stderr)
        return 2
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
        print(f"dei {args.command}: unexpected error: {type(exc).__name__}: {first}; {_published_note(before)}; "
              f"{where}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
