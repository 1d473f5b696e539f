"""`make s3-up` / `make s3-down` (index.local.s3server): moto's S3 server as a daemon, standing in for the data
centre's object store, with the bucket the `env` command's DEI_LAKE names; a lake written through it."""

from __future__ import annotations

import socket

from index.local import cluster, s3server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_s3_up_serves_the_bucket_of_its_env_and_s3_down_stops_it(tmp_path, monkeypatch, capsys):
    env = {"DEI_S3_HOME": str(tmp_path / "s3"), "DEI_S3_PORT": str(_free_port())}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    try:
        assert s3server.main(["up"]) == 0
        pid = cluster.running_pid(tmp_path / "s3" / "moto.pid")
        assert pid is not None
        assert s3server.main(["up"]) == 0  # again: the same server, nothing new started
        assert cluster.running_pid(tmp_path / "s3" / "moto.pid") == pid
        exports = dict(
            line.removeprefix("export ").replace("'", "").split("=", 1) for line in s3server_env(capsys).splitlines()
        )
        assert exports["DEI_LAKE"] == "s3://dei/lake" and exports["AWS_ENDPOINT_URL"].endswith(env["DEI_S3_PORT"])
        for key, value in exports.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("DEI_LAKE_CACHE", str(tmp_path / "cache"))
        from index import storage
        from index.config import settings

        store = storage.lake_store(settings())
        store.put("landing/README.txt", b"SYNTHETIC test object")
        assert storage.lake_store(settings()).get("landing/README.txt") == b"SYNTHETIC test object"
    finally:
        assert s3server.main(["down"]) == 0
    assert not cluster._alive(pid)
    assert "moto S3 server stopped" in capsys.readouterr().out


def s3server_env(capsys) -> str:
    capsys.readouterr()
    assert s3server.main(["env"]) == 0
    return capsys.readouterr().out


def test_s3_up_without_the_server_venv_says_how_to_build_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DEI_S3_HOME", str(tmp_path / "s3"))
    monkeypatch.setenv("DEI_S3SERVER_BIN", str(tmp_path / "missing" / "moto_server"))
    assert s3server.main(["up"]) == 1
    assert "make s3server-env" in capsys.readouterr().err
