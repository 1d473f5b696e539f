"""COINr's input layout as a door into the engine: ``imeta.csv`` + ``idata.csv`` in, COINr's data sets out.

``load_coinr(con, directory)`` reads COINr's iMeta / iData (as CSV) into the engine's input tables:
``framework``, ``weights``, ``units``, ``observations`` and ``unit_groups(unit_code, group_column,
group_value)`` (the iData ``*_group`` columns, for group imputation). ``compute_coinr(directory,
method_path, out_dir)`` runs the engine and writes COINr's data sets: imputed.csv, treated.csv,
normalised.csv, aggregated.csv (one row per unit, and per Time for a panel) and log.json.

iMeta columns: Level, iCode, iName, Direction, Weight, Parent, Type (Indicator | Aggregate | Group |
Denominator); optional Unit, Denominator, Target, goalpost_lower, goalpost_upper, goalpost_scale,
goalpost_trunc2posts. iData columns: uCode, uName, optional Time, the ``*_group`` columns, the denominators
and the indicators (each named by its iCode).
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

from index.engine import inputs as engine_inputs
from index.errors import ConfigError

if TYPE_CHECKING:
    import duckdb

IMETA = "imeta.csv"
IDATA = "idata.csv"
IMETA_REQUIRED = ("Level", "iCode", "iName", "Direction", "Weight", "Parent", "Type")
IMETA_OPTIONAL = (
    "Unit",
    "Denominator",
    "Target",
    "goalpost_lower",
    "goalpost_upper",
    "goalpost_scale",
    "goalpost_trunc2posts",
)
TYPES = ("Indicator", "Aggregate", "Group", "Denominator")
GROUP_SUFFIX = "_group"
UNIT_COLUMNS = ("uCode", "uName", "Time")

# The framework table this door creates: the engine's own contract (index/engine/inputs.py), iName as the
# node's name (and name_en, COINr's language), Unit as its unit; nothing of the DEI's framework.
FRAMEWORK_TABLE = [
    *((column, kind) for column, (kind, _) in {**engine_inputs.FRAMEWORK, **engine_inputs.FRAMEWORK_NULLABLE}.items()),
    ("name", "varchar"),
    ("name_en", "varchar"),
    ("unit", "varchar"),
    ("raw_unit", "varchar"),
]
# DuckDB threads for compute_coinr's own connection (see there)
COINR_THREADS = 1


def _where(path: Path, row: int | None = None, column: str | None = None) -> str:
    """``file row N, column C`` with N as seen in a text editor (the header is row 1)."""
    text = str(path)
    if row is not None:
        text += f" row {row}"
    if column is not None:
        text += f"{',' if row is not None else ''} column {column}"
    return text


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """(header, one dict per data row), every cell as stripped text, so a bad number can be reported with its
    row and column. Blank lines are skipped; a short row is padded with empty cells."""
    if not path.is_file():
        raise ConfigError(f"{path}: file not found (a COINr framework directory holds {IMETA} and {IDATA})")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            lines = [line for line in csv.reader(handle) if line]
    except (csv.Error, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable CSV file: {exc}") from exc
    if not lines:
        raise ConfigError(f"{path}: not a readable CSV file: No columns to parse from file")
    # an empty header cell gets the name pandas gave it, so messages about it read as before
    header = [c.strip() or f"Unnamed: {i}" for i, c in enumerate(lines[0])]
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        raise ConfigError(f"{path}: column(s) {dupes} appear more than once in the header")
    width = len(header)
    records = []
    for number, line in enumerate(lines[1:], start=2):
        if len(line) > width:
            raise ConfigError(
                f"{path}: not a readable CSV file: row {number} has {len(line)} fields, the header {width}"
            )
        cells = [c.strip() for c in line] + [""] * (width - len(line))
        records.append(dict(zip(header, cells)))
    return header, records


def _blank(value: str) -> bool:
    return value == "" or value.upper() == "NA"


def _number(path: Path, row: int, column: str, value: str, allow_blank: bool = True) -> float | None:
    if _blank(value):
        if allow_blank:
            return None
        raise ConfigError(f"{_where(path, row, column)}: a number is required, the cell is empty")
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{_where(path, row, column)}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ConfigError(f"{_where(path, row, column)}: {value!r} is not a finite number")
    return number


def _boolean(path: Path, row: int, column: str, value: str) -> bool | None:
    if _blank(value):
        return None
    if value.upper() in ("TRUE", "T", "1", "YES"):
        return True
    if value.upper() in ("FALSE", "F", "0", "NO"):
        return False
    raise ConfigError(f"{_where(path, row, column)}: {value!r} is not TRUE or FALSE")


def read_imeta(path: Path) -> tuple[list[dict], list[tuple[str, float]], list[str], list[str]]:
    """iMeta -> (framework rows as dicts of FRAMEWORK_TABLE's columns, (node_id, weight) normalised per
    parent, group columns, denominator codes)."""
    columns, records = _read_csv(path)
    missing = [c for c in IMETA_REQUIRED if c not in columns]
    if missing:
        raise ConfigError(f"{path}: missing column(s) {missing}; iMeta needs {list(IMETA_REQUIRED)}")

    rows, weights, groups, denominators = [], [], [], []
    seen: dict[str, int] = {}
    for index, rec in enumerate(records):
        row = index + 2
        for column in IMETA_OPTIONAL:
            rec.setdefault(column, "")
        code, node_type = rec["iCode"], rec["Type"]
        if _blank(code):
            raise ConfigError(f"{_where(path, row, 'iCode')}: every row needs an iCode")
        if code in seen:
            raise ConfigError(f"{_where(path, row, 'iCode')}: iCode {code!r} already used on row {seen[code]}")
        seen[code] = row
        if node_type not in TYPES:
            raise ConfigError(f"{_where(path, row, 'Type')}: {node_type!r} is not one of {list(TYPES)}")
        if node_type == "Group":
            groups.append(code)  # a grouping column of iData, not a node
            continue
        name = None if _blank(rec["iName"]) else rec["iName"]
        unit = None if _blank(rec["Unit"]) else rec["Unit"]
        if node_type == "Denominator":
            denominators.append(code)
            rows.append(
                dict(
                    node_id=code,
                    parent_id=None,
                    level=1,
                    node_type=node_type,
                    name=name,
                    name_en=name,
                    unit=unit,
                    raw_unit=unit,
                )
            )
            continue
        level = _number(path, row, "Level", rec["Level"], allow_blank=False)
        if level != int(level) or level < 1:
            raise ConfigError(f"{_where(path, row, 'Level')}: {rec['Level']!r} is not a level number (1, 2, ...)")
        parent = None if _blank(rec["Parent"]) else rec["Parent"]
        weight = _number(path, row, "Weight", rec["Weight"], allow_blank=parent is None)
        if weight is not None and weight < 0:
            raise ConfigError(f"{_where(path, row, 'Weight')}: weight {weight:g} is negative")
        polarity = None
        denominator = None
        if node_type == "Indicator":
            polarity = _number(path, row, "Direction", rec["Direction"], allow_blank=False)
            if polarity not in (1.0, -1.0):
                raise ConfigError(f"{_where(path, row, 'Direction')}: {rec['Direction']!r} must be 1 or -1")
            denominator = None if _blank(rec["Denominator"]) else rec["Denominator"]
        rows.append(
            dict(
                node_id=code,
                parent_id=parent,
                level=int(level),
                node_type=node_type,
                name=name,
                name_en=name,
                unit=unit,
                raw_unit=unit,
                polarity=None if polarity is None else int(polarity),
                denominator=denominator,
                denominator_scale=1.0 if denominator is not None else None,
                target=_number(path, row, "Target", rec["Target"]),
                goalpost_lower=_number(path, row, "goalpost_lower", rec["goalpost_lower"]),
                goalpost_upper=_number(path, row, "goalpost_upper", rec["goalpost_upper"]),
                goalpost_scale=_number(path, row, "goalpost_scale", rec["goalpost_scale"]),
                goalpost_trunc2posts=_boolean(path, row, "goalpost_trunc2posts", rec["goalpost_trunc2posts"]),
                _row=row,
            )
        )
        if parent is not None:
            weights.append(dict(node_id=code, parent_id=parent, weight=weight, _row=row))

    by_id = {r["node_id"]: r for r in rows}
    for r in rows:
        if r["node_type"] == "Denominator":
            continue
        parent = r["parent_id"]
        if parent is not None:
            if parent not in by_id or by_id[parent]["node_type"] != "Aggregate":
                raise ConfigError(
                    f"{_where(path, r['_row'], 'Parent')}: parent {parent!r} of {r['node_id']} is not an Aggregate"
                    " iCode of this file"
                )
            if by_id[parent]["level"] <= r["level"]:
                raise ConfigError(
                    f"{_where(path, r['_row'], 'Level')}: {r['node_id']} (level {r['level']}) sits under"
                    f" {parent} (level {by_id[parent]['level']}); a parent's level must be higher"
                )
        if r["denominator"] is not None and r["denominator"] not in denominators:
            raise ConfigError(
                f"{_where(path, r['_row'], 'Denominator')}: {r['denominator']!r} is not a Denominator iCode of this file"
            )
    roots = [r["node_id"] for r in rows if r["node_type"] != "Denominator" and r["parent_id"] is None]
    if len(roots) != 1:
        raise ConfigError(f"{path}: the tree needs exactly one root (a row without Parent), found {roots}")
    if not any(r["node_type"] == "Indicator" for r in rows):
        raise ConfigError(f"{path}: no Indicator rows")
    childless = sorted(
        set(r["node_id"] for r in rows if r["node_type"] == "Aggregate") - {r["parent_id"] for r in rows}
    )
    if childless:
        raise ConfigError(f"{path}: Aggregate(s) {childless} have no children")

    framework = [{column: r.get(column) for column, _ in FRAMEWORK_TABLE} for r in rows]

    # COINr's weights are relative: its means divide by the sum of the children's weights. The engine's
    # contract is weights summing to 1 under each parent, so each weight is divided by its siblings' total
    # (the same scores either way). fsum: the total does not depend on the row order.
    children: dict[str, list[float]] = {}
    for w in weights:
        children.setdefault(w["parent_id"], []).append(w["weight"])
    totals = {parent: math.fsum(values) for parent, values in children.items()}
    zero = sorted(parent for parent, total in totals.items() if total <= 0)
    if zero:
        raise ConfigError(f"{path}: the children of {zero} all have weight 0; at least one must be > 0")
    shares = [(w["node_id"], w["weight"] / totals[w["parent_id"]]) for w in weights]
    return framework, shares, groups, denominators


def read_idata(path: Path, framework: list[dict], groups: list[str]):
    """iData -> (units [(code, name)], observations in long form [(unit, period, variable, value)],
    unit_groups [(unit, group column, group value)], has_time)."""
    columns, records = _read_csv(path)
    for column in ("uCode",):
        if column not in columns:
            raise ConfigError(f"{path}: missing column {column}")
    variables = [r["node_id"] for r in framework if r["node_type"] in ("Indicator", "Denominator")]
    indicators = {r["node_id"] for r in framework if r["node_type"] == "Indicator"}
    needed_denominators = {r["denominator"] for r in framework if r["denominator"] is not None}
    group_columns = [c for c in columns if c.endswith(GROUP_SUFFIX) or c in groups]
    known = set(UNIT_COLUMNS) | set(variables) | set(group_columns)
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise ConfigError(
            f"{path}: column(s) {unknown} are neither uCode, uName, Time, a *_group column nor an iCode of {IMETA}"
        )
    absent = sorted((indicators | needed_denominators) - set(columns))
    if absent:
        raise ConfigError(f"{path}: no column for {absent} (Indicators / Denominators of {IMETA})")

    has_time = "Time" in columns
    keys: dict[tuple, int] = {}
    obs_rows, group_rows = [], {}
    names: dict[str, str | None] = {}
    variable_set = set(variables)
    value_columns = [c for c in columns if c in variable_set]
    for index, rec in enumerate(records):
        row = index + 2
        code = rec["uCode"]
        if _blank(code):
            raise ConfigError(f"{_where(path, row, 'uCode')}: every row needs a uCode")
        period = 1
        if has_time:
            time_value = _number(path, row, "Time", rec["Time"], allow_blank=False)
            if time_value != int(time_value):
                raise ConfigError(f"{_where(path, row, 'Time')}: {rec['Time']!r} is not a whole number")
            period = int(time_value)
        if (code, period) in keys:
            where = f"uCode {code!r}" + (f" and Time {period}" if has_time else "")
            raise ConfigError(f"{_where(path, row)}: {where} already on row {keys[(code, period)]}")
        keys[(code, period)] = row
        name = rec.get("uName") or None
        if code not in names or names[code] is None:
            names[code] = name
        for column in group_columns:
            value = None if _blank(rec[column]) else rec[column]
            before = group_rows.get((code, column), value)
            if before != value:
                raise ConfigError(
                    f"{_where(path, row, column)}: unit {code} is in group {value!r} here but {before!r} on an"
                    " earlier row; a unit's groups must not change over Time"
                )
            group_rows[(code, column)] = value
        for column in value_columns:
            obs_rows.append((code, period, column, _number(path, row, column, rec[column])))

    units = list(names.items())
    unit_groups = [(c, g, v) for (c, g), v in group_rows.items() if v is not None]
    return units, obs_rows, unit_groups, has_time


def _create_table(con, name: str, columns: list[tuple[str, str]], rows: list, extra: str = "") -> None:
    """``create or replace table name`` from Python rows (tuples in ``columns`` order, or dicts keyed by column
    name): each column goes in as one typed list parameter and comes out by unnest, in row order. One round
    trip, no DataFrame, and no value is formatted into the SQL text. ``extra``: constant columns appended."""
    if rows and isinstance(rows[0], dict):
        lists = [[r[column] for r in rows] for column, _ in columns]
    else:
        lists = [list(values) for values in zip(*rows)] if rows else [[] for _ in columns]
    select = ", ".join([*(f"unnest(?::{kind}[]) as {column}" for column, kind in columns), *filter(None, [extra])])
    con.execute(f"create or replace table {name} as select {select}", lists)


def load_coinr(con: duckdb.DuckDBPyConnection, directory: str | Path) -> dict:
    """Create framework, weights, units, observations and unit_groups on ``con`` from a COINr directory.

    Returns a summary (counts, group columns, whether iData has a Time column).
    """
    from index.framework import check_weight_tables

    directory = Path(directory)
    framework, weights, groups, _ = read_imeta(directory / IMETA)
    _create_table(con, "framework", FRAMEWORK_TABLE, framework)
    _create_table(con, "weights", [("node_id", "varchar"), ("weight", "double")], weights)
    check_weight_tables(con, source=str(directory / IMETA))
    units, observations, unit_groups, has_time = read_idata(directory / IDATA, framework, groups)

    _create_table(con, "units", [("unit_code", "varchar"), ("unit_name", "varchar")], units)
    _create_table(
        con,
        "observations",
        [("unit_code", "varchar"), ("period", "integer"), ("variable_id", "varchar"), ("value", "double")],
        observations,
        extra="cast(null as timestamp) as loaded_at",
    )
    _create_table(
        con,
        "unit_groups",
        [("unit_code", "varchar"), ("group_column", "varchar"), ("group_value", "varchar")],
        unit_groups,
    )
    types = [r["node_type"] for r in framework]
    return {
        "units": len(units),
        "indicators": types.count("Indicator"),
        "aggregates": types.count("Aggregate"),
        "denominators": types.count("Denominator"),
        "group_columns": sorted({column for _, column, _ in unit_groups}),
        "periods": sorted({period for _, period, _, _ in observations}),
        "has_time": has_time,
    }


# data set -> (table, value column, which node types)
DATA_SETS = {
    "imputed": ("impute", "filled_value"),
    "treated": ("treat", "treated_value"),
    "normalised": ("normalise", "normalised"),
}


def _cells(values: list | None) -> list[str]:
    """Doubles as pandas' to_csv wrote them: shortest round-trip (repr), missing and NaN empty."""
    return ["" if v is None or v != v else repr(v) for v in values or []]


