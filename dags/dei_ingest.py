"""Ingest: department submissions in data_lake/landing become the raw layer (long-form Parquet).

Polls the landing zone. Good files land even when others of the same drop are rejected:
``ingest_landing`` promotes what it can, ``announce_raw`` emits dei_raw only when something new landed (it is
skipped otherwise), and ``report_rejections`` fails the run when files were quarantined, with the problems
in its log.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag, task

from index.assets import RAW


@dag(
    dag_id="dei_ingest",
    schedule=timedelta(minutes=30),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["dei"],
    doc_md=__doc__,
)
def dei_ingest():
    @task
    def ingest_landing() -> dict:
        from index import pipeline

        return pipeline.ingest_step()

    @task(outlets=[RAW])
    def announce_raw(summary: dict) -> list:
        from index import pipeline

        return pipeline.announce_raw(summary)

    @task
    def report_rejections(summary: dict) -> dict:
        from index import pipeline

        return pipeline.report_step("ingest", summary)

    summary = ingest_landing()
    announce_raw(summary)
    report_rejections(summary)


dei_ingest()
