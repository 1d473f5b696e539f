"""Ingest: department submissions in data_lake/landing become the raw layer (long-form Parquet).

Polls the landing zone every minute: ``landing_changed`` is a stat of landing/ against what the last ingest
saw and short-circuits the run (every later task skipped, no dei_raw event) when nothing changed, and for a
backfill run (the years are in the files, not in the run's date). Good files land even when others of the
same drop are rejected: ``ingest_landing`` promotes what it can, ``announce_raw`` emits dei_raw only when
something new landed (it is skipped otherwise), and ``report_rejections`` fails the run when files were
quarantined, with the problems in its log.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, task

from dei_common import DAG_SETTINGS, RAW, announce_task, report_rejections_task


@dag(
    dag_id="dei_ingest",
    schedule=timedelta(minutes=1),  # a dropped file is picked up within a minute or two
    doc_md=__doc__,
    **DAG_SETTINGS,
)
def dei_ingest():
    @task.short_circuit(retries=0)  # the next poll is a minute away
    def landing_changed(dag_run=None) -> bool:
        from index import pipeline

        return pipeline.landing_changed(run_type=dag_run.run_type)

    @task
    def ingest_landing() -> dict:
        from index import pipeline

        return pipeline.ingest_step()

    summary = ingest_landing()
    landing_changed() >> summary
    announce_task("announce_raw", RAW)(summary)
    report_rejections_task("ingest")(summary)


dei_ingest()
