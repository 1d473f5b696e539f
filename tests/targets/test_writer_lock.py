"""Writers are serialised: publishes and rollbacks in several real processes at once never overlap (so never
both switch ``latest``), a busy lock says who holds it in one line and gives up after
DEI_PUBLISH_LOCK_TIMEOUT with a clear error, and two writers on PostgreSQL at once (two lakes, one schema:
two machines) both succeed. Releases are SYNTHETIC (conftest.stage)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from index import locks, publish, releases

WRITER = Path(__file__).resolve().parents[1] / "fixtures" / "dei_writer_process.py"
REPO = Path(__file__).resolve().parents[2]


def start_writer(log: Path, ops, ready: Path | None = None, **env):
    spec = dict(log=str(log), ops=ops, ready=str(ready) if ready else None)
    return subprocess.Popen(
        [sys.executable, str(WRITER), json.dumps(spec)],
        cwd=REPO,
        text=True,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def finish(proc, timeout=60):
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def holders_never_overlap(log: Path) -> list[tuple[int, str]]:
    """The lock sections in the log, in order; fails on any line of another process inside a section."""
    sections, active = [], None
    for line in log.read_text(encoding="utf-8").splitlines():
        pid, what = line.split(" ", 1)
        if what.startswith("enter"):
            assert active is None, f"{pid} entered while {active} held the lock"
            active = pid
            sections.append((int(pid), what.split()[1]))
        else:
            assert active == pid, f"{pid} did {what!r} outside its lock section (holder: {active})"
            if what.startswith("exit"):
                active = None
    assert active is None
    return sections


def test_concurrent_publishes_and_rollbacks_in_separate_processes_never_overlap(lake, stage, pg_off, tmp_path):
    publish.publish(stage("aaaa", (61.5, 55.0)))
    publish.publish(stage("bbbb", (40.0, 70.0)))
    log = tmp_path / "writers.log"
    first = [["publish", str(stage(rid, (50.0 + i, 40.0)))] for i, rid in enumerate(("c001", "c002", "c003"))]
    second = [["publish", str(stage(rid, (30.0 + i, 45.0)))] for i, rid in enumerate(("d001", "d002", "d003"))]
    third = [["rollback", "aaaa"], ["rollback", "bbbb"], ["rollback", "aaaa"]]
    procs = [start_writer(log, ops) for ops in (first, second, third)]
    results = [finish(p) for p in procs]
    assert [code for code, _, _ in results] == [0, 0, 0], [err for _, _, err in results]
    sections = holders_never_overlap(log)
    assert len(sections) == 9 and {pid for pid, _ in sections} == {p.pid for p in procs}
    # every switch of latest happened inside a section of its own writer
    steps = [line for line in log.read_text().splitlines() if "step before_latest" in line]
    assert len(steps) == 6
    events = [e for e in releases.read_history(lake) if e["event"] in ("publish", "rollback")]
    assert len(events) == 2 + 9
    # each event's "previous" is the release the one before it made current: no switch was lost
    for before, after in zip(events, events[1:]):
        assert after["previous"] == before["id"]
    assert publish.current_release_id(lake) == events[-1]["id"]
    assert releases.target_release_ids(lake) == dict(parquet=events[-1]["id"], catalog=events[-1]["id"], postgres=None)


def test_a_busy_lock_says_who_holds_it_and_gives_up_after_the_timeout(lake, stage, pg_off, tmp_path):
    publish.publish(stage("aaaa"))
    publish.publish(stage("bbbb", (40.0, 70.0)))
    ready = tmp_path / "ready"
    holder = start_writer(tmp_path / "log", [["hold", 4]], ready=ready)
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert time.monotonic() < deadline and holder.poll() is None, holder.stderr.read() if holder.poll() else ""
        time.sleep(0.02)
    started = time.monotonic()
    cli = subprocess.run(
        [sys.executable, "-m", "index.cli", "releases", "rollback", "aaaa"],
        cwd=REPO,
        text=True,
        capture_output=True,
        env={**os.environ, "DEI_PUBLISH_LOCK_TIMEOUT": "1"},
        timeout=60,
    )
    waited = time.monotonic() - started
    assert cli.returncode == 2
    lines = cli.stderr.strip().splitlines()
    assert len(lines) == 2, cli.stderr
    assert lines[0].startswith(f"dei: waiting for another publish (pid {holder.pid}, since ")
    assert "DEI_PUBLISH_LOCK_TIMEOUT" in lines[0]
    assert f"pid {holder.pid}" in lines[1] and "still holds" in lines[1] and "did nothing" in lines[1]
    assert "Traceback" not in cli.stderr
    assert 1 <= waited < 4
    assert publish.current_release_id(lake) == "bbbb"  # nothing happened
    # with time to wait, the same command waits for the holder and then rolls back
    # (the API, not the CLI: the CLI would go on to print a ranking the tiny synthetic release cannot give)
    waiter = subprocess.run(
        [sys.executable, "-c", "from index import releases; releases.rollback('aaaa')"],
        cwd=REPO,
        text=True,
        capture_output=True,
        env={**os.environ, "DEI_PUBLISH_LOCK_TIMEOUT": "60"},
        timeout=90,
    )
    assert waiter.returncode == 0, waiter.stderr
    assert finish(holder)[0] == 0
    assert waiter.stderr.count("waiting for another publish") <= 1
    assert publish.current_release_id(lake) == "aaaa"


def test_the_lock_is_reentrant_and_released_on_error(lake):
    with locks.publish_lock(lake.published, "publish"):
        with locks.publish_lock(lake.published, "sync"):
            assert locks.holding(lake.published)
    assert not locks.holding(lake.published)
    with pytest.raises(RuntimeError):
        with locks.publish_lock(lake.published):
            raise RuntimeError("boom")
    # another process can take it right away
    code = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from index import locks\n"
            f"with locks.publish_lock(Path({str(lake.published)!r}), timeout=0): pass",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert code.returncode == 0, code.stderr


def test_a_bad_lock_timeout_is_a_clear_error(monkeypatch):
    from index.errors import ConfigError

    monkeypatch.setenv("DEI_PUBLISH_LOCK_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match="DEI_PUBLISH_LOCK_TIMEOUT"):
        locks.lock_timeout()


def test_two_writers_on_one_postgresql_schema_at_once_both_succeed(tmp_path, stage, lake, pg, monkeypatch):
    """Two lakes (two machines) publish to the same new schema at the same time: roles, grants and the
    store are set up under the advisory lock, so neither fails on `tuple concurrently updated`."""
    dsn, schema = pg
    other = tmp_path / "other_lake"
    for sub in ("landing", "raw", "curated", "quarantine", "published"):
        (other / sub).mkdir(parents=True)
    mine = [["publish", str(stage(rid, (50.0 + i, 40.0)))] for i, rid in enumerate(("e001", "e002", "e003"))]
    # the other lake's releases are staged under its own published/.staging
    theirs = []
    for i, rid in enumerate(("f001", "f002", "f003")):
        staged = stage(rid, (30.0 + i, 45.0))
        target = other / "published" / ".staging" / staged.name
        target.parent.mkdir(parents=True, exist_ok=True)
        staged.rename(target)
        theirs.append(["publish", str(target)])
    procs = [start_writer(tmp_path / "a.log", mine), start_writer(tmp_path / "b.log", theirs, DEI_LAKE=str(other))]
    results = [finish(p, timeout=120) for p in procs]
    assert [code for code, _, _ in results] == [0, 0], [err for _, _, err in results]
    assert all("concurrently" not in err for _, _, err in results)
    with psycopg.connect(dsn) as conn:
        shown = conn.execute(f"select release_id from {schema}.release_info").fetchall()[0][0]
        assert shown in ("e003", "f003")
        assert conn.execute(f"select distinct release_id from {schema}.index_scores").fetchall() == [(shown,)]


def test_a_writer_killed_while_holding_the_lock_leaves_no_stale_lock(lake, stage, pg_off, tmp_path, monkeypatch):
    import signal

    publish.publish(stage("aaaa"))
    ready = tmp_path / "ready"
    holder = start_writer(tmp_path / "log", [["hold", 60]], ready=ready)
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert time.monotonic() < deadline and holder.poll() is None
        time.sleep(0.02)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(10)
    started = time.monotonic()
    monkeypatch.setenv("DEI_PUBLISH_LOCK_TIMEOUT", "5")
    publish.publish(stage("bbbb", (40.0, 70.0)))
    assert time.monotonic() - started < 5  # the kernel dropped the dead holder's flock at once
    assert publish.current_release_id(lake) == "bbbb"
