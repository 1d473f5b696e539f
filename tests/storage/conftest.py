"""A local S3 server for the object-lake tests: moto stands in for the data centre's object store.

moto[server] runs from its own venv (.venv-s3server, built by `make s3server-env` from
requirements-s3server.lock: botocore cannot share the main environment). One server per session on a free
port, one bucket per session, one prefix (lake) per test. These tests run in CI and are never skipped: without
the venv they fail saying how to build it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SERVER = Path(os.environ.get("DEI_S3SERVER_BIN", REPO / ".venv-s3server" / "bin" / "moto_server"))


def _free_port() -> int:
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
    assert SERVER.is_file(), f"{SERVER} is missing: run `make s3server-env` (the tests' S3 stand-in)"
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(SERVER), "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=out)
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
