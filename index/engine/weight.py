"""Weight: effective weight of each indicator per unit and period, re-weighted over the present siblings.

Three files: 07_weight_periods.sql (table ``weights_by_period``: every node's weight in every period, from table
``period_weights`` where objective weights were derived per period, else from table ``weights``),
07_weight_aggregates.sql (table ``weight_aggregates``: per present aggregate node, unit and period, the weight of
its present children and its effective weight relative to the root), then 07_weight.sql (``weight``: every
indicator cell with its effective weight and contribution). ``weight`` is a view unless the
steps are kept: it is one hash probe per cell into weight_aggregates, cheaper to repeat for its readers
(aggregate, indicator_results) than a table of every cell is to write.
"""

from __future__ import annotations

import time

from index.engine.log import StepRecord
from index.engine.sqlsteps import run_step, run_view

PERIODS_FILE = "07_weight_periods.sql"
AGGREGATES_FILE = "07_weight_aggregates.sql"
FILE = "07_weight.sql"


def empty_period_weights(con) -> None:
    """Table ``period_weights`` with no rows: every period reads the weights of table ``weights``."""
    con.execute("create or replace table period_weights (node_id varchar, period integer, weight double)")


def run(con, method: dict, keep_steps: bool = False) -> StepRecord:
    started = time.perf_counter()
    run_step(con, "weights_by_period", PERIODS_FILE)
    run_step(con, "weight_aggregates", AGGREGATES_FILE)
    entry = (run_step if keep_steps else run_view)(con, "weight", FILE)
    entry["seconds"] = round(time.perf_counter() - started, 4)
    if entry["rows"] is None:
        (entry["rows"],) = con.execute("select count(*) from normalise").fetchone()  # one row per cell, as weight
    # a unit-period is re-weighted when some indicator is missing and some aggregate is present (has a row
    # in weight_aggregates); only the missing cells are grouped
    reweighted = con.execute(
        """
        select count(*) from (
            select distinct unit_code, period from normalise where normalised is null
        ) as missing
        semi join weight_aggregates
            on weight_aggregates.unit_code = missing.unit_code and weight_aggregates.period = missing.period
        """
    ).fetchone()[0]
    entry["notes"] = f"{reweighted} unit-periods re-weighted over the indicators present"
    return entry
