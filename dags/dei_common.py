"""What the three DEI DAGs share, and the only place Airflow meets the library (index/ never imports Airflow):

- the Assets that link them (stable ``dei://`` URIs, not paths): dei_ingest --(dei_raw)--> dei_validate --(dei_curated)--> dei_compute
  --(dei_release)--> dashboards;
- ``DEFAULT_ARGS``: retries with exponential backoff for what can be transient, none for what is
  deterministic. A task that reads the lake or writes a release (a file share that hiccups, PostgreSQL
  restarting or holding a lock) retries after about 30 s, 60 s, 120 s; a rejected file (FilesRejected) or a
  broken framework, weight scheme or method spec (ConfigError) gives the same answer on every try and fails at
  once; skips ("nothing new") are not failures;
- ``explain_failure``: the failure callback of every task; its message says what to do;
- ``skipped_when_nothing_new``: the library says "nothing new" with its own NothingNew, the task turns it into
  Airflow's skip (so the task's outlets emit no Asset event);
- ``DAG_SETTINGS``: what every DAG declares alike (start date, no catch-up, one run at a time, the tag);
- ``postgres_from_connection``: the Airflow Connection ``dei_postgres`` as DEI_POSTGRES_DSN for the publish.

Imported at DAG parse time: stdlib, airflow.sdk and light index modules only. Not a DAG file itself.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import datetime, timedelta

from airflow.sdk import Asset, ExceptionRetryPolicy, RetryAction, RetryRule, task

# Stable names, the same on every machine whatever its DEI_LAKE (a path or s3://...): an Asset's URI is its
# identity in the metadata DB, so one built from a local path would differ from worker to worker.
RAW = Asset(name="dei_raw", uri="dei://lake/raw", group="dei")
CURATED = Asset(name="dei_curated", uri="dei://lake/curated", group="dei")
RELEASE = Asset(name="dei_release", uri="dei://lake/published/latest", group="dei")

RETRY_POLICY = ExceptionRetryPolicy(
    rules=[
        # first match wins: a publish that could not finish (another writer, a target refusing) may pass later
        RetryRule(exception="index.errors.PublishError", action=RetryAction.RETRY),
        # the lake's object store not answering: it comes back (a missing bucket stays a ConfigError: no retry)
        RetryRule(exception="index.errors.StoreUnavailable", action=RetryAction.RETRY),
        RetryRule(
            exception=["index.errors.FilesRejected", "index.errors.ConfigError", "index.errors.SubmissionError"],
            action=RetryAction.FAIL,
            reason="deterministic: the same input is rejected on every try",
        ),
    ]
)


def explain_failure(context) -> None:
    """on_failure_callback: one message that says what failed and what to do (index.pipeline.failure_advice)."""
    import logging

    from index import pipeline

    ti = context.get("ti") or context.get("task_instance")
    message = pipeline.failure_advice(
        getattr(ti, "dag_id", "?"),
        getattr(ti, "task_id", "?"),
        context.get("exception"),
        getattr(ti, "try_number", None),
    )
    logging.getLogger("index.pipeline").error("%s", message)


DEFAULT_ARGS = {
    "owner": "dei-data-team",
    "on_failure_callback": explain_failure,
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=10),
    "retry_policy": RETRY_POLICY,
}

# What every DEI DAG declares alike: one run at a time and no catch-up (the years are in the data, not in the
# run's logical date), the shared retries, the tag.
DAG_SETTINGS = {
    "start_date": datetime(2026, 1, 1),
    "catchup": False,
    "max_active_runs": 1,
    "default_args": DEFAULT_ARGS,
    "tags": ["dei"],
}

POSTGRES_CONN_ID = "dei_postgres"


@contextmanager
def skipped_when_nothing_new():
    """The library's NothingNew as Airflow's skip."""
    from index.pipeline import NothingNew

    try:
        yield
    except NothingNew as exc:
        from airflow.sdk.exceptions import AirflowSkipException

        raise AirflowSkipException(str(exc)) from None


def postgres_from_connection() -> None:
    """Publish to the PostgreSQL of the Connection ``dei_postgres`` when it exists and DEI_POSTGRES_DSN is unset."""
    if os.environ.get("DEI_POSTGRES_DSN", "").strip():
        return
    from airflow.sdk import BaseHook

    try:
        conn = BaseHook.get_connection(POSTGRES_CONN_ID)
    except Exception:  # not defined: PostgreSQL stays off
        return
    from psycopg.conninfo import make_conninfo

    parts = dict(host=conn.host, port=conn.port, user=conn.login, password=conn.password, dbname=conn.schema)
    os.environ["DEI_POSTGRES_DSN"] = make_conninfo(**{k: v for k, v in parts.items() if v})


def announce_task(step: str, outlet: Asset):
    """The task ``step`` (pipeline.announce_raw, announce_curated): emits ``outlet`` when something moved on."""

    @task(task_id=step, outlets=[outlet])
    def announce(summary: dict) -> list:
        from index import pipeline

        with skipped_when_nothing_new():
            return getattr(pipeline, step)(summary)

    return announce


def report_rejections_task(stage: str):
    """The task that fails the run when the stage (``ingest``, ``validation``) quarantined something."""

    @task
    def report_rejections(summary: dict) -> dict:
        from index import pipeline

        return pipeline.report_step(stage, summary)

    return report_rejections
