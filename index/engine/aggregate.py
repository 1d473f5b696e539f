"""Aggregate: score every Aggregate node from its present children, one framework level at a time.

The loop runs over LEVELS only (a handful); each pass is one set-based SQL statement over all units,
periods and nodes of that level. The method is chosen per level (``method_for_level``) so gmean / hmean can
be given to some levels later without touching the loop.
"""

from __future__ import annotations

import time

from index.engine.sqlsteps import count_rows, run_step
from index.errors import ConfigError

SEED_FILE = "08_aggregate_indicators.sql"
FILE = "08_aggregate.sql"


def aggregate_levels(con) -> list[int]:
    """Levels holding Aggregate nodes, lowest first; checks every child sits below its parent."""
    bad = con.execute(
        """
        select child.node_id, child.level, parent.node_id, parent.level
        from framework as child
        join framework as parent on parent.node_id = child.parent_id
        where child.node_type <> 'Denominator' and (parent.level <= child.level or parent.node_type <> 'Aggregate')
        order by child.node_id
        """
    ).fetchall()
    if bad:
        shown = "; ".join(f"{c} (level {cl}) under {p} (level {pl})" for c, cl, p, pl in bad[:10])
        raise ConfigError(f"framework: every parent must be an Aggregate on a higher level than its children: {shown}")
    return [
        int(level)
        for (level,) in con.execute(
            "select distinct cast(level as integer) from framework where node_type = 'Aggregate' order by 1"
        ).fetchall()
    ]


def method_for_level(method: dict, level: int) -> str:
    return method["aggregate"]["method"]


def run(con, method: dict) -> dict:
    started = time.perf_counter()
    levels = aggregate_levels(con)
    run_step(con, "aggregate", SEED_FILE)
    used = []
    for level in levels:
        name = method_for_level(method, level)
        run_step(con, "aggregate_level", FILE, {"aggregate_level": level, "aggregate_method": name})
        con.execute("insert into aggregate by name select * from aggregate_level")
        used.append(f"level {level}: {name}")
    return {
        "step": "aggregate",
        "file": FILE,
        "rows": count_rows(con, "aggregate"),
        "seconds": round(time.perf_counter() - started, 4),
        "notes": "; ".join(used) or "no aggregate nodes",
    }
