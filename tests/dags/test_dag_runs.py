"""The real DAGs, run by Airflow (`airflow dags test`) on a temporary lake, end to end and on a bad batch.

Landing files are the committed samples (SYNTHETIC apart from the PKU index) plus one SYNTHETIC bad file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

AIRFLOW = str(Path(sys.executable).with_name("airflow"))


@pytest.fixture(scope="module")
def airflow_env(tmp_path_factory, repo):
    home = tmp_path_factory.mktemp("airflow-home")
    lake = tmp_path_factory.mktemp("airflow-lake") / "data_lake"
    shutil.copytree(repo / "data_lake" / "landing", lake / "landing")
    env = dict(os.environ)
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home}/airflow.db",
        AIRFLOW__CORE__DAGS_FOLDER=str(repo / "dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        DEI_LAKE=str(lake),
    )
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True)
    return env, lake


def dags_test(env, dag_id, conf: dict | None = None):
    extra = ["--conf", json.dumps(conf)] if conf else []
    proc = subprocess.run([AIRFLOW, "dags", "test", dag_id, *extra], env=env, capture_output=True, text=True)
    return proc.returncode, proc.stdout + proc.stderr


def test_the_dags_publish_a_release(airflow_env):
    env, lake = airflow_env
    for dag_id in ("dei_ingest", "dei_validate", "dei_compute"):
        code, log = dags_test(env, dag_id)
        assert code == 0, f"{dag_id} failed:\n{log[-3000:]}"
    latest = lake / "published" / "latest"
    manifest = json.loads((latest / "release.json").read_text(encoding="utf-8"))
    assert manifest["triggered_by"].startswith("airflow:")
    assert (latest / "index_scores.parquet").is_file()
    # the publish task's Asset event carries the release id, for DAGs scheduled on dei_release
    db = sqlite3.connect(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].removeprefix("sqlite:///"))
    extras = [
        json.loads(extra)
        for (extra,) in db.execute(
            "select asset_event.extra from asset_event join asset on asset.id = asset_event.asset_id "
            "where asset.name = 'dei_release'"
        )
    ]
    assert {"release_id": manifest["id"]} in extras  # an id, not a path: it means the same on every machine
    # analyse_uncertainty ran between compute and publish, with the Param's default replicate count ...
    from index.targets.contract import UNCERTAINTY_TABLES
    from index.uncertainty.release import DEFAULT_REPLICATES

    assert task_states(env, "dei_compute")["analyse_uncertainty"] == "success"
    assert all((latest / f"{t}.parquet").is_file() for t in UNCERTAINTY_TABLES)
    assert manifest["uncertainty"]["replicates"] == DEFAULT_REPLICATES
    # ... and a run given another count publishes another release recording it
    code, log = dags_test(env, "dei_compute", {"replicates": DEFAULT_REPLICATES // 2})
    assert code == 0, log[-3000:]
    again = json.loads((latest / "release.json").read_text(encoding="utf-8"))
    assert again["uncertainty"]["replicates"] == DEFAULT_REPLICATES // 2 and again["id"] != manifest["id"]


def release_events(env) -> list[str]:
    db = sqlite3.connect(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].removeprefix("sqlite:///"))
    rows = db.execute(
        "select asset_event.extra from asset_event join asset on asset.id = asset_event.asset_id "
        "where asset.name = 'dei_release' order by asset_event.id"
    ).fetchall()
    return [json.loads(extra)["release_id"] for (extra,) in rows]


def _published(env, lake) -> None:
    if not (lake / "published" / "latest").is_symlink():  # run on its own
        for dag_id in ("dei_ingest", "dei_validate", "dei_compute"):
            assert dags_test(env, dag_id)[0] == 0


def test_a_publish_that_changes_nothing_emits_no_release_event(airflow_env):
    env, lake = airflow_env
    _published(env, lake)
    assert dags_test(env, "dei_compute")[0] == 0  # whatever the earlier tests left current: now the default
    events = release_events(env)
    code, log = dags_test(env, "dei_compute")  # the same inputs, Params and code: the same release
    assert code == 0, log[-3000:]
    assert task_states(env, "dei_compute")["publish_release"] == "skipped"
    assert release_events(env) == events  # no event: the dashboards have nothing to refresh
    assert "is current already: no dei_release event" in log


def test_history_is_recomputed_by_a_param_run_not_a_backfill(airflow_env):
    import duckdb

    env, lake = airflow_env
    _published(env, lake)
    events = release_events(env)
    code, log = dags_test(env, "dei_compute", {"years": "2020-2021"})
    assert code == 0, log[-3000:]
    latest = lake / "published" / "latest"
    manifest = json.loads((latest / "release.json").read_text(encoding="utf-8"))
    assert manifest["history"] == {"framework": None, "years": [2020, 2021]}
    assert release_events(env) == [*events, manifest["id"]]
    years = duckdb.sql(f"select distinct year from read_parquet('{latest}/index_scores.parquet') order by 1")
    assert [y for (y,) in years.fetchall()] == [2020, 2021]
    # the uncertainty analysis ran on the same two years (it refuses a build that differs from compute's)
    assert task_states(env, "dei_compute")["analyse_uncertainty"] == "success"


def test_a_failed_task_says_what_to_do_and_a_bad_param_is_not_retried(airflow_env):
    env, lake = airflow_env
    code, log = dags_test(env, "dei_compute", {"years": "20x"})
    assert code != 0
    assert task_states(env, "dei_compute")["compute_index"] == "failed"
    assert "dei_compute.compute_index failed" in log and "years '20x': give one year" in log
    assert "What to do: fix the framework, weight scheme, method spec or Param named above" in log
    assert "up_for_retry" not in task_states(env, "dei_compute").values()


def task_states(env, dag_id) -> dict[str, str]:
    """Task states of the DAG's latest run, from Airflow's metadata database."""
    db = sqlite3.connect(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].removeprefix("sqlite:///"))
    (run_id,) = db.execute("select run_id from dag_run where dag_id = ? order by id desc limit 1", (dag_id,)).fetchone()
    states = dict(
        db.execute(
            "select task_id, state from task_instance where dag_id = ? and run_id = ?", (dag_id, run_id)
        ).fetchall()
    )
    (run_state,) = db.execute("select state from dag_run where run_id = ? and dag_id = ?", (run_id, dag_id)).fetchone()
    return {"<run>": run_state, **states}


def raw_events(env) -> int:
    db = sqlite3.connect(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].removeprefix("sqlite:///"))
    return db.execute(
        "select count(*) from asset_event join asset on asset.id = asset_event.asset_id where asset.name = 'dei_raw'"
    ).fetchone()[0]


# SYNTHETIC drop: a good correction, a file validation rejects (250 % > 200 %), a file ingest rejects.
GOOD = (
    "2024_内蒙古通信管理局_更正数据.csv",
    "2024年各盟市通信业更正数据（示例数据（合成））\n盟市,5G用户普及率（%）\n呼和浩特市,77.7\n",
)
VALIDATION_BAD = (
    "2024_内蒙古通信管理局_补充数据.csv",
    "2024年各盟市通信业补充数据\n盟市,5G用户普及率（%）\n包头市,250\n",
)
INGEST_BAD = (
    "2024_自治区商务厅_补充数据.csv",
    "2024年补充数据（示例数据（合成））\n盟市,5G用户普及率（%）\n北京市,50\n",
)


def test_make_run_publishes_the_good_file_of_a_drop_and_only_the_reporting_tasks_fail(
    airflow_env, monkeypatch, tmp_path, capsys
):
    """`make run` (index.local.run) runs the three DAGs with `airflow dags test` past rejected files."""
    import duckdb

    from index.local import run as run_pipeline

    env, lake = airflow_env
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DEI_LANDING_SETTLE_SECONDS", "0")
    latest = lake / "published" / "latest"
    if not latest.is_symlink():  # run on its own: the samples first, so the drop is just these files
        for dag_id in ("dei_ingest", "dei_validate", "dei_compute"):
            assert dags_test(env, dag_id)[0] == 0
    before = os.readlink(latest)
    raw_events_before = raw_events(env)
    for name, text in (GOOD, VALIDATION_BAD, INGEST_BAD):
        (lake / "landing" / name).write_text(text, encoding="utf-8")

    assert run_pipeline.run(tmp_path / "make-run") == 1  # files were rejected: the run stays failed
    out = capsys.readouterr().out

    ingest_states = task_states(env, "dei_ingest")
    assert ingest_states == {
        "<run>": "failed",
        "landing_changed": "success",
        "ingest_landing": "success",
        "announce_raw": "success",
        "report_rejections": "failed",
    }
    assert task_states(env, "dei_validate") == {
        "<run>": "failed",
        "validate_batches": "success",
        "announce_curated": "success",
        "report_rejections": "failed",
    }
    assert task_states(env, "dei_compute")["<run>"] == "success"
    assert re.search(r"airflow dags test dei_ingest +FAILED: files rejected, going on with the accepted ones", out)
    assert re.search(r"airflow dags test dei_validate +FAILED: files rejected, going on with the accepted ones", out)
    # the good file's figure is in the new release, the bad ones are in quarantine, not in landing
    assert os.readlink(latest) != before
    value = duckdb.sql(
        f"""select raw_value from read_parquet('{latest}/indicator_values.parquet')
            where unit_code = 150100 and year = 2024 and indicator_id = 'fiveg_user_penetration'"""
    ).fetchall()
    assert value == [(77.7,)]
    for name, _ in (VALIDATION_BAD, INGEST_BAD):
        assert len(list((lake / "quarantine").glob(f"*/{name}"))) == 1 and not (lake / "landing" / name).exists()
    # the dei_raw event was emitted although a file of the drop was rejected
    assert raw_events(env) == raw_events_before + 1
    # the problems are in the failed tasks' logs and in the summary
    log = (tmp_path / "make-run" / "dei_validate.log").read_text(encoding="utf-8")
    assert VALIDATION_BAD[0] in log and "5G用户普及率（%）" in log
    assert INGEST_BAD[0] in (tmp_path / "make-run" / "dei_ingest.log").read_text(encoding="utf-8")
    summary = out[out.index("Summary of this run:") :]
    assert f"  ingested (2): {GOOD[0]}, {VALIDATION_BAD[0]}\n" in summary
    assert f"  validated and promoted (1): {GOOD[0]}\n" in summary
    assert "QUARANTINED (2)" in summary and "unknown_league" in summary and "row 3, column 5G用户普及率（%）" in summary
    assert f"release {os.readlink(latest).split('/')[-1]} (new)" in summary
