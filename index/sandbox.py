"""The one way user SQL runs: framework, weight-scheme, periods, engine-step and release files.

Economists edit these files, and a file may come from someone else (a shared method TOML, a DEI_SQL tree), so
each must be one read-only query over the tables it is meant to see, and nothing more:

* exactly one statement, a SELECT (``with … select``, ``values``, ``from …``), judged by DuckDB's own parser;
* no table functions but ``range``, ``generate_series`` and ``unnest`` (no read_csv, glob, query, ...);
* no settings or catalog reads (``current_setting``, ``duckdb_*()``, ``pragma_*``, information_schema,
  pg_catalog, sqlite_master), no ``describe``/``summarize``/``show``;
* tables: a framework, weight-scheme or periods file runs on a connection of its own (:func:`run_query`)
  holding only the tables it is given (copied in, not views over files), with no file or network access, no
  extensions, a memory limit, a time limit and its configuration locked;
* engine-step and release files (a DEI_SQL tree) run on the engine's connection, which compute closes to
  files and extensions once the inputs are in memory (:func:`close_engine_connection`), under the engine's
  own memory and time limits; release tables are fetched as Arrow and written by pyarrow, never by COPY.

Every refusal is a ConfigError naming the file and the rule; none quotes the file or DuckDB's text about
another file (a path the SQL tried to read is not repeated either).
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from index.config import env_number
from index.errors import ConfigError

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

TIMEOUT_ENV = "DEI_SQL_TIMEOUT_SECONDS"
MEMORY_ENV = "DEI_SQL_MEMORY_LIMIT"
DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_MEMORY_LIMIT = "512MB"
SANDBOX_THREADS = 2
# The engine connection (compute) holds the whole lake, so its limits are wider and set apart.
ENGINE_TIMEOUT_ENV = "DEI_ENGINE_TIMEOUT_SECONDS"
ENGINE_MEMORY_ENV = "DEI_ENGINE_MEMORY_LIMIT"
DEFAULT_ENGINE_TIMEOUT_SECONDS = 600.0
DEFAULT_ENGINE_MEMORY_LIMIT = "4GB"

ALLOWED_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})
# functions that read DuckDB's settings, environment or catalog
REFUSED_FUNCTIONS = frozenset({"current_setting", "getenv", "current_query", "json_execute_serialized_sql"})
REFUSED_PREFIXES = ("duckdb_", "pragma_")
SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog"})
SYSTEM_TABLE_PREFIXES = ("duckdb_", "pragma_", "sqlite_", "pg_")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MEMORY = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$", re.IGNORECASE)
_LINE = re.compile(r"LINE (\d+):")


def _seconds(env: str, default: float) -> float:
    return env_number(
        env, default, rejects=lambda value: not value > 0, invalid=f"{env} must be a number of seconds > 0"
    )


def _memory(env: str, default: str) -> str:
    raw = os.environ.get(env)
    if raw is None or raw.strip() == "":
        return default
    if not _MEMORY.match(raw):
        raise ConfigError(f"{env} must be a size such as 512MB or 2GB")
    return raw.strip()


def timeout_seconds() -> float:
    return _seconds(TIMEOUT_ENV, DEFAULT_TIMEOUT_SECONDS)


def memory_limit() -> str:
    return _memory(MEMORY_ENV, DEFAULT_MEMORY_LIMIT)


def engine_timeout_seconds() -> float:
    return _seconds(ENGINE_TIMEOUT_ENV, DEFAULT_ENGINE_TIMEOUT_SECONDS)


def engine_memory_limit() -> str:
    return _memory(ENGINE_MEMORY_ENV, DEFAULT_ENGINE_MEMORY_LIMIT)


def _closed_config(memory: str) -> dict:
    return {
        "enable_external_access": False,
        "autoload_known_extensions": False,
        "autoinstall_known_extensions": False,
        "allow_unsigned_extensions": False,
        "allow_community_extensions": False,
        "allow_persistent_secrets": False,
        "memory_limit": memory,
        "threads": SANDBOX_THREADS,
        # no spilling: nothing is written to disk on the user's behalf
        "temp_directory": "",
    }


# ------------------------------------------------------------------------------------------------ the check

_parser_lock = threading.Lock()
_parser_con = None


def _serialize(query: str) -> dict:
    """DuckDB's parse tree of one SELECT as JSON (parsed only, never run), on a closed connection of its own."""
    global _parser_con
    import duckdb

    with _parser_lock:
        if _parser_con is None:
            _parser_con = duckdb.connect(config=_closed_config("64MB"))
            _parser_con.execute("set lock_configuration = true")
        return json.loads(_parser_con.execute("select json_serialize_sql(?)", [query]).fetchone()[0])


