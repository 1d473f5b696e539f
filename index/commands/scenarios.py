"""Scenarios, and the one place that turns a name typed on the command line into a release or a scenario.

A scenario is a computation that was not published: ``dei compute --weights F`` (or ``dei compare --weights``)
writes the same tables a release has, plus its release.json, to data_lake/scenarios/<name>/. Its id is the
content hash compute gives every result (the id it would get as a release).

:func:`resolve` accepts a release id, a scenario id or a scenario name, each by unique prefix, so
``dei releases diff``, ``dei compare`` and ``dei export`` take any mix of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from index.config import Settings
from index.config import settings as current_settings
from index.errors import ConfigError

FOLDER = "scenarios"


@dataclass(frozen=True)
class Source:
    """A release or a scenario on disk: what a comparison or an export reads."""

    kind: str  # "release" | "scenario"
    id: str
    name: str  # the release id, or the scenario's folder name
    path: Path
    manifest: dict

    @property
    def label(self) -> str:
        return f"release {self.id}" if self.kind == "release" else f"scenario {self.name} ({self.id})"


def scenarios_dir(cfg: Settings | None = None) -> Path:
    return (cfg or current_settings()).lake / FOLDER


def scenario_name(weights: str | None, method: str | None) -> str:
    """The folder a `dei compute` scenario goes to: the scheme's file name, plus the method's when one is given."""
    name = Path(weights).stem if weights else "default"
    return f"{name}-{Path(method).stem}" if method else name


def _read(path: Path) -> dict | None:
    try:
        return json.loads((path / "release.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _sources(root: Path, kind: str) -> list[Source]:
    found = []
    for path in sorted(root.iterdir()) if root.is_dir() else []:
        manifest = _read(path) if path.is_dir() and (path / "index_scores.parquet").is_file() else None
        if manifest is not None:
            found.append(Source(kind, str(manifest.get("id") or path.name), path.name, path, manifest))
    return found


def list_scenarios(cfg: Settings | None = None) -> list[Source]:
    """Every scenario under data_lake/scenarios/, newest first."""
    found = _sources(scenarios_dir(cfg), "scenario")
    return sorted(found, key=lambda s: str(s.manifest.get("created_at") or ""), reverse=True)


def list_release_sources(cfg: Settings | None = None) -> list[Source]:
    from index import storage
    from index.targets import parquet

    cfg = cfg or current_settings()
    if storage.is_object_lake(cfg):  # the releases on the store, each copied into the cache once
        for rid in sorted(parquet.release_ids(cfg)):
            parquet.local_release(cfg, rid)
    return _sources(parquet.releases_dir(cfg), "release")


def scheme_of(manifest: dict) -> str:
    """The weight scheme's file name (expert.sql) or derived scheme (entropy), as lists and headers show it."""
    path = (manifest.get("weight_scheme") or {}).get("path")
    return Path(path).name if path else "?"


def method_of(manifest: dict) -> str:
    path = (manifest.get("method") or {}).get("path")
    return Path(path).name if path else "?"


def format_list(scenarios: list[Source]) -> str:
    from index.tables import render, shown_path

    if not scenarios:
        return "no scenarios yet: `dei compute --weights equal` writes one"
    rows = [
        [
            s.id,
            s.name,
            scheme_of(s.manifest),
            method_of(s.manifest),
            s.manifest.get("created_at") or "",
            shown_path(s.path),
        ]
        for s in scenarios
    ]
    return "\n".join(render(["id", "name", "weights", "method", "created", "path"], rows, align="<" * 6))


def resolve(text: str, cfg: Settings | None = None, kinds: tuple[str, ...] = ("release", "scenario")) -> Source:
    """A release id, scenario id or scenario name, whole or a unique prefix -> the Source.

    An exact name or id wins over prefixes. A scenario with the same content as a release has the same id:
    that is one candidate, and the release is taken. Unknown or ambiguous -> a one-line ConfigError listing
    the candidates."""
    cfg = cfg or current_settings()
    sources = (list_release_sources(cfg) if "release" in kinds else []) + (
        list_scenarios(cfg) if "scenario" in kinds else []
    )
    what = " or ".join(f"{k} id" for k in kinds) + (" or scenario name" if "scenario" in kinds else "")
    text = str(text).strip()
    exact = [s for s in sources if text in (s.id, s.name)]
    matches = exact or [s for s in sources if text and (s.id.startswith(text) or s.name.startswith(text))]
    by_id: dict[str, Source] = {}
    for source in matches:
        by_id.setdefault(source.id, source)  # releases come first
    if len(by_id) == 1:
        return next(iter(by_id.values()))
    if not by_id:
        known = ", ".join(f"{s.kind} {s.id if s.kind == 'release' else s.name}" for s in sources) or "none yet"
        raise ConfigError(f"{text!r} is no {what}; choose one of: {known}")
    listed = ", ".join(
        f"{s.kind} {s.id if s.kind == 'release' else s.name + ' (' + s.id + ')'}" for s in by_id.values()
    )
    raise ConfigError(f"{text!r} is ambiguous: it matches {listed}; type more of it")
