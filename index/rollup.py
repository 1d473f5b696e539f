"""Roll-up check: a 盟市's own figure against the sum of its 旗县' figures (issue 13; 条例 第七十一条's two levels).

For every additive figure (framework `additive`, reported by 旗县 per `levels`), 盟市 and year,
sql/validate/rollup_check.sql compares the 盟市's submitted figure with what its 旗县 (and any development zone
that reported) add up to. A relative difference beyond the tolerance (``DEI_ROLLUP_TOLERANCE``, default 1 %:
figures are rounded where they are compiled, so sums rarely match to the last digit) is a finding for the
validation log, not a rejection: neither side can be said to be the wrong one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from index.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

TOLERANCE_ENV = "DEI_ROLLUP_TOLERANCE"
DEFAULT_TOLERANCE = 0.01
FILE = Path("validate") / "rollup_check.sql"
VERDICTS = ("agrees", "differs", "zones_unreported", "incomplete", "no_league_figure")


def tolerance() -> float:
    """The relative tolerance from ``DEI_ROLLUP_TOLERANCE`` (a share, e.g. 0.01), or the default."""
    text = os.environ.get(TOLERANCE_ENV, "").strip()
    if not text:
        return DEFAULT_TOLERANCE
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < 1:
        raise ConfigError(f"{TOLERANCE_ENV}={text!r}: give a share from 0 to below 1, e.g. 0.01 for 1 %")
    return value


def check(
    observations: pd.DataFrame,
    units: pd.DataFrame,
    framework: pd.DataFrame,
    tolerance_share: float | None = None,
    sql_dir: Path | None = None,
) -> pd.DataFrame:
    """One row per additive figure, 盟市 and year that some 旗县 reported, with its verdict (``VERDICTS``).

    observations: unit_code, year, indicator_id, value (both levels); units: unit_code, unit_level, parent_code
    (index.units' registry); framework: node_id, levels, additive."""
    import pandas as pd

    from index import sandbox
    from index.config import settings

    share = tolerance() if tolerance_share is None else tolerance_share
    tables = {
        "observations": observations[["unit_code", "year", "indicator_id", "value"]],
        "units": units[["unit_code", "unit_level", "parent_code"]],
        "framework": framework[["node_id", "levels", "additive"]],
        "rollup_settings": pd.DataFrame({"tolerance": [float(share)]}),
    }
    return sandbox.run_query((sql_dir or settings().sql) / FILE, "roll-up check", tables)


def registry_units() -> pd.DataFrame:
    """The units table of the check, from the unit registry (reference/units.csv)."""
    import pandas as pd

    from index.units import units

    frame = pd.DataFrame(
        [(u.code, u.level, u.parent_code) for u in units()], columns=["unit_code", "unit_level", "parent_code"]
    )
    frame["parent_code"] = frame["parent_code"].astype("Int64")  # the region has none: no float codes
    return frame


def message(row, tolerance_share: float | None = None) -> str:
    """One line of the validation log for a finding that is not `agrees`."""
    where = f"{row.league_code} {row.year} {row.indicator_id}"
    if row.verdict == "incomplete":
        return (
            f"roll-up {where}: only {row.counties_reported} of {row.counties_expected} 旗县 reported; no sum to compare"
        )
    if row.verdict == "no_league_figure":
        return f"roll-up {where}: the 旗县 add up to {row.parts_sum:g}; the 盟市 reported no figure of its own"
    share = f"{row.relative_difference:+.1%}"
    if row.verdict == "zones_unreported":
        return (
            f"roll-up {where}: the 旗县 add up to {row.parts_sum:g}, {share} against the 盟市's {row.league_value:g};"
            " its development zones did not report, so the shortfall may be theirs"
        )
    return (
        f"roll-up {where}: the 旗县 add up to {row.parts_sum:g} but the 盟市 reported {row.league_value:g}"
        f" ({share}, beyond the {tolerance() if tolerance_share is None else tolerance_share:.1%} tolerance);"
        " check both submissions"
    )


def check_lake(cfg=None) -> pd.DataFrame | None:
    """The check on the curated lake (each figure's copy that compute would use); None while it is empty."""
    import duckdb

    from index.compute import curated_files, load_curated
    from index.config import settings
    from index.framework import load_framework

    cfg = cfg or settings()
    if not curated_files(cfg):
        return None
    framework = load_framework(cfg.framework_file)
    con = duckdb.connect()
    try:
        con.register("framework_df", framework)
        con.execute("create table framework as select * from framework_df")
        load_curated(con, cfg)
        observations = con.execute(
            "select unit_code, year, indicator_id, value from figure_copies where copy_rank = 1"
        ).df()
    finally:
        con.close()
    return check(observations, registry_units(), framework, sql_dir=cfg.sql)


def findings(found: pd.DataFrame | None, most: int = 20) -> list[str]:
    """The validation log's lines: a count by verdict, then each finding that is not `agrees` (at most ``most``)."""
    if found is None or found.empty:
        return []
    counts = found["verdict"].value_counts()
    summary = ", ".join(f"{counts[v]} {v}" for v in VERDICTS if v in counts)
    lines = [f"roll-up of the 旗县 to their 盟市 ({len(found)} figures): {summary}"]
    share = tolerance()
    shown = [message(row, share) for row in found.itertuples() if row.verdict != "agrees"]
    lines += shown[:most]
    if len(shown) > most:
        lines.append(f"… and {len(shown) - most} more (dei rollup lists them all)")
    return lines
