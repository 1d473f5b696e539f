"""A cache of checks that passed, so a whole `dei` process does not repeat them on unchanged input.

Two checks cost more than the build they guard on a small framework (COINr's ASEM: about a fifth of the
process): the sandbox's parse of every SQL file (index/sandbox.py) and the typed method spec (pydantic,
index/engine/spec.py, whose import alone is a tenth of a second). A check that passed is remembered under the
sha256 of what was checked *and* of the code that checked it (its source files, DuckDB's version for the
parser), so editing the input, the rules or DuckDB re-runs the check. Only successes are kept: a refusal is
always re-derived, so its message is current. What is kept is the check's result (the spec with defaults
filled), never a decision that the code could not make again.

The cache lives in ``DEI_CACHE`` (default ``$XDG_CACHE_HOME/dei`` or ``~/.cache/dei``), outside the repo and
the lake. It is only an optimisation: an unreadable, unwritable or corrupt entry is ignored and the check runs.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

CACHE_ENV = "DEI_CACHE"
DISABLE_VALUES = ("", "0", "off", "none")


def cache_root() -> Path | None:
    """The cache directory, or None when ``DEI_CACHE`` is set to an empty value or off."""
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        return None if configured.strip().lower() in DISABLE_VALUES else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dei"


@lru_cache(maxsize=32)
def fingerprint(*parts: str) -> str:
    """sha256 over the checking code: each part is a source file path (its bytes) or a plain version string."""
    digest = hashlib.sha256()
    for part in parts:
        path = Path(part)
        digest.update(path.read_bytes() if path.is_file() else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def package_file(package: str, name: str) -> str:
    """A file of an installed package (e.g. its version module), found without importing the package."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        return package
    return str(Path(spec.origin).parent / name)


def key(kind: str, checker: str, payload: str) -> str:
    return hashlib.sha256(f"{kind}\0{checker}\0{payload}".encode()).hexdigest()


def _entry(kind: str, digest: str) -> Path | None:
    root = cache_root()
    return None if root is None else root / kind / digest[:2] / digest


def recall(kind: str, digest: str) -> str | None:
    """The stored result of a passed check, or None."""
    path = _entry(kind, digest)
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def remember(kind: str, digest: str, result: str) -> None:
    """Store a passed check's result; any failure to write is ignored (the check simply runs next time)."""
    path = _entry(kind, digest)
    if path is None:
        return
    from index.files import write_text_atomic

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, result)
    except OSError:
        pass


def canonical_json(value) -> str | None:
    """A stable text of ``value`` when JSON round-trips it exactly (types included), else None (not cached)."""
    try:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return None
    return text if same(json.loads(text), value) else None


def same(a, b) -> bool:
    """Equal and of the same types all the way down (1 is not 1.0, a tuple is not a list)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b
