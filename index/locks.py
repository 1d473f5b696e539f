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


# ------------------------------------------------------------------ the lock of a lake on object storage

LEASE_ENV = "DEI_PUBLISH_LOCK_LEASE"
DEFAULT_LEASE = 60.0
OBJECT_LOCK_KEY = "published/.publish.lock"


def lease_seconds() -> float:
    return env_number(
        LEASE_ENV,
        DEFAULT_LEASE,
        rejects=lambda value: value <= 0,
        invalid=f"{LEASE_ENV}={{raw!r}} must be a number of seconds > 0",
    )


def holding_lake(cfg) -> bool:
    """This thread holds the writer lock of ``cfg``'s lake (either kind)."""
    from index import storage

    if storage.is_object_lake(cfg):
        return _object_key(cfg) in _held()
    return holding(cfg.published)


@contextmanager
def publisher(cfg, action: str = "publish", timeout: float | None = None):
    """The writer lock of ``cfg``'s lake, whatever it is stored on: a directory lake's flock (publish_lock);
    an object lake's PostgreSQL advisory lock where DEI_POSTGRES_DSN is set, else its lock object."""
    from index import storage

    if not storage.is_object_lake(cfg):
        with publish_lock(cfg.published, action, timeout):
            yield
        return
    key = _object_key(cfg)
    held = _held()
    if key in held:
        held[key] += 1
        try:
            yield
        finally:
            held[key] -= 1
        return
    from index.targets import postgres

    conninfo = postgres.dsn()
    lock = postgres.lake_lock(conninfo, cfg.lake_url) if conninfo else object_lock(cfg, action, timeout)
    with lock:
        held[key] = 1
        try:
            yield
        finally:
            del held[key]


def _object_key(cfg) -> str:
    return f"{cfg.lake_url}/{OBJECT_LOCK_KEY}"


@contextmanager
def object_lock(cfg, action: str = "publish", timeout: float | None = None):
    """``published/.publish.lock`` taken with a create-only PUT. It holds the holder and a lease expiry that a
    thread renews (conditional PUT on its e_tag) every third of DEI_PUBLISH_LOCK_LEASE; a holder killed stops
    renewing, and once the lease has expired a waiter breaks the lock by a conditional PUT on the e_tag it
    read, so of two breakers only one wins. Released (deleted) on exit."""
    from index import storage

    store = storage.lake_store(cfg)
    lease = lease_seconds()
    timeout = lock_timeout() if timeout is None else timeout
    state: dict = {}

    def note() -> bytes:
        return json.dumps(
            dict(
                pid=os.getpid(),
                host=_host(),
                action=action,
                since=state.setdefault("since", _now()),
                token=state.setdefault("token", os.urandom(8).hex()),
                expires=time.time() + lease,
            )
        ).encode()

    def acquired() -> bool:
        try:
            state["e_tag"] = store.put(OBJECT_LOCK_KEY, note(), create=True)
            return True
        except storage.Exists:
            pass
        got = store.get_with_tag(OBJECT_LOCK_KEY)
        if got is None:
            return False  # released meanwhile: the next poll creates it
        info = _parse(got[0])
        if info.get("expires", 0) > time.time():
            return False
        try:  # an expired lease: its holder died (or hung); take it over unless someone else did first
            state["e_tag"] = store.put(OBJECT_LOCK_KEY, note(), e_tag=got[1])
        except storage.Changed:
            return False
        print(f"dei: broke the expired lock of {describe(info)} ({store.key_url(OBJECT_LOCK_KEY)})", file=sys.stderr)
        return True

    def who() -> str:
        got = store.get_with_tag(OBJECT_LOCK_KEY)
        info = _parse(got[0]) if got else {}
        host = f" on {info['host']}" if info.get("host") else ""
        return describe(info).replace(")", f"{host})", 1) if info else describe(info)

    url = store.key_url(OBJECT_LOCK_KEY)
    wait_for(
        acquired,
        who,
        lambda w: f"dei: waiting for {w} to finish before this {action} (up to {timeout:g} s, {ENV_TIMEOUT}) ...",
        lambda w: (
            f"{w} still holds {url} after {timeout:g} s: this {action} did nothing; "
            f"run it again when that one has finished (or raise {ENV_TIMEOUT})"
        ),
        timeout,
        max(_POLL, min(0.5, lease / 10)),
    )
    stop = threading.Event()

    def renew():
        while not stop.wait(lease / 3):
            try:
                state["e_tag"] = store.put(OBJECT_LOCK_KEY, note(), e_tag=state["e_tag"])
            except Exception:  # broken by another (we hung past the lease) or the store is gone: stop renewing
                state["lost"] = True
                return

    renewer = threading.Thread(target=renew, name="dei-lock-lease", daemon=True)
    renewer.start()
    try:
        yield url
    finally:
        stop.set()
        renewer.join()
        if not state.get("lost"):
            try:  # delete only our own lock (S3 has no conditional delete: check the e_tag first)
                head = store.head(OBJECT_LOCK_KEY)
                if head and head.get("e_tag") == state["e_tag"]:
                    store.delete(OBJECT_LOCK_KEY)
            except Exception:  # an unreachable store: the lease expires on its own
                pass


def _parse(data: bytes) -> dict:
    try:
        info = json.loads(data or b"{}")
        return info if isinstance(info, dict) else {}
    except ValueError:
        return {}


def _host() -> str:
    import socket

    return socket.gethostname()