def _walk(node, found: dict) -> None:
    if isinstance(node, dict):
        kind = node.get("type")
        if node.get("class") == "FUNCTION" and isinstance(node.get("function_name"), str):
            found["functions"].add(node["function_name"].lower())
        if kind == "TABLE_FUNCTION" and isinstance(node.get("function"), dict):
            found["table_functions"].add(str(node["function"].get("function_name", "")).lower())
        elif kind == "BASE_TABLE":
            found["tables"].add(
                (str(node.get("catalog_name") or ""), str(node.get("schema_name") or ""), str(node.get("table_name")))
            )
        elif kind == "SHOW_REF":
            found["show"] = True
        cte_map = node.get("cte_map")
        if isinstance(cte_map, dict):
            for entry in cte_map.get("map") or []:
                if isinstance(entry, dict) and isinstance(entry.get("key"), str):
                    found["ctes"].add(entry["key"].lower())
        for value in node.values():
            _walk(value, found)
    elif isinstance(node, list):
        for value in node:
            _walk(value, found)


def _named(name: str) -> str:
    """A name from the file, shown only when it is a plain identifier of sensible length."""
    return name if _IDENTIFIER.match(name) and len(name) <= 64 else "(a name that is not a plain identifier)"


def _line_of(exc: Exception) -> str:
    match = _LINE.search(str(exc))
    return f" near line {match.group(1)}" if match else ""


def _refuse(source: str, rule: str) -> ConfigError:
    return ConfigError(f"{source}: refused: {rule}")


@lru_cache(maxsize=512)
def _checked(sql: str, source: str, kind: str, tables: frozenset | None) -> str:
    one_query = f"a {kind} file must be exactly one SELECT query (with … select, values or from …)"
    # DuckDB parses the file once for its tree; only a file that is not one SELECT is parsed again, statement by
    # statement, to say which rule it breaks
    tree = _serialize(sql)
    if tree.get("error") or len(tree.get("statements") or []) != 1:
        _statement_rule(sql, source, one_query)
        raise _refuse(source, one_query)
    found = {"functions": set(), "table_functions": set(), "tables": set(), "ctes": set(), "show": False}
    _walk(tree.get("statements"), found)

    if found["show"]:
        raise _refuse(source, "describe, summarize and show read the catalog; user SQL may not")
    for name in sorted(found["table_functions"]):
        if name not in ALLOWED_TABLE_FUNCTIONS:
            raise _refuse(
                source,
                f"it calls table function {_named(name)}(); user SQL may not read files or the catalog, only"
                f" {sorted(ALLOWED_TABLE_FUNCTIONS)} are allowed",
            )
    for name in sorted(found["functions"]):
        if name in REFUSED_FUNCTIONS or name.startswith(REFUSED_PREFIXES):
            raise _refuse(
                source, f"it calls {_named(name)}(), which reads DuckDB's settings or catalog; user SQL may not"
            )
    for catalog, schema, name in sorted(found["tables"]):
        system = (
            catalog.lower() not in ("", "memory")
            or schema.lower() not in ("", "main")
            or name.lower().startswith(SYSTEM_TABLE_PREFIXES)
            or not _IDENTIFIER.match(name)
        )
        if system:
            raise _refuse(
                source,
                f"it reads {_named(name)}, which is a file, another database or DuckDB's catalog; user SQL may not",
            )
        if tables is not None and name.lower() not in found["ctes"] and name.lower() not in tables:
            seen = sorted(tables) if tables else "no tables"
            raise _refuse(source, f"it reads table {_named(name)}; a {kind} file may read {seen}")
    return sql.strip().rstrip(";").rstrip()


def _statement_rule(sql: str, source: str, one_query: str) -> None:
    import duckdb

    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        # DuckDB's message quotes the text; the file may not be SQL at all, so only the line is told
        raise ConfigError(f"{source}: not valid SQL: DuckDB cannot parse it{_line_of(exc)}; {one_query}") from None
    if not statements:
        raise ConfigError(f"{source}: holds no SQL statement; {one_query}")
    if len(statements) > 1:
        raise _refuse(source, f"it holds {len(statements)} statements; {one_query}, so nothing of it was run")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        # MULTI: one statement DuckDB runs as several, e.g. a PIVOT statement (it creates a type first)
        what = (
            "a statement DuckDB runs as several"
            if kind.name == "MULTI"
            else (f"{'an' if kind.name[0] in 'AEIOU' else 'a'} {kind.name} statement")
        )
        raise _refuse(
            source,
            f"it is {what}, not a query; {one_query}"
            " (no COPY, ATTACH, INSTALL, LOAD, SET, PRAGMA, CREATE, EXPORT, CALL, ...)",
        )


