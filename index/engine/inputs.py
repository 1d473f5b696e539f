"""The engine's own input contract: the tables a run reads, with generic columns only.

Nothing here is the DEI's: index/framework.py maps the DEI framework onto it (target_2025 is the `target`,
name_zh the `name`), index/coinr.py maps COINr's iMeta / iData. Extra columns are allowed and ignored by the
steps (the DEI keeps its own beside these); a missing required column stops the run before any step, naming
the table and the column.

framework     one row per node of the tree (indicators, aggregates, denominators)
weights       node_id, weight: each node's weight under its parent
units         unit_code: the units a run scores
observations  unit_code, period, variable_id, value, loaded_at: long-form data (the latest load wins)
unit_groups   (optional) unit_code, group_column, group_value: for group imputation
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from index.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

# column: (DuckDB type, meaning)
FRAMEWORK = {
    "node_id": ("varchar", "the node's id"),
    "parent_id": ("varchar", "its parent's node_id; NULL at the root and for denominators"),
    "level": ("bigint", "1 for indicators and denominators, rising to the root"),
    "node_type": ("varchar", "Indicator, Aggregate or Denominator"),
    "polarity": ("double", "1: higher is better; -1: lower is better"),
    "denominator": ("varchar", "node_id of the denominator an indicator is divided by, or NULL"),
    "denominator_scale": ("double", "multiplies value / denominator (NULL: 1)"),
}
# nullable: a framework that has no such values gets NULL columns (register() adds them)
FRAMEWORK_NULLABLE = {
    "target": ("double", "the target of dist2targ normalisation"),
    "goalpost_lower": ("double", "goalposts normalisation: the lower post"),
    "goalpost_upper": ("double", "goalposts normalisation: the upper post"),
    "goalpost_scale": ("double", "goalposts normalisation: the scale"),
    "goalpost_trunc2posts": ("boolean", "goalposts normalisation: truncate to the posts"),
}
# optional: only shown (the audit's names), never computed with
FRAMEWORK_OPTIONAL = {"name": ("varchar", "the node's name, shown by the audit")}
TABLES = {
    "framework": (*FRAMEWORK, *FRAMEWORK_NULLABLE),
    "weights": ("node_id", "weight"),
    "units": ("unit_code",),
    "observations": ("unit_code", "period", "variable_id", "value", "loaded_at"),
}
OPTIONAL_TABLES = {"unit_groups": ("unit_code", "group_column", "group_value")}
REQUIRED_TABLES = tuple(TABLES)


def register(con, framework: pd.DataFrame, weights: pd.DataFrame) -> None:
    """Tables ``framework`` and ``weights`` on ``con`` from DataFrames in this contract's columns: the nullable
    columns a frame lacks are NULL, every contract column is cast to its type, other columns are kept."""
    frame = framework.copy()
    for column in FRAMEWORK_NULLABLE:
        if column not in frame.columns:
            frame[column] = None
    con.register("framework_df", frame)
    con.register("weights_df", weights)
    typed = {**FRAMEWORK_NULLABLE, **{c: t for c, t in FRAMEWORK_OPTIONAL.items() if c in frame.columns}}
    casts = ", ".join(f'cast("{c}" as {t}) as "{c}"' for c, (t, _) in typed.items())
    keep = ", ".join(f'"{c}"' for c in typed)
    con.execute(f"create or replace table framework as select * exclude ({keep}), {casts} from framework_df")
    con.execute("create or replace table weights as select node_id, cast(weight as double) as weight from weights_df")
    con.unregister("framework_df")
    con.unregister("weights_df")


def check(con) -> None:
    """Every input table is on ``con`` with its columns; ConfigError names the first table or column missing."""
    from index.engine.sqlsteps import relation_names

    present = relation_names(con)
    missing = [t for t in TABLES if t not in present]
    if missing:
        raise ConfigError(f"the engine needs input table(s) {missing} on the connection")
    for table, columns in {**TABLES, **{t: c for t, c in OPTIONAL_TABLES.items() if t in present}}.items():
        have = set(con.sql(f"from {table} limit 0").columns)
        lacking = [c for c in columns if c not in have]
        if lacking:
            raise ConfigError(f"the engine's input table {table} lacks column(s) {lacking}; it has {sorted(have)}")
