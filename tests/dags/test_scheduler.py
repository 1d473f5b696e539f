"""A real Airflow on a temporary home and lake: api-server, scheduler and dag-processor as separate processes
with the settings of `make airflow` (index.local.airflow). Files dropped into landing become a release with
no one triggering anything, the task logs have a line per file, and a poll with nothing new emits no Asset event.

Landing files are the committed samples (SYNTHETIC apart from the PKU index).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from index.landing import is_readme
from index.local import airflow as airflow_local

RELEASE_WITHIN = 360  # seconds from the drop: one poll (<= 60 s) plus ingest, validate, compute on 2 cores
DAGS = ("dei_ingest", "dei_validate", "dei_compute")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Airflow:
    def __init__(self, home: Path, lake: Path, env: dict, procs: list):
        self.home, self.lake, self.env, self.procs = home, lake, env, procs

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.home / 'airflow.db'}?mode=ro", uri=True, timeout=30)

    def query(self, sql: str, *args) -> list[tuple]:
        with self.db() as db:
            return db.execute(sql, args).fetchall()

    def check_alive(self) -> None:
        for component, proc in zip(airflow_local.COMPONENTS, self.procs):
            if proc.poll() is not None:
                pytest.fail(f"airflow {component} exited with {proc.returncode}:\n{self.component_log(component)}")

    def component_log(self, component: str, tail: int = 4000) -> str:
        path = self.home / "components" / f"{component}.log"
        return path.read_text(encoding="utf-8", errors="replace")[-tail:] if path.exists() else "(no log)"

    def failed_runs(self) -> list[tuple]:
        return self.query("select dag_id, run_id from dag_run where state = 'failed'")

    def task_logs(self, dag_id: str, task_id: str) -> str:
        files = sorted((self.home / "logs" / f"dag_id={dag_id}").glob(f"run_id=*/task_id={task_id}/attempt=*.log"))
        return "\n".join(f.read_text(encoding="utf-8", errors="replace") for f in files)

    def asset_events(self, name: str) -> list[tuple]:
        return self.query(
            "select e.id, e.source_dag_id, e.source_run_id from asset_event e "
            "join asset a on a.id = e.asset_id where a.name = ?",
            name,
        )


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    members.append(int(entry.name))
            except OSError:
                continue
    return members


def _process_group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture(scope="module")
def airflow(tmp_path_factory, repo):
    home = tmp_path_factory.mktemp("scheduler-home")
    lake = tmp_path_factory.mktemp("scheduler-lake") / "data_lake"
    (lake / "landing").mkdir(parents=True)
    base = dict(os.environ)
    base.update(
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home}/airflow.db",  # not the session-wide test DB
        AIRFLOW__CORE__DAGS_FOLDER=str(repo / "dags"),
        DEI_LAKE=str(lake),
        PYTHONDONTWRITEBYTECODE="1",  # tasks import index/ and dags/: no __pycache__ in the working tree
    )
    env = airflow_local.environment(home=home, port=_free_port(), base=base)
    airflow_local.migrate(env)
    procs = airflow_local.start(env, log_dir=home / "components")
    try:
        yield Airflow(home, lake, env, procs)
    finally:
        airflow_local.stop(procs)
        left = [p.pid for p in procs if _process_group_alive(p.pid)]
        assert not left, f"process groups still alive after stop: {left}"


def _wait(what: str, airflow: Airflow, condition, timeout: float, every: float = 2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        airflow.check_alive()
        result = condition()
        if result:
            return result
        time.sleep(every)
    pytest.fail(
        f"timed out after {timeout:.0f} s waiting for {what}\nfailed runs: {airflow.failed_runs()}\n"
        f"scheduler log:\n{airflow.component_log('scheduler')}"
    )


@pytest.fixture(scope="module")
def released(airflow, repo):
    """Unpause the DAGs, drop the samples into landing and wait for the release nobody triggered."""
    started = time.monotonic()
    _wait(
        "the dag-processor to register the DAGs",
        airflow,
        lambda: set(DAGS) <= {d for (d,) in airflow.query("select dag_id from dag")},
        timeout=120,
    )
    unpause = subprocess.run(
        [airflow_local._airflow(), "dags", "unpause", "--treat-dag-id-as-regex", "-y", "^dei_"],
        env=airflow.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert unpause.returncode == 0, unpause.stdout + unpause.stderr
    assert "graphviz" not in unpause.stdout + unpause.stderr  # no graphviz warning on every Airflow command
    assert airflow.query("select count(*) from dag where dag_id like 'dei_%' and is_paused = 0") == [(3,)]

    # Dropped the way a department should: written elsewhere, then renamed into landing.
    staging = airflow.lake / "incoming"
    shutil.copytree(repo / "data_lake" / "landing", staging)
    everything = sorted(p.name for p in staging.iterdir() if p.is_file())
    dropped = time.monotonic()
    for name in everything:
        os.rename(staging / name, airflow.lake / "landing" / name)
    samples = [name for name in everything if not is_readme(name)]  # landing's README is never ingested

    release_json = airflow.lake / "published" / "latest" / "release.json"
    _wait("a published release", airflow, release_json.is_file, timeout=RELEASE_WITHIN)
    print(
        f"\nrelease {time.monotonic() - dropped:.0f} s after the drop "
        f"({time.monotonic() - started:.0f} s after the components were up)"
    )
    return samples, release_json


def test_a_dropped_drop_becomes_a_release_without_a_trigger(airflow, released):
    samples, release_json = released
    manifest = json.loads(release_json.read_text(encoding="utf-8"))
    assert manifest["triggered_by"].startswith("airflow:asset_triggered__")
    # nothing was triggered by hand: the poll was scheduled, the rest followed the Asset events
    run_types = {(d, t) for d, t in airflow.query("select dag_id, run_type from dag_run")}
    assert run_types <= {
        ("dei_ingest", "scheduled"),
        ("dei_validate", "asset_triggered"),
        ("dei_compute", "asset_triggered"),
    }, run_types
    assert airflow.failed_runs() == []
    # parallelism sized to the machine: the LocalExecutor started no more workers than there are cores
    workers = [pid for pid in _group_members(airflow.procs[1].pid) if b"LocalExecutor" in _cmdline(pid)]
    assert 1 <= len(workers) <= (os.cpu_count() or 1), workers

    # the task logs carry the index.* log records: one line per file and per batch
    records = [
        json.loads(line)
        for line in airflow.task_logs("dei_ingest", "ingest_landing").splitlines()
        if line.startswith("{")
    ]
    ingest_lines = {r["event"] for r in records if r.get("logger") == "index.pipeline"}
    for name in samples:
        assert f"ingest: file {name}: ingested into raw" in ingest_lines, name
    validate_log = airflow.task_logs("dei_validate", "validate_batches")
    for name in samples:
        assert f"validation: batch {name}: promoted to curated" in validate_log, name


# dei_ingest's tasks in a run that finds nothing new: the check succeeds, everything after it is skipped
NOTHING_NEW = {
    "landing_changed": "success",
    "ingest_landing": "skipped",
    "announce_raw": "skipped",
    "report_rejections": "skipped",
}


def ingest_task_states(airflow, run_id: str) -> dict[str, str]:
    """{task_id: state} of one dei_ingest run."""
    query = "select task_id, state from task_instance where dag_id = 'dei_ingest' and run_id = ?"
    return dict(airflow.query(query, run_id))


def test_a_poll_with_nothing_new_emits_no_asset_event(airflow, released):
    # the drop's whole chain is done first: only the polls run from here on
    _wait(
        "dei_validate and dei_compute to be idle",
        airflow,
        lambda: (
            not airflow.query("select 1 from dag_run where dag_id != 'dei_ingest' and state in ('queued', 'running')")
        ),
        timeout=120,
    )
    events_before = {name: len(airflow.asset_events(name)) for name in ("dei_raw", "dei_curated", "dei_release")}
    since = airflow.query("select max(id) from dag_run where dag_id = 'dei_ingest'")[0][0]

    def next_poll_done():
        rows = airflow.query(
            "select run_id from dag_run where dag_id = 'dei_ingest' and run_type = 'scheduled' "
            "and id > ? and state = 'success' order by id limit 1",
            since,
        )
        return rows[0][0] if rows else None

    run_id = _wait("the next scheduled poll of dei_ingest", airflow, next_poll_done, timeout=150)
    assert ingest_task_states(airflow, run_id) == NOTHING_NEW
    assert [e for e in airflow.asset_events("dei_raw") if e[2] == run_id] == []
    after = {name: len(airflow.asset_events(name)) for name in events_before}
    assert after == events_before
    assert "landing unchanged since the last ingest" in airflow.task_logs("dei_ingest", "landing_changed")


def test_a_backfill_of_dei_ingest_does_nothing(airflow, released):
    # the years are in the files, not in the logical date: a backfill's runs skip everything after the check
    events_before = {name: len(airflow.asset_events(name)) for name in ("dei_raw", "dei_curated", "dei_release")}
    create = subprocess.run(
        [
            airflow_local._airflow(),
            "backfill",
            "create",
            "--dag-id",
            "dei_ingest",
            "--from-date",
            "2026-06-01T00:00:00+00:00",
            "--to-date",
            "2026-06-01T00:02:00+00:00",
            "--max-active-runs",
            "1",
        ],
        env=airflow.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert create.returncode == 0, create.stdout + create.stderr

    def backfill_done():
        runs = airflow.query("select run_id, state from dag_run where dag_id = 'dei_ingest' and run_type = 'backfill'")
        return runs if runs and all(state in ("success", "failed") for _, state in runs) else None

    runs = _wait("the backfill runs of dei_ingest", airflow, backfill_done, timeout=180)
    assert len(runs) >= 2 and {state for _, state in runs} == {"success"}, runs
    for run_id, _ in runs:
        states = ingest_task_states(airflow, run_id)
        assert states == NOTHING_NEW, (run_id, states)
        log = "\n".join(
            f.read_text(encoding="utf-8")
            for f in (airflow.home / "logs" / "dag_id=dei_ingest").glob(
                f"run_id={run_id}/task_id=landing_changed/attempt=*.log"
            )
        )
        assert "backfill run: nothing to do" in log, run_id
    assert {name: len(airflow.asset_events(name)) for name in events_before} == events_before


def test_a_manual_trigger_beside_the_schedule_gives_no_second_release(airflow, released):
    # unpausing and triggering together ran the chain twice once: the manual run must find nothing to announce
    trigger = subprocess.run(
        [airflow_local._airflow(), "dags", "trigger", "dei_ingest"],
        env=airflow.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert trigger.returncode == 0, trigger.stdout + trigger.stderr

    def manual_run_done():
        rows = airflow.query(
            "select run_id, state from dag_run where dag_id = 'dei_ingest' and run_type = 'manual' order by id desc"
        )
        return rows[0] if rows and rows[0][1] in ("success", "failed") else None

    run_id, state = _wait("the manual run of dei_ingest", airflow, manual_run_done, timeout=180)
    assert state == "success"
    states = ingest_task_states(airflow, run_id)
    assert states["ingest_landing"] == "success" and states["announce_raw"] == "skipped", states
    assert [e for e in airflow.asset_events("dei_raw") if e[2] == run_id] == []
    # one drop, one release: exactly one dei_release event in this Airflow's whole life
    assert len(airflow.asset_events("dei_release")) == 1
