"""The generic composite-indicator engine: COINr / OECD-JRC Handbook verbs as SQL steps on DuckDB.

Inputs are tables on a DuckDB connection (``framework``, ``weights``, ``units``, ``observations``, see
docs/architecture.md and :func:`run`); the method is a dict read from a TOML spec such as sql/method/dei.toml.
Nothing here or in sql/engine names an indicator, dimension or unit of any particular index.

Steps (one SQL file each under sql/engine, one module per verb, each run as
``create or replace table <step> as <file>``, or as a view where the step would only copy cells)::

    stage       01_stage.sql            dedupe, full grid units × periods × variables; keys become enums
    denominate  02_denominate*.sql      value / denominator × denominator_scale (a view when nothing divides)
    impute      03_impute*.sql          none | mean | median | panel_linear | panel_latest | group_mean |
                                        group_median | knn (scikit-learn, once per period); only the chosen one
    screen      04_screen*.sql          drop unit-periods with too small a share of indicators (raw or imputed)
    treat       05_treat*.sql           none | winsorise_then_log (COINr's default), per indicator and period
    normalise   06_normalise*.sql       methods and keys: normalise.py (validate_section); polarity applied
    (weights)                           [weights] scheme entropy | critic | pca | balance (objective_weights.py)
                                        or equal replace the weights table; metadata keeps it
    weight      07_weight*.sql          effective weights relative to the root, re-weighted over present nodes
    aggregate   08_aggregate*.sql       per level; methods and keys: aggregate.py (validate_section)
    rank        09_rank.sql             1 = best, ties share the min rank
    year_over_year 10_year_over_year.sql score_change, rank_change
    outputs     11_indicator_results.sql, 11_node_scores.sql

Lean by design (bench: ``python -m index.bench``): inside a run, cells are keyed by the enum types engine_unit
and engine_node (index/engine/stage.py), so joins, groups and sorts work on small integer codes; a step that
would only copy its input is a view; each cell is stored once (see :func:`run`). At the end every step's name
reads with text keys, as before.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from index.errors import ConfigError

# The method's vocabulary (vocabulary.py) re-exported for callers; the checks live in spec.py (typed models).
from index.engine.vocabulary import (
    GROUP_IMPUTE_METHODS,
    IMPUTE_METHODS,
    KNN_DEFAULT_K,
    NAMED_WEIGHT_SCHEMES,
    OBJECTIVE_WEIGHT_SCHEMES,
    SCREEN_ON,
    TREAT_METHODS,
)

INPUT_TABLES = ("framework", "weights", "units", "observations")


def validate_method(method: dict, source: str = "method") -> dict:
    """Check a method spec and return a copy with defaults filled; ConfigError names the key and allowed values.

    A spec that passed before, unchanged and checked by unchanged code, is read from the verdict cache
    (index/verdicts.py) without importing pydantic; anything else is checked by the typed models."""
    import json

    from index import verdicts

    text = verdicts.canonical_json(method)
    digest = None
    if text is not None:
        here = Path(__file__).parent
        checker = verdicts.fingerprint(str(here / "spec.py"), str(here / "vocabulary.py"),
                                       verdicts.package_file("pydantic", "version.py"))
        digest = verdicts.key("method", checker, text)
        stored = verdicts.recall("method", digest)
        if stored is not None:
            try:
                return json.loads(stored)
            except ValueError:
                pass
    from index.engine import spec

    checked = spec.validate(method, source)
    result = verdicts.canonical_json(checked) if digest is not None else None
    if result is not None:
        verdicts.remember("method", digest, result)
    return checked


def load_method(path: str | Path) -> dict:
    """Read a method TOML file (e.g. sql/method/dei.toml) and validate it."""
    from index.files import read_toml

    return validate_method(read_toml(path, "method"), source=str(path))


def _check_inputs(con) -> None:
    from index.engine.sqlsteps import relation_names

    present = relation_names(con)
    missing = [t for t in INPUT_TABLES if t not in present]
    if missing:
        raise ConfigError(f"the engine needs input table(s) {missing} on the connection")


def _weight_scheme(spec: dict) -> str | None:
    return spec.get("weights", {}).get("scheme")


def equal_weights(con) -> dict:
    """Replace ``weights`` with equal shares of each parent's children (every non-root tree node)."""
    started = time.perf_counter()
    con.execute(
        """
        create or replace table weights as
        with tree as (
            select node_id, parent_id from framework
            where node_type <> 'Denominator' and parent_id is not null
        ),
        final as (
            select node_id, 1.0 / count(*) over (partition by parent_id) as weight from tree
        )
        select * from final
        """
    )
    return {
        "step": "weights_equal",
        "file": None,
        "rows": int(con.execute("select count(*) from weights").fetchone()[0]),
        "seconds": round(time.perf_counter() - started, 4),
        "notes": "scheme equal: every child gets 1 / (number of children) of its parent",
    }


