"""Which submission a figure is taken from when several departments send it.

The curated batches here are SYNTHETIC: two tiny hand-made files, not sample submissions.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pandas as pd

from index.compute import load_engine_inputs


def write_batch(cfg, name, department, value, loaded):
    frame = pd.DataFrame(
        {
            "league_code": pd.Series([150100], dtype="int32"),
            "indicator_id": ["population"],
            "value": [value],
            "department": [department],
            "source_file": [f"{name}.xlsx"],
            "source_sheet": ["2024年"],
            "source_row": pd.Series([4], dtype="int32"),
            "source_column": ["常住人口（万人）"],
            "sha256": [name * 8],
            "ingested_at": [loaded],
        }
    )
    path = cfg.curated / "year=2024" / f"{name}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path)


def population_seen(cfg):
    con = duckdb.connect()
    load_engine_inputs(con, cfg, cfg.default_weights)
    return con.execute("select value from observations where variable_id = 'population'").fetchall()


def test_the_owning_department_wins_over_a_later_copy(lake):
    write_batch(lake, "stats000", "自治区统计局", 360.0, datetime(2025, 3, 1, tzinfo=UTC))
    write_batch(lake, "telecom0", "内蒙古通信管理局", 999.0, datetime(2025, 6, 1, tzinfo=UTC))
    assert population_seen(lake) == [(360.0,)]


def test_a_copy_is_used_when_the_owner_sent_nothing(lake):
    write_batch(lake, "telecom0", "内蒙古通信管理局", 361.0, datetime(2025, 6, 1, tzinfo=UTC))
    assert population_seen(lake) == [(361.0,)]


def test_a_copy_from_a_file_of_no_known_department_never_beats_the_owner(lake):
    write_batch(lake, "stats000", "自治区统计局", 360.0, datetime(2025, 3, 1, tzinfo=UTC))
    write_batch(lake, "nodept00", None, 999.0, datetime(2025, 6, 1, tzinfo=UTC))
    assert population_seen(lake) == [(360.0,)]


def test_the_later_of_two_owner_copies_wins(lake):
    write_batch(lake, "stats000", "自治区统计局", 360.0, datetime(2025, 3, 1, tzinfo=UTC))
    write_batch(lake, "stats001", "自治区统计局", 362.5, datetime(2025, 4, 1, tzinfo=UTC))
    assert population_seen(lake) == [(362.5,)]


def test_the_precedence_log_names_the_winning_and_the_overridden_copy(lake):
    from index.compute import precedence_log

    write_batch(lake, "stats000", "自治区统计局", 360.0, datetime(2025, 3, 1, tzinfo=UTC))
    write_batch(lake, "telecom0", "内蒙古通信管理局", 999.0, datetime(2025, 6, 1, tzinfo=UTC))
    con = duckdb.connect()
    load_engine_inputs(con, lake, lake.default_weights)
    assert precedence_log(con) == [
        dict(
            indicator_id="population",
            winning_file="stats000.xlsx",
            winning_department="自治区统计局",
            winner_is_owner=True,
            overridden_file="telecom0.xlsx",
            overridden_department="内蒙古通信管理局",
            figures=1,
            differing=1,
        )
    ]
