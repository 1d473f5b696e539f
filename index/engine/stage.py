"""Stage: dedupe the observations (latest loaded_at wins) and lay them on the full grid units × periods × variables."""

from __future__ import annotations

from index.engine.sqlsteps import run_step

FILE = "01_stage.sql"


def run(con, method: dict) -> dict:
    entry = run_step(con, "stage", FILE)
    units, periods, variables, reported, superseded = con.execute(
        """
        select
            (select count(distinct unit_code) from stage),
            (select count(distinct period) from stage),
            (select count(distinct variable_id) from stage),
            (select count(raw_value) from stage),
            (select count(*) from observations) - (
                select count(*) from (select distinct unit_code, period, variable_id from observations)
            )
        """
    ).fetchone()
    entry["notes"] = (
        f"{units} units x {periods} periods x {variables} variables; {reported} cells with a value; "
        f"{superseded} duplicate observation rows superseded by a later load"
    )
    return entry
