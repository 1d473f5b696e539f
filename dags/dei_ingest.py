"""Ingest: department submissions in data_lake/landing become the raw layer (long-form Parquet).

Polls the landing zone; a run that finds nothing new is skipped and emits no event.
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
    @task(outlets=[RAW])
    def ingest_landing() -> dict:
        from index import pipeline

        return pipeline.ingest_step(skip_if_nothing_new=True)

    ingest_landing()


dei_ingest()
