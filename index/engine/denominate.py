"""Denominate: divide indicators by the denominator the framework names (times denominator_scale)."""

from __future__ import annotations

from index.engine.sqlsteps import run_step

FILE = "02_denominate.sql"


def run(con, method: dict) -> dict:
    enabled = "denominate" in method
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
        if enabled
        else "no [denominate] section: values enter as reported"
    )
    return entry
