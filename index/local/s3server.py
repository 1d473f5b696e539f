"""``make s3-up`` / ``make s3-down``: moto's S3 server on this machine, standing in for the data centre's
object store, so the cluster can be tried with the lake on object storage (docs/deployment.md).

    python -m index.local.s3server up      # moto on 127.0.0.1:DEI_S3_PORT (default 9000), bucket "dei"
    eval "$(python -m index.local.s3server env)"   # DEI_LAKE=s3://dei/lake and the AWS_* variables
    python -m index.local.s3server down

moto keeps every object in memory: stopping it loses the lake. It runs from its own venv (.venv-s3server,
requirements-s3server.lock; botocore cannot share the main environment). Stdlib only.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from index.config import REPO_ROOT
from index.local import cluster

DEFAULT_PORT = 9000
BUCKET = "dei"
NAME = "moto"


def folder(env: dict) -> Path:
    return Path(env.get("DEI_S3_HOME") or REPO_ROOT / ".s3server").resolve()


def endpoint(env: dict) -> str:
    return f"http://127.0.0.1:{int(env.get('DEI_S3_PORT') or DEFAULT_PORT)}"


def lake_env(env: dict) -> dict[str, str]:
    """What every component (and `dei`) needs to use the lake in this server's bucket."""
    return {
        "DEI_LAKE": f"s3://{BUCKET}/lake",
        "AWS_ENDPOINT_URL": endpoint(env),
        "AWS_ACCESS_KEY_ID": "dei-local",  # moto takes any credentials
        "AWS_SECRET_ACCESS_KEY": "dei-local",
        "AWS_REGION": "us-east-1",
    }


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer: the server is up
    except OSError:
        return False


def up(env: dict) -> int:
    home, url = folder(env), endpoint(env)
    home.mkdir(parents=True, exist_ok=True)
    pid = cluster.running_pid(home / f"{NAME}.pid")
    if pid is None:
        server = Path(env.get("DEI_S3SERVER_BIN") or REPO_ROOT / ".venv-s3server" / "bin" / "moto_server")
        if not server.is_file():
            print(f"s3-up: {server} is missing: run `make s3server-env`", file=sys.stderr)
            return 1
        if _answers(url):
            print(f"s3-up: something else answers on {url}: set DEI_S3_PORT", file=sys.stderr)
            return 1
        port = url.rsplit(":", 1)[1]
        component = cluster.Component(
            NAME, (str(server), "-H", "127.0.0.1", "-p", port), dict(env, AIRFLOW_HOME=str(home))
        )
        pid = cluster._spawn(component, home)
        deadline = time.monotonic() + 60
        while not _answers(url):
            if cluster.running_pid(home / f"{NAME}.pid") is None or time.monotonic() > deadline:
                cluster._stop_named(home, [NAME])
                print(f"s3-up: moto did not start; the end of {home / 'moto.log'}:", file=sys.stderr)
                print(cluster._tail(home / f"{NAME}.log"), file=sys.stderr)
                return 1
            time.sleep(0.2)
    # the bucket (moto accepts unsigned requests; creating it twice is harmless)
    urllib.request.urlopen(urllib.request.Request(f"{url}/{BUCKET}", method="PUT"), timeout=10).close()
    print(f"moto S3 server running, pid {pid}, {url}, bucket {BUCKET} (in memory: s3-down loses it)")
    print('use it: eval "$(.venv/bin/python -m index.local.s3server env)", then make cluster-up')
    return 0


def down(env: dict) -> int:
    stopped = cluster._stop_named(folder(env), [NAME])
    print("moto S3 server stopped" if stopped else "moto S3 server not running")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv else "up"
    env = dict(os.environ)
    if command == "env":
        print("\n".join(f"export {k}='{v}'" for k, v in lake_env(env).items()))
        return 0
    if command in ("up", "down"):
        try:
            return up(env) if command == "up" else down(env)
        except OSError as exc:
            print(f"s3-{command}: {exc}", file=sys.stderr)
            return 1
    print("usage: python -m index.local.s3server up|down|env", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
