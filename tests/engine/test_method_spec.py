"""The method spec: validation of keys and values, and the normalise / impute variants on tiny examples.

ALL DATA HERE IS SYNTHETIC.
"""

from __future__ import annotations

import copy
import math

import duckdb
import pytest

from index import engine
from index.config import settings
from index.errors import ConfigError
from tests.fixtures import engine_inputs
from tests.fixtures.cells import TOL, assert_close, cells, unit_scores

GOOD = {
    "denominate": {},
    "impute": {"method": "none"},
    "normalise": {"method": "minmax", "range": [0, 100], "scope": "panel"},
    "weights": {"scheme": "sql/weights/expert.sql"},
    "aggregate": {"method": "amean"},
}


def test_the_dei_method_file_loads():
    from index import levels

    method = levels.load_method(settings().default_method)  # the engine's sections and the DEI's [county]
    spec = method.engine
    assert spec["impute"]["method"] in engine.IMPUTE_METHODS
    assert spec["normalise"]["scope"] in ("panel", "year")
    assert method.county.normalise_scope in ("region", "league")


def test_the_engine_alone_refuses_the_dei_county_section():
    # [county] is the DEI's (index/levels.py), not the generic engine's: a COINr-layout method file cannot carry it
    with pytest.raises(ConfigError, match="county"):
        engine.validate_method({"county": {"normalise_scope": "region"}})


def test_defaults_fill_missing_sections():
    spec = engine.validate_method({})
    assert spec["impute"] == {"method": "none"}
    assert spec["normalise"] == {"method": "minmax", "range": [0, 100], "scope": "panel"}
    assert spec["aggregate"] == {"method": "amean"}
    assert "denominate" not in spec  # denomination is on only when [denominate] is present


@pytest.mark.parametrize(
    "section,key,value,named",
    [
        ("impute", "method", "hotdeck", "impute.method"),
        ("impute", "method", 3, "impute.method"),
        ("impute", "methd", "mean", "impute.methd"),
        ("normalise", "method", "softmax", "normalise.method"),
        ("normalise", "scope", "decade", "normalise.scope"),
        ("normalise", "range", [100, 0], "normalise.range"),
        ("normalise", "range", [0], "normalise.range"),
        ("normalise", "range", ["a", "b"], "normalise.range"),
        ("normalise", "goalposts", [0, 1], "normalise.goalposts"),
        ("aggregate", "method", "median", "aggregate.method"),
        ("denominate", "by", "population", "denominate.by"),
        ("weights", "scheme", 5, "weights.scheme"),
    ],
)
def test_bad_keys_and_values_name_the_key(section, key, value, named):
    method = copy.deepcopy(GOOD)
    method[section][key] = value
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        engine.validate_method(method)


def test_bad_value_lists_the_allowed_values():
    method = copy.deepcopy(GOOD)
    method["impute"]["method"] = "hotdeck"
    with pytest.raises(ConfigError, match="panel_linear"):
        engine.validate_method(method)


def test_unknown_section():
    with pytest.raises(ConfigError, match="unknown section.*smooth"):
        engine.validate_method({**GOOD, "smooth": {"method": "loess"}})


@pytest.mark.parametrize(
    "name, text, match",
    [
        ("bad.toml", '[impute]\nmethod = "hotdeck"\n', r"bad\.toml.*impute\.method"),
        ("broken.toml", "[impute\n", "TOML"),
        ("missing.toml", None, "not found"),  # None: the file is never written
    ],
)
def test_load_method_reports_the_file(tmp_path, name, text, match):
    path = tmp_path / name
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=match):
        engine.load_method(path)


def test_run_validates_before_computing():
    con = duckdb.connect()
    with pytest.raises(ConfigError, match="normalise.scope"):
        engine.run(con, {**GOOD, "normalise": {"method": "minmax", "range": [0, 1], "scope": "decade"}})


# --- tiny examples -------------------------------------------------------------------------------------------


def build(framework_rows, weights, observations, units):
    return engine_inputs.connect(framework_rows, weights, observations, units)


TWO_INDICATORS = [
    dict(node_id="IDX", parent_id=None, level=2, node_type="Aggregate"),
    dict(node_id="P", parent_id="IDX", level=1, node_type="Indicator", polarity=1),
    dict(node_id="N", parent_id="IDX", level=1, node_type="Indicator", polarity=-1),
]
TWO_WEIGHTS = [("P", 0.5), ("N", 0.5)]
# P: period 1: A 1, B 2, C 3;  period 2: A 2, B 4, C 6
# N (lower is better): period 1: A 0, B 3, C 9;  period 2: 5, 5, 5 (constant within the period)
TWO_OBSERVATIONS = {
    **cells("ABC", (1, 2), "P", [1.0, 2.0, 3.0, 2.0, 4.0, 6.0]),
    **cells("ABC", (1, 2), "N", [0.0, 3.0, 9.0, 5.0, 5.0, 5.0]),
}


