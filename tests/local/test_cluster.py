"""The production-like cluster of `make cluster-up` (index.local.cluster), for real: PostgreSQL metadata,
Redis broker, api-server, scheduler, dag-processor and two Celery workers as daemons. The committed sample
submissions (SYNTHETIC apart from the PKU index) uploaded into a lake on the local S3 server (moto, standing
in for the data centre's object store) become a release with no one triggering anything; both workers run
tasks, each with its own lake cache as on its own machine; the release is the one `dei run` computes from the
same files on a directory lake.

Everything is its own: a metadata database dropped at the end, Redis db 11 flushed at the end, free ports,
a temporary AIRFLOW_HOME and lake. Needs the PostgreSQL and Redis of CI (127.0.0.1:5432, :6379).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import redis

from index.local import cluster

PG = "postgres@127.0.0.1:5432"
REDIS_DB = 11
RELEASE_WITHIN = 420  # seconds: one poll (<= 60 s) plus ingest, validate, compute on 2 cores, with margin
WORKLOAD = re.compile(r"\[([0-9a-f-]{36})\] Executing workload in Celery")


def _free_port(pairs: bool = False) -> int:
    """A free port (with ``pairs``, one whose next port is free too: the two workers' log servers)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if not pairs:
            return port
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise RuntimeError("no free pair of ports")


def _sample_lake(root: Path, repo: Path) -> Path:
    shutil.copytree(repo / "data_lake" / "landing", root / "landing")
    return root


def _lake_env(endpoint: str, url: str) -> dict:
    """The lake on the local S3 server (moto, standing in for the data centre's object store)."""
    return dict(
        DEI_LAKE=url,
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="us-east-1",
    )


def _upload_samples(env: dict, repo: Path) -> None:
    """The committed samples uploaded into the bucket's landing/, as a department would upload them."""
    from index import storage
    from index.config import settings

    with _environ(env):
        store = storage.lake_store(settings())
        for path in sorted((repo / "data_lake" / "landing").iterdir()):
            if path.is_file():
                store.put(f"landing/{path.name}", path.read_bytes())


class _environ:
    """os.environ updated for a block (module-scoped fixtures cannot use monkeypatch)."""

    def __init__(self, values: dict):
        self.values, self.saved = values, {}

    def __enter__(self):
        self.saved = {k: os.environ.get(k) for k in self.values}
        os.environ.update(self.values)

    def __exit__(self, *exc):
        for key, value in self.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class Cluster:
    def __init__(self, env: dict, db_url: str):
        self.env, self.db_url = env, db_url
        self.folder = cluster.cluster_dir(env)
        self.lake_url = env["DEI_LAKE"]

    def query(self, sql: str, *args) -> list[tuple]:
        with psycopg.connect(cluster._conninfo(self.db_url, cluster.database_name(self.db_url))) as conn:
            return conn.execute(sql, args).fetchall()

    def log(self, name: str, tail: int = 4000) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(encoding="utf-8", errors="replace")[-tail:] if path.exists() else "(no log)"

    def check_alive(self) -> None:
        for component in cluster.components(self.env):
            if cluster.running_pid(self.folder / f"{component.name}.pid") is None:
                pytest.fail(f"{component.name} is not running:\n{self.log(component.name)}")

    def pids(self) -> list[int]:
        """Every running component and every process below it."""
        found = []
        for pid_file in self.folder.glob("*.pid"):
            pid = cluster.running_pid(pid_file)
            if pid is not None:
                found += [pid, *cluster.descendants(pid)]
        return found


@pytest.fixture(scope="module")
def running(tmp_path_factory, repo, s3_server, s3_bucket):
    """The cluster up on its own database, Redis db, ports, home and lake (a prefix of the local S3 server;
    each worker its own cache); stopped and cleaned whatever happens."""
    home = tmp_path_factory.mktemp("cluster-home")
    lake = _lake_env(s3_server, f"s3://{s3_bucket}/cluster-{uuid.uuid4().hex[:8]}")
    _upload_samples(dict(lake, DEI_LAKE_CACHE=str(tmp_path_factory.mktemp("uploader-cache"))), repo)
    name = f"dei_airflow_test_{uuid.uuid4().hex[:10]}"
    db_url = f"postgresql+psycopg://{PG}/{name}"
    base = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__") and k != "DEI_POSTGRES_DSN"}
    base.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW_PORT=str(_free_port()),
        AIRFLOW__CORE__DAGS_FOLDER=str(repo / "dags"),
        DEI_AIRFLOW_DB=db_url,
        DEI_CELERY_BROKER=f"redis://127.0.0.1:6379/{REDIS_DB}",
        DEI_WORKER_LOG_PORT=str(_free_port(pairs=True)),
        **lake,
        PYTHONDONTWRITEBYTECODE="1",  # tasks import index/ and dags/: no __pycache__ in the working tree
    )
    env = cluster.environment(base)
    seen: list[int] = []
    try:
        assert cluster.up(env) == 0
        handle = Cluster(env, db_url)
        seen = handle.pids()
        yield handle
    finally:
        seen += Cluster(env, db_url).pids()
        cluster.down(env)
        left = [pid for pid in set(seen) if cluster._alive(pid)]
        try:
            with psycopg.connect(cluster._conninfo(db_url, "postgres"), autocommit=True) as conn:
                conn.execute(f'drop database if exists "{name}" with (force)')
        finally:
            redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).flushdb()
        assert not left, f"processes still alive after cluster down: {left}"


