"""Normalise: every COINr normalisation (plus base_period), pooled over the panel or per period, polarity applied.

Methods (``[normalise] method``; definitions in sql/engine/06_normalise.sql, sources cited there):

    minmax     lo + (x - min) / (max - min) × (hi - lo)                         keys range, scope
    zscore     (x - mean) / sd × sd_target + mean_target (COINr n_zscore)       keys mean (0), sd (1), scope
    prank      percentile rank in [0, 1] (COINr n_prank)                        key scope
    rank       plain rank, ties averaged (COINr n_rank, R's rank default)       key scope
    goalposts  framework goalpost_lower / _upper / _scale / _trunc2posts (COINr n_goalposts)
    dist2targ  1 - (target - x) / (target - min) to the framework's target (COINr n_dist2targ)  key cap_max
    base_period x / x in base_period × 100 (per unit)                           key base_period (required)

Polarity: x is multiplied by the polarity before normalising (COINr's Normalise), except goalposts and
dist2targ, which take the direction themselves (the posts / target are given in the indicator's own units),
and base_period, where polarity -1 inverts the ratio.
"""

from __future__ import annotations

from index.engine.log import StepRecord
from index.engine.sqlsteps import run_step, run_view
from index.engine.vocabulary import NORMALISE_METHODS
from index.errors import ConfigError

FILE = "06_normalise.sql"
# the cells with directed values and scopes, which both method files read
SCOPED_FILE = "06_normalise_scoped.sql"
# minmax and zscore read no ranks: a file without the sort
SCALE_FILE = "06_normalise_scale.sql"

METHODS = NORMALISE_METHODS


def validate_section(body: dict, source: str = "method") -> dict:
    """Check ``[normalise]`` (the typed model in spec.py); return it with defaults filled."""
    from index.engine.spec import validate_section as spec_section  # pydantic: only when checking

    return spec_section("normalise", body, source)


def _check_framework(con, spec: dict) -> None:
    """Stop before computing when the framework lacks what the method reads from it."""
    method = spec["method"]
    if method == "goalposts":
        bad = con.execute(
            """
            select node_id from framework
            where node_type = 'Indicator'
                and (goalpost_lower is null or goalpost_upper is null or goalpost_lower >= goalpost_upper
                     or goalpost_scale <= 0)
            order by node_id
            """
        ).fetchall()
        if bad:
            raise ConfigError(
                "normalise.method = 'goalposts' needs goalpost_lower < goalpost_upper (and goalpost_scale > 0 "
                f"when given) in the framework; indicator(s) without them: {[b for (b,) in bad]}"
            )
    elif method == "dist2targ":
        bad = con.execute(
            "select node_id from framework where node_type = 'Indicator' and target is null order by node_id"
        ).fetchall()
        if bad:
            raise ConfigError(
                f"normalise.method = 'dist2targ' needs a target in the framework; indicator(s) without one: "
                f"{[b for (b,) in bad]}"
            )
    elif method == "base_period":
        periods = [p for (p,) in con.execute("select distinct period from stage order by period").fetchall()]
        if spec["base_period"] not in periods:
            raise ConfigError(
                f"normalise.base_period = {spec['base_period']!r} is not a period of the data; periods: {periods}"
            )


def run(con, method: dict, keep_steps: bool = False) -> StepRecord:
    """Table normalise: every indicator cell of treat with its normalised value. A table, whatever the method:
    its readers (weight, aggregate, the outputs) would otherwise each repeat the chain of views behind it."""
    from index.engine import groups

    spec = method["normalise"]
    _check_framework(con, spec)
    groups.build(con, "normalise", spec.get("group"), "normalise.group")
    run_view(con, "normalise_scoped", SCOPED_FILE)
    lo, hi = (float(x) for x in spec["range"])
    scale = spec["method"] in ("minmax", "zscore")
    entry = run_step(
        con,
        "normalise",
        SCALE_FILE if scale else FILE,
        {
            "normalise_method": spec["method"],
            "normalise_lo": lo,
            "normalise_hi": hi,
            "normalise_scope": spec["scope"],
            "normalise_mean": float(spec.get("mean", 0.0)),
            "normalise_sd": float(spec.get("sd", 1.0)),
            "normalise_cap_max": bool(spec.get("cap_max", False)),
            "normalise_base_period": int(spec.get("base_period", -(2**31))),
        },
    )
    notes = {
        "minmax": f"minmax range [{lo:g}, {hi:g}]",
        "zscore": f"zscore mean {spec.get('mean', 0)}, sd {spec.get('sd', 1)}",
        "prank": "percentile ranks in [0, 1]",
        "rank": "ranks, ties averaged",
        "goalposts": "goalposts from the framework",
        "dist2targ": f"distance to the framework target, cap_max {spec.get('cap_max', False)}",
        "base_period": f"index, base period {spec.get('base_period')} = 100",
    }[spec["method"]]
    if entry["rows"] is None:
        (entry["rows"],) = con.execute("select count(*) from treat").fetchall()[0]
    if spec["method"] in ("minmax", "zscore", "prank"):
        # from treat, normalise's input (same cells and values): no pass over the normalised cells
        (constant,) = con.execute(
            """
            select count(*) from (
                select indicator_id from treat
                where treated_value is not null
                group by indicator_id
                having min(treated_value) = max(treated_value)
            )
            """
        ).fetchall()[0]
        notes += f"; {constant} indicator(s) constant over the whole panel scored at the middle of the scale"
    if spec["method"] == "base_period":
        (lost,) = con.execute(
            "select count(*) from normalise join treat using (unit_code, period, indicator_id)"
            " where treat.treated_value is not null and normalise.normalised is null"
        ).fetchall()[0]
        notes += f"; {lost} cell(s) without a positive divisor left NULL"
    within = f" within each {spec['group']}" if spec.get("group") else ""
    entry["notes"] = f"{notes}, scope {spec['scope']}{within}"
    return entry
