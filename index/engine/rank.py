"""Rank within node and period (1 = best, ties share the min rank) and the change against the previous period.

Unless the steps are kept, ``rank`` (09_rank.sql) and ``period_change`` (10_period_change.sql) are views:
the output node_scores reads them, so both windows run in one statement and every ranked row is stored once,
in node_scores; afterwards index.engine.run points both views at node_scores (11_period_change_view.sql).
"""

from __future__ import annotations

from index.engine.log import StepRecord
from index.engine.sqlsteps import run_step, run_view

RANK_FILE = "09_rank.sql"
GROUP_RANKS_FILE = "11_group_ranks.sql"
PERIOD_CHANGE_FILE = "10_period_change.sql"


def _run(con, step: str, sql_file: str, notes: str, keep_steps: bool) -> StepRecord:
    if keep_steps:
        entry = run_step(con, step, sql_file)
    else:
        entry = run_view(con, step, sql_file)
        # a view stores nothing: count the rows it ranks
        entry["rows"] = (
            con.execute("select count(*) from normalise").fetchone()[0]
            + con.execute("select count(*) from aggregate_nodes").fetchone()[0]
        )
    entry["notes"] = notes + ("" if keep_steps else " (view)")
    return entry


def run(con, method: dict, keep_steps: bool = False) -> StepRecord:
    return _run(con, "rank", RANK_FILE, "rank 1 = highest score; ties share the lowest rank", keep_steps)


def run_period_change(con, method: dict, keep_steps: bool = False) -> StepRecord:
    notes = "score_change = score - previous; rank_change = previous rank - rank (positive = up)"
    return _run(con, "period_change", PERIOD_CHANGE_FILE, notes, keep_steps)


def run_group_ranks(con, method: dict) -> StepRecord | None:
    """Table group_ranks when ``[rank] group`` names a unit group column (a second rank, within the group);
    None otherwise (no table: nothing to rank within)."""
    from index.engine import groups

    group = (method.get("rank") or {}).get("group")
    if group is None:
        return None
    groups.build(con, "rank", group, "rank.group")
    entry = run_step(con, "group_ranks", GROUP_RANKS_FILE)
    entry["notes"] = f"output table: rank within each {group} (1 = highest score)"
    return entry
