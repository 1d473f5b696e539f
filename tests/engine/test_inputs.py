"""The engine's own input contract (index/engine/inputs.py): generic columns only, checked before any step."""

from __future__ import annotations

import duckdb
import pytest

from index import engine
from index.engine import inputs
from index.errors import ConfigError
from tests.fixtures import engine_inputs

FRAMEWORK = [
    dict(node_id="ROOT", parent_id=None, level=2, node_type="Aggregate"),
    dict(node_id="x1", parent_id="ROOT", level=1, node_type="Indicator", polarity=1),
    dict(node_id="x2", parent_id="ROOT", level=1, node_type="Indicator", polarity=-1),
]
WEIGHTS = [("x1", 0.5), ("x2", 0.5)]
OBSERVATIONS = {("a", 2020, "x1"): 1.0, ("a", 2020, "x2"): 2.0, ("b", 2020, "x1"): 3.0, ("b", 2020, "x2"): 1.0}


def test_a_framework_with_only_the_engines_columns_builds():
    con = engine_inputs.connect(FRAMEWORK, WEIGHTS, OBSERVATIONS)
    engine.run(con, {"normalise": {"method": "minmax"}})
    scores = dict(con.execute("select unit_code, score from node_scores where node_id = 'ROOT'").fetchall())
    # a: x1 0, x2 (lower is better, 2 is the worst) 0 -> 0; b: 100 and 100 -> 100 (SYNTHETIC values)
    assert scores == {"a": 0.0, "b": 100.0}


def test_the_dei_columns_are_not_part_of_the_contract():
    named = set(inputs.FRAMEWORK) | set(inputs.FRAMEWORK_NULLABLE) | set(inputs.FRAMEWORK_OPTIONAL)
    assert not named & {"target_2025", "department", "source_clause", "name_zh", "name_en", "definition"}


@pytest.mark.parametrize(
    "table, column",
    [("framework", "polarity"), ("observations", "loaded_at"), ("weights", "weight"), ("units", "unit_code")],
)
def test_a_missing_column_is_named_before_any_step(table, column):
    con = engine_inputs.connect(FRAMEWORK, WEIGHTS, OBSERVATIONS)
    con.execute(f"alter table {table} drop column {column}") if table != "units" else con.execute(
        "create or replace table units as select 'a' as code"
    )
    with pytest.raises(ConfigError, match=rf"{table} lacks column\(s\) \['{column}'\]"):
        engine.run(con, {})
    assert "stage" not in {n for (n,) in con.execute("select table_name from duckdb_tables()").fetchall()}


def test_a_missing_table_is_named():
    con = duckdb.connect()
    with pytest.raises(ConfigError, match="needs input table"):
        inputs.check(con)


def test_the_coinr_door_creates_the_engines_framework(repo):
    from index import coinr

    con = duckdb.connect()
    coinr.load_coinr(con, repo / "tests" / "fixtures" / "asem")
    columns = set(con.sql("from framework limit 0").columns)
    assert set(inputs.TABLES["framework"]) <= columns
    assert not columns & {"target_2025", "department", "source_clause", "name_zh", "definition"}
