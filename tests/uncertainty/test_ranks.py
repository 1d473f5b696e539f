"""The vectorised ranks against the engine's own rank step (sql/engine/09_rank.sql) on SYNTHETIC scores with
ties and missing values."""

from __future__ import annotations

import duckdb
import numpy as np

from index.engine.sqlsteps import read_step
from index.uncertainty.analysis import min_ranks


def test_min_ranks_equal_the_engine_rank_step():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 6, size=(40, 9)).astype(float)  # SYNTHETIC: few values, so many ties
    scores[rng.random(scores.shape) < 0.15] = np.nan
    con = duckdb.connect()
    rows = [
        (f"u{j}", 2024, f"n{i}", 2, "Aggregate", None if np.isnan(v) else float(v))
        for i, row in enumerate(scores)
        for j, v in enumerate(row)
    ]
    con.execute(
        "create table aggregate (unit_code varchar, period integer, node_id varchar, level integer,"
        " node_type varchar, score double)"
    )
    con.executemany("insert into aggregate values (?, ?, ?, ?, ?, ?)", rows)
    ranked = con.execute(f"select node_id, unit_code, rank from ({read_step('09_rank.sql')})").fetchall()
    expected = np.full(scores.shape, np.nan)
    for node, unit, rank in ranked:
        if rank is not None:
            expected[int(node[1:]), int(unit[1:])] = rank
    mine = min_ranks(scores)
    assert np.array_equal(np.isnan(mine), np.isnan(expected))
    assert (mine[~np.isnan(mine)] == expected[~np.isnan(expected)]).all()


def test_rounding_noise_does_not_order_tied_units():
    tied = 0.1 + 0.2  # 0.30000000000000004
    mine = min_ranks(np.array([[0.3, tied, 0.2, np.nan]]))
    assert mine[0, :3].tolist() == [1.0, 1.0, 3.0] and np.isnan(mine[0, 3])
