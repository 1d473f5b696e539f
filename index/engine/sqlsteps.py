"""Locate the engine's SQL (``sql/engine``) and run one step file as ``create or replace table <step> as <file>``.

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
from index.errors import ConfigError

if TYPE_CHECKING:
    import duckdb

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def sql_dir() -> Path:
    """The directory holding the engine's step files (``<DEI_SQL>/engine``)."""
    return settings().sql / "engine"


def read_step(file_name: str) -> str:
    path = sql_dir() / file_name
    if not path.is_file():
        raise ConfigError(f"engine step file {path} not found")
    return path.read_text(encoding="utf-8").strip().rstrip(";")


def set_variables(con: "duckdb.DuckDBPyConnection", variables: dict[str, Any] | None) -> None:
    for name, value in (variables or {}).items():
        if not _IDENTIFIER.match(name):
            raise ValueError(f"bad DuckDB variable name {name!r}")
        con.execute(f"set variable {name} = ?", [value])


def count_rows(con: "duckdb.DuckDBPyConnection", table: str) -> int:
    if not _IDENTIFIER.match(table):
        raise ValueError(f"bad table name {table!r}")
    return int(con.execute(f"select count(*) from {table}").fetchone()[0])


def run_step(
    con: "duckdb.DuckDBPyConnection",
    table: str,
    file_name: str,
    variables: dict[str, Any] | None = None,
) -> dict:
    """Set ``variables``, run ``create or replace table <table> as <file>``; return the step's log entry."""
    if not _IDENTIFIER.match(table):
        raise ValueError(f"bad table name {table!r}")
    sql = read_step(file_name)
    started = time.perf_counter()
    set_variables(con, variables)
    con.execute(f"create or replace table {table} as\n{sql}")
    seconds = time.perf_counter() - started
    return {"step": table, "file": file_name, "rows": count_rows(con, table), "seconds": round(seconds, 4), "notes": ""}
