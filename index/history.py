"""Recomputing history: the index of chosen reporting years, or with a past framework and weight scheme.

The years are a dimension of the data (the ``year`` of every figure), not Airflow's data intervals, so Airflow
backfill does not apply: a backfill of ``dei_ingest`` would mean one run per half hour since its start date,
each finding the same landing files, and the Asset-scheduled DAGs cannot be backfilled at all. History is
recomputed instead by one ``dei_compute`` run whose Params name what to recompute (``years``, ``framework``,
``weights``, ``method``), or by ``dei compute --years ... --framework ... --publish``. Such a release records
what it was asked for in release.json (``history``), and its id covers it.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from index.config import Settings, resolve
from index.errors import ConfigError

_YEARS = re.compile(r"^\s*(\d{4})\s*(?:[-–~]\s*(\d{4})\s*)?$")


def parse_years(text: str | list | tuple | None) -> tuple[int, int] | None:
    """ "2018-2022", "2020" or [2018, 2022] as (first, last); blank or None for every year in the lake."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if isinstance(text, list | tuple):
        if len(text) != 2 or not all(isinstance(y, int) for y in text):
            raise ConfigError(f"years {list(text)!r}: give [first_year, last_year], two whole years")
        first, last = text
    else:
        match = _YEARS.match(str(text))
        if not match:
            raise ConfigError(f"years {text!r}: give one year (2020) or a range (2018-2022)")
        first = int(match.group(1))
        last = int(match.group(2) or first)
    if first > last:
        raise ConfigError(f"years {text!r}: the first year {first} is after the last year {last}")
    return first, last


def settings_for(cfg: Settings, framework: str | None = None, years=None) -> Settings:
    """``cfg`` for a recomputation: another framework file (a path as `dei compute --framework` takes it,
    relative to the SQL tree's parent or absolute) and/or the reporting years to score."""
    override = cfg.framework_override
    if framework is not None and str(framework).strip():
        override = resolve(str(framework).strip(), cfg, confined=False)
        if not override.is_file():
            raise ConfigError(f"framework {framework}: no such file ({override})")
    return dataclasses.replace(cfg, framework_override=override, years=parse_years(years) or cfg.years)


def arguments(cfg: Settings) -> dict:
    """What a recomputation asked for, as release.json records it (and analyse_release reads it back)."""
    return dict(
        framework=None if cfg.framework_override is None else _in_tree(cfg, cfg.framework_override),
        years=None if cfg.years is None else list(cfg.years),
    )


def keeps_year(cfg: Settings, year: int) -> bool:
    return cfg.years is None or cfg.years[0] <= year <= cfg.years[1]


def _in_tree(cfg: Settings, path) -> str:
    """A file of the SQL tree as "sql/...", which another worker's checkout resolves to its own copy."""
    try:
        return (Path("sql") / Path(path).resolve().relative_to(cfg.sql.resolve())).as_posix()
    except ValueError:
        return str(path)
