"""`dei analyse`: every analysis of this package on a published release or on a COINr-layout framework,
written as CSV files (one per table; the columns are documented in the README).

On a release: the 盟市 rows of index_scores and indicator_values (the 自治区 row is not a unit of the
comparison), groups from reference/league_groups.csv (`region_group`: 蒙东 / 蒙西, or `core_group`:
呼包鄂乌 / 其他). On a COINr framework: one engine build (index.coinr), groups from one of iData's `*_group`
columns. A node whose scores cannot enter an analysis (a score of 0 for the Gini, one period for β) is left
out of that table and named in notes.txt, never guessed.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from index.errors import ConfigError

DEI_COUPLING = {
    "六维度": None,  # every dimension (level 2)
    "数字产业化 × 产业数字化": ["digital_industrialisation", "industrial_digitalisation"],
}
GROUPINGS = ("region_group", "core_group")


def analyse(
    scores: pd.DataFrame,
    normalised: pd.DataFrame,
    framework: pd.DataFrame,
    groups: dict,
    couplings: dict,
    scale: tuple[float, float] | None,
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The tables of every analysis, and the notes. scores: unit_code, period, node_id, level, score;
    normalised: unit_code, period, indicator_id, normalised, effective_weight; framework: node_id, parent_id,
    level, node_type; couplings: name -> list of node ids (None: every node of level 2)."""
    from index.analyses import convergence, coupling, disparity, obstacles

    notes: list[str] = []
    aggregates = scores[scores["level"] >= 2]
    usable = []
    for node, part in aggregates.groupby("node_id", sort=True):
        if (part["score"].dropna() <= 0).any():
            notes.append(f"disparity: {node} left out: a score of 0 or less (the Gini and Theil need values > 0)")
        else:
            usable.append(node)
    summary, group_table, pairs = disparity.disparity_table(aggregates[aggregates["node_id"].isin(usable)], groups)
    tables = {"disparity": summary, "disparity_groups": group_table, "disparity_pairs": pairs}

    if scale is None:
        notes.append("obstacles: left out: the normalisation is not min-max, so no [0, 1] scale is known")
    else:
        degrees, top = obstacles.obstacle_degrees(normalised, framework, scale=scale)
        tables["obstacles"], tables["obstacles_top"] = degrees, top

    level_two = framework.loc[framework["level"] == 2, "node_id"].tolist()
    frames = []
    # the subsystems' scores on 0..100, once for every coupled system
    low = scale[0] if scale else 0.0
    span = (scale[1] - scale[0]) if scale else 100.0
    rescaled = scores.assign(score=(scores["score"] - low) / span * 100.0)
    for name, nodes in couplings.items():
        nodes = level_two if nodes is None else nodes
        try:
            table = coupling.coupling_table(rescaled, nodes, name=name)
        except ConfigError as exc:  # a framework without these subsystems: that system is left out, and said so
            notes.append(f"coupling: {name} left out: {exc}")
            continue
        frames.append(
            table.melt(
                id_vars=[
                    "unit_code",
                    "period",
                    "system",
                    "coupling",
                    "coordination",
                    "coupling_coordination",
                    "class_zh",
                    "class_en",
                ],
                var_name="subsystem",
                value_name="subsystem_score",
            )
        )
    if frames:
        tables["coupling"] = pd.concat(frames, ignore_index=True)

    tables["sigma_convergence"] = convergence.sigma(aggregates)
    beta_rows, density = [], []
    for node in sorted(aggregates["node_id"].unique()):
        part = aggregates[aggregates["node_id"] == node]
        try:
            beta_rows.append(convergence.beta(part))
        except ConfigError as exc:
            notes.append(f"beta convergence: {node} left out: {exc}")
        try:
            density.append(convergence.kernel_density(part, node).assign(node_id=node))
        except ConfigError as exc:
            notes.append(f"kernel density: {node} left out: {exc}")
    if beta_rows:
        tables["beta_convergence"] = pd.concat(beta_rows, ignore_index=True)
    if density:
        tables["kernel_density"] = pd.concat(density, ignore_index=True)
    return tables, notes


