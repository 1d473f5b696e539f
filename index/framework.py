"""The indicator framework and weight schemes are data in SQL files; this module loads and checks them.

An economist edits ``sql/framework/*.sql`` and ``sql/weights/*.sql``; nothing here names a DEI indicator.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from index.errors import ConfigError

if TYPE_CHECKING:  # keep the import light for DAG parsing
    import duckdb
    import pandas as pd

FRAMEWORK_COLUMNS = [
    "node_id",
    "parent_id",
    "level",
    "node_type",
    "name_zh",
    "name_en",
    "unit",
    "raw_unit",
    "polarity",
    "denominator",
    "denominator_scale",
    "department",
    "definition",
    "target_2025",
    "target_note",
    "valid_min",
    "valid_max",
    "source_clause",
    "levels",
    "additive",
]
NODE_TYPES = {"Indicator", "Aggregate", "Denominator"}
# the unit levels a figure can be reported at (framework column `levels`, comma-separated; index/units.py)
UNIT_LEVELS = ("league", "county")
# columns a framework may leave out, with what its figures then get
OPTIONAL_DEFAULTS = {"levels": "league", "additive": False}
WEIGHT_TOLERANCE = 1e-9


def _query(sql_path: Path, kind: str = "framework", tables: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """User SQL runs only in the sandbox: one SELECT, on a closed connection holding just ``tables``."""
    from index import sandbox

    return sandbox.run_query(Path(sql_path), kind, tables)


PERIODS_FILE = "periods.sql"
# No periods file (e.g. the COINr door): the reporting range the DEI framework declares in periods.sql.
DEFAULT_FIRST_YEAR = 2015


def default_periods() -> tuple[int, int]:
    from datetime import date

    return DEFAULT_FIRST_YEAR, date.today().year + 1


def load_periods(framework_path: Path) -> tuple[int, int]:
    """(first_year, last_year) from periods.sql next to the framework file, else :func:`default_periods`."""
    path = Path(framework_path).parent / PERIODS_FILE
    if not path.is_file():
        return default_periods()
    frame = _query(path, kind="periods")
    if list(frame.columns) != ["first_year", "last_year"] or len(frame) != 1:
        raise ConfigError(f"{path}: a periods file returns one row with columns (first_year, last_year)")
    first, last = frame.iloc[0]
    try:
        if float(first) != int(first) or float(last) != int(last):
            raise ValueError
        first, last = int(first), int(last)
    except (TypeError, ValueError):
        raise ConfigError(f"{path}: first_year and last_year must be whole years") from None
    if first > last:
        raise ConfigError(f"{path}: first_year {first} is after last_year {last}")
    return first, last


def load_framework(path: Path) -> pd.DataFrame:
    """Run the framework SQL file and check its shape: columns, unique ids, one root, known parents.

    ``attrs["periods"]`` is the reporting range (first_year, last_year) from periods.sql beside it."""
    frame = _query(path, kind="framework")
    figures = frame["node_type"] != "Aggregate" if "node_type" in frame.columns else None
    for column, default in OPTIONAL_DEFAULTS.items():
        # a framework written before 旗县 were scored: every figure is the 盟市' alone, none is summed
        if column not in frame.columns and figures is not None:
            frame[column] = None
            frame[column] = frame[column].astype(object)
            frame.loc[figures, column] = default
    missing = [c for c in FRAMEWORK_COLUMNS if c not in frame.columns]
    if missing:
        raise ConfigError(f"{path}: framework lacks column(s) {missing}")
    frame = frame[FRAMEWORK_COLUMNS].copy()
    problems = []
    dupes = frame.loc[frame["node_id"].duplicated(), "node_id"].tolist()
    if dupes:
        problems.append(f"duplicate node_id {dupes}")
    bad_types = sorted(set(frame["node_type"]) - NODE_TYPES)
    if bad_types:
        problems.append(f"unknown node_type {bad_types}; use {sorted(NODE_TYPES)}")
    tree = frame[frame["node_type"] != "Denominator"]
    roots = tree.loc[tree["parent_id"].isna(), "node_id"].tolist()
    if len(roots) != 1:
        problems.append(f"needs exactly one root (a node without parent), found {roots}")
    known = set(frame["node_id"])
    orphans = tree.loc[tree["parent_id"].notna() & ~tree["parent_id"].isin(known), ["node_id", "parent_id"]]
    for node_id, parent_id in orphans.itertuples(index=False):
        problems.append(f"node {node_id} names unknown parent {parent_id}")
    indicators = frame[frame["node_type"] == "Indicator"]
    bad_pol = indicators.loc[~indicators["polarity"].isin([1, -1]), "node_id"].tolist()
    if bad_pol:
        problems.append(f"indicators without polarity +1/-1: {bad_pol}")
    denominators = set(frame.loc[frame["node_type"] == "Denominator", "node_id"])
    named = indicators.loc[indicators["denominator"].notna(), ["node_id", "denominator"]]
    for node_id, denom in named.itertuples(index=False):
        if denom not in denominators:
            problems.append(f"indicator {node_id} names denominator {denom}, which is not a Denominator node")
    problems += _level_problems(frame)
    if problems:
        raise ConfigError(f"{path}: " + "; ".join(problems))
    frame.attrs["periods"] = load_periods(path)
    return frame


def _level_problems(frame: pd.DataFrame) -> list[str]:
    """`levels` and `additive` on every figure (indicator or denominator), neither on an aggregate; an indicator
    reported by 旗县 needs its denominator reported by them too."""
    problems = []
    figures = frame[frame["node_type"] != "Aggregate"]
    for node_id, levels in figures[["node_id", "levels"]].itertuples(index=False):
        named = [part.strip() for part in str(levels).split(",")] if isinstance(levels, str) else []
        if not named or any(part not in UNIT_LEVELS for part in named) or "league" not in named:
            shown = repr(levels) if isinstance(levels, str) else "NULL"
            problems.append(
                f"{node_id}: levels = {shown}; write 'league' or 'league,county' (the unit levels that report it)"
            )
    lacking = figures.loc[figures["additive"].isna(), "node_id"].tolist()
    if lacking:
        problems.append(f"additive must be true or false for every indicator and denominator: {lacking}")
    aggregates = frame[frame["node_type"] == "Aggregate"]
    stray = aggregates.loc[aggregates["levels"].notna() | aggregates["additive"].notna(), "node_id"].tolist()
    if stray:
        problems.append(f"aggregates take no levels or additive (they exist wherever a child does): {stray}")
    at_county = set(figures.loc[figures["levels"].fillna("").str.contains("county"), "node_id"])
    for node_id, denominator in figures[["node_id", "denominator"]].itertuples(index=False):
        if node_id in at_county and isinstance(denominator, str) and denominator not in at_county:
            problems.append(f"{node_id} is reported by 旗县 but its denominator {denominator} is not")
    return problems


def unit_level_nodes(framework: pd.DataFrame, level: str) -> set[str]:
    """The figures (indicators and denominators) reported at unit level ``level`` (framework column `levels`)."""
    figures = framework[framework["node_type"] != "Aggregate"]
    named = figures["levels"].fillna("").str.split(",").map(lambda parts: [p.strip() for p in parts])
    return set(figures.loc[named.map(lambda parts: level in parts), "node_id"])


def root_id(framework: pd.DataFrame) -> str:
    tree = framework[framework["node_type"] != "Denominator"]
    return str(tree.loc[tree["parent_id"].isna(), "node_id"].iloc[0])


def load_weights(path: Path, framework: pd.DataFrame) -> pd.DataFrame:
    """Run a weight-scheme SQL file and check it against the framework before anything uses it.

    The scheme sees one table, ``framework`` (the checked framework's columns), and nothing else."""
    weights = _query(path, kind="weight-scheme", tables={"framework": framework})
    if list(weights.columns[:2]) != ["node_id", "weight"]:
        raise ConfigError(f"{path}: a weight scheme returns columns (node_id, weight), got {list(weights.columns)}")
    weights = weights[["node_id", "weight"]].copy()
    check_weights(weights, framework, source=str(path))
    return weights


# The weight checks, once, in SQL on the tables ``framework`` and ``weights`` of a connection: the COINr door
# checks the tables it created (no pandas on that path), check_weights() puts a DataFrame pair on a scratch
# connection first. Lists come back in the order the messages show: sorted, or in the weights' row order.
WEIGHT_CHECKS_SQL = """
with
tree as (
    select rowid as position, cast(node_id as varchar) as node_id, cast(parent_id as varchar) as parent_id
    from framework
    where node_type <> 'Denominator'
),

root as (
    select node_id from tree where parent_id is null order by position limit 1
),

scheme as (
    select rowid as position, cast(node_id as varchar) as node_id, weight from weights
),

sums as (
    select tree.parent_id, coalesce(fsum(scheme.weight), 0) as total
    from tree
    join scheme on scheme.node_id = tree.node_id
    where tree.parent_id is not null
    group by tree.parent_id
)

select
    (
        select list(distinct node_id) from scheme
        where not exists (select 1 from tree where tree.node_id = scheme.node_id)
    ),
    (select list(node_id) from (select node_id from scheme group by node_id having count(*) > 1)),
    (select list(node_id order by position) from scheme where weight is null),
    (select list(node_id order by position) from scheme where weight < 0),
    (
        select list(node_id) from tree
        where not exists (select 1 from root where root.node_id = tree.node_id)
        and not exists (select 1 from scheme where scheme.node_id = tree.node_id)
    ),
    (select list({'parent_id': parent_id, 'total': total}) from sums where abs(total - 1.0) > ?)
"""


def check_weight_tables(con: duckdb.DuckDBPyConnection, source: str = "weights") -> None:
    """Check table ``weights`` (node_id, weight) against table ``framework`` on ``con``: non-negative, summing
    to 1 under each parent, naming only known nodes, covering every node but the root."""
    unknown, dupes, nulls, negative, uncovered, sums = con.execute(WEIGHT_CHECKS_SQL, [WEIGHT_TOLERANCE]).fetchone()
    problems = []
    if unknown:
        problems.append(f"unknown node id(s) {sorted(unknown)}")
    if dupes:
        problems.append(f"node id(s) weighted twice {sorted(dupes)}")
    if nulls:
        problems.append(f"missing weight for {nulls}")
    if negative:
        problems.append(f"negative weight for {negative}")
    if uncovered:
        problems.append(f"no weight for {sorted(uncovered)}")
    for row in sorted(sums or [], key=lambda row: row["parent_id"]):
        problems.append(f"weights under {row['parent_id']} sum to {row['total']:.12g}, not 1")
    if problems:
        raise ConfigError(f"weight scheme {source} is broken: " + "; ".join(problems))


def check_weights(weights: pd.DataFrame, framework: pd.DataFrame, source: str = "weights") -> None:
    """Non-negative, summing to 1 under each parent, naming only known nodes, covering every node
    (:func:`check_weight_tables`, on a scratch connection holding just these two frames)."""
    import duckdb

    con = duckdb.connect()
    try:
        con.register("framework_df", framework[["node_id", "parent_id", "node_type"]])
        con.register("weights_df", weights[["node_id", "weight"]])
        # tables, not the frames themselves: the checks read rowid (the frames' row order)
        con.execute(
            "create table framework as select cast(node_id as varchar) as node_id,"
            " cast(parent_id as varchar) as parent_id, cast(node_type as varchar) as node_type from framework_df"
        )
        con.execute(
            "create table weights as select cast(node_id as varchar) as node_id,"
            " try_cast(weight as double) as weight from weights_df"
        )
        check_weight_tables(con, source)
    finally:
        con.close()


def dropout_warnings(weights: pd.DataFrame, framework: pd.DataFrame, source: str = "the scheme") -> list[str]:
    """One line per indicator that a scheme leaves out of the index: weight 0 (or missing), or an ancestor
    with weight 0. Legal (a scheme may mean it), but easy to do by accident, so `dei` says so."""
    tree = framework[framework["node_type"] != "Denominator"]
    parent = dict(zip(tree["node_id"], tree["parent_id"]))
    name = dict(zip(tree["node_id"], tree.get("name_zh", tree["node_id"])))
    weight = dict(zip(weights["node_id"], weights["weight"]))
    root = root_id(framework)
    lines = []
    for node in tree.loc[tree["node_type"] == "Indicator", "node_id"]:
        chain, at = [], node
        while at is not None and at == at and at != root:  # at == at: not NaN
            chain.append(at)
            at = parent.get(at)
        zero = next((n for n in chain if not weight.get(n)), None)  # None, NaN-free 0 or missing
        if zero is None:
            continue
        why = (
            "has weight 0"
            if zero == node and node in weight
            else (
                "has no weight" if zero == node else f"sits under {name.get(zero) or zero} ({zero}), which has weight 0"
            )
        )
        lines.append(f"warning: {name.get(node) or node} ({node}) {why} in {source}: it drops out of the index")
    return lines


# The engine's nullable columns (index/engine/inputs.py), which the DEI framework does not name itself.
from index.engine.inputs import FRAMEWORK_NULLABLE  # noqa: E402

OPTIONAL_ENGINE_COLUMNS = {column: kind for column, (kind, _) in FRAMEWORK_NULLABLE.items()}


def with_engine_columns(framework: pd.DataFrame) -> pd.DataFrame:
    """The DEI framework in the engine's contract: its target_2025 is the engine's `target` (so distance-to-
    target and goalposts can use it), its Chinese name the `name`; the DEI's own columns stay beside them."""
    frame = framework.copy()
    if "target" not in frame.columns and "target_2025" in frame.columns:
        frame["target"] = frame["target_2025"]
    if "name" not in frame.columns and "name_zh" in frame.columns:
        frame["name"] = frame["name_zh"]
    for column in OPTIONAL_ENGINE_COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    return frame


def register(con: duckdb.DuckDBPyConnection, framework: pd.DataFrame, weights: pd.DataFrame) -> None:
    """Expose the framework (in the engine's contract, see with_engine_columns) and the checked weights to the
    engine's SQL as tables."""
    from index.engine.inputs import register as register_inputs

    register_inputs(con, with_engine_columns(framework), weights)
