"""Locate the engine's SQL (``sql/engine``) and run one step file as ``create or replace table <step> as <file>``
(or, for a step that would only copy its input, ``create view``).

Parameters reach the SQL only as DuckDB variables (``set variable x = ?`` then ``getvariable('x')``), bound
as prepared-statement parameters: no value is ever formatted into SQL text. The table name is one of the
engine's own step names, never data.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.config import settings
from index.engine.log import StepRecord, record
from index.errors import ConfigError

if TYPE_CHECKING:
    import duckdb

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def sql_dir() -> Path:
    """The directory holding the engine's step files (``<DEI_SQL>/engine``)."""
    return settings().sql / "engine"


def read_step(file_name: str) -> str:
    """The step's one SELECT; a DEI_SQL tree is user SQL, so a step file gets the sandbox's check too."""
    from index import sandbox

    path = sql_dir() / file_name
    if not path.is_file():
        raise ConfigError(f"engine step file {path} not found")
    return sandbox.check_sql(sandbox.read_user_sql(path, "engine step"), path, "engine step")


def set_variables(con: duckdb.DuckDBPyConnection, variables: dict[str, Any] | None) -> None:
    for name, value in (variables or {}).items():
        if not _IDENTIFIER.match(name):
            raise ValueError(f"bad DuckDB variable name {name!r}")
        con.execute(f"set variable {name} = ?", [value])


def count_rows(con: duckdb.DuckDBPyConnection, table: str) -> int:
    if not _IDENTIFIER.match(table):
        raise ValueError(f"bad table name {table!r}")
    return int(con.execute(f"select count(*) from {table}").fetchone()[0])


def is_view(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether ``name`` is a view on the connection. Asked dozens of times a run, so of duckdb_views() alone:
    duckdb_tables() writes out every table's definition, enum members included (milliseconds a call)."""
    return bool(
        con.execute(
            "select 1 from duckdb_views() where view_name = ? and schema_name = current_schema()", [name]
        ).fetchall()
    )


def relation_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Names of the tables and views in the current schema. Of duckdb_tables() / duckdb_views() alone:
    information_schema binds a view over the whole catalog (tens of milliseconds on a fresh connection)."""
    return {
        name
        for (name,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = current_schema()"
            " union all select view_name from duckdb_views() where schema_name = current_schema() and not internal"
        ).fetchall()
    }


def drop_relation(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop table or view ``name`` if present (DuckDB will not replace a view by a table or the reverse)."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"bad table name {name!r}")
    if is_view(con, name):
        con.execute(f"drop view {name}")
    else:
        con.execute(f"drop table if exists {name}")


def run_view(
    con: duckdb.DuckDBPyConnection, view: str, file_name: str, variables: dict[str, Any] | None = None
) -> StepRecord:
    """``create view <view> as <file>``: a step whose output is a cheap projection of its input is not copied.
    The SQL is evaluated when read, so a view's file must not use variables that a later step changes."""
    if not _IDENTIFIER.match(view):
        raise ValueError(f"bad view name {view!r}")
    sql = read_step(file_name)
    started = time.perf_counter()
    set_variables(con, variables)
    drop_relation(con, view)
    con.execute(f"create view {view} as\n{sql}")
    return record(view, file_name, None, started, "view")


def repoint_view(con: duckdb.DuckDBPyConnection, view: str, file_name: str) -> None:
    """Point step view ``view`` (made by :func:`run_view`) at another definition once its data lives elsewhere;
    no new step starts, so nothing for the bench's meter."""
    if not _IDENTIFIER.match(view):
        raise ValueError(f"bad view name {view!r}")
    drop_relation(con, view)
    con.execute(f"create view {view} as\n{read_step(file_name)}")


def run_step(
    con: duckdb.DuckDBPyConnection, table: str, file_name: str, variables: dict[str, Any] | None = None
) -> StepRecord:
    """Set ``variables``, run ``create or replace table <table> as <file>``; return the step's log entry."""
    if not _IDENTIFIER.match(table):
        raise ValueError(f"bad table name {table!r}")
    sql = read_step(file_name)
    started = time.perf_counter()
    set_variables(con, variables)
    if is_view(con, table):
        con.execute(f"drop view {table}")
    con.execute(f"create or replace table {table} as\n{sql}")
    entry = record(table, file_name, None, started)
    entry["rows"] = count_rows(con, table)  # counted after the clock stops: the step's time is the statement's
    return entry
