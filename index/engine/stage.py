"""Stage: dedupe the observations (latest loaded_at wins) and lay them on the full grid units × periods × variables."""

from __future__ import annotations

from index.engine.log import StepRecord
from index.engine.sqlsteps import run_step

FILE = "01_stage.sql"


# enum key types of the engine's tables: small integer codes, shown as text
KEY_TYPES = ("engine_unit", "engine_node")


def create_key_types(con) -> None:
    """engine_unit: every unit of ``units``; engine_node: every node of ``framework``. Sorted, so an enum orders
    as its text does. Replacing a type leaves tables of an earlier run with their own copy of it."""
    con.execute(
        "create or replace type engine_unit as enum ("
        "select distinct cast(unit_code as varchar) from units where unit_code is not null order by 1)"
    )
    con.execute(
        "create or replace type engine_node as enum ("
        "select distinct cast(node_id as varchar) from framework where node_id is not null order by 1)"
    )


def run(con, method: dict) -> StepRecord:
    create_key_types(con)
    entry = run_step(con, "stage", FILE)
    # one pass over the staged cells; `reports` counts the observation rows behind each cell
    units, periods, variables, reported, superseded = con.execute(
        """
        select
            count(distinct unit_code),
            count(distinct period),
            count(distinct variable_id),
            count(raw_value),
            coalesce(sum(greatest(reports - 1, 0)), 0)
        from stage
        """
    ).fetchone()
    entry["notes"] = (
        f"{units} units x {periods} periods x {variables} variables; {reported} cells with a value; "
        f"{superseded} duplicate observation rows superseded by a later load"
    )
    return entry
