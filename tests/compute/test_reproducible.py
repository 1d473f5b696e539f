"""The same inputs give the same published figures to the last digit, run after run (SYNTHETIC samples of one
year, conftest.curated_lake): a re-run must never change a score silently."""

from __future__ import annotations

import duckdb

from index import compute
from index.config import settings


def test_two_computes_of_the_same_inputs_agree_to_the_last_digit(curated_lake, tmp_path):
    first = compute.compute(cfg=settings(), out_dir=tmp_path / "a")
    second = compute.compute(cfg=settings(), out_dir=tmp_path / "b")
    con = duckdb.connect()
    for table in ("index_scores", "indicator_values", "target_attainment", "audit"):
        a, b = (str(out / f"{table}.parquet") for out in (first.staged, second.staged))
        differ = con.execute(f"""select count(*) from (
            (select * from read_parquet('{a}') except all select * from read_parquet('{b}'))
            union all
            (select * from read_parquet('{b}') except all select * from read_parquet('{a}')))""").fetchone()[0]
        assert differ == 0, table
