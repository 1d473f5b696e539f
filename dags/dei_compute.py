"""Compute and publish: the DuckDB engine scores the 12 盟市 from the curated lake, the uncertainty analysis
of the same build adds rank intervals, Sobol indices and exclusion effects (``replicates`` Monte Carlo draws),
then the release is published and data_lake/published/latest switched to it in one atomic step.

The release Asset event carries the release id, so a dashboard refresh can be scheduled on it.
"""

from __future__ import annotations

from airflow.sdk import Metadata, Param, dag, task

from index.uncertainty.release import DEFAULT_REPLICATES  # light: config, errors and the table contract

from dei_common import CURATED, DAG_SETTINGS, RELEASE, postgres_from_connection


@dag(
    dag_id="dei_compute",
    schedule=[CURATED],
    doc_md=__doc__,
    **DAG_SETTINGS,
    params={
        "weights": Param(
            "sql/weights/expert.sql",
            type="string",
            description="weight scheme: a SQL file, or a named scheme (equal, entropy, critic, pca, balance)",
        ),
        "method": Param("sql/method/dei.toml", type="string", description="method spec (TOML)"),
        # the default keeps `make run` quick; raise it when a release deserves narrower intervals
        "replicates": Param(
            DEFAULT_REPLICATES,
            type="integer",
            minimum=1,
            description="Monte Carlo replicates of the uncertainty analysis (sql/method/dei_uncertainty.toml)",
        ),
    },
)
def dei_compute():
    @task
    def compute_index(params=None) -> str:
        from index import pipeline

        return pipeline.compute_step(
            weights=params["weights"], method=params["method"], replicates=params["replicates"]
        )

    @task
    def analyse_uncertainty(staged: str) -> str:
        from index import pipeline

        return pipeline.analyse_step(staged)

    @task(outlets=[RELEASE])
    def publish_release(staged: str, run_id=None):
        from index import pipeline

        postgres_from_connection()
        release = pipeline.publish_step(staged, triggered_by=f"airflow:{run_id}")
        yield Metadata(RELEASE, extra={"release_id": release["id"], "path": release["path"]})

    publish_release(analyse_uncertainty(compute_index()))


dei_compute()
