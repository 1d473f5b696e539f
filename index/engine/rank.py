"""Rank within node and period (1 = best, ties share the min rank) and the change against the previous period.

Unless the steps are kept, ``rank`` (09_rank.sql) and ``period_change`` (10_period_change.sql) are views:
the output node_scores reads them, so both windows run in one statement and every ranked row is stored once,
in node_scores; afterwards index.engine.run points both views at node_scores (11_period_change_view.sql).
"""

from __future__ import annotations

from index.engine.log import StepRecord
from index.engine.sqlsteps import run_step, run_view

RANK_FILE = "09_rank.sql"
PERIOD_CHANGE_FILE = "10_period_change.sql"


def run(con, method: dict, keep_steps: bool = False) -> StepRecord:
    if keep_steps:
        entry = run_step(con, "rank", RANK_FILE)
    else:
        entry = run_view(con, "rank", RANK_FILE)
        entry["rows"] = (
            con.execute("select count(*) from normalise").fetchone()[0]
            + con.execute("select count(*) from aggregate_nodes").fetchone()[0]
        )
    entry["notes"] = "rank 1 = highest score; ties share the lowest rank" + ("" if keep_steps else " (view)")
    return entry


def run_period_change(con, method: dict, keep_steps: bool = False) -> StepRecord:
    if keep_steps:
        entry = run_step(con, "period_change", PERIOD_CHANGE_FILE)
    else:
        entry = run_view(con, "period_change", PERIOD_CHANGE_FILE)
        entry["rows"] = (
            con.execute("select count(*) from normalise").fetchone()[0]
            + con.execute("select count(*) from aggregate_nodes").fetchone()[0]
        )
    entry["notes"] = "score_change = score - previous; rank_change = previous rank - rank (positive = up)" + (
        "" if keep_steps else " (view)"
    )
    return entry
