"""``make run``: the real DAGs, run end to end by Airflow (``airflow dags test``), then the ranking and a summary.

Each DAG runs in-process with the project-local AIRFLOW_HOME (SQLite metadata) that the Makefile sets.
`dags test` does not follow Asset events between DAGs, so this runs them in the order the Assets link them:
dei_ingest -> dei_validate -> dei_compute.

A DAG that failed only because files were rejected (its ``report_rejections`` task wrote the stage report
with rejected files; the good files went on) does not stop the run: the next DAGs compute and publish what
was accepted, and the run ends with the summary and exit code 1. Any other failure stops the run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from index.config import settings
from index.tables import shown_path

DAGS = ("dei_ingest", "dei_validate", "dei_compute")
STAGE_OF = {"dei_ingest": "ingest", "dei_validate": "validation"}
# Lines worth showing when a DAG fails: our own error messages, not Airflow's bookkeeping.
_INTERESTING = re.compile(r"(Error|error|problem|quarantine|Exception)")


def run_dag(dag_id: str, log_dir: Path, env: dict | None = None) -> tuple[bool, Path, float]:
    log_path = log_dir / f"{dag_id}.log"
    started = time.monotonic()
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.run(
            [str(Path(sys.executable).with_name("airflow")), "dags", "test", dag_id],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env or os.environ.copy(),
            check=False,
        )
    return proc.returncode == 0, log_path, time.monotonic() - started


def explain_failure(log_path: Path) -> str:
    lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    keep = [ln for ln in lines if _INTERESTING.search(ln) and "graphviz" not in ln][-25:]
    return "\n".join(keep)


def _read_report(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def run(log_dir: Path) -> int:
    from index import pipeline
    from index.publish import current_release_dir

    report_dir = log_dir / "reports"
    report_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, **{pipeline.RUN_REPORT_ENV: str(report_dir)})
    reports: dict[str, dict | None] = {"ingest": None, "validation": None}
    before = current_release_dir(settings())
    for dag_id in DAGS:
        stage = STAGE_OF.get(dag_id)
        if stage:
            (report_dir / f"{stage}.json").unlink(missing_ok=True)  # only this run's report counts
        ok, log_path, seconds = run_dag(dag_id, log_dir, env)
        if stage:
            reports[stage] = _read_report(report_dir / f"{stage}.json")
        rejected_only = not ok and stage and (reports[stage] or {}).get("rejected")
        state = (
            "ok" if ok else ("FAILED: files rejected, going on with the accepted ones" if rejected_only else "FAILED")
        )
        print(f"airflow dags test {dag_id:<13} {state}  ({seconds:.0f} s, log {shown_path(log_path)})")
        if not ok and not rejected_only:
            print(explain_failure(log_path), file=sys.stderr)
            print("\n".join(pipeline.run_summary_lines(reports["ingest"], reports["validation"], None)))
            print("The last published release is unchanged.", file=sys.stderr)
            return 1
    from index.cli import _show_release

    release_dir = current_release_dir(settings())
    rejected = sum(int((r or {}).get("rejected") or 0) for r in reports.values())
    release = None
    if release_dir is not None:
        print()
        _show_release(release_dir)
        release = {"id": release_dir.name, "path": str(release_dir), "created": release_dir != before}
    print("\n".join(pipeline.run_summary_lines(reports["ingest"], reports["validation"], release)))
    if release_dir is None:
        print("no release was published", file=sys.stderr)
        return 1
    return 1 if rejected else 0


def main() -> int:
    if not os.environ.get("AIRFLOW_HOME"):
        print("AIRFLOW_HOME is not set: run this through `make run`", file=sys.stderr)
        return 2
    log_dir = Path(os.environ["AIRFLOW_HOME"]) / "make-run"
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        return run(log_dir)
    except KeyboardInterrupt:
        print("make run: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        from index.cli import _os_error_message

        print(f"make run: {_os_error_message(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # no traceback for the user; the DAG logs are in log_dir
        if os.environ.get("DEI_DEBUG") == "1":
            raise
        print(
            f"make run: unexpected error: {type(exc).__name__}: {exc}; DAG logs in {log_dir}; "
            "rerun with DEI_DEBUG=1 to see the traceback",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":
    sys.exit(main())