def _write_wide(con, path: Path, sql: str, columns: list[str], with_time: bool) -> None:
    """Long (unit_code, period, code, value) rows -> COINr's wide data set (uCode, [Time], codes...) as CSV:
    one row per unit and period, one column per code of ``columns`` that occurs (in that order)."""
    # The pivot in SQL, one query: every (unit, period) crossed with the codes that occur, the values as one
    # list in column order, NULL where a cell is absent; the codes themselves come with the first row. (A
    # PIVOT statement or one FILTER aggregate per column is several times slower here.)
    rows = con.execute(
        f"""
        with
        long as ({sql}),
        wanted as (select unnest(?::varchar[]) as code, generate_subscripts(?::varchar[], 1) as position),
        present as (select * from wanted where code in (select code from long)),
        keys as (select distinct unit_code, period from long)
        select
            keys.unit_code,
            keys.period,
            list(long.value order by present.position) filter (where present.code is not null),
            (select list(code order by position) from present)
        from keys
        left join present on true
        left join long on long.unit_code = keys.unit_code and long.period = keys.period and long.code = present.code
        group by keys.unit_code, keys.period
        """,
        [columns, columns],
    ).fetchall()
    codes = (rows[0][3] or []) if rows else []
    rows.sort(key=lambda row: (row[0], row[1]))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["uCode", "Time", *codes] if with_time else ["uCode", *codes])
        for unit, period, values, _ in rows:
            writer.writerow([unit, period, *_cells(values)] if with_time else [unit, *_cells(values)])


