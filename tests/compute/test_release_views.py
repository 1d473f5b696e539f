"""Shared release views (sql/release/shared/): the 自治区 roll-up is defined once and both published tables that
carry a 自治区 row read it. Inputs are the SYNTHETIC sample submissions of one year (conftest.curated_lake)."""

from __future__ import annotations

import duckdb
import pytest

from index import compute
from index.config import settings
from index.errors import ConfigError


def test_the_region_rows_of_both_tables_are_the_shared_view(curated_lake, tmp_path):
    out = tmp_path / "release"
    compute.compute(cfg=settings(), out_dir=out)
    con = duckdb.connect()
    pairs = con.execute(f"""
        select v.indicator_id, v.year, v.denominated_value, t.value
        from '{out / "indicator_values.parquet"}' v
        join '{out / "target_attainment.parquet"}' t
          on t.indicator_id = v.indicator_id and t.year = v.year and t.unit_code = v.unit_code
        where v.unit_level = 'region' and t.unit_level = 'region'
    """).fetchall()
    assert pairs, "the release has 自治区 rows for indicators with a target"
    assert all(a == b for _, _, a, b in pairs)
    # Not a published table: only the files directly under sql/release/ are.
    assert not (out / "region_values.parquet").exists()


def test_a_shared_view_is_checked_like_any_release_sql(curated_lake, sql_copy, tmp_path):
    (sql_copy / "release" / "shared" / "region_values.sql").write_text(
        "copy (select 1) to '/tmp/x.csv'", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as err:
        compute.compute(cfg=settings(), out_dir=tmp_path / "release")
    assert "region_values.sql" in str(err.value)


def test_editing_a_shared_view_gives_a_new_release_id(curated_lake, sql_copy, tmp_path):
    before = compute.compute(cfg=settings(), out_dir=tmp_path / "a")
    view = sql_copy / "release" / "shared" / "region_values.sql"
    view.write_text("-- edited by the test\n" + view.read_text(encoding="utf-8"), encoding="utf-8")
    after = compute.compute(cfg=settings(), out_dir=tmp_path / "b")
    assert after.release_id != before.release_id
