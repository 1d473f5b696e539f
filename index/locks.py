"""The lake-wide writer lock: one publish, rollback, prune or sync at a time per data_lake/published/.

``fcntl.flock`` on ``published/.publish.lock``, held for the whole operation. The kernel drops it when the
holder exits, even on kill -9, so a crash never leaves a stale lock. The file holds one line about the holder
(pid, since, what) for the waiting message only; its content never decides anything.

A busy lock prints one line to stderr and waits up to DEI_PUBLISH_LOCK_TIMEOUT seconds (default 600), then
raises PublishError. Re-entrant within a thread (publish -> sync -> prune take it again).
PostgreSQL has its own advisory lock for writers on other machines (index/targets/postgres.py).
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from index.config import env_number
from index.errors import PublishError

LOCK_NAME = ".publish.lock"
ENV_TIMEOUT = "DEI_PUBLISH_LOCK_TIMEOUT"
DEFAULT_TIMEOUT = 600.0
_POLL = 0.05

_local = threading.local()  # path -> depth, per thread (two threads still exclude each other via flock)


def lock_timeout() -> float:
    return env_number(
        ENV_TIMEOUT,
        DEFAULT_TIMEOUT,
        rejects=lambda value: value < 0,
        invalid=f"{ENV_TIMEOUT}={{raw!r}} must be a number of seconds >= 0",
        blank_is_default=False,
    )


def holder(path: Path) -> dict:
    """What the lock file says about its holder ({} when unreadable)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}


def describe(info: dict) -> str:
    if not info:
        return "another publish"
    return f"another {info.get('action', 'publish')} (pid {info.get('pid', '?')}, since {info.get('since', '?')})"


def holding(published: Path) -> bool:
    """This thread holds the lock of ``published`` already (an inner call of a locked operation)."""
    return str((Path(published) / LOCK_NAME).resolve()) in _held()


def _held() -> dict:
    held = getattr(_local, "held", None)
    if held is None or getattr(_local, "pid", None) != os.getpid():  # a forked child holds nothing
        held = _local.held = {}
        _local.pid = os.getpid()
    return held


@contextmanager
def publish_lock(published: Path, action: str = "publish", timeout: float | None = None):
    """Hold the writer lock of ``published`` (the data_lake/published directory) for the ``with`` block."""
    published = Path(published)
    published.mkdir(parents=True, exist_ok=True)
    path = published / LOCK_NAME
    key = str(path.resolve())
    held = _held()
    if key in held:
        held[key] += 1
        try:
            yield path
        finally:
            held[key] -= 1
        return
    timeout = lock_timeout() if timeout is None else timeout
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, path, action, timeout)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(dict(pid=os.getpid(), action=action, since=_now())).encode(), 0)
        except OSError:
            pass  # a full disk: the note is only for the waiting message, the lock itself holds
        held[key] = 1
        try:
            yield path
        finally:
            del held[key]
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, path: Path, action: str, timeout: float) -> None:
    def locked() -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    wait_for(
        locked,
        lambda: describe(holder(path)),
        lambda who: f"dei: waiting for {who} to finish before this {action} (up to {timeout:g} s, {ENV_TIMEOUT}) ...",
        lambda who: (
            f"{who} still holds {path} after {timeout:g} s: this {action} did nothing; "
            f"run it again when that one has finished (or raise {ENV_TIMEOUT})"
        ),
        timeout,
        _POLL,
    )


def wait_for(
    acquired: Callable[[], bool],
    holder: Callable[[], str],
    waiting: Callable[[str], str],
    gave_up: Callable[[str], str],
    timeout: float,
    poll: float,
) -> None:
    """Try ``acquired`` every ``poll`` s: say ``waiting`` once on stderr, raise PublishError ``gave_up`` after
    ``timeout`` s; both name the ``holder`` (asked only when a message needs it). PostgreSQL's lock waits alike."""
    deadline = time.monotonic() + timeout
    told = False
    while not acquired():
        who = None
        if not told:
            who = holder()
            print(waiting(who), file=sys.stderr, flush=True)
            told = True
        if time.monotonic() >= deadline:
            raise PublishError(gave_up(holder() if who is None else who))
        time.sleep(poll)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
