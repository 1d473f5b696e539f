"""default_args of the DEI DAGs, in one place: retries with exponential backoff for what can be transient,
none for what is deterministic.

A task that reads the lake or writes a release (a file share that hiccups, PostgreSQL restarting or holding a
lock) retries after about 30 s, 60 s, 120 s. A deterministic outcome fails at once: a rejected file
(FilesRejected), a broken framework, weight scheme or method spec (ConfigError) give the same answer on every
try, and a retry would only delay the red run. Skips ("nothing new") are not failures and never retry.

Imported at DAG parse time: stdlib, airflow.sdk and index.errors only (like index.assets).
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import ExceptionRetryPolicy, RetryAction, RetryRule

RETRY_POLICY = ExceptionRetryPolicy(rules=[
    # first match wins: a publish that could not finish (another writer, a target refusing) may pass later
    RetryRule(exception="index.errors.PublishError", action=RetryAction.RETRY),
    RetryRule(exception=["index.errors.FilesRejected", "index.errors.ConfigError", "index.errors.SubmissionError"],
              action=RetryAction.FAIL, reason="deterministic: the same input is rejected on every try"),
])

DEFAULT_ARGS = {
    "owner": "dei-data-team",
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=10),
    "retry_policy": RETRY_POLICY,
}
