"""The generic composite-indicator engine: COINr / OECD-JRC Handbook verbs as SQL steps on DuckDB.

Inputs are tables on a DuckDB connection (``framework``, ``weights``, ``units``, ``observations``, see
docs/architecture.md and :func:`run`); the method is a dict read from a TOML spec such as sql/method/dei.toml.
Nothing here or in sql/engine names an indicator, dimension or unit of any particular index.

Steps (one SQL file each under sql/engine, one module per verb, each run as
``create or replace table <step> as <file>``)::

    stage       01_stage.sql            dedupe, full grid units × periods × variables
    denominate  02_denominate.sql       value / denominator × denominator_scale
    impute      03_impute.sql           none | mean | median | panel_linear | panel_latest
    screen      04_screen.sql           (reserved) drop units with too little data
    treat       05_treat.sql            (reserved) outlier treatment
    normalise   06_normalise.sql        minmax [lo, hi] | zscore; scope panel | year; polarity applied
    weight      07_weight*.sql          effective weights relative to the root, re-weighted over present nodes
    aggregate   08_aggregate*.sql       per level, amean (gmean / hmean to come)
    rank        09_rank.sql             1 = best, ties share the min rank
    year_over_year 10_year_over_year.sql score_change, rank_change
    outputs     11_indicator_results.sql, 11_node_scores.sql
"""

from __future__ import annotations

import copy
import math
import time
import tomllib
from pathlib import Path
from typing import Any

from index.errors import ConfigError

IMPUTE_METHODS = ("none", "mean", "median", "panel_linear", "panel_latest")
NORMALISE_METHODS = ("minmax", "zscore")
NORMALISE_SCOPES = ("panel", "year")
AGGREGATE_METHODS = ("amean",)

# section -> key -> default (None: optional without default)
METHOD_KEYS: dict[str, dict[str, Any]] = {
    "denominate": {},
    "impute": {"method": "none"},
    "normalise": {"method": "minmax", "range": [0, 100], "scope": "panel"},
    "weights": {"scheme": None},
    "aggregate": {"method": "amean"},
}
# sections filled with defaults when absent; [denominate] switches denomination on by being present
DEFAULT_SECTIONS = ("impute", "normalise", "aggregate")

INPUT_TABLES = ("framework", "weights", "units", "observations")


def _choice(source: str, key: str, value: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ConfigError(f"{source}: {key} = {value!r} is not allowed; use one of {list(allowed)}")
    return value


def validate_method(method: dict, source: str = "method") -> dict:
    """Check a method spec and return a copy with defaults filled; ConfigError names the key and allowed values."""
    if not isinstance(method, dict):
        raise ConfigError(f"{source}: a method spec is a table of sections, got {type(method).__name__}")
    unknown = sorted(set(method) - set(METHOD_KEYS))
    if unknown:
        raise ConfigError(f"{source}: unknown section(s) {unknown}; allowed sections are {sorted(METHOD_KEYS)}")
    spec = copy.deepcopy(method)
    for section, keys in METHOD_KEYS.items():
        if section not in spec:
            if section in DEFAULT_SECTIONS:
                spec[section] = {}
            else:
                continue
        body = spec[section]
        if not isinstance(body, dict):
            raise ConfigError(f"{source}: [{section}] must be a table, got {body!r}")
        extra = sorted(set(body) - set(keys))
        if extra:
            allowed = sorted(keys) if keys else "none"
            raise ConfigError(
                f"{source}: unknown key(s) {[f'{section}.{k}' for k in extra]}; keys allowed in [{section}]: {allowed}"
            )
        for key, default in keys.items():
            if key not in body and default is not None:
                body[key] = copy.deepcopy(default)

    _choice(source, "impute.method", spec["impute"]["method"], IMPUTE_METHODS)
    norm = spec["normalise"]
    _choice(source, "normalise.method", norm["method"], NORMALISE_METHODS)
    _choice(source, "normalise.scope", norm["scope"], NORMALISE_SCOPES)
    rng = norm["range"]
    if (
        not isinstance(rng, (list, tuple))
        or len(rng) != 2
        or not all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in rng)
        or not rng[0] < rng[1]
    ):
        raise ConfigError(f"{source}: normalise.range = {rng!r} must be two finite numbers [lo, hi] with lo < hi")
    norm["range"] = [rng[0], rng[1]]
    _choice(source, "aggregate.method", spec["aggregate"]["method"], AGGREGATE_METHODS)
    if "weights" in spec and "scheme" in spec["weights"] and not isinstance(spec["weights"]["scheme"], str):
        raise ConfigError(f"{source}: weights.scheme = {spec['weights']['scheme']!r} must be a path (string)")
    return spec


def load_method(path: str | Path) -> dict:
    """Read a method TOML file (e.g. sql/method/dei.toml) and validate it."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: method file not found")
    try:
        with path.open("rb") as handle:
            method = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return validate_method(method, source=str(path))


def _check_inputs(con) -> None:
    present = {
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables where table_name in (?, ?, ?, ?)", list(INPUT_TABLES)
        ).fetchall()
    }
    missing = [t for t in INPUT_TABLES if t not in present]
    if missing:
        raise ConfigError(f"the engine needs input table(s) {missing} on the connection")


def run(con, method: dict) -> list[dict]:
    """Run every step on ``con``; leave ``indicator_results`` and ``node_scores`` (and each step's table).

    Returns the log: one dict per step with keys step, file, rows, seconds, notes.
    """
    from index.engine import aggregate, denominate, impute, normalise, rank, stage, weight
    from index.engine.sqlsteps import run_step

    spec = validate_method(method)
    _check_inputs(con)
    started = time.perf_counter()
    log = [
        stage.run(con, spec),
        denominate.run(con, spec),
        impute.run(con, spec),
        normalise.run(con, spec),
        weight.run(con, spec),
        aggregate.run(con, spec),
        rank.run(con, spec),
        rank.run_year_over_year(con, spec),
    ]
    for table in ("indicator_results", "node_scores"):
        entry = run_step(con, table, f"11_{table}.sql")
        entry["notes"] = "output table"
        log.append(entry)
    log.append(
        {"step": "total", "file": None, "rows": None, "seconds": round(time.perf_counter() - started, 4), "notes": ""}
    )
    return log


__all__ = ["run", "load_method", "validate_method"]
