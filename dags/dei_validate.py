"""Validate: the Great Expectations suite in expectations/ checks every new raw batch.

Clean batches are promoted to the curated layer even when others fail: ``announce_curated`` emits
dei_curated when something was promoted (skipped otherwise). A failing batch goes to quarantine with a
report that names file, row, column and rule, and ``report_rejections`` fails the run with those problems.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from dei_common import CURATED, DAG_SETTINGS, RAW, announce_task, report_rejections_task


@dag(dag_id="dei_validate", schedule=[RAW], doc_md=__doc__, **DAG_SETTINGS)
def dei_validate():
    @task
    def validate_batches() -> dict:
        from index import pipeline

        return pipeline.validate_step()

    summary = validate_batches()
    announce_task("announce_curated", CURATED)(summary)
    report_rejections_task("validation")(summary)


dei_validate()
