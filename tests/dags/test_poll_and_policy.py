"""The landing poll's cheap check, the retry policy of the DAGs and the settings `make airflow` gives every
component, each on real objects (a temporary lake, the parsed DAGs, a temporary AIRFLOW_HOME)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess

import pytest
from airflow.dag_processing.dagbag import BundleDagBag
from airflow.sdk import RetryAction

from index import pipeline
from index.errors import ConfigError, FilesRejected, PublishError, StoreUnavailable
from index.local import airflow as airflow_local

SAMPLE = "2019_自治区商务厅_电子商务发展情况.csv"  # SYNTHETIC sample submission


def _one_poll(cfg) -> bool:
    """What a scheduled dei_ingest run does: the check, then ingest and announce when it says so."""
    if not pipeline.landing_changed(run_type="scheduled", cfg=cfg):
        return False
    summary = pipeline.ingest_step(cfg=cfg)
    try:
        pipeline.announce_raw(summary, cfg=cfg)
    except pipeline.NothingNew:
        pass
    return True


def test_the_poll_runs_only_when_landing_changed(lake, repo, monkeypatch):
    monkeypatch.setenv("DEI_LANDING_SETTLE_SECONDS", "0")
    shutil.copy2(repo / "data_lake" / "landing" / SAMPLE, lake.landing / SAMPLE)
    assert _one_poll(lake) is True  # never ingested
    assert _one_poll(lake) is False  # nothing changed since
    (lake.landing / "2019_自治区商务厅_更正.csv").write_bytes((lake.landing / SAMPLE).read_bytes() + b"\n")
    assert _one_poll(lake) is True  # a new file
    assert _one_poll(lake) is False
    (lake.landing / ".upload.csv.part").write_text("half", encoding="utf-8")
    assert _one_poll(lake) is True and _one_poll(lake) is True  # a waiting file is tried on every poll
    (lake.landing / ".upload.csv.part").unlink()
    assert _one_poll(lake) is False  # back to what the last finished ingest saw


def test_an_ingest_not_announced_is_polled_again(lake, repo, monkeypatch):
    # `dei ingest`, or a run that died before announce_raw: the next poll must go on (and emit dei_raw)
    monkeypatch.setenv("DEI_LANDING_SETTLE_SECONDS", "0")
    shutil.copy2(repo / "data_lake" / "landing" / SAMPLE, lake.landing / SAMPLE)
    assert pipeline.ingest_step(cfg=lake)["new"] == [SAMPLE]
    assert pipeline.landing_changed(run_type="scheduled", cfg=lake) is True
    summary = pipeline.ingest_step(cfg=lake)
    waiting = pipeline.pending_raw_batches(lake)
    assert summary["new"] == [] and waiting  # nothing new, but a batch never announced waits
    assert pipeline.announce_raw(summary, cfg=lake) == waiting  # succeeds: dei_raw for it, once


def test_a_poll_that_finds_nothing_new_emits_nothing_while_announced_batches_wait(lake, repo, monkeypatch):
    # unpausing and triggering together: the second run must not announce the first run's batches again
    monkeypatch.setenv("DEI_LANDING_SETTLE_SECONDS", "0")
    shutil.copy2(repo / "data_lake" / "landing" / SAMPLE, lake.landing / SAMPLE)
    first = pipeline.ingest_step(cfg=lake)
    assert pipeline.announce_raw(first, cfg=lake) == [SAMPLE]  # dei_raw once
    assert pipeline.pending_raw_batches(lake)  # validation has not run yet
    assert pipeline.landing_changed(run_type="manual", cfg=lake) is True  # a manual run always ingests ...
    again = pipeline.ingest_step(cfg=lake)
    assert again["new"] == []
    with pytest.raises(pipeline.NothingNew):  # ... but announces nothing: those batches were announced
        pipeline.announce_raw(again, cfg=lake)


def test_backfill_runs_do_nothing_and_manual_runs_always_ingest(lake):
    assert pipeline.landing_changed(run_type="backfill", cfg=lake) is False
    assert pipeline.landing_changed(run_type="manual", cfg=lake) is True
    _one_poll(lake)
    assert pipeline.landing_changed(run_type="scheduled", cfg=lake) is False
    assert pipeline.landing_changed(run_type="manual", cfg=lake) is True


@pytest.fixture(scope="module")
def tasks(repo):
    bag = BundleDagBag(dag_folder=str(repo / "dags"), bundle_path=repo / "dags")  # as the dag-processor parses it
    assert bag.import_errors == {}
    return {f"{d}.{t.task_id}": t for d in ("dei_ingest", "dei_validate", "dei_compute") for t in bag.dags[d].tasks}


def test_transient_failures_retry_with_backoff_and_rejections_do_not(tasks):
    for name in (
        "dei_ingest.ingest_landing",
        "dei_validate.validate_batches",
        "dei_compute.compute_index",
        "dei_compute.analyse_uncertainty",
        "dei_compute.publish_release",
        "dei_ingest.report_rejections",
    ):
        task = tasks[name]
        assert task.retries == 3 and task.retry_exponential_backoff == 2.0, name
        assert task.max_retry_delay.total_seconds() == 600, name
    assert tasks["dei_ingest.landing_changed"].retries == 0  # the next poll is a minute away

    def decision(task, exc):
        return task.retry_policy.evaluate(exc, try_number=1, max_tries=task.retries).action

    report = tasks["dei_validate.report_rejections"]
    assert decision(report, FilesRejected("1 file rejected")) is RetryAction.FAIL
    compute, publish = tasks["dei_compute.compute_index"], tasks["dei_compute.publish_release"]
    assert decision(compute, ConfigError("weights do not sum to 1")) is RetryAction.FAIL
    assert decision(publish, PublishError("another writer holds the lock")) is RetryAction.RETRY
    assert decision(publish, OSError("connection reset")) is RetryAction.DEFAULT  # retries, with backoff
    # the object store not answering may pass; its bucket missing does not
    ingest = tasks["dei_ingest.ingest_landing"]
    assert decision(ingest, StoreUnavailable("object lake s3://b/p: cannot list: refused")) is RetryAction.RETRY
    assert decision(ingest, ConfigError("object lake s3://b/p: bucket 'b' does not exist")) is RetryAction.FAIL


def test_a_task_that_failed_for_good_is_explained_with_what_to_do():
    advice = pipeline.failure_advice("dei_ingest", "report_rejections", FilesRejected("2 file(s) rejected"), 1)
    assert advice.startswith("dei_ingest.report_rejections failed (try 1): 2 file(s) rejected. What to do:")
    assert "problems.txt" in advice and "no retry" in advice
    advice = pipeline.failure_advice("dei_compute", "publish_release", PublishError("lock held by pid 7"), 4)
    assert "latest still names a complete one" in advice and "clear this task" in advice
    assert "unexpected: read this task's log" in pipeline.failure_advice("dei_compute", "x", RuntimeError("boom"))


def test_every_component_gets_the_same_settings_and_secrets(tmp_path, repo):
    base = {"PATH": os.environ["PATH"]}
    first = airflow_local.environment(home=tmp_path / "home", port=8282, base=base)
    again = airflow_local.environment(home=tmp_path / "home", port=8282, base=base)
    assert first == again  # generated once, then read back by every start
    secrets = tmp_path / "home" / airflow_local.SECRETS_FILE
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    for key in ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY", "AIRFLOW__CORE__FERNET_KEY"):
        assert len(first[key]) >= 40 and first[key] in secrets.read_text(encoding="utf-8")
    assert first["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:8282/execution/"
    assert first["AIRFLOW__CORE__PARALLELISM"] == str(os.cpu_count())
    assert first["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor" and first["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert (
        airflow_local.environment(home=tmp_path / "other", port=8282, base=base)["AIRFLOW__API_AUTH__JWT_SECRET"]
        != first["AIRFLOW__API_AUTH__JWT_SECRET"]
    )
    # the repo's own home is ignored by git, so the secrets of `make airflow` are never committed
    ignored = subprocess.run(["git", "check-ignore", "-q", f".airflow/{airflow_local.SECRETS_FILE}"], cwd=repo)
    assert ignored.returncode == 0
