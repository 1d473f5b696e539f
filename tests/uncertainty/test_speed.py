"""The fast paths of issue 12 give the straightforward results: packed-key ranks against a stable argsort,
vectorised row lookups, and the bounded-memory Monte Carlo summaries against every replicate kept (SYNTHETIC
data throughout). No timing here: the timings are `python -m index.uncertainty.bench [--national]`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from index.uncertainty import analysis
from index.uncertainty.analysis import Rows, min_ranks, min_ranks_argsort


def _same(a, b) -> bool:
    return np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize("n", [3, 9, 300, 5000])
def test_packed_ranks_equal_argsort_ranks_with_ties_and_nan(n):
    rng = np.random.default_rng(n)
    few = rng.integers(0, 5, size=(40, n)).astype(float)  # SYNTHETIC: many exact ties
    few[rng.random(few.shape) < 0.2] = np.nan
    wide = rng.normal(50, 10, size=(3, 4, n))
    wide[..., ::7] = 0.1 + 0.2  # ties within rounding noise (TIE_TOLERANCE)
    wide[..., 3::7] = 0.3
    wide[0, 0, :] = np.nan  # a row without any rank
    wide[1, 1, 0], wide[1, 1, -1] = np.inf, -np.inf
    wide[2, 2, 1], wide[2, 2, 2] = 0.0, -0.0
    for values in (few, wide, -wide, wide * 1e12):
        expected = min_ranks_argsort(values)
        assert _same(min_ranks(values), expected)
        as_int = min_ranks(values, np.uint16)
        assert as_int.dtype == np.uint16
        assert (as_int == np.nan_to_num(expected, nan=0)).all()


def test_rows_the_packing_cannot_order_fall_back_to_argsort():
    # values 1 ulp apart at the end of the columns: dropping the low bits merges them, in column order
    base = 1.0 + np.arange(8) * 2.0**-50
    values = np.stack([base, base[::-1], np.array([1.0, np.nextafter(1.0, 2), 1.0, 1.0, 2.0, 1.0, 1.0, 3.0])])
    _, _, exact = analysis._packed_order(-values)
    assert not exact.all()  # the case is really the fallback's
    assert _same(min_ranks(values), min_ranks_argsort(values))


def test_ranks_of_a_period_subset_equal_the_full_ranks(asem_inputs):
    from index.uncertainty import spec as uspec

    rep = analysis.Replicator(asem_inputs, uspec.validate({"replicates": 4}))
    scores = rep.evaluate({"impute": np.zeros(3, int)})
    assert _same(rep.ranks(scores, np.uint16), np.nan_to_num(rep.ranks(scores), nan=0))


def test_rows_lookups_are_vectorised_and_keep_the_dict_semantics():
    rows = Rows(["A", "B", "7"], [2023, 2024])
    assert rows.index(np.array(["B", "7", "A"], dtype=object), np.array([2024, 2023, 2024])).tolist() == [4, 2, 3]
    assert rows.index(pa.chunked_array([["B", "A"]]), pa.chunked_array([[2023, 2024]])).tolist() == [1, 3]
    assert rows.index(np.array([7]), np.array([2024])).tolist() == [5]  # a number as the unit code: str(7)
    with pytest.raises(KeyError):
        rows.index(np.array(["Z"], dtype=object), np.array([2024]))
    with pytest.raises(KeyError):
        rows.index(pa.chunked_array([["A"]]), pa.chunked_array([[1999]]))
    m = rows.matrix(
        pa.chunked_array([["A", "B", "A"]]),
        pa.chunked_array([[2023, 2024, 2024]]),
        pa.chunked_array([["x", "y", "gone"]]),
        pa.chunked_array([[1.5, None, 9.0]]),
        ["x", "y"],
    )
    expected = np.full((6, 2), np.nan)
    expected[0, 0] = 1.5  # (A, 2023, x); (B, 2024, y) is NULL = NaN; "gone" is no column
    assert _same(m, expected)
    same = rows.matrix(
        np.array(["A", "B", "A"], dtype=object),
        np.array([2023, 2024, 2024]),
        np.array(["x", "y", "gone"], dtype=object),
        np.ma.masked_invalid([1.5, np.nan, 9.0]),
        ["x", "y"],
    )
    assert _same(same, expected)
    present = rows.matrix(
        pa.chunked_array([["A"]]),
        pa.chunked_array([[2024]]),
        pa.chunked_array([["y"]]),
        pa.chunked_array([[True]]),
        ["x", "y"],
    )
    assert present[3, 1] == 1.0


@pytest.fixture(scope="module")
def tiny_national(tmp_path_factory):
    """index.bench's SYNTHETIC panel at its tiny size (30 units x 12 indicators x 3 periods), the bench's spec."""
    from index import bench as engine_bench
    from index.uncertainty import bench

    data = tmp_path_factory.mktemp("tiny_national")
    engine_bench.write_inputs("tiny", data)
    spec = bench.national_spec(replicates=60)
    return analysis.Replicator(bench.national_inputs(data), spec), spec


@pytest.mark.parametrize("memory", [analysis.SUMMARY_MEMORY, 1])  # 1 byte: a pass per period
def test_summaries_equal_every_replicate_kept(tiny_national, memory):
    rep, spec = tiny_national
    every = analysis.monte_carlo(rep, spec.replicates, spec.seed)
    summary = analysis.monte_carlo_summary(rep, spec.replicates, spec.seed, spec.interval, memory=memory)
    assert summary.passes == (1 if memory > 1 else len(rep.rows.periods))
    for name in every.picks:
        assert (summary.picks[name] == every.picks[name]).all()
    expected, expected_pairs = analysis.rank_intervals(rep, every, spec.interval)
    table, pairs = analysis.rank_intervals(rep, summary, spec.interval)
    pd.testing.assert_frame_equal(table, expected, check_exact=True)
    pd.testing.assert_frame_equal(pairs, expected_pairs, check_exact=True)
    without, none = analysis.rank_intervals(rep, summary, spec.interval, pairs=False)
    assert none is None and without["indistinguishable_from"].isna().all()
    pd.testing.assert_frame_equal(
        without.drop(columns="indistinguishable_from"),
        expected.drop(columns="indistinguishable_from"),
        check_exact=True,
    )
    with pytest.raises(ValueError):
        analysis.rank_intervals(rep, summary, (0.1, 0.9))


def test_only_the_wanted_rows_are_the_same_as_all(tiny_national):
    rep, spec = tiny_national
    picks = {"normalise": np.array([0, 1, 1, 0]), "aggregate": np.array([1, 1, 0, 0])}
    noise = rep.noise_pool(4, np.random.default_rng(5))
    every = rep.evaluate(picks, noise)
    U = len(rep.rows.units)
    some = rep.evaluate(picks, noise, slice(U, 2 * U))
    assert _same(some[:, U : 2 * U], every[:, U : 2 * U])


def test_the_national_spec_and_the_baseline_agree_at_tiny_size(tiny_national):
    rep, spec = tiny_national
    assert [c.name for c in rep.choices if c.k > 1] == ["normalise", "aggregate"]
    mc = analysis.monte_carlo(rep, 4, spec.seed)
    for r in range(2):
        build = rep.replicate_build(mc.picks, mc.noise, r)
        both = ~np.isnan(build.scores)
        assert np.max(np.abs(build.scores[both] - mc.scores[r][both])) <= 1e-9
        assert (rep.ranks(build.scores[None])[0][both] == mc.ranks[r][both]).all()
