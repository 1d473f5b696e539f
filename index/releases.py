"""Releases: the registry of everything published, and list / diff / rollback / prune across all targets.

Sources of truth: the immutable directories under data_lake/published/releases/<id>/ (lineage in release.json),
the ``latest`` symlink (the current release) and the append-only event log published/history.jsonl (publish,
rollback, prune). The ``releases`` table is derived from them on every change and written to each target
(published/releases.parquet, the DuckDB catalog, PostgreSQL), so a crash between two steps never leaves the
registry disagreeing with ``latest``: the next publish or :func:`sync_targets` rewrites it.

Every writer (publish, rollback, prune, sync) holds the lake-wide lock of index/locks.py for its whole run,
starts by removing what crashed or disk-full writers left behind (:func:`cleanup_leftovers`) and turns a full
disk into one PublishError saying what each target shows (:func:`writing`).

A lake on object storage (index/storage.py) keeps the same registry as objects: releases/<id>/ prefixes, the
pointer published/latest.json and one object per event under published/history/ (S3 cannot append); its writers
hold the lock of locks.publisher (PostgreSQL's advisory lock, else a lock object with a lease).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from index import locks, storage, targets
from index.config import Settings, env_number
from index.config import settings as current_settings
from index.errors import ConfigError, PublishError
from index.targets import contract, duckdb_catalog, parquet, postgres

KEEP_ENV = "DEI_KEEP_RELEASES"
DEFAULT_KEEP = 10
HISTORY = "history.jsonl"
HISTORY_PREFIX = "history"  # an object lake's event log: published/history/<timestamp>-<uuid>.json
# temporary names the writers use beside the published files; any found under the lock is a crash's leftover
TEMP_PATTERNS = (".latest-*", ".catalog-*", ".releases-*", ".trash-*")
STAGING = ".staging"
# compute writes published/.staging/<id>-<uuid8>/ without the lock; ``.owner`` inside holds "<pid> <host>"
OWNER_FILE = ".owner"
STAGING_IDLE_SECONDS = 3600  # an unfinished staging directory nobody touched for this long is a leftover
STAGED_IDLE_SECONDS = 24 * 3600  # a complete one may wait for a (retried) publish task: kept for a day
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def keep_releases() -> int:
    return env_number(
        KEEP_ENV,
        DEFAULT_KEEP,
        parse=int,
        rejects=lambda keep: keep < 1,
        invalid=f"{KEEP_ENV}={{raw!r}} must be a whole number >= 1",
        out_of_range=f"{KEEP_ENV}={{raw!r}} must be a whole number >= 1 (the current release is always kept)",
        blank_is_default=False,
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def append_event(cfg: Settings, event: dict) -> None:
    event = dict(at=_now(), **event)
    if storage.is_object_lake(cfg):
        # one object per event, named so that listing sorts them by time (writers hold the lock: one at a time)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        name = parquet.key(HISTORY_PREFIX, f"{stamp}-{uuid.uuid4().hex}.json")
        storage.lake_store(cfg).put(name, json.dumps(event, ensure_ascii=False).encode(), create=True)
        return
    path = cfg.published / HISTORY
    # a line cut short by a crash or a full disk must not swallow the next event
    cut = path.is_file() and path.stat().st_size > 0 and _last_byte(path) != b"\n"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(("\n" if cut else "") + json.dumps(event, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _last_byte(path: Path) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1)


def read_history(cfg: Settings) -> list[dict]:
    if storage.is_object_lake(cfg):
        store = storage.lake_store(cfg)
        lines = [
            (store.get(m["path"]) or b"").decode("utf-8")
            for m in sorted(store.list(parquet.key(HISTORY_PREFIX)), key=lambda m: m["path"])
        ]
    else:
        path = cfg.published / HISTORY
        if not path.is_file():
            return []
        lines = path.read_text(encoding="utf-8").splitlines()
    events = []
    for line in lines:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:  # a line cut short by a crash
            continue
        event.setdefault("event", "publish")
        events.append(event)
    return events


def _manifest(cfg: Settings, release_id: str) -> dict | None:
    return parquet.read_manifest(cfg, release_id)


def lineage(manifest: dict) -> dict:
    """The columns of the releases table that come from release.json."""

    def part(key):
        value = manifest.get(key) or {}
        return value if isinstance(value, dict) else {}

    return dict(
        created_at=manifest.get("created_at"),
        code_version=manifest.get("code_version"),
        framework_sha256=part("framework").get("sha256"),
        weight_scheme=part("weight_scheme").get("path"),
        weight_scheme_sha256=part("weight_scheme").get("sha256"),
        method=part("method").get("path"),
        method_sha256=part("method").get("sha256"),
        input_sha256s=sorted(i["sha256"] for i in manifest.get("inputs") or []),
        synthetic_inputs=sum(1 for i in manifest.get("inputs") or [] if i.get("synthetic")),
        triggered_by=manifest.get("triggered_by"),
        published_at=manifest.get("published_at"),
    )


def list_releases(cfg: Settings | None = None, current: str | None = None):
    """The releases table (contract ``releases``), oldest first. ``current``: the release about to become
    current (an object lake's publish writes the table before its pointer)."""
    import pandas as pd

    cfg = cfg or current_settings()
    events = read_history(cfg)
    current = current or parquet.current_release_id(cfg)
    on_disk = parquet.release_ids(cfg)
    order: list[str] = []
    for event in events:
        if event["event"] in ("publish", "rollback", "prune") and event["id"] not in order:
            order.append(event["id"])
    order += sorted(on_disk - set(order))

    rows = []
    for rid in order:
        manifest = _manifest(cfg, rid) if rid in on_disk else None
        own = [e for e in events if e["id"] == rid]
        if manifest is None:
            pruned = [e for e in own if e["event"] == "prune"]
            if not pruned:
                continue  # never completed: no directory and no record of pruning it
            info = dict(pruned[-1].get("lineage") or {})
        else:
            info = lineage(manifest)
        # re-publishing the current release switches nothing and does not count
        made_current = [e["at"] for e in own if e["event"] in ("publish", "rollback") and e.get("previous") != rid]
        first_publish = next((e for e in own if e["event"] == "publish"), None)
        if rid == current:
            status = "current"
        elif manifest is None:
            status = "pruned"
        else:
            moved_away = [
                e
                for e in events
                if e.get("previous") == rid and e["id"] != rid and e["event"] in ("publish", "rollback")
            ]
            status = "rolled_back" if moved_away and moved_away[-1]["event"] == "rollback" else "superseded"
        info["triggered_by"] = info.get("triggered_by") or (first_publish or {}).get("triggered_by")
        info["published_at"] = info.get("published_at") or (first_publish or {}).get("at")
        rows.append(
            dict(
                release_id=rid,
                status=status,
                is_current=rid == current,
                last_current_at=max(made_current) if made_current else info["published_at"],
                **info,
            )
        )
    names = [name for name, _ in contract.columns("releases")]
    frame = pd.DataFrame(rows, columns=names).astype(object)
    return frame.where(frame.notna(), None)


def sync_targets(cfg: Settings | None = None) -> dict:
    """Bring every reader-facing target to the current release (``latest``) and the current releases table."""
    cfg = cfg or current_settings()
    with writing(cfg, "sync"):
        return _sync_targets(cfg)


def _sync_targets(cfg: Settings, switch_to: str | None = None) -> dict:
    """``switch_to`` (an object lake): write the releases table and catalog of that release, then its pointer
    last, so a reader of the pointer never gets ahead of the published files."""
    rid = switch_to or parquet.current_release_id(cfg)
    if rid is None:
        raise ConfigError("no release has been published yet")
    frame = list_releases(cfg, current=rid)
    release_dir = parquet.local_release(cfg, rid)
    parquet.write_releases_table(cfg, frame)
    duckdb_catalog.write_catalog(cfg, rid, release_dir, frame)
    if switch_to is not None:
        targets.checkpoint("before_latest")
        parquet.switch_latest(cfg, rid)
    out = dict(parquet=rid, catalog=rid, postgres=None)
    conninfo = postgres.dsn()
    if conninfo:
        out["postgres_result"] = postgres.publish(conninfo, rid, release_dir, frame)
        out["postgres"] = rid
    return out


def target_release_ids(cfg: Settings | None = None) -> dict:
    """Which release each target shows right now (postgres: None when PostgreSQL is off)."""
    cfg = cfg or current_settings()
    conninfo = postgres.dsn()
    return dict(
        parquet=parquet.current_release_id(cfg),
        catalog=duckdb_catalog.catalog_release_id(cfg),
        postgres=postgres.status(conninfo) if conninfo else None,
    )


def rollback(release_id: str, triggered_by: str = "cli", cfg: Settings | None = None) -> dict:
    """Make an earlier (not pruned) release current again, through the same atomic switch in every target."""
    cfg = cfg or current_settings()
    with writing(cfg, "rollback"):
        if _manifest(cfg, release_id) is None:
            raise ConfigError(f"release {release_id} is not on disk (unknown or pruned); see `dei releases list`")
        previous = parquet.current_release_id(cfg)
        if storage.is_object_lake(cfg):  # the pointer last (see _sync_targets)
            append_event(cfg, dict(event="rollback", id=release_id, previous=previous, triggered_by=triggered_by))
            _sync_targets(cfg, switch_to=release_id)
        else:
            parquet.switch_latest(cfg, release_id)
            append_event(cfg, dict(event="rollback", id=release_id, previous=previous, triggered_by=triggered_by))
            _sync_targets(cfg)
    return dict(id=release_id, path=parquet.release_url(cfg, release_id), previous=previous)


def prune(cfg: Settings | None = None, keep: int | None = None) -> list[str]:
    """Delete all but the ``keep`` most recently current releases (DEI_KEEP_RELEASES); never the current one."""
    cfg = cfg or current_settings()
    keep = keep if keep is not None else keep_releases()
    with writing(cfg, "prune"):
        return _prune(cfg, keep)


def _prune(cfg: Settings, keep: int) -> list[str]:
    frame = list_releases(cfg)
    # most recently made current first (event order, not clock time), the current release always first
    recency = {e["id"]: i for i, e in enumerate(read_history(cfg)) if e["event"] in ("publish", "rollback")}
    live = sorted(
        frame.loc[frame["status"] != "pruned", "release_id"],
        key=lambda rid: (rid == parquet.current_release_id(cfg), recency.get(rid, -1)),
        reverse=True,
    )
    doomed = [rid for rid in live[keep:] if rid != parquet.current_release_id(cfg)]
    for rid in doomed:
        manifest = _manifest(cfg, rid) or {}
        # record first, then delete: a crash in between leaves a listed release that the next prune removes
        append_event(cfg, dict(event="prune", id=rid, lineage=lineage(manifest)))
        if storage.is_object_lake(cfg):
            # release.json first: a delete cut short leaves an incomplete prefix, never a listed release
            storage.lake_store(cfg).delete_prefix(parquet.key("releases", rid), first="release.json")
            parquet.forget_local(cfg, rid)
            continue
        trash = cfg.published / f".trash-{rid}-{uuid.uuid4().hex[:8]}"
        os.rename(parquet.releases_dir(cfg) / rid, trash)
        shutil.rmtree(trash, ignore_errors=True)
    if doomed:
        conninfo = postgres.dsn()
        if conninfo:
            postgres.drop_releases(conninfo, doomed)
    return doomed


def diff(a: str, b: str, cfg: Settings | None = None, node_id: str | None = None, year: int | None = None):
    """How scores and ranks moved from ``a`` to ``b`` (release or scenario ids, unique prefixes), per league,
    year and node, as a DataFrame. The CLI's view of it (one node and year, with a header) is index.commands.compare."""
    import pandas as pd

    from index.commands.compare import diff_rows
    from index.commands.scenarios import resolve

    cfg = cfg or current_settings()
    return pd.DataFrame(diff_rows(resolve(a, cfg).path, resolve(b, cfg).path, node_id, year))


def format_list(frame) -> str:
    from index.tables import render

    rows = [
        [
            row.release_id,
            row.status,
            Path(row.weight_scheme).name if row.weight_scheme else "",
            str(row.published_at or ""),
            row.triggered_by or "",
        ]
        for row in frame.itertuples()
    ]
    return "\n".join(render(["release", "status", "weights", "published_at", "triggered_by"], rows, align="<" * 5))


@contextmanager
def writing(cfg: Settings, action: str, keep_staged: Path | None = None):
    """The frame of every writer: the lake-wide lock, leftovers removed first, a full disk reported clearly.

    Nested use (publish -> sync -> prune) only counts the lock again; the outermost call does the rest."""
    if locks.holding_lake(cfg):
        with locks.publisher(cfg, action):
            yield
        return
    with locks.publisher(cfg, action):
        cleanup_leftovers(cfg, keep=keep_staged)
        before = parquet.current_release_id(cfg)
        try:
            yield
        except PublishError:
            raise
        except Exception as exc:
            if not disk_full(exc):
                raise
            _remove_temp_files(cfg)
            raise PublishError(disk_full_message(cfg, before)) from exc


def disk_full(exc: BaseException) -> bool:
    """ENOSPC / EDQUOT, also when DuckDB or Arrow pass it on as their own error with the OS message."""
    if isinstance(exc, OSError) and exc.errno in _DISK_FULL:
        return True
    text = str(exc)
    return any(os.strerror(code) in text for code in _DISK_FULL)


def disk_full_message(cfg: Settings, before: str | None) -> str:
    now = parquet.current_release_id(cfg)
    head = f"the disk holding {cfg.published} is full: "
    if now == before:
        stays = f"the current release stays {before}" if before else "there is still no published release"
        return head + f"nothing was published; {stays}; free space and run again"
    lagging = []
    try:
        shown = target_release_ids(cfg)
    except Exception:  # a target we cannot even ask: say so rather than guess
        shown = dict(catalog="unknown", postgres="unknown" if postgres.dsn() else None)
    if shown.get("catalog") != now:
        lagging.append(f"the DuckDB catalog still shows {shown.get('catalog')}")
    if postgres.dsn() and shown.get("postgres") != now:
        lagging.append(f"PostgreSQL still shows {shown.get('postgres')}")
    rest = ", ".join(lagging) or "the registry tables may lag"
    return head + (
        f"release {now} is current in {_latest_name(cfg)} but {rest} (each a complete "
        "release); free space and run `dei releases sync`"
    )


def _latest_name(cfg: Settings) -> str:
    if storage.is_object_lake(cfg):
        return storage.lake_store(cfg).key_url(parquet.key(parquet.POINTER))
    return str(parquet.latest_link(cfg))


def _remove_temp_files(cfg: Settings) -> list[str]:
    removed = []
    for pattern in TEMP_PATTERNS:
        for path in cfg.published.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed


def cleanup_leftovers(cfg: Settings, keep: Path | None = None) -> list[str]:
    """Remove what crashed or disk-full writers left (called under the lock, so no writer owns these):
    temporary symlinks, catalogs (+ .wal), releases tables and trash beside the published files, and staging
    directories no running compute owns (see :func:`_stale_staging`). Returns the names removed.
    An object lake: also its release prefixes without release.json (uploads cut short) and staged releases
    nobody touched for a day (another machine's compute cannot be asked whether it still runs)."""
    if storage.is_object_lake(cfg):
        return _cleanup_store(cfg, keep) + (cleanup_leftovers_local(cfg, keep) if cfg.published.is_dir() else [])
    if not cfg.published.is_dir():
        return []
    return cleanup_leftovers_local(cfg, keep)


def _cleanup_store(cfg: Settings, keep: Path | None) -> list[str]:
    store = storage.lake_store(cfg)
    removed = []
    complete = parquet.release_ids(cfg)
    for rid in store.folders(parquet.key("releases")):
        if rid not in complete:
            store.delete_prefix(parquet.key("releases", rid))
            removed.append(f"releases/{rid}")
    now = datetime.now(UTC)
    for name in store.folders(parquet.key(STAGING)):
        if keep is not None and Path(keep).name == name:
            continue
        metas = store.list(parquet.key(STAGING, name))
        newest = max((m["last_modified"] for m in metas), default=None)
        if newest is None or (now - newest).total_seconds() > STAGED_IDLE_SECONDS:
            store.delete_prefix(parquet.key(STAGING, name))
            removed.append(f"{STAGING}/{name}")
    return removed


def cleanup_leftovers_local(cfg: Settings, keep: Path | None = None) -> list[str]:
    removed = _remove_temp_files(cfg)
    staging = cfg.published / STAGING
    keep = Path(keep).resolve() if keep else None
    for path in sorted(staging.iterdir()) if staging.is_dir() else []:
        if keep is not None and path.resolve() == keep:
            continue
        if _stale_staging(path):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(f"{STAGING}/{path.name}")
    return removed


def _stale_staging(path: Path, now: float | None = None) -> bool:
    """Compute writes staging without the lock, so only remove what nobody can be writing: not owned by a
    live process (``.owner``: "<pid> <host>"), and untouched for an hour (a day if it is complete and may
    still wait for its publish task)."""
    if _owner_alive(path):
        return False
    try:
        entries = [path, *path.iterdir()] if path.is_dir() else [path]
        touched = max(p.lstat().st_mtime for p in entries)
    except FileNotFoundError:
        return False  # removed meanwhile
    idle = STAGED_IDLE_SECONDS if (path / "release.json").is_file() else STAGING_IDLE_SECONDS
    return (now or time.time()) - touched > idle


def _owner_alive(path: Path) -> bool:
    try:
        words = (path / OWNER_FILE).read_text(encoding="utf-8").split()
        pid = int(words[0])
    except (OSError, ValueError, IndexError):
        return False
    if len(words) > 1 and words[1] != socket.gethostname():
        return False  # another machine's compute: its pid cannot be checked here, the age decides
    from index.files import process_alive

    return process_alive(pid)
