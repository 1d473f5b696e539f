"""``make run``: the real DAGs, run end to end by Airflow (``airflow dags test``), then the ranking.

Each DAG runs in-process with the project-local AIRFLOW_HOME (SQLite metadata) that the Makefile sets.
`dags test` does not follow Asset events between DAGs, so this runs them in the order the Assets link them:
dei_ingest -> dei_validate -> dei_compute.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from index.config import settings

DAGS = ("dei_ingest", "dei_validate", "dei_compute")
# Lines worth showing when a DAG fails: our own error messages, not Airflow's bookkeeping.
_INTERESTING = re.compile(r"(Error|error|problem|quarantine|Exception)")


def run_dag(dag_id: str, log_dir: Path) -> tuple[bool, Path, float]:
    log_path = log_dir / f"{dag_id}.log"
    started = time.monotonic()
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.run(
            [str(Path(sys.executable).with_name("airflow")), "dags", "test", dag_id],
            stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy(), check=False,
        )
    return proc.returncode == 0, log_path, time.monotonic() - started


def explain_failure(log_path: Path) -> str:
    lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    keep = [ln for ln in lines if _INTERESTING.search(ln) and "graphviz" not in ln][-25:]
    return "\n".join(keep)


def main() -> int:
    if not os.environ.get("AIRFLOW_HOME"):
        print("AIRFLOW_HOME is not set: run this through `make run`", file=sys.stderr)
        return 2
    log_dir = Path(os.environ["AIRFLOW_HOME"]) / "make-run"
    log_dir.mkdir(parents=True, exist_ok=True)
    for dag_id in DAGS:
        ok, log_path, seconds = run_dag(dag_id, log_dir)
        print(f"airflow dags test {dag_id:<13} {'ok' if ok else 'FAILED'}  ({seconds:.0f} s, log {log_path})")
        if not ok:
            print(explain_failure(log_path), file=sys.stderr)
            print("The last published release is unchanged.", file=sys.stderr)
            return 1
    from index.cli import _show_release
    from index.publish import current_release_dir

    release = current_release_dir(settings())
    if release is None:
        print("no release was published", file=sys.stderr)
        return 1
    print()
    _show_release(release)
    return 0


if __name__ == "__main__":
    sys.exit(main())
