"""Aggregate: score every Aggregate node from its present children, one framework level at a time.

Scores: view ``aggregate`` (08_aggregate_scores.sql) = the indicators' normalised values (table weight) and
table ``aggregate_nodes``, to which each level appends its nodes' scores.
The loop runs over LEVELS only (a handful); each pass is two set-based SQL statements over all units,
periods and nodes of that level: 08_aggregate_children.sql (child rows: re-weighting, the mean, the
non-positive check or shift, each child's share) and 08_aggregate.sql (the parents' scores). The method is
chosen per level: ``[aggregate] levels = { "3" = "gmean" }`` overrides ``method`` for level 3.
Methods: amean | gmean | hmean | genmean (key p) | copeland | topsis. ``nonpositive = "error" | "shift"`` decides
what gmean, hmean and genmean do with a child they cannot take (see 08_aggregate_children.sql). Both child-row
files read the children, their weights and scores from view aggregate_child_scores
(08_aggregate_child_scores.sql).
topsis (熵权-TOPSIS with entropy weights) has its own child-row file, 08_aggregate_topsis.sql: per parent, each
unit's closeness C = D- / (D+ + D-) to the ideal (the best score of each child, times the child's weight) against
the anti-ideal (the worst), score = 100 C; C = 0.5 when D+ + D- = 0 (the unit equals the others on every child).
The units compared are those normalise scaled together: each period under ``normalise.scope = "period"``, the
whole panel under "panel", within the ``normalise.group`` when one is named. Its attribution spreads the score
over the children in proportion to their arithmetic shares w~ x (by the weight shares when sum w~ x <= 0).
After the last level, 08_aggregate_contributions.sql attributes the root score to the indicators (table
aggregate_contribution, read by 11_indicator_results.sql); the attribution adds up to the root score exactly
under every method. When every level uses amean, no child rows are needed: each level is one statement
(08_aggregate_amean.sql) and aggregate_contribution is a view of table weight, whose contribution
(normalised × effective weight) is then exact.
"""

from __future__ import annotations

import time

from index.engine.log import StepRecord, record
from index.engine.sqlsteps import count_rows, drop_relation, run_step, run_view
from index.engine.vocabulary import AGGREGATE_METHODS
from index.errors import ConfigError

SCORES_FILE = "08_aggregate_scores.sql"
FILE = "08_aggregate.sql"
CHILDREN_FILE = "08_aggregate_children.sql"
CONTRIBUTIONS_FILE = "08_aggregate_contributions.sql"
AMEAN_FILE = "08_aggregate_amean.sql"
AMEAN_CONTRIBUTIONS_FILE = "08_aggregate_contributions_amean.sql"
CHILD_SCORES_FILE = "08_aggregate_child_scores.sql"
TOPSIS_FILE = "08_aggregate_topsis.sql"

METHODS = AGGREGATE_METHODS


def _methods_used(spec: dict) -> set[str]:
    return {spec["method"], *spec.get("levels", {}).values()}


def validate_section(body: dict, source: str = "method") -> dict:
    """Check ``[aggregate]`` (the typed model in spec.py); return it with defaults filled.

    Defaults: method = "amean"; nonpositive = "error" is filled when a level uses gmean, hmean or genmean;
    p (genmean's power) has no default and is required when genmean is used; levels maps a level number
    (a string key such as "3") to a method and overrides ``method`` for that level.
    """
    from index.engine.spec import validate_section as spec_section  # pydantic: only when checking

    return spec_section("aggregate", body, source)


def method_for_level(method: dict, level: int) -> str:
    spec = method["aggregate"]
    return spec.get("levels", {}).get(str(level), spec["method"])


def aggregate_levels(con) -> list[int]:
    """Levels holding Aggregate nodes, lowest first; checks every child sits below its parent."""
    bad = con.execute(
        """
        select child.node_id, child.level, parent.node_id, parent.level
        from framework as child
        join framework as parent on parent.node_id = child.parent_id
        where child.node_type <> 'Denominator' and (parent.level <= child.level or parent.node_type <> 'Aggregate')
        order by child.node_id
        """
    ).fetchall()
    if bad:
        shown = "; ".join(f"{c} (level {cl}) under {p} (level {pl})" for c, cl, p, pl in bad[:10])
        raise ConfigError(f"framework: every parent must be an Aggregate on a higher level than its children: {shown}")
    return [
        int(level)
        for (level,) in con.execute(
            "select distinct cast(level as integer) from framework where node_type = 'Aggregate' order by 1"
        ).fetchall()
    ]


