"""Test-wide settings: Airflow and Great Expectations stay inside a temporary home, never the user's."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
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
# The verdict cache (index/verdicts.py) of the tests' processes stays in a temporary folder too.
os.environ["DEI_CACHE"] = str(Path(tempfile.mkdtemp(prefix="dei-cache-")))
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


# ------------------------------------------------------------------ SYNTHETIC releases for CLI-level tests

SYNTHETIC_NODES = (
    ("DEI", "内蒙古数字经济发展指数", "Digital Economy Index"),
    ("digital_infrastructure", "数字基础设施", "Digital infrastructure"),
)
SYNTHETIC_LEAGUES = {150100: "呼和浩特市", 150200: "包头市", 150300: "乌海市"}
# 旗县市区 of those 盟市 (reference/units.csv): code -> (name, parent 盟市)
SYNTHETIC_COUNTIES = {
    150102: ("新城区", 150100),
    150103: ("回民区", 150100),
    150202: ("东河区", 150200),
    150203: ("昆都仑区", 150200),
    150302: ("海勃湾区", 150300),
}
REGION_CODE = 150000


def _rank(code, peers, scores) -> int:
    return sorted(peers, key=lambda c: -scores[c]).index(code) + 1


@pytest.fixture
def make_release():
    """make_release(root, release_id, scores, ...) -> a release directory with SYNTHETIC tables.

    scores: {unit_code of a 盟市: DEI score in the last year}; each other node and year is offset from it, so
    ranks follow the scores. counties: {unit_code of a 旗县市区 of SYNTHETIC_COUNTIES: score}, scored the same
    way, ranked among themselves (rank) and within their 盟市 (rank_in_parent). layout: ``unit`` (the published
    contract: unit_code, unit_name, unit_level, parent_code, rank_in_parent) or ``league`` (a release from
    before the 旗县 level: league_code, league_name, 盟市 only). drop: index_scores columns to leave out (an
    older release's layout). manifest: keys that override the release.json written."""
    import json

    import pandas as pd

    def make(
        root: Path,
        release_id: str = "r1",
        scores: dict | None = None,
        years=(2023, 2024),
        drop: tuple = (),
        manifest: dict | None = None,
        counties: dict | None = None,
        layout: str = "unit",
    ) -> Path:
        assert layout in ("unit", "league"), layout
        assert not (counties and layout == "league"), "a release from before the 旗县 level has no 旗县 rows"
        scores = scores or {150100: 60.0, 150200: 50.0}
        units = {code: (SYNTHETIC_LEAGUES[code], "league", REGION_CODE, s) for code, s in scores.items()}
        units.update(
            {
                code: (SYNTHETIC_COUNTIES[code][0], "county", SYNTHETIC_COUNTIES[code][1], s)
                for code, s in (counties or {}).items()
            }
        )
        root.mkdir(parents=True, exist_ok=True)
        rows = []
        for k, (node, zh, en) in enumerate(SYNTHETIC_NODES):
            for year in years:
                shifted = {code: u[3] - 5.0 * k - 2.0 * (years[-1] - year) for code, u in units.items()}

                for code, (name, level, parent, _) in units.items():
                    same_level = [c for c in units if units[c][1] == level]
                    siblings = [c for c in same_level if units[c][2] == parent]
                    where = (
                        dict(league_code=code, league_name=name)
                        if layout == "league"
                        else dict(
                            unit_code=code,
                            unit_name=name,
                            unit_level=level,
                            parent_code=parent,
                            rank_in_parent=_rank(code, siblings, shifted),
                        )
                    )
                    rows.append(
                        dict(
                            release_id=release_id,
                            rank=_rank(code, same_level, shifted),
                            **where,
                            year=year,
                            node_id=node,
                            node_name_zh=zh,
                            node_name_en=en,
                            score=shifted[code],
                            score_change=None if year == years[0] else 2.0,
                            rank_change=None,
                        )
                    )
        pd.DataFrame(rows).drop(columns=list(drop)).to_parquet(root / "index_scores.parquet")
        pd.DataFrame({"release_id": [release_id], "indicator_id": ["x"], "contribution": [1.0]}).to_parquet(
            root / "indicator_values.parquet"
        )
        pd.DataFrame({"release_id": [release_id], "node_id": ["DEI"]}).to_parquet(root / "framework.parquet")
        info = dict(
            id=release_id,
            created_at="2026-01-01T00:00:00+00:00",
            code_version="test",
            inputs=[
                {"file": "a.csv", "sha256": "a" * 64, "synthetic": True},
                {"file": "b.csv", "sha256": "b" * 64, "synthetic": True},
            ],
            framework={"path": "sql/framework/dei_framework.sql", "sha256": "f" * 64},
            weight_scheme={"path": "sql/weights/expert.sql", "sha256": "w" * 64},
            method={"path": "sql/method/dei.toml", "sha256": "m" * 64},
        )
        info.update(manifest or {})
        (root / "release.json").write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
        return root

    return make


@pytest.fixture
def publish_synthetic(lake, make_release, monkeypatch):
    """publish_synthetic(release_id, scores, ...) -> publishes a SYNTHETIC release into the temporary lake
    (PostgreSQL off) and returns its directory."""
    from index import publish

    monkeypatch.delenv("DEI_POSTGRES_DSN", raising=False)

    def make(release_id: str, scores: dict | None = None, **kwargs) -> Path:
        staged = make_release(lake.published / ".staging" / f"{release_id}-test", release_id, scores, **kwargs)
        return Path(publish.publish(staged, triggered_by="test", cfg=lake)["path"])

    return make


@pytest.fixture
def make_scenario(lake, make_release):
    """make_scenario(name, release_id, scores, ...) -> a SYNTHETIC scenario under the lake's scenarios/."""

    def make(name: str, release_id: str, scores: dict | None = None, **kwargs) -> Path:
        return make_release(lake.lake / "scenarios" / name, release_id, scores, **kwargs)

    return make


# ----------------------------------------------------------- a curated lake and a private SQL tree (compute)


@pytest.fixture
def curated_lake(lake, repo):
    """The committed sample submissions (SYNTHETIC) for 2023, parsed straight into curated/ (no validation)."""
    from index import ingest
    from index.framework import load_framework

    framework = load_framework(lake.framework_file)
    for path in sorted((repo / "data_lake" / "landing").glob("2023_*")):
        ingest.ingest_file(path, framework, lake.curated)
    return lake


@pytest.fixture
def sql_copy(tmp_path, repo, monkeypatch):
    """A copy of the SQL tree made current through DEI_SQL; returns its root."""
    import shutil

    root = tmp_path / "sql"
    shutil.copytree(repo / "sql", root)
    monkeypatch.setenv("DEI_SQL", str(root))
    return root


# ------------------------------------------------------------------ a local S3 server (tests/storage, tests/local)
# moto stands in for the data centre's object store. moto[server] runs from its own venv (.venv-s3server, built
# by `make s3server-env` from requirements-s3server.lock: botocore cannot share the main environment). One
# server per session on a free port, one bucket per session, one prefix (lake) per test. These tests run in CI
# and are never skipped: without the venv they fail saying how to build it.

S3SERVER = Path(os.environ.get("DEI_S3SERVER_BIN", REPO / ".venv-s3server" / "bin" / "moto_server"))


def _free_s3_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer: the server is up
    except OSError:
        return False


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """The endpoint URL of a moto S3 server of this session (stopped at the end)."""
    assert S3SERVER.is_file(), f"{S3SERVER} is missing: run `make s3server-env` (the tests' S3 stand-in)"
    port = _free_s3_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(S3SERVER), "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=out)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not _answers(endpoint):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"moto_server did not start: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.1)
    yield endpoint
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def make_bucket(endpoint: str, name: str) -> None:
    # moto accepts unsigned requests: a plain PUT creates the bucket
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/{name}", method="PUT"), timeout=10).close()


@pytest.fixture(scope="session")
def s3_bucket(s3_server):
    name = f"dei-test-{uuid.uuid4().hex[:8]}"
    make_bucket(s3_server, name)
    return name


@pytest.fixture
def s3_env(s3_server, monkeypatch):
    """The standard AWS variables pointing at the local server (moto takes any credentials)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.delenv("DEI_POSTGRES_DSN", raising=False)
    return s3_server


@pytest.fixture
def s3_lake(s3_env, s3_bucket, tmp_path, monkeypatch):
    """An empty lake on the local S3 server (its own prefix), its cache in a temporary directory; the
    Settings of it."""
    url = f"s3://{s3_bucket}/lakes/{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("DEI_LAKE", url)
    monkeypatch.setenv("DEI_LAKE_CACHE", str(tmp_path / "lake-cache"))
    from index.config import settings

    cfg = settings()
    assert cfg.lake_url == url
    return cfg
