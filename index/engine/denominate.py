"""Denominate: divide indicators by the denominator the framework names (times denominator_scale).

Without a [denominate] section, or when no indicator names a denominator, ``denominate`` is a view of the
indicators' staged cells (02_denominate_none.sql): nothing is computed, so nothing is copied.
"""

from __future__ import annotations

from index.engine.log import StepRecord
from index.engine.sqlsteps import run_step, run_view

FILE = "02_denominate.sql"
NONE_FILE = "02_denominate_none.sql"


def _has_denominators(con) -> bool:
    (count,) = con.execute(
        "select count(*) from framework where node_type = 'Indicator' and denominator is not null"
    ).fetchone()
    return count > 0


def run(con, method: dict) -> StepRecord:
    enabled = "denominate" in method
    if not (enabled and _has_denominators(con)):
        entry = run_view(con, "denominate", NONE_FILE)
        (entry["rows"],) = con.execute("select count(*) from stage where variable_type = 'Indicator'").fetchone()
        entry["notes"] = (
            "0 cells divided by a denominator; 0 reported values lost to a missing or zero denominator"
            if enabled
            else "no [denominate] section: values enter as reported"
        )
        return entry
    entry = run_step(con, "denominate", FILE, {"denominate": enabled})
    denominated, lost = con.execute(
        """
        select
            count(*) filter (where denominator_id is not null),
            count(*) filter (where denominator_id is not null and raw_value is not null
                             and denominated_value is null)
        from denominate
        """
    ).fetchone()
    entry["notes"] = (
        f"{denominated} cells divided by a denominator; {lost} reported values lost to a missing or zero denominator"
    )
    return entry
