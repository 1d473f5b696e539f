"""Weight: effective weight of each indicator per unit and period, re-weighted over the present siblings.

Two files: 07_weight_aggregates.sql (table ``weight_aggregates``: per present aggregate node, unit and period,
the weight of its present children and its effective weight relative to the root), then 07_weight.sql
(table ``weight``: every indicator cell with its effective weight and contribution).
"""

from __future__ import annotations

import time

from index.engine.sqlsteps import run_step

AGGREGATES_FILE = "07_weight_aggregates.sql"
FILE = "07_weight.sql"


def run(con, method: dict) -> dict:
    started = time.perf_counter()
    run_step(con, "weight_aggregates", AGGREGATES_FILE)
    entry = run_step(con, "weight", FILE)
    entry["seconds"] = round(time.perf_counter() - started, 4)
    reweighted = con.execute(
        """
        select count(*) from (
            select unit_code, period from weight
            group by unit_code, period
            having count(*) filter (where normalised is null) > 0 and count(normalised) > 0
        )
        """
    ).fetchone()[0]
    entry["notes"] = f"{reweighted} unit-periods re-weighted over the indicators present"
    return entry
