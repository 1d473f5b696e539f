"""Publish a staged release to every target and switch ``data_lake/published/latest`` to it atomically.

How readers read safely (each sees one complete release, never half of one, while publishes run):

* PostgreSQL schema ``dei``: its views, in one transaction (REPEATABLE READ for several statements) or in
  one statement; a publish never blocks them and never changes what an open snapshot sees.
* ``published/catalog.duckdb`` opened with ``read_only=True``: a publish renames a new file over it; an open
  connection keeps reading the release it opened.
* Parquet: resolve ``latest`` once (``os.path.realpath('data_lake/published/latest')``) and read that release
  directory's files. Never open ``latest/<table>.parquet`` file by file: a switch between two opens gives two
  releases. A resolved directory stays readable until DEI_KEEP_RELEASES later publishes prune it.

``latest`` is a symlink replaced with ``os.replace`` only after the release directory is complete; the catalog
is a new file renamed over the old one; PostgreSQL switches a one-row pointer in one transaction. A crash at
any step leaves each target on a complete release (``latest`` first; the next publish, rollback or
``releases.sync_targets`` brings the others level).

Writers are serialised by the lake-wide lock (index/locks.py, published/.publish.lock) held for the whole
publish, and PostgreSQL's advisory lock; each publish first removes leftovers of crashed or disk-full writers.
A full disk is a PublishError saying what each target shows, not a traceback.

Order: check the staged directory -> rename it to releases/<id> -> switch ``latest`` -> record the event ->
releases.parquet, catalog.duckdb, PostgreSQL (when configured) -> prune beyond DEI_KEEP_RELEASES.

A lake on object storage (DEI_LAKE=s3://..., index/storage.py) has no rename and no symlink; there the order is:
check -> upload the files under releases/<id>/ with release.json last (a prefix without it is an upload cut
short, removed by the next writer) -> the history event (its own object) -> releases.parquet, catalog.duckdb ->
the pointer published/latest.json, one PUT and the LAST write of the lake, so a reader resolving it always finds
a complete release -> PostgreSQL -> prune. ``staged`` is then a local directory (storage.open_staged).
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from index import releases, storage, targets
from index.config import Settings
from index.config import settings as current_settings
from index.errors import ConfigError
from index.files import write_text_atomic
from index.targets import parquet

REQUIRED_FILES = ("index_scores.parquet", "indicator_values.parquet", "framework.parquet", "release.json")

# kept for callers of the earlier API
releases_dir = parquet.releases_dir
latest_link = parquet.latest_link
switch_latest = parquet.switch_latest


def current_release_id(cfg: Settings | None = None) -> str | None:
    return parquet.current_release_id(cfg or current_settings())


def current_release_dir(cfg: Settings | None = None) -> Path | None:
    """The current release's directory; for an object lake its copy in the cache (downloaded once)."""
    cfg = cfg or current_settings()
    rid = parquet.current_release_id(cfg)
    if rid and storage.is_object_lake(cfg):
        return parquet.local_release(cfg, rid)
    return parquet.releases_dir(cfg) / rid if rid else None


def _check_complete(staged: Path, new: bool = True) -> dict:
    """The required files, and for a new release that declares an uncertainty analysis its three tables
    (older releases, without the declaration, stay publishable and can be rolled back to)."""
    from index.uncertainty import release as uncertainty

    missing = [name for name in REQUIRED_FILES if not (staged / name).is_file()]
    manifest = json.loads((staged / "release.json").read_text(encoding="utf-8")) if not missing else {}
    if new and uncertainty.declared(manifest):
        missing += uncertainty.missing_tables(staged)
    if missing:
        hint = (
            " (run the uncertainty analysis first: the analyse_uncertainty task, or"
            " index.uncertainty.release.analyse_release)"
            if any(m.split(".")[0] in uncertainty.TABLES for m in missing)
            else ""
        )
        raise ConfigError(f"staged release {staged} is incomplete, missing {missing}{hint}; not publishing")
    return manifest


def publish(staged: Path, triggered_by: str = "cli", cfg: Settings | None = None) -> dict:
    """Make a staged release immutable under releases/<id> and current in every target.

    The same id twice writes nothing new (only a history event). Returns id, path, created, previous and
    targets (the release each target shows afterwards)."""
    cfg = cfg or current_settings()
    staged = Path(staged)
    with releases.writing(cfg, "publish", keep_staged=staged):
        return _publish(staged, triggered_by, cfg)


