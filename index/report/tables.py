"""Reading a release's per-unit tables for the site, in the unit layout of index/targets/contract.py.

A release published before the unit level existed has ``league_code`` / ``league_name`` (and ``level_kind``);
:func:`normalise` maps them to ``unit_code`` / ``unit_name`` / ``unit_level`` / ``parent_code`` here, in one place,
so the rest of the site reads one layout.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

REGION_CODE = 150000
LEAGUE, COUNTY, REGION = "league", "county", "region"


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with unit_code, unit_name, unit_level, parent_code (and rank_in_parent, units_covered)."""
    if "unit_code" not in frame.columns and "league_code" in frame.columns:
        frame = frame.rename(columns={"league_code": "unit_code", "league_name": "unit_name"})
        code = pd.to_numeric(frame["unit_code"], errors="coerce")
        if "level_kind" in frame.columns:
            level = frame["level_kind"].where(frame["level_kind"].notna(), None)
            frame = frame.drop(columns="level_kind")
        else:
            level = pd.Series([None] * len(frame), index=frame.index, dtype=object)
        known = code.notna()
        level = level.where(level.notna() | ~known, code.map(lambda c: REGION if c == REGION_CODE else LEAGUE))
        frame = frame.assign(
            unit_level=level.where(known, None),
            parent_code=code.map(lambda c: None if pd.isna(c) or c == REGION_CODE else REGION_CODE).astype("Int64"),
        )
        if "unit_name" not in frame.columns:
            frame["unit_name"] = None
    if "leagues_covered" in frame.columns and "units_covered" not in frame.columns:
        frame = frame.rename(columns={"leagues_covered": "units_covered"})
    if "rank" in frame.columns and "rank_in_parent" not in frame.columns and "unit_level" in frame.columns:
        frame = frame.assign(rank_in_parent=frame["rank"])
    return frame


def read(release_dir: Path, name: str) -> pd.DataFrame | None:
    """The release's table ``name`` in the unit layout, or None when the release has no such table."""
    path = Path(release_dir) / f"{name}.parquet"
    return normalise(pd.read_parquet(path)) if path.is_file() else None


def level(frame: pd.DataFrame | None, unit_level: str) -> pd.DataFrame | None:
    """The rows of one unit level (league, county or region)."""
    if frame is None:
        return None
    return frame[frame["unit_level"] == unit_level]