def _wait(what: str, handle: Cluster, condition, timeout: float, every: float = 3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        handle.check_alive()
        result = condition()
        if result:
            return result
        time.sleep(every)
    failed = handle.query("select dag_id, task_id, state from task_instance where state not in ('success', 'skipped')")
    pytest.fail(
        f"timed out after {timeout:.0f} s waiting for {what}; unfinished tasks {failed}\n{handle.log('scheduler')}"
    )


@pytest.fixture(scope="module")
def released(running) -> dict:
    """The extra of the first dei_release Asset event. The DAGs start unpaused and poll; someone also triggers
    dei_ingest by hand at once (what ran the chain twice before): still one release."""
    started = time.monotonic()
    _wait("the DAGs to be parsed", running, lambda: running.query("select 1 from dag where dag_id = 'dei_ingest'"), 120)
    trigger = subprocess.run(
        [str(Path(sys.executable).with_name("airflow")), "dags", "trigger", "dei_ingest"],
        env=running.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert trigger.returncode == 0, trigger.stdout + trigger.stderr

    def release_event():
        rows = running.query(
            "select e.extra from asset_event e join asset a on a.id = e.asset_id "
            "where a.name = 'dei_release' order by e.id limit 1"
        )
        return rows[0][0] if rows else None

    extra = _wait("the dei_release Asset event", running, release_event, timeout=RELEASE_WITHIN)
    extra = json.loads(extra) if isinstance(extra, str) else extra
    print(f"\ndei_release {time.monotonic() - started:.0f} s after the cluster was up")
    return extra


def test_the_cluster_runs_its_components_with_one_shared_configuration(running):
    names = [c.name for c in cluster.components(running.env)]
    assert names == ["api-server", "scheduler", "dag-processor", "worker-1", "worker-2"]
    assert cluster.status(running.env) == 0
    secrets = Path(running.env["AIRFLOW_HOME"]) / "dei-secrets.env"
    assert secrets.stat().st_mode & 0o777 == 0o600
    passwords = json.loads(Path(running.env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]).read_text())
    assert set(passwords) == {"admin", "dataops", "economist"}
    ports = {c.env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] for c in cluster.components(running.env)[3:]}
    assert len(ports) == 2


