"""Screen: drop unit-periods whose share of indicators with data is below ``[screen] min_data``.

The share is counted on the reported values (``on = "raw"``) or on the imputed data (``on = "imputed"``,
the default, as COINr's reference build screens its "Imputed" data set). With ``min_data = 0`` nobody can
be dropped: ``screen_units`` and ``screen`` are views (04_screen_all.sql), computed only if someone reads them.
"""

from __future__ import annotations

import time

from index.engine.log import StepRecord, record
from index.engine.sqlsteps import count_rows, run_step, run_view

UNITS_FILE = "04_screen_units.sql"
FILE = "04_screen.sql"
ALL_FILE = "04_screen_all.sql"


def run(con, method: dict) -> StepRecord:
    spec = method["screen"]
    started = time.perf_counter()
    variables = {"screen_min_data": float(spec["min_data"]), "screen_on": spec["on"]}
    if spec["min_data"] <= 0:
        run_view(con, "screen_units", UNITS_FILE, variables)
        run_view(con, "screen", ALL_FILE)
        (rows,) = con.execute("select count(*) from impute").fetchone()
        dropped = []
    else:
        run_step(con, "screen_units", UNITS_FILE, variables)
        run_step(con, "screen", FILE)
        rows = count_rows(con, "screen")
        dropped = con.execute(
            "select unit_code, period, data_availability from screen_units where not kept order by unit_code, period"
        ).fetchall()
    periods = {p for _, p, _ in dropped}
    shown = ", ".join(f"{u}{'' if len(periods) <= 1 else f' ({p})'}: {share:.1%}" for u, p, share in dropped)
    return record(
        "screen",
        FILE,
        rows,
        started,
        f"min_data {spec['min_data']:g} on {spec['on']} data: "
        + (f"{len(dropped)} unit-period(s) dropped ({shown})" if dropped else "no unit dropped"),
        dropped=[{"unit_code": u, "period": int(p), "data_availability": float(s)} for u, p, s in dropped],
    )
