"""Every writer first removes what crashed or disk-full writers left behind (never a staging directory a
compute may still be writing), and a full disk is one clear PublishError with no temporary file left and every
target on a complete release. The full disk is real (a 3 MB tmpfs in a private mount namespace) and also
injected (ENOSPC raised at each publish checkpoint). Releases are SYNTHETIC (conftest.stage)."""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index import publish, releases, targets
from index.errors import PublishError

REPO = Path(__file__).resolve().parents[2]
HOUR = 3600


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    for p in [path, *(path.iterdir() if path.is_dir() else [])]:
        os.utime(p, (then, then), follow_symlinks=False)


def leftovers(cfg) -> list[str]:
    return sorted(p.name for pattern in releases.TEMP_PATTERNS for p in cfg.published.glob(pattern)) + sorted(
        p.name for p in cfg.published.rglob("*.tmp")
    )


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_publish_removes_leftovers_but_not_staging_a_compute_may_still_write(lake, stage, pg_off):
    publish.publish(stage("aaaa"))
    pub = lake.published
    os.symlink("releases/aaaa", pub / ".latest-0badf00d")
    for name in (".catalog-0badf00d.duckdb", ".catalog-0badf00d.duckdb.wal", ".releases-0badf00d.parquet"):
        (pub / name).write_bytes(b"half")
    (pub / ".trash-old-0badf00d").mkdir()
    (pub / ".trash-old-0badf00d" / "index_scores.parquet").write_bytes(b"x")
    staging = pub / ".staging"

    def staged_dir(name, hours, owner=None, complete=False):
        path = staging / name
        path.mkdir(parents=True)
        (path / "index_scores.parquet").write_bytes(b"partial")
        if complete:
            (path / "release.json").write_text("{}")
        if owner:
            (path / ".owner").write_text(owner)
        age(path, hours * HOUR)
        return path

    abandoned = staged_dir("c001-aaaaaaaa", 2)
    fresh = staged_dir("c002-bbbbbbbb", 0.1)
    running = staged_dir("c003-cccccccc", 5, owner=f"{os.getpid()} {socket.gethostname()}")
    dead = staged_dir("c004-dddddddd", 2, owner=f"{dead_pid()} {socket.gethostname()}")
    waiting = staged_dir("c005-eeeeeeee", 2, complete=True)  # complete: its publish task may come later
    stale = staged_dir("c006-ffffffff", 25, complete=True)
    publish.publish(stage("bbbb", (40.0, 70.0)))
    assert leftovers(lake) == []
    assert not abandoned.exists() and not dead.exists() and not stale.exists()
    assert fresh.is_dir() and running.is_dir() and waiting.is_dir()
    assert publish.current_release_id(lake) == "bbbb"


def test_a_cut_history_line_does_not_swallow_the_next_event(lake, stage, pg_off):
    publish.publish(stage("aaaa"))
    with open(lake.published / "history.jsonl", "a") as fh:
        fh.write('{"event": "publish", "id": "zz')  # a write cut short by a full disk
    publish.publish(stage("bbbb", (40.0, 70.0)))
    assert [e["id"] for e in releases.read_history(lake)] == ["aaaa", "bbbb"]


BEFORE_SWITCH = ["staged", "before_rename", "after_rename", "before_latest"]


@pytest.mark.parametrize("step", BEFORE_SWITCH + ["catalog_write"])
def test_a_full_disk_at_any_step_is_a_clear_error_and_leaves_no_temporary_file(lake, stage, pg_off, monkeypatch, step):
    """Injected: ENOSPC raised at the checkpoint, as the OS would raise it from the write there."""
    publish.publish(stage("aaaa"))

    def full(name):
        if name == step:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(lake.published / "x"))

    monkeypatch.setattr(targets, "checkpoint", full)
    with pytest.raises(PublishError) as caught:
        publish.publish(stage("bbbb", (40.0, 70.0)))
    message = str(caught.value)
    assert message.startswith(f"the disk holding {lake.published} is full: ")
    if step in BEFORE_SWITCH:
        assert "nothing was published; the current release stays aaaa; free space and run again" in message
        assert publish.current_release_id(lake) == "aaaa"
    else:
        assert "release bbbb is current" in message and "the DuckDB catalog still shows aaaa" in message
        assert "dei releases sync" in message
    assert leftovers(lake) == []
    monkeypatch.setattr(targets, "checkpoint", lambda name: None)
    publish.publish(stage("bbbb", (40.0, 70.0)))
    assert releases.target_release_ids(lake) == dict(parquet="bbbb", catalog="bbbb", postgres=None)


