"""Impute: fill missing denominated values.

Methods: none, mean, median (cross-section), panel_linear, panel_latest (the unit's own history),
group_mean, group_median (cross-section within the unit's group, e.g. COINr's ``use_group``) and knn
(scikit-learn's KNNImputer, once per period over the units × indicators matrix).

Only the chosen method is computed: the panel methods run 03_impute_panel_fills.sql (table impute_fills, the
missing cells only) and make ``impute`` a view laying them over the known cells (03_impute_panel.sql); the others
run 03_impute.sql, which reads two helper tables this module builds first, empty unless the method needs them:
``impute_groups(unit_code, group_value)`` and ``impute_knn(unit_code, period, indicator_id, knn_value)``.
"""

from __future__ import annotations

from index.engine.log import StepRecord
from index.engine.sqlsteps import run_step, run_view
from index.errors import ConfigError

FILE = "03_impute.sql"
PANEL_FILE = "03_impute_panel.sql"
PANEL_FILLS_FILE = "03_impute_panel_fills.sql"
PANEL_METHODS = ("panel_linear", "panel_latest")


def _table_exists(con, name: str) -> bool:
    from index.engine.sqlsteps import relation_names

    return name in relation_names(con)


def _build_groups(con, spec: dict) -> None:
    from index.engine import groups

    grouped = spec["method"] in ("group_mean", "group_median")
    if grouped and not _table_exists(con, "unit_groups"):
        raise ConfigError(f"impute.method = {spec['method']!r} needs a unit_groups table (unit groups were not loaded)")
    groups.build(con, "impute", spec["group"] if grouped else None, "impute.group")


def _build_knn(con, spec: dict) -> None:
    con.execute(
        "create or replace table impute_knn (unit_code varchar, period integer, indicator_id varchar, knn_value double)"
    )
    if spec["method"] != "knn":
        return
    import numpy as np
    import pandas as pd
    from sklearn.impute import KNNImputer

    cells = con.execute(
        "select cast(unit_code as varchar) as unit_code, period, cast(indicator_id as varchar) as indicator_id,"
        " denominated_value from denominate"
    ).df()
    filled = []
    # one KNNImputer fit per period (a bounded loop), never per unit or indicator
    for period, block in cells.groupby("period", sort=True):
        matrix = block.pivot(index="unit_code", columns="indicator_id", values="denominated_value")
        # an indicator nobody reported has nothing to borrow from: it stays missing
        matrix = matrix.loc[:, matrix.notna().any()]
        if matrix.empty or not matrix.isna().to_numpy().any():
            continue
        # distances on standardised columns, so no indicator dominates through its units; the fill is the
        # neighbours' mean, mapped back to the indicator's own units
        centre = matrix.mean()
        scale = matrix.std(ddof=0).replace(0.0, 1.0).fillna(1.0)
        imputer = KNNImputer(n_neighbors=int(spec["k"]))
        result = imputer.fit_transform(((matrix - centre) / scale).to_numpy())
        result = pd.DataFrame(result, index=matrix.index, columns=matrix.columns) * scale + centre
        gaps = result.where(matrix.isna()).stack().rename("knn_value").reset_index()
        gaps["period"] = int(period)
        filled.append(gaps)
    if filled:
        frame = pd.concat(filled, ignore_index=True)[["unit_code", "period", "indicator_id", "knn_value"]]
        frame = frame[np.isfinite(frame["knn_value"])]
        con.register("impute_knn_df", frame)
        con.execute("insert into impute_knn select * from impute_knn_df")
        con.unregister("impute_knn_df")


def run(con, method: dict) -> StepRecord:
    spec = method["impute"]
    impute_method = spec["method"]
    if impute_method in PANEL_METHODS:
        fills = run_step(con, "impute_fills", PANEL_FILLS_FILE, {"impute_method": impute_method})
        entry = run_view(con, "impute", PANEL_FILE)
        entry.update(file=f"{PANEL_FILLS_FILE}, {PANEL_FILE}", seconds=fills["seconds"] + entry["seconds"])
    else:
        _build_groups(con, spec)
        _build_knn(con, spec)
        entry = run_step(con, "impute", FILE, {"impute_method": impute_method})
    # the notes look at the missing cells only (every imputed or still missing cell is one)
    counts = con.execute(
        """
        select
            imputation,
            count(*) filter (where imputed),
            count(*),
            count(*) filter (where filled_value is null)
        from impute
        where denominated_value is null
        group by imputation
        order by imputation
        """
    ).fetchall()
    if entry["rows"] is None:
        (entry["rows"],) = con.execute("select count(*) from impute").fetchone()
    by_method = [(name, n) for name, n, _, _ in counts if name is not None and n]
    missing = sum(m for _, _, m, _ in counts)
    still_missing = sum(s for _, _, _, s in counts)
    imputed = sum(n for _, n in by_method)
    detail = ", ".join(f"{name} {n}" for name, n in by_method)
    described = impute_method
    if impute_method in ("group_mean", "group_median"):
        described += f" by {spec['group']}"
    elif impute_method == "knn":
        described += f" (k = {spec['k']})"
    entry["notes"] = (
        f"method {described}: {imputed} of {missing} missing cells imputed"
        + (f" ({detail})" if detail else "")
        + f"; {still_missing} cells left missing"
    )
    entry["imputed"] = imputed
    entry["missing"] = still_missing
    return entry
