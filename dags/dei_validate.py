"""Validate: the Great Expectations suite in expectations/ checks every new raw batch.

Clean batches are promoted to the curated layer. A failing batch goes to quarantine with a report that
names file, row, column and rule, and the task fails, so nothing downstream runs on it.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import dag, task

from index.assets import CURATED, RAW


@dag(
    dag_id="dei_validate",
    schedule=[RAW],
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["dei"],
    doc_md=__doc__,
)
def dei_validate():
    @task(outlets=[CURATED])
    def validate_batches() -> dict:
        from index import pipeline

        return pipeline.validate_step()

    validate_batches()


dei_validate()