# every table a run may create whose keys can be of the enum key types (index/engine/stage.py)
STEP_TABLES = (
    "stage", "denominate", "impute_fills", "impute", "screen_units", "screen", "treat_state", "treat_moments", "treat_initial",
    "treat_indicators", "treat", "normalise", "weight_aggregates", "weight", "aggregate_nodes", "aggregate_level",
    "aggregate_children_level", "aggregate_children", "aggregate_contribution", "rank", "year_over_year",
    "indicator_results", "node_scores",
)


# views a run may create over those tables
STEP_VIEWS = STEP_TABLES + ("aggregate",)


def _show_keys_as_text(con) -> None:
    """Leave each step's table under its own name with text keys, as callers expect (pandas, Parquet, joins
    with text): the table moves to engine_<step> and <step> becomes a view casting its enum keys to varchar.
    Readers are few and small (release, audit, tests); the hot path never reads these views."""
    from index.engine.sqlsteps import drop_relation

    # each step table's columns from its result types (duckdb_columns() would render every enum's members)
    tables = {name for (name,) in con.execute(
        "select table_name from duckdb_tables() where schema_name = current_schema()").fetchall()}
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


def _current_setting(con, name: str):
    return con.execute("select current_setting(?)", [name]).fetchall()[0][0]


def _fold_into_view(con, table: str, source: str, dropped: tuple[str, ...]) -> None:
    """Replace step table ``table`` by a view of the later step's table ``source``, which holds every one of its
    rows and columns plus ``dropped``: readers still find ``table``, and its cells are stored once."""
    from index.engine.sqlsteps import drop_relation

    drop_relation(con, table)
    con.execute(f"create view {table} as select * exclude ({', '.join(dropped)}) from {source}")


def run(con, method: dict, keep_steps: bool = False) -> list[dict]:
    """Run every step on ``con``; leave ``indicator_results`` and ``node_scores`` and every step by name.

    Order: stage, denominate, impute, screen, treat, normalise, [objective or equal weights], weight,
    aggregate, rank, year_over_year, outputs. Units screened out are absent from treat on.
    Every step's name stays readable on the connection, with the same columns (keys as text), but what would
    only copy cells is a view: denominate without denominators, screen with min_data 0, treat none, the
    attribution under amean, aggregate (the indicators' scores are table weight's); normalise becomes a view of
    weight (which holds all its rows and columns), and rank and year_over_year are computed inside node_scores
    and then views of it, so each cell is stored once. ``keep_steps=True`` keeps normalise, rank and
    year_over_year as tables of their own (for debugging; like every step table, stored as engine_<step> and
    read through the view <step>, which shows the keys as text).
    Returns the log: one dict per step with keys step, file, rows, seconds, notes.
    """
    from index.engine import aggregate, denominate, impute, normalise, rank, screen, stage, treat, weight
    from index.engine.sqlsteps import count_rows, repoint_view, run_step, run_view

    spec = validate_method(method)
    _check_inputs(con)
    started = time.perf_counter()
    # row order of intermediate tables carries no meaning here (outputs are keyed); not keeping it saves
    # memory and time. The caller's setting is restored at the end.
    # A caller that locked the configuration (compute) sets it beforehand; SET is then neither needed nor allowed.
    insertion_order = _current_setting(con, "preserve_insertion_order")
    if insertion_order:
        con.execute("set preserve_insertion_order = false")
    try:
        log = [
            stage.run(con, spec),
            denominate.run(con, spec),
            impute.run(con, spec),
            screen.run(con, spec),
            treat.run(con, spec),
            normalise.run(con, spec, keep_steps),
        ]
        scheme = _weight_scheme(spec)
        if scheme in OBJECTIVE_WEIGHT_SCHEMES:
            from index.engine import objective_weights

            log.append(objective_weights.apply(con, scheme))
        elif scheme == "equal":
            log.append(equal_weights(con))
        log.append(weight.run(con, spec, keep_steps))
        log.append(aggregate.run(con, spec))
        log.append(rank.run(con, spec, keep_steps))
        log.append(rank.run_year_over_year(con, spec, keep_steps))
        # indicator_results is a view (one hash probe per cell into weight_aggregates, through weight) unless the
        # steps are kept; node_scores holds the ranks and changes, computed once
        results = (run_step if keep_steps else run_view)(con, "indicator_results", "11_indicator_results.sql")
        if results["rows"] is None:
            results["rows"] = count_rows(con, "normalise")
        results["notes"] = "output" + ("" if keep_steps else " (view)")
        log.append(results)
        entry = run_step(con, "node_scores", "11_node_scores.sql")
        entry["notes"] = "output table"
        log.append(entry)
        if not keep_steps:
            # the ranked rows live in node_scores only: year_over_year and rank become views of it
            repoint_view(con, "year_over_year", "11_year_over_year_view.sql")
            _fold_into_view(con, "rank", "year_over_year", ("score_change", "rank_change"))
        _show_keys_as_text(con)
    finally:
        if insertion_order:
            con.execute("set preserve_insertion_order = true")
    log.append(
        {"step": "total", "file": None, "rows": None, "seconds": round(time.perf_counter() - started, 4), "notes": ""}
    )
    return log


__all__ = ["run", "load_method", "validate_method"]
