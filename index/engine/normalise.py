"""Normalise: every COINr normalisation (plus base_year), pooled over the panel or per period, polarity applied.

Methods (``[normalise] method``; definitions in sql/engine/06_normalise.sql, sources cited there):

    minmax     lo + (x - min) / (max - min) × (hi - lo)                         keys range, scope
    zscore     (x - mean) / sd × sd_target + mean_target (COINr n_zscore)       keys mean (0), sd (1), scope
    prank      percentile rank in [0, 1] (COINr n_prank)                        key scope
    rank       plain rank, ties averaged (COINr n_rank, R's rank default)       key scope
    goalposts  framework goalpost_lower / _upper / _scale / _trunc2posts (COINr n_goalposts)
    dist2targ  1 - (target - x) / (target - min) to the framework's target (COINr n_dist2targ)  key cap_max
    base_year  x / x in base_period × 100 (per unit)                            key base_period (required)

Polarity: x is multiplied by the polarity before normalising (COINr's Normalise), except goalposts and
dist2targ, which take the direction themselves (the posts / target are given in the indicator's own units),
and base_year, where polarity -1 inverts the ratio.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from index.engine.sqlsteps import run_step, run_view
from index.errors import ConfigError

FILE = "06_normalise.sql"
# minmax and zscore read no ranks: a file without the sort
SCALE_FILE = "06_normalise_scale.sql"

METHODS = ("minmax", "zscore", "prank", "rank", "goalposts", "dist2targ", "base_year")
SCOPES = ("panel", "year")
# always filled (the engine's historical defaults)
DEFAULTS: dict[str, Any] = {"method": "minmax", "range": [0, 100], "scope": "panel"}
# filled only when the method uses them, so a plain minmax section stays as it was
METHOD_DEFAULTS: dict[str, dict[str, Any]] = {
    "zscore": {"mean": 0.0, "sd": 1.0},
    "dist2targ": {"cap_max": False},
}
KEYS = ("method", "range", "scope", "mean", "sd", "cap_max", "base_period")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def validate_section(body: dict, source: str = "method") -> dict:
    """Check ``[normalise]``; return a copy with defaults filled. ConfigError names the key and allowed values."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ConfigError(f"{source}: [normalise] must be a table, got {body!r}")
    extra = sorted(set(body) - set(KEYS))
    if extra:
        raise ConfigError(
            f"{source}: unknown key(s) {[f'normalise.{k}' for k in extra]}; keys allowed in [normalise]: {sorted(KEYS)}"
        )
    spec = copy.deepcopy(body)
    for key, default in DEFAULTS.items():
        spec.setdefault(key, copy.deepcopy(default))
    method = spec["method"]
    if not isinstance(method, str) or method not in METHODS:
        raise ConfigError(f"{source}: normalise.method = {method!r} is not allowed; use one of {list(METHODS)}")
    scope = spec["scope"]
    if not isinstance(scope, str) or scope not in SCOPES:
        raise ConfigError(f"{source}: normalise.scope = {scope!r} is not allowed; use one of {list(SCOPES)}")
    rng = spec["range"]
    if not isinstance(rng, (list, tuple)) or len(rng) != 2 or not all(_number(x) for x in rng) or not rng[0] < rng[1]:
        raise ConfigError(f"{source}: normalise.range = {rng!r} must be two finite numbers [lo, hi] with lo < hi")
    spec["range"] = [rng[0], rng[1]]
    for key, default in METHOD_DEFAULTS.get(method, {}).items():
        spec.setdefault(key, default)
    # keys that belong to another method are a mistake worth stopping for
    owners = {"mean": "zscore", "sd": "zscore", "cap_max": "dist2targ", "base_period": "base_year"}
    for key, owner in owners.items():
        if key in spec and method != owner:
            raise ConfigError(f"{source}: normalise.{key} applies only to method = {owner!r}, not {method!r}")
    if method == "zscore":
        if not _number(spec["mean"]):
            raise ConfigError(f"{source}: normalise.mean = {spec['mean']!r} must be a finite number")
        if not _number(spec["sd"]) or spec["sd"] <= 0:
            raise ConfigError(f"{source}: normalise.sd = {spec['sd']!r} must be a finite number > 0")
    if method == "dist2targ" and not isinstance(spec["cap_max"], bool):
        raise ConfigError(f"{source}: normalise.cap_max = {spec['cap_max']!r} must be true or false")
    if method == "base_year":
        period = spec.get("base_period")
        if period is None:
            raise ConfigError(f"{source}: normalise.base_period is required with method = 'base_year'")
        if not isinstance(period, int) or isinstance(period, bool):
            raise ConfigError(f"{source}: normalise.base_period = {period!r} must be an integer period")
    return spec


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
    elif method == "base_year":
        periods = [p for (p,) in con.execute("select distinct period from stage order by period").fetchall()]
        if spec["base_period"] not in periods:
            raise ConfigError(
                f"normalise.base_period = {spec['base_period']!r} is not a period of the data; periods: {periods}"
            )


def run(con, method: dict, keep_steps: bool = False) -> dict:
    """Table normalise: every indicator cell of treat with its normalised value. A table, whatever the method:
    its readers (weight, aggregate, the outputs) would otherwise each repeat the chain of views behind it."""
    spec = method["normalise"]
    _check_framework(con, spec)
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
            "normalise_base_period": int(spec.get("base_period", -2**31)),
        },
    )
    notes = {
        "minmax": f"minmax range [{lo:g}, {hi:g}]",
        "zscore": f"zscore mean {spec.get('mean', 0)}, sd {spec.get('sd', 1)}",
        "prank": "percentile ranks in [0, 1]",
        "rank": "ranks, ties averaged",
        "goalposts": "goalposts from the framework",
        "dist2targ": f"distance to the framework target, cap_max {spec.get('cap_max', False)}",
        "base_year": f"index, base period {spec.get('base_period')} = 100",
    }[spec["method"]]
    if entry["rows"] is None:
        (entry["rows"],) = con.execute("select count(*) from treat").fetchall()[0]
    if spec["method"] in ("minmax", "zscore", "prank"):
        # from treat, normalise's input (same cells and values): no pass over the normalised cells
        (constant,) = con.execute(
            """
            select count(*) from (
                select indicator_id from treat
                where filled_value is not null
                group by indicator_id
                having min(filled_value) = max(filled_value)
            )
            """
        ).fetchall()[0]
        notes += f"; {constant} indicator(s) constant over the whole panel scored at the middle of the scale"
    if spec["method"] == "base_year":
        (lost,) = con.execute(
            "select count(*) from normalise join treat using (unit_code, period, indicator_id)"
            " where treat.filled_value is not null and normalise.normalised is null"
        ).fetchall()[0]
        notes += f"; {lost} cell(s) without a positive divisor left NULL"
    entry["notes"] = f"{notes}, scope {spec['scope']}"
    return entry