def _nonpositive_problem(con, level: int, name: str, spec: dict) -> None:
    """Stop with the first child a non-compensatory mean cannot take (nonpositive = "error")."""
    rows = con.execute(
        """
        select parent_id, unit_code, period, child_id, child_score, count(*) over () as offending
        from aggregate_children_level
        where nonpositive
        order by parent_id, period, unit_code, child_id
        limit 1
        """
    ).fetchall()
    if not rows:
        return
    node, unit, period, child, score, offending = rows[0]
    need = "> 0" if name != "genmean" or spec["p"] <= 0 else ">= 0"
    raise ConfigError(
        f"aggregate: {name} at level {level} needs children {need}: node {node}, unit {unit}, period {period}, "
        f"child {child} = {score!r} ({offending} such child value(s) at this level). Normalise onto a positive "
        'range (e.g. minmax range = [1, 100]) or set [aggregate] nonpositive = "shift"'
    )


def run(con, method: dict) -> StepRecord:
    started = time.perf_counter()
    spec = method["aggregate"]
    levels = aggregate_levels(con)
    unknown = sorted(set(spec.get("levels", {})) - {str(level) for level in levels})
    if unknown:
        raise ConfigError(
            f"aggregate.levels names level(s) {unknown} holding no Aggregate node; aggregate levels: {levels}"
        )
    # the aggregates' scores, appended level by level; view aggregate adds the indicators' from table weight
    drop_relation(con, "aggregate_nodes")
    con.execute(
        "create table aggregate_nodes (unit_code engine_unit, period integer, node_id engine_node, level integer,"
        " node_type varchar, score double)"
    )
    run_view(con, "aggregate", SCORES_FILE)
    drop_relation(con, "aggregate_children")
    # the units TOPSIS compares: those the normalise step scaled together (its scope; its groups, table
    # normalise_groups)
    scope = method.get("normalise", {}).get("scope", "panel")
    all_amean = all(method_for_level(method, level) == "amean" for level in levels)
    if not all_amean:
        run_view(con, "aggregate_child_scores", CHILD_SCORES_FILE)  # read at each level, with its level variable
    used = []
    for level in levels:
        name = method_for_level(method, level)
        variables = {
            "aggregate_level": level,
            "aggregate_method": name,
            "aggregate_p": float(spec.get("p", 1.0)),
            "aggregate_nonpositive": spec.get("nonpositive", "error"),
            "aggregate_scope": scope,
        }
        note = f"level {level}: {name}" + (f" (p = {spec['p']:g})" if name == "genmean" else "")
        if name == "topsis":
            note += " (ideal over each period)" if scope == "period" else " (ideal over the panel)"
        if all_amean:
            run_step(con, "aggregate_level", AMEAN_FILE, variables)
            con.execute("insert into aggregate_nodes by name select * from aggregate_level")
            used.append(note)
            continue
        run_step(con, "aggregate_children_level", TOPSIS_FILE if name == "topsis" else CHILDREN_FILE, variables)
        if spec.get("nonpositive", "error") == "error":
            _nonpositive_problem(con, level, name, spec)
        run_step(con, "aggregate_level", FILE)
        con.execute("insert into aggregate_nodes by name select * from aggregate_level")
        if level == levels[0]:
            con.execute("create table aggregate_children as select * from aggregate_children_level")
        else:
            con.execute("insert into aggregate_children by name select * from aggregate_children_level")
        shifts = con.execute(
            "select parent_id, any_value(shift) from aggregate_children_level where shift <> 0 group by parent_id"
            " order by parent_id"
        ).fetchall()
        if shifts:
            note += ", shifted " + ", ".join(f"{node} by {shift:g}" for node, shift in shifts)
        used.append(note)
    if all_amean:
        # also with no aggregate level at all: the weight table's contribution is the attribution
        run_view(con, "aggregate_contribution", AMEAN_CONTRIBUTIONS_FILE)
    else:
        run_step(con, "aggregate_contribution", CONTRIBUTIONS_FILE)
    return record(
        "aggregate",
        FILE,
        count_rows(con, "normalise") + count_rows(con, "aggregate_nodes"),
        started,
        "; ".join(used) or "no aggregate nodes",
    )
