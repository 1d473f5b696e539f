"""The Sobol path (scipy.stats.sobol_indices with seeded bootstrap intervals) on the Ishigami function, whose
first-order and total indices are known in closed form (Ishigami & Homma 1990; Sobol' & Levitan 1999)."""

from __future__ import annotations

import numpy as np
import pytest

from index.uncertainty.analysis import sobol

A, B = 7.0, 0.1


def ishigami(u: np.ndarray) -> np.ndarray:
    x = -np.pi + 2.0 * np.pi * u  # each input uniform on [-pi, pi]
    return np.sin(x[0]) + A * np.sin(x[1]) ** 2 + B * x[2] ** 4 * np.sin(x[0])


def analytic():
    """Partial variances of the Ishigami function: V1, V2 and the x1-x3 interaction V13 (V3 = 0)."""
    v1 = 0.5 * (1.0 + B * np.pi**4 / 5.0) ** 2
    v2 = A**2 / 8.0
    v13 = B**2 * np.pi**8 * (1.0 / 18.0 - 1.0 / 50.0)
    total = A**2 / 8.0 + B * np.pi**4 / 5.0 + B**2 * np.pi**8 / 18.0 + 0.5
    assert abs(total - (v1 + v2 + v13)) < 1e-12  # the decomposition adds up
    return np.array([v1, v2, 0.0]) / total, np.array([v1 + v13, v2, v13]) / total


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ishigami_indices_lie_in_their_intervals(seed):
    first, total = analytic()
    result = sobol(ishigami, d=3, n=1024, seed=seed, bootstrap=999, confidence=0.95)
    assert result.first_order.shape == (1, 3) and result.evaluations == 1024 * 5
    assert ((result.first_low[0] <= first) & (first <= result.first_high[0])).all(), (result.first_order, first)
    assert ((result.total_low[0] <= total) & (total <= result.total_high[0])).all(), (result.total_order, total)
    assert np.abs(result.first_order[0] - first).max() < 0.05
    assert np.abs(result.total_order[0] - total).max() < 0.05


def test_the_same_seed_gives_the_same_intervals():
    one = sobol(ishigami, d=3, n=256, seed=5, bootstrap=100)
    two = sobol(ishigami, d=3, n=256, seed=5, bootstrap=100)
    for name in ("first_order", "total_order", "first_low", "first_high", "total_low", "total_high"):
        assert np.array_equal(getattr(one, name), getattr(two, name))


def test_several_outputs_at_once():
    result = sobol(lambda u: np.vstack([ishigami(u), u[0]]), d=3, n=512, seed=0, bootstrap=100)
    assert result.first_order.shape == (2, 3)
    # the second output is x1 alone: all of its variance is x1's
    assert abs(result.first_order[1, 0] - 1.0) < 0.05 and abs(result.total_order[1, 0] - 1.0) < 0.05
