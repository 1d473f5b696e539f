"""The run: the verb steps in the handbook's order on one DuckDB connection (index.engine.run).

stage, denominate, impute, screen, treat, normalise, [objective or equal weights], weight, aggregate, rank,
period_change, outputs; each verb is a module of this package running its SQL files (sql/engine). The log is
one :class:`index.engine.log.StepRecord` per step.
"""

from __future__ import annotations

import time

from index.engine.catalog import current_setting, fold_into_view, show_keys_as_text
from index.engine.inputs import REQUIRED_TABLES as INPUT_TABLES  # noqa: F401  (re-exported)
from index.engine.inputs import check as check_inputs
from index.engine.log import StepRecord, record
from index.engine.sqlsteps import run_step
from index.engine.vocabulary import OBJECTIVE_WEIGHT_SCHEMES

EQUAL_WEIGHTS_FILE = "07_weight_equal.sql"


def _weight_scheme(spec: dict) -> str | None:
    return spec.get("weights", {}).get("scheme")


def equal_weights(con) -> StepRecord:
    """Replace ``weights`` with equal shares of each parent's children (every non-root tree node)."""
    entry = run_step(con, "weights", EQUAL_WEIGHTS_FILE)
    entry["step"] = "weights_equal"
    entry["notes"] = "scheme equal: every child gets 1 / (number of children) of its parent"
    return entry


def run(con, method: dict, keep_steps: bool = False) -> list[StepRecord]:
    """Run every step on ``con``; leave ``indicator_results`` and ``node_scores`` and every step by name.

    Order: stage, denominate, impute, screen, treat, normalise, [objective or equal weights], weight,
    aggregate, rank, period_change, outputs. Units screened out are absent from treat on.
    Every step's name stays readable on the connection, with the same columns (keys as text), but what would
    only copy cells is a view: denominate without denominators, screen with min_data 0, treat none, the
    attribution under amean, aggregate (the indicators' scores are table weight's); normalise becomes a view of
    weight (which holds all its rows and columns), and rank and period_change are computed inside node_scores
    and then views of it, so each cell is stored once. ``keep_steps=True`` keeps normalise, rank and
    period_change as tables of their own (for debugging; like every step table, stored as engine_<step> and
    read through the view <step>, which shows the keys as text).
    Returns the log: one StepRecord per step (keys step, file, rows, seconds, notes; index.engine.log).
    """
    from index.engine import (
        aggregate,
        denominate,
        impute,
        normalise,
        rank,
        screen,
        stage,
        treat,
        validate_method,
        weight,
    )
    from index.engine.sqlsteps import count_rows, repoint_view, run_step, run_view

    spec = validate_method(method)
    check_inputs(con)
    started = time.perf_counter()
    # row order of intermediate tables carries no meaning here (outputs are keyed); not keeping it saves
    # memory and time. The caller's setting is restored at the end.
    # A caller that locked the configuration (compute) sets it beforehand; SET is then neither needed nor allowed.
    insertion_order = current_setting(con, "preserve_insertion_order")
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

            log.append(objective_weights.apply(con, scheme, spec["weights"].get("scope", "panel")))
        else:
            weight.empty_period_weights(con)  # every period reads table weights
            if scheme == "equal":
                log.append(equal_weights(con))
        log.append(weight.run(con, spec, keep_steps))
        log.append(aggregate.run(con, spec))
        log.append(rank.run(con, spec, keep_steps))
        log.append(rank.run_period_change(con, spec, keep_steps))
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
        grouped = rank.run_group_ranks(con, spec)
        if grouped is not None:
            log.append(grouped)
        if not keep_steps:
            # the ranked rows live in node_scores only: period_change and rank become views of it
            repoint_view(con, "period_change", "11_period_change_view.sql")
            fold_into_view(con, "rank", "period_change", ("score_change", "rank_change"))
        show_keys_as_text(con)
    finally:
        if insertion_order:
            con.execute("set preserve_insertion_order = true")
    log.append(record("total", None, None, started))
    return log
