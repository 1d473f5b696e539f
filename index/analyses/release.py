"""The regional analyses published with every release (compute's last step, after the audit):
disparity, obstacles, coupling, convergence_sigma and convergence_beta, in the table contract
(index/targets/contract.py). They read the staged release's own tables, so they describe exactly the
published scores; a table an analysis cannot fill for a node (a score of 0 for the Gini, one year for β) has
no row for it, and release.json `analyses.notes` says why.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from index.analyses.run import DEI_COUPLING, GROUPINGS, analyse, league_groups, release_inputs
from index.targets.contract import ANALYSIS_TABLES as TABLES  # noqa: F401  (the contract's list, once)


def _units(frame: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """The contract's names (year) and, for a per-unit table, the unit's name, level and parent."""
    out = frame.rename(columns={"period": "year"})
    if "unit_code" in out:
        out["unit_code"] = out["unit_code"].astype("int64")
        out = out.merge(units, on="unit_code", how="left")
    return out


def _unit_info(staged: Path) -> pd.DataFrame:
    import duckdb

    con = duckdb.connect()
    try:
        return con.execute(
            "select distinct cast(unit_code as bigint) as unit_code, unit_name, unit_level, parent_code"
            " from read_parquet(?)",
            [str(staged / "index_scores.parquet")],
        ).df()
    finally:
        con.close()


def _obstacles(first: dict) -> pd.DataFrame:
    top = first["obstacles_top"][["unit_code", "period", "indicator_id", "rank"]].rename(
        columns={"indicator_id": "node_id", "rank": "top_rank"}
    )
    return first["obstacles"].merge(top, on=["unit_code", "period", "node_id"], how="left")


def _coupling(first: dict) -> pd.DataFrame:
    if "coupling" not in first:  # no coupled system in this framework (release.json analyses.notes says why)
        return pd.DataFrame(columns=["unit_code", "period", "system", "subsystems"])
    coupling = (
        first["coupling"]
        .drop(columns=["subsystem", "subsystem_score"])
        .drop_duplicates(["unit_code", "period", "system"])
    )
    coupling["subsystems"] = coupling["system"].map(
        lambda s: " × ".join(DEI_COUPLING[s]) if DEI_COUPLING.get(s) else "level 2"
    )
    return coupling


def tables(staged: Path, reference: Path) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The analysis tables (TABLES, without release_id) and the notes, from a staged release folder: every analysis once
    under the first grouping, the disparity once more under each other grouping."""
    from index.analyses.disparity import disparity_table

    scores, normalised, framework = release_inputs(staged)
    first, notes = analyse(
        scores, normalised, framework, league_groups(reference, GROUPINGS[0]), DEI_COUPLING, (0.0, 100.0)
    )
    disparity = [first["disparity"].assign(grouping=GROUPINGS[0])]
    groups = [first["disparity_groups"].assign(grouping=GROUPINGS[0])]
    pairs = [first["disparity_pairs"].assign(grouping=GROUPINGS[0])]
    aggregates = scores[(scores["level"] >= 2) & scores["node_id"].isin(first["disparity"]["node_id"].unique())]
    for grouping in GROUPINGS[1:]:
        summary, group_table, pair_table = disparity_table(aggregates, league_groups(reference, grouping))
        disparity.append(summary.assign(grouping=grouping))
        groups.append(group_table.assign(grouping=grouping))
        pairs.append(pair_table.assign(grouping=grouping))
    units = _unit_info(staged)
    obstacles, coupling = [_obstacles(first)], [_coupling(first)]
    # the 旗县市区: their own obstacles and coupling (per unit); the spread across units stays the 盟市'
    counties = release_inputs(staged, "county")
    if not counties[0].empty:
        parents = dict(zip(units["unit_code"].astype(str), units["parent_code"].astype("Int64").astype(str)))
        county, _ = analyse(*counties, parents, DEI_COUPLING, (0.0, 100.0))
        obstacles.append(_obstacles(county))
        coupling.append(_coupling(county))
    beta = first.get(
        "beta_convergence",
        pd.DataFrame(
            columns=[
                "node_id",
                "first_period",
                "last_period",
                "units",
                "alpha",
                "beta",
                "beta_stderr",
                "p_value",
                "r_squared",
                "converging",
                "speed",
                "half_life",
            ]
        ),
    )
    frames = {
        "disparity": _units(pd.concat(disparity, ignore_index=True), units),
        "disparity_groups": _units(pd.concat(groups, ignore_index=True).rename(columns={"group": "group_name"}), units),
        "disparity_pairs": _units(pd.concat(pairs, ignore_index=True), units),
        "obstacles": _units(pd.concat(obstacles, ignore_index=True), units),
        "coupling": _units(pd.concat(coupling, ignore_index=True), units),
        "convergence_sigma": _units(first["sigma_convergence"], units),
        "convergence_beta": beta.rename(columns={"first_period": "first_year", "last_period": "last_year"}),
        "distribution": _units(
            first.get("kernel_density", pd.DataFrame(columns=["period", "x", "density", "node_id"])), units
        ),
    }
    return frames, notes


def write(staged: Path, release_id: str, reference: Path) -> list[str]:
    """Write the analysis tables into ``staged`` (cast to the contract); return the notes."""
    import duckdb
    import pyarrow.parquet as pq

    from index.targets import contract

    frames, notes = tables(staged, reference)
    con = duckdb.connect()
    for name, frame in frames.items():
        con.register("analysis_frame", frame.assign(release_id=release_id))
        pq.write_table(
            con.sql(contract.cast_select(name, "analysis_frame")).to_arrow_table(), staged / f"{name}.parquet"
        )
        con.unregister("analysis_frame")
    return notes
