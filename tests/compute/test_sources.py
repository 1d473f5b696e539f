"""Which submission a figure is taken from when several departments send it.

The curated batches here are SYNTHETIC: two tiny hand-made files, not sample submissions.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pandas as pd
import pytest

from index.compute import load_engine_inputs


def write_batch(cfg, name, department, value, loaded, unit=150100, column="unit_code"):
    """One curated batch of one population figure; ``column`` league_code: as written before 旗县 were read."""
    frame = pd.DataFrame(
        {
            column: pd.Series([unit], dtype="int32"),
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


# batches as write_batch takes them: (file stem, department, population figure, ingested at)
OWNER_IN_MARCH = ("stats000", "自治区统计局", 360.0, datetime(2025, 3, 1, tzinfo=UTC))
OWNER_IN_APRIL = ("stats001", "自治区统计局", 362.5, datetime(2025, 4, 1, tzinfo=UTC))
COPY_IN_JUNE = ("telecom0", "内蒙古通信管理局", 999.0, datetime(2025, 6, 1, tzinfo=UTC))
ONLY_COPY_IN_JUNE = ("telecom0", "内蒙古通信管理局", 361.0, datetime(2025, 6, 1, tzinfo=UTC))
NO_DEPARTMENT_IN_JUNE = ("nodept00", None, 999.0, datetime(2025, 6, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    "batches, seen",
    [
        pytest.param([OWNER_IN_MARCH, COPY_IN_JUNE], 360.0, id="the_owning_department_wins_over_a_later_copy"),
        pytest.param([ONLY_COPY_IN_JUNE], 361.0, id="a_copy_is_used_when_the_owner_sent_nothing"),
        pytest.param(
            [OWNER_IN_MARCH, NO_DEPARTMENT_IN_JUNE],
            360.0,
            id="a_copy_from_a_file_of_no_known_department_never_beats_the_owner",
        ),
        pytest.param([OWNER_IN_MARCH, OWNER_IN_APRIL], 362.5, id="the_later_of_two_owner_copies_wins"),
    ],
)
def test_the_population_figure_taken_is_the_one_precedence_picks(lake, batches, seen):
    for batch in batches:
        write_batch(lake, *batch)
    assert population_seen(lake) == [(seen,)]


def test_the_precedence_log_names_the_winning_and_the_overridden_copy(lake):
    from index.compute import precedence_log

    write_batch(lake, *OWNER_IN_MARCH)
    write_batch(lake, *COPY_IN_JUNE)
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


def test_batches_from_before_the_county_level_are_read_beside_new_ones(lake):
    # a lake curated before issue 13 names its units league_code; the 旗县 rows are kept out of the 盟市 build
    write_batch(lake, *OWNER_IN_MARCH, column="league_code")
    write_batch(lake, *OWNER_IN_APRIL)
    write_batch(lake, "county00", None, 70.0, datetime(2025, 5, 1, tzinfo=UTC), unit=150121)
    assert population_seen(lake) == [(362.5,)]
