"""The ``dei`` command. Each sub-command calls the same functions the Airflow tasks call.

    dei samples                 regenerate the sample landing files (seeded)
    dei ingest                  landing -> raw
    dei validate                raw -> curated (Great Expectations), failures to quarantine
    dei compute --framework DIR --method SPEC.toml --out OUTDIR
                                any index in COINr's layout (imeta.csv, idata.csv) through the same engine
    dei compute [--weights F] [--method F] [--publish]
                                re-compute from the curated lake; without --publish, write a scenario
                                and print how ranks moved against the current release
    dei run                     ingest, validate, compute and publish in one go (no Airflow)
    dei ranking [--node ID] [--year Y]
    dei weights suggest --method entropy|critic|pca|balance
                                write an editable SQL weight scheme to compare with the expert one
    dei releases list | diff A B | rollback ID | sync
    dei report --out DIR        the offline monitoring site of the current release
    dei audit                   the statistical audit (published with every release as audit.parquet)
    dei expectations build      rewrite expectations/ from the framework

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
    from index import compute as compute_mod
    from index import pipeline, publish, ranking

    cfg = settings()
    if args.framework:
        return _compute_coinr(args)
    if args.publish:
        staged = pipeline.compute_step(args.weights, args.method, cfg=cfg)
        release = pipeline.publish_step(staged, triggered_by="cli", cfg=cfg)
        _show_release(Path(release["path"]), release)
        return 0
    name = Path(args.weights).stem if args.weights else "default"
    out = Path(args.out) if args.out else cfg.lake / "scenarios" / name
    if out.exists():
        shutil.rmtree(out)
    result = compute_mod.compute(weights=args.weights, method=args.method, cfg=cfg, out_dir=out)
    print(f"scenario {result.release_id} written to {out}")
    current = publish.current_release_dir(cfg)
    if current is None:
        print("no published release yet; the scenario's own ranking:")
        print(ranking.format_ranking(ranking.ranking(out), "DEI"))
    else:
        moves = ranking.rank_moves(current, out)
        print(ranking.format_moves(moves))
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
    year = int(table["year"].iloc[0])
    _print_ranking(path, table, f"{year} 年内蒙古数字经济发展指数 (DEI) 盟市排名")
    note = "" if release is None else (" (new)" if release.get("created") else " (unchanged: same inputs)")
    print(f"release {path.name}{note}: {path}")


def cmd_run(args) -> int:
    """The whole chain; files rejected on the way do not stop it, but make the exit code 1."""
    from index import pipeline

    report = pipeline.RunReport()
    try:
        release = pipeline.run_all(weights=args.weights, method=args.method, report=report)
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
    _print_ranking(path, table, f"{table['node_id'].iloc[0]} {int(table['year'].iloc[0])}")
    return 0


def cmd_weights(args) -> int:
    from index.framework import load_framework, load_weights
    from index.weights_suggest import compare, suggest

    cfg = settings()
    path = suggest(args.method, Path(args.out) if args.out else None, cfg=cfg)
    framework = load_framework(cfg.framework_file)
    table = compare(load_weights(path, framework), load_weights(cfg.default_weights, framework))
    names = dict(zip(framework["node_id"], framework["name_zh"]))
    print(f"wrote {path} — a suggestion to compare, not the default. Against sql/weights/expert.sql:")
    print(f"{'node':<26}{'expert':>8}{'suggested':>11}{'diff':>9}")
    for row in table.itertuples(index=False):
        name = str(names.get(row.node_id, row.node_id))[:12]
        name += "\u3000" * (13 - len(name))  # full-width padding keeps Chinese names aligned
        print(f"{name}{row.expert:>8.4f}{row.suggested:>11.4f}{row.difference:>+9.4f}")
    print(f"Try it: dei compute --weights {path}")
    return 0


def cmd_releases(args) -> int:
    from index import releases

    cfg = settings()
    if args.action == "list":
        print(releases.format_list(releases.list_releases(cfg)))
    elif args.action == "diff":
        frame = releases.diff(args.a, args.b, cfg, node_id=args.node, year=args.year)
        print(releases.format_diff(frame, args.a, args.b))
    elif args.action == "rollback":
        result = releases.rollback(args.id, triggered_by="cli", cfg=cfg)
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
    print(f"wrote {build(release, Path(args.out), args.lang)}")
    return 0


def cmd_audit(args) -> int:
    from index.compute import run_engine
    from index.engine.audit import audit, format_audit

    run = run_engine(args.weights, args.method, settings())
    print(f"Statistical audit of the curated lake (weights: {run.scheme}, method: {run.method_path.name})")
    print(format_audit(audit(run.con)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dei", description="内蒙古数字经济发展指数 pipeline")
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
        p.add_argument("--weights", help="weight scheme SQL file, e.g. sql/weights/equal.sql")
        p.add_argument("--method", help="method spec TOML, default sql/method/dei.toml")
        if name == "compute":
            p.add_argument("--framework", help="a framework in COINr's layout: DIR/imeta.csv and DIR/idata.csv")
            p.add_argument("--publish", action="store_true", help="publish the result as the new release")
            p.add_argument("--out", help="output directory (default data_lake/scenarios/<scheme>)")
        p.set_defaults(func=func)

    p = sub.add_parser("weights", help="objective weights to compare against the expert scheme")
    wsub = p.add_subparsers(dest="action", required=True)
    q = wsub.add_parser("suggest", help="write sql/weights/<method>.sql from the curated lake")
    q.add_argument("--method", required=True, choices=["entropy", "critic", "pca", "balance"])
    q.add_argument("--out", help="where to write the SQL file (default sql/weights/<method>.sql)")
    q.set_defaults(func=cmd_weights)

    p = sub.add_parser("releases", help="list, compare and roll back published releases")
    rsub = p.add_subparsers(dest="action", required=True)
    rsub.add_parser("list", help="every release with its lineage and status").set_defaults(func=cmd_releases)
    q = rsub.add_parser("diff", help="how scores and ranks moved between two releases")
    q.add_argument("a")
    q.add_argument("b")
    q.add_argument("--node", help="a node id, e.g. DEI (default: all)")
    q.add_argument("--year", type=int)
    q.set_defaults(func=cmd_releases)
    q = rsub.add_parser("rollback", help="make an earlier release current again, in every target")
    q.add_argument("id")
    q.set_defaults(func=cmd_releases)
    rsub.add_parser("sync", help="bring the DuckDB catalog and PostgreSQL up to `latest`").set_defaults(func=cmd_releases)

    p = sub.add_parser("report", help="build the offline monitoring site (数字经济发展指数监测平台) of a release")
    p.add_argument("--out", required=True, help="output directory; open DIR/index.html")
    p.add_argument("--release", help="a release directory (default: data_lake/published/latest)")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="language shown first (both are included)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("audit", help="statistical audit: indicator statistics, correlations, alpha, PCA")
    p.add_argument("--weights", help="weight scheme SQL file")
    p.add_argument("--method", help="method spec TOML")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("ranking", help="show a ranking from the current release")
    p.add_argument("--node", default="DEI")
    p.add_argument("--year", type=int)
    p.add_argument("--release", help="a release directory (default: latest)")
    p.set_defaults(func=cmd_ranking)
    return parser


def _release_id() -> str | None:
    try:
        from index.publish import current_release_id

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