def _publish(staged: Path, triggered_by: str, cfg: Settings) -> dict:
    if storage.is_object_lake(cfg):
        return _publish_to_store(staged, triggered_by, cfg)
    renamed = parquet.releases_dir(cfg) / staged.name.split("-")[0]
    if not staged.exists() and (renamed / "release.json").is_file():
        # A retried task whose first try crashed after the rename: the release is whole, finish the switch.
        manifest = json.loads((renamed / "release.json").read_text(encoding="utf-8"))
    else:
        # the same id published already: this copy is discarded, so only a new release must be whole
        manifest = _check_complete(staged, new=not renamed.exists())
    targets.checkpoint("staged")
    rid = manifest["id"]
    target = parquet.releases_dir(cfg) / rid
    parquet.releases_dir(cfg).mkdir(parents=True, exist_ok=True)
    created = not target.exists()
    if created:
        manifest["triggered_by"] = triggered_by
        manifest["published_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        # a full disk leaves the old release.json and no temporary file behind
        write_text_atomic(staged / "release.json", json.dumps(manifest, ensure_ascii=False, indent=2, default=str))
        (staged / releases.OWNER_FILE).unlink(missing_ok=True)  # compute's note, not part of the release
        targets.checkpoint("before_rename")
        os.rename(staged, target)  # same filesystem: atomic; the release appears whole or not at all
        parquet.fsync_dir(parquet.releases_dir(cfg))
        targets.checkpoint("after_rename")
    elif staged.exists():
        shutil.rmtree(staged, ignore_errors=True)
    previous = parquet.current_release_id(cfg)
    targets.checkpoint("before_latest")
    parquet.switch_latest(cfg, rid)
    releases.append_event(
        cfg, dict(event="publish", id=rid, created=created, previous=previous, triggered_by=triggered_by)
    )
    shown = releases.sync_targets(cfg)
    releases.prune(cfg)
    return dict(
        id=rid,
        path=str(target),
        created=created,
        previous=previous,
        targets={k: shown[k] for k in ("parquet", "catalog", "postgres")},
    )


def _publish_to_store(staged: Path, triggered_by: str, cfg: Settings) -> dict:
    store = storage.lake_store(cfg)
    rid = staged.name.split("-")[0]
    done = parquet.read_manifest(cfg, rid)
    if not staged.exists() and done is not None:
        manifest = done  # a retried task whose first try crashed after the upload: finish the switch
    else:
        manifest = _check_complete(staged, new=done is None)
    targets.checkpoint("staged")
    rid = manifest["id"]
    created = parquet.read_manifest(cfg, rid) is None
    prefix = parquet.key("releases", rid)
    if created:
        manifest["triggered_by"] = triggered_by
        manifest["published_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        write_text_atomic(staged / "release.json", json.dumps(manifest, ensure_ascii=False, indent=2, default=str))
        (staged / releases.OWNER_FILE).unlink(missing_ok=True)
        targets.checkpoint("before_rename")
        store.delete_prefix(prefix)  # a crashed earlier upload of this id (no release.json): start clean
        store.upload_dir(staged, prefix, last="release.json")  # release.json last: the release is whole
        targets.checkpoint("after_rename")
        # the cache keeps the uploaded files as this release's local copy
        local = parquet.releases_dir(cfg) / rid
        if staged.exists() and not local.exists():
            local.parent.mkdir(parents=True, exist_ok=True)
            os.rename(staged, local)
    previous = parquet.current_release_id(cfg)
    releases.append_event(
        cfg, dict(event="publish", id=rid, created=created, previous=previous, triggered_by=triggered_by)
    )
    shown = releases._sync_targets(cfg, switch_to=rid)  # the pointer last (inside)
    # only now: a task retried on another worker after a crash above still finds its staged release
    storage.discard_staged(cfg, staged.name)
    releases.prune(cfg)
    return dict(
        id=rid,
        path=parquet.release_url(cfg, rid),
        created=created,
        previous=previous,
        targets={k: shown[k] for k in ("parquet", "catalog", "postgres")},
    )
