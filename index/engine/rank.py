"""Rank within node and period (1 = best, ties share the min rank) and the change against the previous period."""

from __future__ import annotations

from index.engine.sqlsteps import run_step

RANK_FILE = "09_rank.sql"
YEAR_OVER_YEAR_FILE = "10_year_over_year.sql"


def run(con, method: dict) -> dict:
    entry = run_step(con, "rank", RANK_FILE)
    entry["notes"] = "rank 1 = highest score; ties share the lowest rank"
    return entry


def run_year_over_year(con, method: dict) -> dict:
    entry = run_step(con, "year_over_year", YEAR_OVER_YEAR_FILE)
    entry["notes"] = "score_change = score - previous; rank_change = previous rank - rank (positive = up)"
    return entry