def check_sql(sql: str, source: str | Path, kind: str, tables: Iterable[str] | None = None) -> str:
    """Refuse ``sql`` unless it is one SELECT within the rules above; return that statement's text.

    ``tables``: the only table names it may read (besides its own CTEs); None allows any plain table name (the
    engine's connection, where the step tables live), still refusing the catalog, files and other databases.
    """
    allowed = None if tables is None else frozenset(t.lower() for t in tables)
    # a file that passed these rules before, unchanged, under this DuckDB, passes again (index/verdicts.py)
    import duckdb

    from index import verdicts

    checker = verdicts.fingerprint(__file__, f"duckdb {duckdb.__version__}")
    digest = verdicts.key("sql", checker, "\0".join([kind, ",".join(sorted(allowed or ())), str(allowed is None), sql]))
    if verdicts.recall("sql", digest) == "passed":
        return sql.strip().rstrip(";").rstrip()
    checked = _checked(sql, str(source), kind, allowed)
    verdicts.remember("sql", digest, "passed")
    return checked


def read_user_sql(path: Path, kind: str) -> str:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: {kind} file not found")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; a {kind} file is SQL text") from None


# ------------------------------------------------------------------------------------------------ running


@contextmanager
def time_limit(con: duckdb.DuckDBPyConnection, seconds: float, source: str, env: str = TIMEOUT_ENV) -> Iterator[None]:
    """Interrupt ``con`` after ``seconds``; the interruption becomes a ConfigError naming ``source``."""
    import duckdb

    fired = threading.Event()

    def stop() -> None:
        fired.set()
        con.interrupt()

    timer = threading.Timer(seconds, stop)
    timer.daemon = True
    timer.start()
    try:
        yield
    except duckdb.InterruptException:
        if fired.is_set():
            raise _refuse(source, f"it did not finish within {seconds:g} s, the time limit ({env})") from None
        raise
    finally:
        timer.cancel()


def _failure(exc: Exception, source: str, limit: str, env: str) -> ConfigError:
    import duckdb

    if isinstance(exc, duckdb.OutOfMemoryException):
        return _refuse(source, f"it needs more memory than the limit of {limit} ({env})")
    if isinstance(exc, duckdb.PermissionException):
        return _refuse(source, "it tried to reach a file, the network, an extension or a setting; user SQL may not")
    # e.g. a misspelt column: DuckDB's first line says which; the quoted lines of SQL after it are dropped
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ConfigError(f"{source}: the SQL does not run{_line_of(exc)}: {first[:300]}")


def run_query(path: Path, kind: str, tables: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Run user SQL file ``path`` (one SELECT) on a closed connection that holds only ``tables``; a DataFrame."""
    import duckdb

    path = Path(path)
    tables = tables or {}
    query = check_sql(read_user_sql(path, kind), path, kind, tables)
    limit = memory_limit()
    seconds = timeout_seconds()
    con = duckdb.connect(config=_closed_config(limit))
    try:
        for name, frame in tables.items():
            # copied in as a real table: the query reads memory, never a view over a file
            con.register("sandbox_input", frame)
            con.execute(f'create table "{name}" as select * from sandbox_input')
            con.unregister("sandbox_input")
        con.execute("set lock_configuration = true")  # last: nothing can loosen the limits after this
        try:
            with time_limit(con, seconds, str(path)):
                return con.sql(query).df()
        except duckdb.Error as exc:
            if isinstance(exc, duckdb.InterruptException):
                raise
            raise _failure(exc, str(path), limit, MEMORY_ENV) from None
    finally:
        con.close()


def close_engine_connection(con: duckdb.DuckDBPyConnection) -> None:
    """After the inputs are loaded: no file, network or extension access, and the engine's memory limit.

    Cannot be undone (DuckDB refuses to re-enable external access). The configuration is locked by
    :func:`lock_configuration` once the engine has set what it sets for itself.
    """
    con.execute("set enable_external_access = false")
    con.execute("set autoload_known_extensions = false")
    con.execute("set autoinstall_known_extensions = false")
    con.execute("set allow_community_extensions = false")
    con.execute(f"set memory_limit = '{engine_memory_limit()}'")  # checked against _MEMORY: a plain size


def lock_configuration(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("set lock_configuration = true")


def engine_failure(exc: Exception, source: str) -> ConfigError:
    """A DuckDB error from engine or release SQL on the closed engine connection, as a ConfigError."""
    return _failure(exc, source, engine_memory_limit(), ENGINE_MEMORY_ENV)


__all__ = [
    "check_sql",
    "run_query",
    "read_user_sql",
    "time_limit",
    "close_engine_connection",
    "lock_configuration",
    "engine_failure",
    "timeout_seconds",
    "memory_limit",
    "engine_timeout_seconds",
    "engine_memory_limit",
]
