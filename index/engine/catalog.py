"""The engine's tables on its connection: which step tables and views a run leaves, and how they are shown.

Inside a run, cells are keyed by the enum types engine_unit and engine_node (stage.py); at the end each step
table moves to engine_<step> and <step> becomes a view with text keys (:func:`show_keys_as_text`). A step
whose cells a later step holds too becomes a view of it (:func:`fold_into_view`), so each cell is stored once.
"""

from __future__ import annotations

import re

# every table a run may create whose keys can be of the enum key types (index/engine/stage.py)
STEP_TABLES = (
    "stage",
    "denominate",
    "impute_fills",
    "impute",
    "screen_units",
    "screen",
    "treat_state",
    "treat_moments",
    "treat_initial",
    "treat_indicators",
    "treat",
    "normalise",
    "weights_by_period",
    "weight_aggregates",
    "weight",
    "aggregate_nodes",
    "aggregate_level",
    "aggregate_children_level",
    "aggregate_children",
    "aggregate_contribution",
    "rank",
    "period_change",
    "indicator_results",
    "node_scores",
    "group_ranks",
)


# views a run may create over those tables
STEP_VIEWS = STEP_TABLES + ("aggregate", "normalise_scoped", "aggregate_child_scores")


def show_keys_as_text(con) -> None:
    """Leave each step's table under its own name with text keys, as callers expect (pandas, Parquet, joins
    with text): the table moves to engine_<step> and <step> becomes a view casting its enum keys to varchar.
    Readers are few and small (release, audit, tests); the hot path never reads these views."""
    from index.engine.sqlsteps import drop_relation

    # each step table's columns from its result types (duckdb_columns() would render every enum's members)
    tables = {
        name
        for (name,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = current_schema()"
        ).fetchall()
    }
    columns_of: dict[str, list[tuple[str, bool]]] = {}
    for table in STEP_TABLES:
        if table in tables:
            relation = con.sql(f"from {table} limit 0")
            columns_of[table] = [(name, kind.id == "enum") for name, kind in zip(relation.columns, relation.types)]
    for table in STEP_TABLES:
        columns = columns_of.get(table, [])
        if not any(is_key for _, is_key in columns):
            continue
        internal = f"engine_{table}"
        drop_relation(con, internal)
        con.execute(f"alter table {table} rename to {internal}")
        shown = ", ".join(
            f'cast("{name}" as varchar) as "{name}"' if is_key else f'"{name}"' for name, is_key in columns
        )
        con.execute(f"create view {table} as select {shown} from {internal}")
    # a view keeps the column types it was created with; rebind the step views so they show text keys too
    for (sql,) in con.execute(
        "select sql from duckdb_views() where not internal and schema_name = current_schema()"
        " and view_name in (select unnest(?::varchar[]))",
        [list(STEP_VIEWS)],
    ).fetchall():
        con.execute(re.sub(r"^\s*create\s+view", "create or replace view", sql, count=1, flags=re.IGNORECASE))


def current_setting(con, name: str):
    return con.execute("select current_setting(?)", [name]).fetchall()[0][0]


def fold_into_view(con, table: str, source: str, dropped: tuple[str, ...]) -> None:
    """Replace step table ``table`` by a view of the later step's table ``source``, which holds every one of its
    rows and columns plus ``dropped``: readers still find ``table``, and its cells are stored once."""
    from index.engine.sqlsteps import drop_relation

    drop_relation(con, table)
    con.execute(f"create view {table} as select * exclude ({', '.join(dropped)}) from {source}")
