"""Compute and publish: the DuckDB engine scores the 12 盟市 from the curated lake, the uncertainty analysis
of the same build adds rank intervals, Sobol indices and exclusion effects (``replicates`` Monte Carlo draws),
then the release is published and data_lake/published/latest switched to it in one atomic step.

The tasks hand on the staged release's name (``<release id>-<8 hex>``), never a path, so each may run on
another worker that sees the same lake. The release Asset event carries the release id, so a dashboard
refresh can be scheduled on it; a publish that changes nothing (the same inputs again) emits none.
History is recomputed by a run with the ``years`` or ``framework`` Params (index/history.py), not by Airflow
backfill: the years are a dimension of the data, not the runs' data intervals.
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
        # recomputing history (index/history.py): the years are in the data, not Airflow's intervals
        "years": Param(
            "",
            type="string",
            description="recompute history: only these reporting years (2020 or 2018-2022); blank: every year",
        ),
        "framework": Param(
            "",
            type="string",
            description="recompute history with a past framework SQL file; blank: sql/framework/dei_framework.sql",
        ),
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
            weights=params["weights"],
            method=params["method"],
            replicates=params["replicates"],
            years=params["years"],
            framework=params["framework"],
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
        if not pipeline.release_changed(release):
            from airflow.sdk.exceptions import AirflowSkipException

            # the same release again (the same inputs): nothing changed for the dashboards, no event
            raise AirflowSkipException(f"release {release['id']} is current already: no dei_release event")
        yield Metadata(RELEASE, extra={"release_id": release["id"]})

    publish_release(analyse_uncertainty(compute_index()))


dei_compute()
