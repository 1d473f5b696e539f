"""Test-wide settings: Airflow and Great Expectations stay inside a temporary home, never the user's."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

_airflow_home = Path(tempfile.mkdtemp(prefix="dei-airflow-"))
os.environ["AIRFLOW_HOME"] = str(_airflow_home)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__EXECUTOR"] = "LocalExecutor"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_airflow_home}/airflow.db"
os.environ["GX_ANALYTICS_ENABLED"] = "False"
# A test must never write into the repo's own lake by accident.
os.environ["DEI_LAKE"] = str(Path(tempfile.mkdtemp(prefix="dei-lake-default-")))


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture
def lake(tmp_path, monkeypatch):
    """An empty data lake in a temporary directory, made current through DEI_LAKE."""
    root = tmp_path / "data_lake"
    for sub in ("landing", "raw", "curated", "quarantine", "published"):
        (root / sub).mkdir(parents=True)
    monkeypatch.setenv("DEI_LAKE", str(root))
    from index.config import settings

    return settings()
