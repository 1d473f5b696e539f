"""The build log: one record type for every step, as COINr's coin keeps one log of its whole build.

Each step returns a :class:`StepRecord`: the step's name, the SQL file it ran (None for a computed step), the
rows it left (None for a view), its seconds and a one-line note, plus what that verb alone reports (treat:
``winsorised`` and ``log_transformed``; objective weights: the scheme's weights). The run's log is the list of
records in order; with the method spec and the inputs it is what compute writes (log.json, release.json),
enough to rebuild the same index.
"""

from __future__ import annotations

import time
from typing import Any, TypedDict


class StepRecord(TypedDict, total=False):
    step: str
    file: str | None
    rows: int | None
    seconds: float
    notes: str


def record(
    step: str, file: str | None, rows: int | None, started: float, notes: str = "", **details: Any
) -> StepRecord:
    """The record of a step that began at ``started`` (time.perf_counter()) and has just ended."""
    entry: dict[str, Any] = {
        "step": step,
        "file": file,
        "rows": rows,
        "seconds": round(time.perf_counter() - started, 4),
        "notes": notes,
    }
    entry.update(details)
    return entry  # type: ignore[return-value]
