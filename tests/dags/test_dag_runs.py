"""The real DAGs, run by Airflow (`airflow dags test`) on a temporary lake, end to end and on a bad batch.

Landing files are the committed samples (SYNTHETIC apart from the PKU index) plus one SYNTHETIC bad file.
"""

from __future__ import annotations

import json
import os
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


def dags_test(env, dag_id):
    proc = subprocess.run([AIRFLOW, "dags", "test", dag_id], env=env, capture_output=True, text=True)
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
    extras = [json.loads(extra) for (extra,) in db.execute(
        "select asset_event.extra from asset_event join asset on asset.id = asset_event.asset_id "
        "where asset.name = 'dei_release'")]
    assert {"release_id": manifest["id"], "path": str(lake / "published" / "releases" / manifest["id"])} in extras


def test_a_failing_batch_fails_dei_validate_and_latest_stays(airflow_env):
    env, lake = airflow_env
    latest = lake / "published" / "latest"
    before = os.readlink(latest)
    bad = lake / "landing" / "2024_内蒙古通信管理局_补充数据.csv"
    # SYNTHETIC: a 5G penetration of 250 % breaks the plausible-range rule (0–200 %).
    bad.write_text("2024年各盟市通信业补充数据\n盟市,5G用户普及率（%）\n包头市,250\n", encoding="utf-8")
    code, log = dags_test(env, "dei_ingest")
    assert code == 0, log[-3000:]
    code, log = dags_test(env, "dei_validate")
    assert code != 0
    assert bad.name in log and "5G用户普及率（%）" in log
    assert os.readlink(latest) == before
    assert any((lake / "quarantine").glob(f"*/{bad.name}"))
