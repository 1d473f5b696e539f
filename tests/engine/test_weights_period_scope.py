"""`[weights] scope = "period"`: objective weights derived from each period's rows alone (issue 14).

ALL DATA HERE IS SYNTHETIC: units u1..u6, periods 2023 and 2024, made-up indicators I1..I4 under two made-up
dimensions D1, D2 of a made-up index IDX. Indicator I2 is the same for every unit in 2023 (it tells the units
nothing that year) and varies in 2024.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from index import engine
from index.errors import ConfigError
from tests.fixtures.engine_inputs import connect

FRAMEWORK = [
    dict(node_id="IDX", parent_id=None, level=3, node_type="Aggregate"),
    dict(node_id="D1", parent_id="IDX", level=2, node_type="Aggregate"),
    dict(node_id="D2", parent_id="IDX", level=2, node_type="Aggregate"),
    *(
        dict(node_id=i, parent_id=d, level=1, node_type="Indicator", polarity=1)
        for i, d in (("I1", "D1"), ("I2", "D1"), ("I3", "D2"), ("I4", "D2"))
    ),
]
WEIGHTS = [("D1", 0.5), ("D2", 0.5), ("I1", 0.5), ("I2", 0.5), ("I3", 0.5), ("I4", 0.5)]
UNITS = [f"u{k}" for k in range(1, 7)]
PERIODS = (2023, 2024)


def observations(periods=PERIODS) -> list[tuple]:
    """SYNTHETIC values, seeded; I2 constant in 2023; one value missing (u3, I4, 2024) to exercise re-weighting."""
    rng = np.random.default_rng(14)
    rows = []
    for period in PERIODS:
        for unit in UNITS:
            for indicator in ("I1", "I2", "I3", "I4"):
                value = 40.0 if (indicator == "I2" and period == 2023) else float(rng.uniform(1, 100))
                if (unit, indicator, period) == ("u3", "I4", 2024):
                    value = None
                if period in periods:
                    rows.append((unit, period, indicator, value))
    return rows


def method(scheme="entropy", scope=None, aggregate="amean", normalise_scope="period") -> dict:
    weights = {"scheme": scheme} | ({} if scope is None else {"scope": scope})
    return {
        "normalise": {"method": "minmax", "range": [1, 100], "scope": normalise_scope},
        "weights": weights,
        "aggregate": {"method": aggregate} | ({"nonpositive": "error"} if aggregate == "gmean" else {}),
    }


def build(spec: dict, periods=PERIODS, weights=WEIGHTS) -> tuple[duckdb.DuckDBPyConnection, list]:
    con = connect(FRAMEWORK, weights, observations(periods), units=UNITS)
    log = engine.run(con, spec)
    return con, log


def scores(con) -> pd.DataFrame:
    return con.execute("select unit_code, period, node_id, score from node_scores order by all").df()


# ----------------------------------------------------------------------------- (a) each period its own weights


def test_period_scope_gives_each_period_its_own_entropy_weights_and_scores():
    con, log = build(method(scope="period"))
    period_weights = con.execute("select node_id, period, weight from period_weights").df()
    by = period_weights.set_index(["node_id", "period"])["weight"]
    assert by[("I2", 2023)] == 0.0  # constant that year: no information
    assert by[("I2", 2024)] > 0.01
    # every period's weights sum to 1 under each parent
    parents = {r["node_id"]: r["parent_id"] for r in FRAMEWORK}
    period_weights["parent_id"] = period_weights["node_id"].map(parents)
    sums = period_weights.groupby(["period", "parent_id"])["weight"].sum()
    assert np.allclose(sums, 1.0, atol=1e-12)
    # table weights keeps the pooled panel's weights (I2 varies in 2024, so pooled it is not 0)
    pooled = dict(con.execute("select node_id, weight from weights").fetchall())
    assert pooled["I2"] > 0.0
    entry = next(e for e in log if e["step"] == "objective_weights")
    assert entry["scope"] == "period" and "per period: 2023 … 2024" in entry["notes"]

    # each period's scores are those of a build on that period alone with that period's weights as metadata
    got = scores(con)
    for period in PERIODS:
        given = list(period_weights.loc[period_weights["period"] == period, ["node_id", "weight"]].itertuples(False))
        alone, _ = build(method(scheme="metadata"), periods=(period,), weights=given)
        expected = scores(alone)
        mine = got[got["period"] == period].reset_index(drop=True)
        assert list(mine["node_id"]) == list(expected["node_id"])
        assert list(mine["unit_code"]) == list(expected["unit_code"])
        assert np.allclose(mine["score"], expected["score"], atol=1e-12, rtol=0, equal_nan=True)
        alone.close()
    con.close()


def test_period_scope_differs_from_the_pooled_weights():
    pooled, _ = build(method())
    per_period, _ = build(method(scope="period"))
    assert not np.allclose(scores(pooled)["score"], scores(per_period)["score"], atol=1e-9)


# ----------------------------------------------------------------------------- (b) panel is today's result


@pytest.mark.parametrize("scheme", ["entropy", "critic"])
def test_panel_scope_is_exactly_the_build_without_the_key(scheme):
    without, log_without = build(method(scheme, normalise_scope="panel"))
    panel, log_panel = build(method(scheme, scope="panel", normalise_scope="panel"))
    pd.testing.assert_frame_equal(scores(without), scores(panel), check_exact=True)
    query = "select * from indicator_results order by unit_code, period, indicator_id"
    pd.testing.assert_frame_equal(without.execute(query).df(), panel.execute(query).df(), check_exact=True)
    assert panel.execute("select count(*) from period_weights").fetchone()[0] == 0
    entry = next(e for e in log_panel if e["step"] == "objective_weights")
    assert entry["scope"] == "panel"
    # the spec reads as it did before the key: scope "panel" is the default and is not repeated
    assert engine.validate_method(method(scheme, scope="panel"))["weights"] == {"scheme": scheme}


# ----------------------------------------------------------------------------- (c) contributions add up


@pytest.mark.parametrize("aggregate", ["amean", "gmean"])
def test_contributions_add_up_to_the_score_per_unit_period(aggregate):
    con, _ = build(method(scope="period", aggregate=aggregate))
    rows = con.execute(
        """
        select node_scores.unit_code, node_scores.period, node_scores.score, sum(results.contribution) as total
        from node_scores
        join indicator_results as results
            on results.unit_code = node_scores.unit_code and results.period = node_scores.period
        where node_scores.node_id = 'IDX'
        group by all
        """
    ).df()
    assert len(rows) == len(UNITS) * len(PERIODS)
    assert np.allclose(rows["total"], rows["score"], atol=1e-9, rtol=0)


# ----------------------------------------------------------------------------- (d) only with objective schemes


@pytest.mark.parametrize("scheme", ["metadata", "equal", "sql/weights/expert.sql", None])
def test_period_scope_needs_an_objective_scheme(scheme):
    weights = {"scope": "period"} | ({} if scheme is None else {"scheme": scheme})
    with pytest.raises(ConfigError, match=r"weights\.scope"):
        engine.validate_method({"weights": weights})


def test_an_unknown_scope_is_named():
    with pytest.raises(ConfigError, match=r"weights\.scope = 'year' is not allowed"):
        engine.validate_method({"weights": {"scheme": "entropy", "scope": "year"}})


# ----------------------------------------------------------------------------- the uncertainty analysis refuses it


def test_the_uncertainty_analysis_refuses_period_weights():
    from index.uncertainty import analysis
    from index.uncertainty import spec as uspec

    con, _ = build(method(scope="period"))
    inputs = analysis.Inputs(analysis._tables_of(con), engine.validate_method(method(scope="period")), "SYNTHETIC", [])
    with pytest.raises(ConfigError, match=r"weights\.scope"):
        analysis.Replicator(inputs, uspec.validate({"weights": {"noise": {"2": 0.1}}}, "u.toml"))


# ----------------------------------------------------------------------------- the published table


@pytest.mark.parametrize("scope, rows", [("period", 6 * len(PERIODS)), ("panel", 0)])
def test_the_release_table_period_weights_follows_the_contract(repo, scope, rows):
    from index.targets import contract

    con, _ = build(method(scope=scope))
    con.execute("set variable release_id = 'SYNTHETIC'")
    con.execute("set variable weight_scheme = 'entropy'")
    published = con.sql((repo / "sql" / "release" / "period_weights.sql").read_text(encoding="utf-8"))
    assert [(c, str(t)) for c, t in zip(published.columns, published.types)] == contract.columns("period_weights")
    frame = published.df()
    assert len(frame) == rows
    if rows:
        engine_rows = con.execute("select node_id, period as year, weight from period_weights").df()
        merged = frame.merge(engine_rows, on=["node_id", "year"], suffixes=("", "_engine"))
        assert len(merged) == rows and (merged["weight"] == merged["weight_engine"]).all()
        assert set(frame["scheme"]) == {"entropy"} and set(frame["year"]) == set(PERIODS)
