"""Normalise: min-max or z-score, pooled over the panel or per period, with polarity applied."""

from __future__ import annotations

from index.engine.sqlsteps import run_step

FILE = "06_normalise.sql"


def run(con, method: dict) -> dict:
    spec = method["normalise"]
    lo, hi = (float(x) for x in spec["range"])
    entry = run_step(
        con,
        "normalise",
        FILE,
        {
            "normalise_method": spec["method"],
            "normalise_lo": lo,
            "normalise_hi": hi,
            "normalise_scope": spec["scope"],
        },
    )
    constant = con.execute(
        """
        select count(*) from (
            select indicator_id from normalise
            where filled_value is not null
            group by indicator_id
            having min(filled_value) = max(filled_value)
        )
        """
    ).fetchone()[0]
    scale = f"range [{lo:g}, {hi:g}]" if spec["method"] == "minmax" else "mean 0, sd 1"
    entry["notes"] = (
        f"{spec['method']} ({scale}), scope {spec['scope']}; "
        f"{constant} indicator(s) constant over the whole panel scored at the middle of the scale"
    )
    return entry
