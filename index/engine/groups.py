"""Unit groups: the one way a step learns which group each unit belongs to (sql/engine/00_unit_groups.sql).

Three steps can work within groups of units, each naming a column of the optional input table ``unit_groups``:
impute (``group_mean`` / ``group_median``, key ``impute.group``), normalise (``normalise.group``: the scale's
statistics per group, e.g. each 旗县 against the other 旗县 of its 盟市) and rank (``rank.group``: a second rank
within the group, table ``group_ranks``). Each gets a table ``<step>_groups(unit_code, group_value)``, empty when
the step works on all units together.
"""

from __future__ import annotations

from index.engine.sqlsteps import relation_names, run_step
from index.errors import ConfigError

FILE = "00_unit_groups.sql"


def build(con, step: str, group: str | None, key: str) -> None:
    """Table ``<step>_groups``: each unit's value of group column ``group`` (``key`` names the spec key in
    messages); no rows when ``group`` is None."""
    table = f"{step}_groups"
    if group is None:
        con.execute(f"create or replace table {table} (unit_code varchar, group_value varchar)")
        return
    if "unit_groups" not in relation_names(con):
        raise ConfigError(f"{key} = {group!r} needs a unit_groups table (unit groups were not loaded)")
    known = [c for (c,) in con.execute("select distinct group_column from unit_groups order by 1").fetchall()]
    if group not in known:
        raise ConfigError(f"{key} = {group!r} is not a group column of the units; known: {known}")
    run_step(con, table, FILE, {"group_column": group})