def run_two(normalise: dict):
    con = build(TWO_INDICATORS, TWO_WEIGHTS, TWO_OBSERVATIONS, ["A", "B", "C"])
    engine.run(con, {"impute": {"method": "none"}, "normalise": normalise, "aggregate": {"method": "amean"}})
    normalised = {
        (u, p, i): v
        for u, p, i, v in con.execute(
            "select unit_code, period, indicator_id, normalised from indicator_results"
        ).fetchall()
    }
    scores = {
        (u, p): v
        for u, p, v in con.execute("select unit_code, period, score from node_scores where node_id = 'IDX'").fetchall()
    }
    return normalised, scores


def test_zscore_by_year():
    normalised, scores = run_two({"method": "zscore", "scope": "year"})
    # P period 1: mean 2, sample sd sqrt((1 + 0 + 1) / 2) = 1      -> -1, 0, 1
    # P period 2: mean 4, sample sd sqrt((4 + 0 + 4) / 2) = 2      -> -1, 0, 1
    # N period 1: mean 4, deviations -4, -1, 5, sample sd sqrt(42 / 2) = sqrt(21) = 4.58257569495584;
    #   polarity -1 -> A 4/sqrt(21) = 0.8728715609439696, B 1/sqrt(21) = 0.2182178902359924,
    #                  C -5/sqrt(21) = -1.0910894511799620
    # N period 2: constant (sd 0) -> 0 for everyone (the middle of a z-score)
    # A, B, C in period 1, then in period 2
    n = [0.8728715609439696, 0.2182178902359924, -1.0910894511799620, 0.0, 0.0, 0.0]
    assert_close(normalised, {**cells("ABC", (1, 2), "P", [-1.0, 0.0, 1.0] * 2), **cells("ABC", (1, 2), "N", n)})
    # IDX = 0.5 P + 0.5 N
    #   period 1: A -0.5 + 0.4364357804719848 = -0.0635642195280152; B 0.1091089451179962;
    #             C 0.5 - 0.5455447255899810 = -0.0455447255899810
    #   period 2: A -0.5, B 0, C 0.5
    idx = [-0.0635642195280152, 0.1091089451179962, -0.0455447255899810, -0.5, 0.0, 0.5]
    assert_close(scores, unit_scores("ABC", (1, 2), idx))


def test_minmax_by_year_and_constant_indicator():
    normalised, scores = run_two({"method": "minmax", "range": [0, 1], "scope": "year"})
    # P period 1: min 1, max 3 -> 0, 0.5, 1;   period 2: min 2, max 6 -> 0, 0.5, 1
    # N period 1 (polarity -1): 1 - (x - 0) / 9 -> A 1, B 1 - 3/9 = 0.6666..., C 0
    # N period 2: constant -> middle of [0, 1] = 0.5
    n = [1.0, 0.6666666666666667, 0.0, 0.5, 0.5, 0.5]
    assert_close(normalised, {**cells("ABC", (1, 2), "P", [0.0, 0.5, 1.0] * 2), **cells("ABC", (1, 2), "N", n)})
    # IDX period 1: A 0.5, B 0.25 + 0.3333... = 0.5833..., C 0.5;  period 2: A 0.25, B 0.5, C 0.75
    assert_close(
        scores,
        {("A", 1): 0.5, ("B", 1): 0.5833333333333333, ("C", 1): 0.5, ("A", 2): 0.25, ("B", 2): 0.5, ("C", 2): 0.75},
    )


def test_minmax_panel_pools_periods():
    normalised, _ = run_two({"method": "minmax", "range": [0, 1], "scope": "panel"})
    # P pooled {1, 2, 3, 2, 4, 6}: min 1, max 6 -> (x - 1) / 5
    # N pooled {0, 3, 9, 5, 5, 5}: min 0, max 9 -> 1 - x / 9: period 2 all 1 - 5/9 = 0.4444...
    p = cells("ABC", (1, 2), "P", [0.0, 0.2, 0.4, 0.2, 0.6, 1.0])
    assert_close(normalised, {**p, ("A", 2, "N"): 0.4444444444444444, ("C", 1, "N"): 0.0})