def write(tables: dict[str, pd.DataFrame], notes: list[str], out: Path) -> list[Path]:
    from index.files import write_text_atomic

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.items():
        path = out / f"{name}.csv"
        write_text_atomic(path, frame.to_csv(index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n"))
        written.append(path)
    write_text_atomic(out / "notes.txt", "".join(f"{n}\n" for n in notes) or "no node was left out\n")
    return written + [out / "notes.txt"]


def league_groups(reference: Path, grouping: str) -> dict:
    """league code (text) -> its group under ``grouping`` (reference/league_groups.csv)."""
    if grouping not in GROUPINGS:
        raise ConfigError(f"--group {grouping!r} is not one of {list(GROUPINGS)} for a release")
    table = pd.read_csv(reference / "league_groups.csv", dtype=str)
    return dict(zip(table["code"], table[grouping]))


def release_inputs(release_dir: Path, level: str = "league"):
    """(scores, normalised, framework) of a release folder: its rows of unit level ``level`` (the 盟市 by
    default; ``county`` for the 旗县市区) in this package's generic columns."""
    import duckdb

    for table in ("index_scores", "indicator_values", "framework"):
        if not (release_dir / f"{table}.parquet").is_file():
            raise ConfigError(f"{release_dir}: no {table}.parquet; is it a release folder?")
    con = duckdb.connect()
    try:
        scores = con.execute(
            "select cast(unit_code as varchar) as unit_code, year as period, node_id, level, score"
            " from read_parquet(?) where unit_level = ?",
            [str(release_dir / "index_scores.parquet"), level],
        ).df()
        normalised = con.execute(
            "select cast(unit_code as varchar) as unit_code, year as period, indicator_id, normalised,"
            " effective_weight from read_parquet(?) where unit_level = ?",
            [str(release_dir / "indicator_values.parquet"), level],
        ).df()
        framework = con.execute(
            "select node_id, parent_id, level, node_type from read_parquet(?)", [str(release_dir / "framework.parquet")]
        ).df()
    finally:
        con.close()
    return scores, normalised, framework


def coinr_inputs(framework_dir: Path, method_path: Path, grouping: str | None):
    from index import coinr, engine

    con, spec, _, _ = coinr.open_inputs(framework_dir, method_path)
    try:
        # the group column is checked before the build: a typo costs no engine run
        columns = [c for (c,) in con.execute("select distinct group_column from unit_groups order by 1").fetchall()]
        if grouping is None or grouping not in columns:
            raise ConfigError(f"--group must name one of the framework's group columns {columns}")
        groups = dict(
            con.execute("select unit_code, group_value from unit_groups where group_column = ?", [grouping]).fetchall()
        )
        engine.run(con, spec)
        scores = con.execute("select unit_code, period, node_id, level, score from node_scores").df()
        normalised = con.execute(
            "select unit_code, period, indicator_id, normalised, effective_weight from indicator_results"
        ).df()
        framework = con.execute(
            "select node_id, parent_id, cast(level as integer) as level, node_type from framework"
            " where node_type <> 'Denominator'"
        ).df()
    finally:
        con.close()
    normalise = spec["normalise"]
    scale = tuple(normalise["range"]) if normalise["method"] == "minmax" else None
    return scores, normalised, framework, groups, scale


def analyse_release(release_dir: Path, out: Path, grouping: str = "region_group", cfg=None) -> list[Path]:
    from index.config import settings

    cfg = cfg or settings()
    groups = league_groups(cfg.reference, grouping)
    scores, normalised, framework = release_inputs(Path(release_dir))
    tables, notes = analyse(scores, normalised, framework, groups, DEI_COUPLING, (0.0, 100.0))
    return write(tables, notes, Path(out))


def analyse_coinr(
    framework_dir: Path, method_path: Path, out: Path, grouping: str | None, couplings: dict | None = None
) -> list[Path]:
    scores, normalised, framework, groups, scale = coinr_inputs(Path(framework_dir), Path(method_path), grouping)
    tables, notes = analyse(scores, normalised, framework, groups, couplings or {"level 2": None}, scale)
    return write(tables, notes, Path(out))
