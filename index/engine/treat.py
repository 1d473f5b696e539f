"""Treat: outlier treatment per indicator and period (``[treat] method = "none" | "winsorise_then_log"``).

winsorise_then_log is COINr's default Treat(): an indicator fails when |skewness| >= ``skew`` and kurtosis
>= ``kurtosis``; a failing indicator is winsorised one extreme at a time, on the tail its skewness points
to, until it passes or ``winmax`` points are winsorised; if it still fails, its untreated values are
log-transformed instead. All indicators and periods move together: each pass is one set-based statement,
and there are at most ``winmax`` passes. A panel is treated per period (COINr: one coin per time point).
Method none computes nothing: ``treat`` and its helper tables are views (05_treat_none.sql), evaluated only
if someone reads them (``treat_indicators`` then still shows each indicator's skewness and kurtosis).
"""

from __future__ import annotations

import time

from index.engine.log import StepRecord, record
from index.engine.sqlsteps import count_rows, drop_relation, read_step, run_step, run_view

START_FILE = "05_treat_start.sql"
MOMENTS_FILE = "05_treat_moments.sql"
WINSORISE_FILE = "05_treat_winsorise.sql"
DECIDE_FILE = "05_treat_indicators.sql"
FILE = "05_treat.sql"
NONE_FILE = "05_treat_none.sql"


def _still_failing(con, winmax: int) -> int:
    return int(
        con.execute(
            "select count(*) from treat_moments where not passes and winsorised_points < ?", [winmax]
        ).fetchone()[0]
    )


def run(con, method: dict) -> StepRecord:
    spec = method["treat"]
    started = time.perf_counter()
    variables = {
        "treat_method": spec["method"],
        "treat_winmax": int(spec["winmax"]),
        "treat_skew": float(spec["skew"]),
        "treat_kurtosis": float(spec["kurtosis"]),
    }
    if spec["method"] == "none":
        run_view(con, "treat_state", START_FILE, variables)
        run_view(con, "treat_moments", MOMENTS_FILE)
        run_view(con, "treat_initial", MOMENTS_FILE)
        run_view(con, "treat_indicators", DECIDE_FILE)
        run_view(con, "treat", NONE_FILE)
        (rows,) = con.execute("select count(*) from screen").fetchone()
        return record(
            "treat",
            NONE_FILE,
            rows,
            started,
            "method none: values enter normalisation as imputed",
            winsorised=[],
            log_transformed=[],
        )
    run_step(con, "treat_state", START_FILE, variables)
    run_step(con, "treat_moments", MOMENTS_FILE)
    drop_relation(con, "treat_initial")
    con.execute("create table treat_initial as select * from treat_moments")
    passes = 0
    if spec["method"] == "winsorise_then_log":
        # bounded loop: every pass winsorises at least one more point of each indicator it touches.
        # The passes replace the two tables just made (tables, not views) and log nothing, so each file is read
        # and checked once, and run_step's view lookup and row count are not paid on every pass.
        winsorise, moments = read_step(WINSORISE_FILE), read_step(MOMENTS_FILE)
        while passes < spec["winmax"] and _still_failing(con, spec["winmax"]):
            con.execute(f"create or replace table treat_state as\n{winsorise}")
            con.execute(f"create or replace table treat_moments as\n{moments}")
            passes += 1
    run_step(con, "treat_indicators", DECIDE_FILE)
    run_step(con, "treat", FILE)

    outcome = {
        t: sorted(ids)
        for t, ids in con.execute(
            "select treatment, list(distinct indicator_id) from treat_indicators group by treatment"
        ).fetchall()
    }
    winsorised = ", ".join(
        f"{i} ({n} point{'s' if n != 1 else ''})"
        for i, n in con.execute(
            "select indicator_id, sum(winsorised_points) from treat_indicators"
            " where treatment = 'winsorised' group by indicator_id order by indicator_id"
        ).fetchall()
    )
    notes = (
        f"winsorise_then_log (winmax {spec['winmax']}, |skew| >= {spec['skew']:g} and kurtosis >= "
        f"{spec['kurtosis']:g} fails): {len(outcome.get('none', []))} indicator(s) untouched; "
        f"winsorised: {winsorised or 'none'}; log-transformed: {', '.join(outcome.get('log', [])) or 'none'}; "
        f"{passes} winsorisation pass(es)"
    )
    return record(
        "treat",
        FILE,
        count_rows(con, "treat"),
        started,
        notes,
        winsorised=outcome.get("winsorised", []),
        log_transformed=outcome.get("log", []),
    )