FULL_DISK_SCRIPT = r"""
import json, os, shutil, subprocess, sys
from pathlib import Path
disk, source = Path(sys.argv[1]), Path(sys.argv[2])
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)], check=True)
lake = disk / "data_lake"
shutil.copytree(source, lake, symlinks=True)
os.environ["DEI_LAKE"] = str(lake)
os.environ.pop("DEI_POSTGRES_DSN", None)
from index import publish, releases
from index.config import settings
from index.errors import PublishError
cfg = settings()
staged = next((cfg.published / ".staging").glob("bbbb-*"))
filler = disk / "filler"
fd = os.open(filler, os.O_WRONLY | os.O_CREAT)  # fill the disk to the last byte, unbuffered
for chunk in (65536, 4096, 1):
    try:
        while os.write(fd, b"\0" * chunk):
            pass
    except OSError:
        pass
os.close(fd)
size = filler.stat().st_size
attempts = []
while True:
    try:
        result = publish.publish(staged)
        attempts.append(dict(ok=True, free=os.statvfs(disk).f_bavail))
        break
    except PublishError as exc:
        temps = sorted(p.name for pat in releases.TEMP_PATTERNS for p in cfg.published.glob(pat))
        temps += sorted(str(p) for p in cfg.published.rglob("*.tmp"))
        attempts.append(dict(ok=False, message=str(exc), temps=temps, shown=releases.target_release_ids(cfg)))
    size = max(0, size - 48 * 1024)  # free a little more space each time
    os.truncate(filler, size)
    if len(attempts) > 80:
        break
print(json.dumps(dict(attempts=attempts, shown=releases.target_release_ids(cfg))))
"""


def test_a_really_full_disk_never_publishes_half_and_leaves_no_temporary_file(lake, stage, pg_off, tmp_path):
    """A real full disk: the lake on a 3 MB tmpfs (mounted in a private mount namespace, so nothing leaks if
    the test dies), filled to the last byte; the publish is retried, freeing 48 KB at a time, until it
    succeeds. Every failure must be the clear message, leave no temporary file and leave every target on a
    complete release."""
    publish.publish(stage("aaaa"))
    stage("bbbb", (40.0, 70.0))
    disk = tmp_path / "disk"
    disk.mkdir()
    run = subprocess.run(
        [
            "unshare",
            "--user",
            "--map-root-user",
            "--mount",
            sys.executable,
            "-c",
            FULL_DISK_SCRIPT,
            str(disk),
            str(lake.lake),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    attempts = report["attempts"]
    failed = [a for a in attempts if not a["ok"]]
    assert attempts[-1]["ok"] and len(failed) >= 2, attempts
    for a in failed:
        assert a["message"].startswith("the disk holding ") and " is full: " in a["message"], a
        assert "free space and run" in a["message"]
        assert a["temps"] == [], a
        assert a["shown"]["parquet"] in ("aaaa", "bbbb") and a["shown"]["catalog"] in ("aaaa", "bbbb")
        if a["shown"]["parquet"] == "aaaa":
            assert "nothing was published; the current release stays aaaa" in a["message"]
    assert failed[0]["shown"] == dict(parquet="aaaa", catalog="aaaa", postgres=None)
    assert report["shown"] == dict(parquet="bbbb", catalog="bbbb", postgres=None)
    after_switch = [a for a in failed if a["shown"]["parquet"] == "bbbb"]
    print(f"{len(failed)} failed attempts on a full disk ({len(after_switch)} after latest switched), then published")


def test_an_unreachable_postgresql_is_a_clear_error_and_the_other_targets_are_complete(
    lake, stage, pg_off, monkeypatch
):
    publish.publish(stage("aaaa"))
    monkeypatch.setenv("DEI_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:1/test?connect_timeout=3")
    with pytest.raises(
        PublishError,
        match=r"PostgreSQL \(DEI_POSTGRES_DSN\) could not take release bbbb: .*"
        r"still shows release unknown.*dei releases sync",
    ):
        publish.publish(stage("bbbb", (40.0, 70.0)))
    monkeypatch.delenv("DEI_POSTGRES_DSN")
    assert releases.target_release_ids(lake) == dict(parquet="bbbb", catalog="bbbb", postgres=None)
    assert leftovers(lake) == []