def _resolve_weights(con, spec: dict, method_path: Path, framework_dir: Path) -> str:
    """A [weights] scheme that is a file replaces the iMeta weights; named schemes are handled by the engine."""
    from index import engine
    from index.framework import load_weights

    scheme = spec.get("weights", {}).get("scheme")
    if scheme is None or scheme in engine.NAMED_WEIGHT_SCHEMES:
        return scheme or "metadata"
    # A method file may come from someone else: the scheme it names must sit beside it, in the framework
    # folder, in the SQL tree or in a DEI_SQL_ALLOW folder (symlinks followed), or it is refused unread.
    from index.config import allowed_roots, settings

    roots = [method_path.parent.resolve(), framework_dir.resolve(), *allowed_roots(settings())]
    candidates = [Path(scheme), method_path.parent / scheme, framework_dir / scheme]
    inside = [p for p in candidates if any(p.resolve().is_relative_to(root) for root in roots)]
    if candidates[0].is_absolute() and not inside:
        raise ConfigError(
            f"{method_path}: weights.scheme: refused: a method file may name only a weight-scheme file beside it,"
            " in the framework folder, in the SQL tree or in a DEI_SQL_ALLOW folder; the path was not read"
        )
    path = next((p for p in inside if p.is_file()), None)
    if path is None:
        raise ConfigError(
            f"{method_path}: weights.scheme = {scheme!r} is neither one of {list(engine.NAMED_WEIGHT_SCHEMES)}"
            " nor an existing weight-scheme file"
        )
    # a scheme file runs in the sandbox, which works on DataFrames: only this branch needs pandas
    framework = con.execute("select * from framework").df()
    weights = load_weights(path, framework)
    con.register("weights_df", weights)
    con.execute("create or replace table weights as select node_id, cast(weight as double) as weight from weights_df")
    con.unregister("weights_df")
    return str(path)