ONE_INDICATOR = [
    dict(node_id="IDX", parent_id=None, level=2, node_type="Aggregate"),
    dict(node_id="X", parent_id="IDX", level=1, node_type="Indicator", polarity=1),
]
# A: 10, -, 30, -      B: -, 4, 8, -      C: reported missing in every period      D: 1, 2, 3, 4
IMPUTE_OBSERVATIONS = [
    ("A", 2001, "X", 10.0),
    ("A", 2002, "X", None),
    ("A", 2003, "X", 30.0),
    ("B", 2002, "X", 4.0),
    ("B", 2003, "X", 8.0),
    ("C", 2001, "X", None),
    ("C", 2002, "X", None),
    ("C", 2003, "X", None),
    ("C", 2004, "X", None),
    ("D", 2001, "X", 1.0),
    ("D", 2002, "X", 2.0),
    ("D", 2003, "X", 3.0),
    ("D", 2004, "X", 4.0),
]
# cross-section of reported values: 2001 {10, 1}: mean 5.5, median 5.5;  2002 {4, 2}: mean 3, median 3;
# 2003 {30, 8, 3}: mean 41/3 = 13.666..., median 8;  2004 {4}: mean 4, median 4
GAPS = [("A", 2002), ("A", 2004), ("B", 2001), ("B", 2004)]  # missing cells of units reported in other years
NEVER_REPORTED = [("C", 2001), ("C", 2002), ("C", 2003), ("C", 2004)]
C_MEAN = [5.5, 3.0, 13.666666666666666, 4.0]  # C's cells: the cross-section mean of each year


def filled_cells(
    label: str, gaps: list[float], never_reported: list[float] = C_MEAN, never_label: str = "mean"
) -> dict:
    """{(unit, period): (filled value, imputation)}: GAPS filled with gaps by label, C's cells with never_reported."""
    return {
        **{cell: (value, label) for cell, value in zip(GAPS, gaps, strict=True)},
        **{cell: (value, never_label) for cell, value in zip(NEVER_REPORTED, never_reported, strict=True)},
    }


IMPUTE_EXPECTED = {
    "mean": filled_cells("mean", [3.0, 4.0, 5.5, 4.0]),
    "median": filled_cells("median", [3.0, 4.0, 5.5, 4.0], [5.5, 3.0, 8.0, 4.0], "median"),
    # A 2002 between 10 (2001) and 30 (2003): 10 + (30 - 10) * 1/2 = 20;  A 2004 after the last: 30
    # B 2001 before the first: 4;  B 2004 after the last: 8;  C never reported: cross-section mean
    "panel_linear": filled_cells("panel_linear", [20.0, 30.0, 4.0, 8.0]),
    # last earlier value carried forward, else the next later one
    "panel_latest": filled_cells("panel_latest", [10.0, 30.0, 4.0, 8.0]),
    "none": {},
}


@pytest.mark.parametrize("impute_method", sorted(IMPUTE_EXPECTED))
def test_impute_methods(impute_method):
    con = build(ONE_INDICATOR, [("X", 1.0)], IMPUTE_OBSERVATIONS, ["A", "B", "C", "D"])
    log = engine.run(con, {"impute": {"method": impute_method}})
    rows = con.execute(
        "select unit_code, period, filled_value, imputed, imputation from impute order by unit_code, period"
    ).fetchall()
    assert len(rows) == 16  # 4 units x 4 periods, including cells nobody reported
    expected = IMPUTE_EXPECTED[impute_method]
    for unit, period, filled, imputed, imputation in rows:
        if (unit, period) in expected:
            value, label = expected[(unit, period)]
            assert imputed and imputation == label, (unit, period, imputation)
            assert math.isclose(filled, value, rel_tol=0, abs_tol=TOL), (unit, period, filled, value)
        else:
            assert not imputed and imputation is None, (unit, period)
    flags = con.execute("select count(*) from indicator_results where imputed").fetchone()[0]
    assert flags == len(expected)
    assert next(e for e in log if e["step"] == "impute")["imputed"] == len(expected)


def test_the_readme_key_table_is_generated_from_the_typed_spec(repo):
    from index.engine import spec

    assert spec.readme_block() in (repo / "README.md").read_text(encoding="utf-8")
    # every key of every section appears, so a new key cannot go undocumented
    table = spec.key_table()
    for section, model in spec.SECTIONS.items():
        for key in model.model_fields:
            assert f"`{section}.{key}`" in table


def test_a_misspelt_key_lists_the_valid_keys_of_its_section():
    with pytest.raises(ConfigError, match=r"treat\.winmx.*\['kurtosis', 'method', 'skew', 'winmax'\]"):
        engine.validate_method({"treat": {"winmx": 3}})


def test_a_number_where_a_flag_belongs_is_refused():
    # strict types: true is not a share and 1 is not a flag (TOML keeps them apart, so must the spec)
    with pytest.raises(ConfigError, match=r"screen\.min_data"):
        engine.validate_method({"screen": {"min_data": True}})
    with pytest.raises(ConfigError, match=r"normalise\.cap_max"):
        engine.validate_method({"normalise": {"method": "dist2targ", "cap_max": 1}})
