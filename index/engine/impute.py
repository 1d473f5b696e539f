"""Impute: fill missing denominated values (none, mean, median, panel_linear, panel_latest)."""

from __future__ import annotations

from index.engine.sqlsteps import run_step

FILE = "03_impute.sql"


def run(con, method: dict) -> dict:
    impute_method = method["impute"]["method"]
    entry = run_step(con, "impute", FILE, {"impute_method": impute_method})
    by_method = con.execute(
        "select imputation, count(*) from impute where imputed group by imputation order by imputation"
    ).fetchall()
    missing, still_missing = con.execute(
        "select count(*) filter (where denominated_value is null), count(*) filter (where filled_value is null)"
        " from impute"
    ).fetchone()
    imputed = sum(n for _, n in by_method)
    detail = ", ".join(f"{name} {n}" for name, n in by_method)
    entry["notes"] = (
        f"method {impute_method}: {imputed} of {missing} missing cells imputed"
        + (f" ({detail})" if detail else "")
        + f"; {still_missing} cells left missing"
    )
    entry["imputed"] = imputed
    entry["missing"] = still_missing
    return entry