def test_a_drop_becomes_a_release_run_by_both_workers(running, released, tmp_path, monkeypatch):
    from index import pipeline, publish
    from index.config import settings

    # read the way a dashboard on another machine reads it: through the pointer object, into a cache of its own
    for key in ("DEI_LAKE", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"):
        monkeypatch.setenv(key, running.env[key])
    monkeypatch.setenv("DEI_LAKE_CACHE", str(tmp_path / "reader-cache"))
    current = publish.current_release_dir(settings())
    manifest = json.loads((current / "release.json").read_text(encoding="utf-8"))
    assert released["release_id"] == manifest["id"]
    assert manifest["triggered_by"].startswith("airflow:asset_triggered__")
    assert running.query("select count(*) from dag_run where state = 'failed'") == [(0,)]

    # The scheduler pre-assigns each task instance's Celery task id (external_executor_id); each worker logs
    # the ids it executed. Both must have run some of the task instances.
    ran = {
        cid: (dag, task)
        for dag, task, cid in running.query(
            "select dag_id, task_id, external_executor_id from task_instance where external_executor_id is not null"
        )
    }
    for worker in ("worker-1", "worker-2"):
        executed = set(WORKLOAD.findall(running.log(worker, tail=10**7)))
        assert executed & set(ran), f"{worker} ran none of the task instances {sorted(ran.values())}"

    # each worker kept its own cache: what one staged locally the other could only read from the bucket
    caches = sorted((Path(running.env["AIRFLOW_HOME"]) / "lake-cache").iterdir())
    assert [c.name for c in caches] == ["worker-1", "worker-2"]

    # the same inputs through `dei run`'s chain, without Airflow, in a second lake
    second = _sample_lake(tmp_path / "data_lake", Path(__file__).resolve().parents[2])
    monkeypatch.setenv("DEI_LAKE", str(second))
    monkeypatch.delenv("DEI_LAKE_CACHE")
    monkeypatch.delenv("DEI_POSTGRES_DSN", raising=False)
    assert pipeline.run_all(cfg=settings())["id"] == released["release_id"]


def test_a_poll_and_a_manual_trigger_together_give_exactly_one_release(running, released):
    def manual_ingest_done():
        rows = running.query("select state from dag_run where dag_id = 'dei_ingest' and run_type = 'manual'")
        return rows if rows and all(state in ("success", "failed") for (state,) in rows) else None

    assert _wait("the manual run of dei_ingest", running, manual_ingest_done, timeout=240) == [("success",)]
    busy = "select 1 from dag_run where dag_id <> 'dei_ingest' and state in ('queued', 'running')"
    _wait("dei_validate and dei_compute to be idle", running, lambda: not running.query(busy), timeout=240)
    events = dict(
        running.query("select a.name, count(*) from asset_event e join asset a on a.id = e.asset_id group by a.name")
    )
    assert events == {"dei_raw": 1, "dei_curated": 1, "dei_release": 1}, events
    assert running.query("select count(*) from dag_run where dag_id = 'dei_compute'") == [(1,)]


# ------------------------------------------------------------------ settings and refusals, no processes


def test_every_component_shares_one_environment_and_only_the_workers_ports_and_caches_differ(tmp_path):
    base = {
        "AIRFLOW_HOME": str(tmp_path / "home"),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",  # what the Makefile exports for make run: not the cluster's
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "sqlite:///x.db",
        "DEI_LAKE": "s3://bucket/lake",
    }
    env = cluster.environment(base)
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == cluster.DEFAULT_DB
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"].startswith("postgresql+psycopg_async://")
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"] == "db+" + cluster.DEFAULT_DB
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] == "False"
    assert env["DEI_LAKE"] == "s3://bucket/lake"
    comps = cluster.components(env)
    differing = {k for c in comps for k in set(c.env) ^ set(env) | {k for k in env if c.env.get(k) != env[k]}}
    # an object-store lake: each worker also has its own local cache, as on a machine of its own
    assert differing == {"AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT", "DEI_LAKE_CACHE"}
    assert len({c.env["DEI_LAKE_CACHE"] for c in comps[3:]}) == 2
    assert (tmp_path / "home" / "dei-secrets.env").stat().st_mode & 0o777 == 0o600


def test_an_unreachable_broker_is_one_line_and_exit_1(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DEI_CELERY_BROKER", f"redis://127.0.0.1:{_free_port()}/0")
    assert cluster.main(["up"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cluster-up: no Celery broker at 127.0.0.1:") and "Traceback" not in err
    assert not list((tmp_path / "home" / "cluster").glob("*.pid"))