def open_inputs(framework_dir: str | Path, method_path: str | Path, threads: int | None = COINR_THREADS):
    """(connection, checked method spec, load summary, weights used): a COINr directory and its method spec
    on a new DuckDB connection, the engine's input tables ready (the one way the COINr door, `dei analyse` and
    the uncertainty analysis read a COINr framework). The caller closes the connection.
    One thread by default: a COINr-sized build (thousands of cells) gains nothing from DuckDB's parallelism,
    which costs scheduling time (most on a busy machine), and parallel sums make the last digit differ from run
    to run."""
    import duckdb

    from index import engine

    framework_dir, method_path = Path(framework_dir), Path(method_path)
    spec = engine.load_method(method_path)
    con = duckdb.connect(config={} if threads is None else {"threads": threads})
    try:
        summary = load_coinr(con, framework_dir)
        weights_used = _resolve_weights(con, spec, method_path, framework_dir)
    except BaseException:
        con.close()
        raise
    return con, spec, summary, weights_used


def compute_coinr(framework_dir: str | Path, method_path: str | Path, out_dir: str | Path) -> list[dict]:
    """Run the engine on a COINr directory; write imputed / treated / normalised / aggregated CSVs and log.json.

    Each CSV has one row per unit (per unit and Time when iData holds more than one Time), columns uCode,
    [Time], then iCodes: indicators in iMeta order (imputed and treated in denominated units), and for
    aggregated every normalised indicator followed by every aggregate, lowest level first. Units screened out
    appear in imputed.csv only (imputation comes before screening, as in COINr).
    """
    from index import engine

    framework_dir, method_path, out_dir = Path(framework_dir), Path(method_path), Path(out_dir)
    con, spec, summary, weights_used = open_inputs(framework_dir, method_path)
    try:
        log = engine.run(con, spec)

        with_time = len(summary["periods"]) > 1
        order = con.execute(
            "select node_id, node_type from framework where node_type in ('Indicator', 'Aggregate')"
            " order by case node_type when 'Indicator' then 0 else 1 end, level, rowid"
        ).fetchall()
        indicators = [n for n, t in order if t == "Indicator"]
        nodes = [n for n, _ in order]
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, (table, column) in DATA_SETS.items():
            _write_wide(
                con,
                out_dir / f"{name}.csv",
                f"select unit_code, period, indicator_id as code, {column} as value from {table}",
                indicators,
                with_time,
            )
        _write_wide(
            con,
            out_dir / "aggregated.csv",
            "select unit_code, period, node_id as code, score as value from aggregate",
            nodes,
            with_time,
        )

        record = {
            "framework_dir": str(framework_dir),
            "method_file": str(method_path),
            "method": spec,
            "weights": weights_used,
            "inputs": summary,
            "steps": log,
        }
        (out_dir / "log.json").write_text(
            json.dumps(record, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
    finally:
        con.close()
    return log


__all__ = ["load_coinr", "compute_coinr", "read_imeta", "read_idata"]
