"""Publish a staged release and switch ``data_lake/published/latest`` to it atomically.

Readers open ``published/latest/<table>.parquet``. ``latest`` is a symlink that is replaced with
``os.replace`` only after the release directory is complete, so a reader sees the old release or the new
one, never half of one. A crash at any step leaves ``latest`` where it was.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path

from index.config import Settings, settings as current_settings
from index.errors import ConfigError

REQUIRED_FILES = ("index_scores.parquet", "indicator_values.parquet", "framework.parquet", "release.json")


def releases_dir(cfg: Settings) -> Path:
    return cfg.published / "releases"


def latest_link(cfg: Settings) -> Path:
    return cfg.published / "latest"


def current_release_id(cfg: Settings | None = None) -> str | None:
    cfg = cfg or current_settings()
    link = latest_link(cfg)
    if not link.is_symlink():
        return None
    return Path(os.readlink(link)).name


def current_release_dir(cfg: Settings | None = None) -> Path | None:
    cfg = cfg or current_settings()
    rid = current_release_id(cfg)
    return releases_dir(cfg) / rid if rid else None


def _check_complete(staged: Path) -> dict:
    missing = [name for name in REQUIRED_FILES if not (staged / name).is_file()]
    if missing:
        raise ConfigError(f"staged release {staged} is incomplete, missing {missing}; not publishing")
    return json.loads((staged / "release.json").read_text(encoding="utf-8"))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def switch_latest(cfg: Settings, release_id: str) -> None:
    """Point ``latest`` at a release: write a new symlink beside it, then rename over the old one."""
    target = releases_dir(cfg) / release_id
    if not (target / "release.json").is_file():
        raise ConfigError(f"release {release_id} does not exist under {releases_dir(cfg)}")
    tmp = cfg.published / f".latest-{uuid.uuid4().hex[:8]}"
    os.symlink(Path("releases") / release_id, tmp)
    os.replace(tmp, latest_link(cfg))
    _fsync_dir(cfg.published)


def publish(staged: Path, triggered_by: str = "cli", cfg: Settings | None = None) -> dict:
    """Make a staged release immutable under releases/<id> and current. Same id twice writes nothing new."""
    cfg = cfg or current_settings()
    staged = Path(staged)
    manifest = _check_complete(staged)
    rid = manifest["id"]
    target = releases_dir(cfg) / rid
    releases_dir(cfg).mkdir(parents=True, exist_ok=True)
    created = not target.exists()
    if created:
        manifest["triggered_by"] = triggered_by
        manifest["published_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        tmp_json = staged / "release.json.tmp"
        tmp_json.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        os.replace(tmp_json, staged / "release.json")
        os.rename(staged, target)  # same filesystem: atomic; the release appears whole or not at all
        _fsync_dir(releases_dir(cfg))
    else:
        shutil.rmtree(staged, ignore_errors=True)
    previous = current_release_id(cfg)
    switch_latest(cfg, rid)
    _append_history(cfg, dict(id=rid, created=created, previous=previous, triggered_by=triggered_by))
    return dict(id=rid, path=str(target), created=created, previous=previous)


def _append_history(cfg: Settings, event: dict) -> None:
    event = dict(at=datetime.now(timezone.utc).isoformat(timespec="seconds"), **event)
    with open(cfg.published / "history.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(event, ensure_ascii=False) + "\n")
