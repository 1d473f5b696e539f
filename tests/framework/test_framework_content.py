"""Content checks for the DEI framework (sql/framework/dei_framework.sql) and its weight schemes (sql/weights/).

The SQL files are the economist-facing source of truth; these tests pin what the policy texts require of them.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
FRAMEWORK_SQL = REPO / "sql" / "framework" / "dei_framework.sql"
# the scheme files (equal weights are the engine's scheme `equal`, tested in tests/compute/test_named_schemes.py)
WEIGHT_SCHEMES = {path.stem: path for path in sorted((REPO / "sql" / "weights").glob("*.sql"))}

SCHEMA = [
    ("node_id", "VARCHAR"),
    ("parent_id", "VARCHAR"),
    ("level", "INTEGER"),
    ("node_type", "VARCHAR"),
    ("name_zh", "VARCHAR"),
    ("name_en", "VARCHAR"),
    ("unit", "VARCHAR"),
    ("raw_unit", "VARCHAR"),
    ("polarity", "INTEGER"),
    ("denominator", "VARCHAR"),
    ("denominator_scale", "DOUBLE"),
    ("department", "VARCHAR"),
    ("definition", "VARCHAR"),
    ("target_2025", "DOUBLE"),
    ("target_note", "VARCHAR"),
    ("valid_min", "DOUBLE"),
    ("valid_max", "DOUBLE"),
    ("source_clause", "VARCHAR"),
    ("levels", "VARCHAR"),
    ("additive", "BOOLEAN"),
]

DIMENSIONS = {
    "digital_infrastructure": "数字基础设施",
    "digital_industrialisation": "数字产业化",
    "industrial_digitalisation": "产业数字化",
    "digital_governance": "治理数字化",
    "data_elements": "数据要素",
    "environment_innovation": "发展环境与创新",
}

# name_zh -> (target_2025 in unit, unit): the targets the 工作方案 sets and the index must carry.
REQUIRED_TARGETS = {
    "5G用户普及率": (60.0, "%"),
    "5G人口覆盖率": (50.0, "%"),
    "移动网络IPv6流量占比": (50.0, "%"),
    "集群数据中心上架率": (65.0, "%"),
    "数据中心PUE": (1.2, "比值"),
    "国产化算力占比": (50.0, "%"),
    "数字经济核心产业增加值占GDP比重": (2.5, "%"),
    "规上工业企业生产设备数字化率": (60.0, "%"),
    "工业互联网平台普及率": (35.0, "%"),
    "软件和信息技术服务业营业收入增速": (20.0, "%"),
}

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def _run(path: Path) -> duckdb.DuckDBPyRelation:
    return duckdb.sql(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def framework() -> pd.DataFrame:
    return _run(FRAMEWORK_SQL).df()


@pytest.fixture(scope="module")
def indicators(framework: pd.DataFrame) -> pd.DataFrame:
    return framework[framework["node_type"] == "Indicator"]


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or pd.isna(value) or str(value).strip() == ""


def test_columns_and_types_follow_the_contract():
    rel = _run(FRAMEWORK_SQL)
    assert list(zip(rel.columns, [str(t) for t in rel.types])) == SCHEMA


def test_root_is_dei(framework):
    tree = framework[framework["node_type"] != "Denominator"]
    roots = tree[tree["parent_id"].isna()]
    assert roots["node_id"].tolist() == ["DEI"]
    root = roots.iloc[0]
    assert root["level"] == 3 and root["node_type"] == "Aggregate"
    assert root["name_zh"] == "内蒙古数字经济发展指数"


def test_six_dimensions_with_five_to_seven_indicators(framework, indicators):
    dims = framework[framework["level"] == 2]
    assert dict(zip(dims["node_id"], dims["name_zh"])) == DIMENSIONS
    assert set(dims["parent_id"]) == {"DEI"}
    assert set(dims["node_type"]) == {"Aggregate"}
    counts = indicators.groupby("parent_id").size().to_dict()
    assert set(counts) == set(DIMENSIONS), "every indicator hangs under one of the six dimensions"
    for dim, n in counts.items():
        assert 5 <= n <= 7, f"{dim} has {n} indicators"


def test_indicator_count(indicators):
    assert 30 <= len(indicators) <= 40
    assert set(indicators["level"]) == {1}


def test_indicators_are_complete(indicators):
    for column in ["name_zh", "name_en", "unit", "raw_unit", "department", "definition", "source_clause"]:
        blanks = indicators.loc[indicators[column].map(_blank), "node_id"].tolist()
        assert not blanks, f"{column} empty for {blanks}"
    assert set(indicators["polarity"].astype(int)) <= {1, -1}
    assert indicators["polarity"].notna().all()


def test_node_ids_unique_snake_case(framework):
    ids = framework["node_id"].tolist()
    assert len(ids) == len(set(ids))
    bad = [i for i in ids if i != "DEI" and not SNAKE.match(i)]
    assert not bad, bad


def test_source_clauses_cite_a_policy_text(framework):
    non_root = framework[framework["node_id"] != "DEI"]
    bad = non_root.loc[~non_root["source_clause"].fillna("").str.contains("工作方案|条例"), "node_id"].tolist()
    assert not bad, bad


@pytest.mark.parametrize("name_zh", sorted(REQUIRED_TARGETS))
def test_required_targets(indicators, name_zh):
    rows = indicators[indicators["name_zh"] == name_zh]
    assert len(rows) == 1, f"{name_zh} missing or duplicated"
    row = rows.iloc[0]
    target, unit = REQUIRED_TARGETS[name_zh]
    assert row["target_2025"] == pytest.approx(target)
    assert row["unit"] == unit
    assert not _blank(row["target_note"])


def test_pue_is_lower_is_better(indicators):
    row = indicators[indicators["name_zh"] == "数据中心PUE"].iloc[0]
    assert row["polarity"] == -1
    assert "1.2" in row["target_note"]


def test_software_growth_note(indicators):
    row = indicators[indicators["name_zh"] == "软件和信息技术服务业营业收入增速"].iloc[0]
    assert "年均增长20%" in row["target_note"]
    assert row["raw_unit"] == "%" and pd.isna(row["denominator"])


def test_denominators(framework, indicators):
    denominators = framework[framework["node_type"] == "Denominator"].set_index("node_id")
    assert {"population", "gdp"} <= set(denominators.index)
    assert denominators.loc["population", "unit"] == "万人"
    assert denominators.loc["gdp", "unit"] == "亿元"
    assert denominators["parent_id"].isna().all()
    assert denominators["polarity"].isna().all()
    assert set(denominators["level"]) == {1}
    named = indicators[indicators["denominator"].notna()]
    assert 5 <= len(named) <= 8, "the brief asks for the denominator mechanism on about 5-8 indicators"
    for row in named.itertuples():
        assert row.denominator in denominators.index, f"{row.node_id} names unknown denominator {row.denominator}"
        assert row.denominator_scale > 0
        assert pd.isna(row.target_2025), f"{row.node_id}: a 自治区-level scale target does not apply per capita"
        assert row.unit != row.raw_unit
    plain = indicators[indicators["denominator"].isna()]
    assert plain["denominator_scale"].isna().all()
    assert (plain["unit"] == plain["raw_unit"]).all()


def test_validation_bounds(indicators):
    assert indicators["valid_min"].notna().all()
    bounded = indicators[indicators["valid_max"].notna()]
    assert (bounded["valid_min"] < bounded["valid_max"]).all()
    shares = indicators[(indicators["raw_unit"] == "%") & ~indicators["name_zh"].str.endswith("增速")]
    # users per resident can pass 100 % (several SIMs per person): 5G用户普及率 is bounded at 200 %
    per_resident = shares["node_id"] == "fiveg_user_penetration"
    assert (shares["valid_min"] == 0).all()
    assert (shares.loc[~per_resident, "valid_max"] == 100).all()
    assert (shares.loc[per_resident, "valid_max"] == 200).all() and per_resident.sum() == 1


def test_pku_digital_finance_indicators(indicators):
    dfi = indicators[indicators["node_id"].str.startswith("dfi_")].set_index("node_id")
    assert set(dfi.index) == {"dfi_coverage_breadth", "dfi_usage_depth", "dfi_digitization_level"}
    assert set(dfi["department"]) == {"北京大学数字金融研究中心"}
    assert set(dfi["unit"]) == {"指数"}
    assert (dfi["valid_min"] == 0).all() and (dfi["valid_max"] == 1000).all()
    assert dfi.loc["dfi_coverage_breadth", "name_zh"] == "数字普惠金融覆盖广度"
    assert dfi.loc["dfi_usage_depth", "name_zh"] == "数字普惠金融使用深度"
    assert dfi.loc["dfi_digitization_level", "name_zh"] == "数字普惠金融数字化程度"


def test_department_count(indicators):
    assert len(set(indicators["department"])) <= 8


@pytest.mark.parametrize("scheme", sorted(WEIGHT_SCHEMES))
def test_weight_scheme(framework, scheme):
    # through the loader the pipeline uses: a scheme may read the framework table
    from index.framework import load_weights

    weights = load_weights(WEIGHT_SCHEMES[scheme], framework)
    assert list(weights.columns[:2]) == ["node_id", "weight"]
    tree = framework[framework["node_type"] != "Denominator"]
    expected = set(tree.loc[tree["parent_id"].notna(), "node_id"])
    assert not weights["node_id"].duplicated().any()
    assert set(weights["node_id"]) - expected == set(), "weights name unknown (or root/denominator) nodes"
    assert expected - set(weights["node_id"]) == set(), "weights miss nodes"
    assert (weights["weight"] >= 0).all()
    sums = tree.merge(weights, on="node_id").groupby("parent_id")["weight"].sum()
    assert set(sums.index) == {"DEI", *DIMENSIONS}
    for parent, total in sums.items():
        assert abs(total - 1.0) <= 1e-9, f"{scheme}: weights under {parent} sum to {total!r}"


def test_project_loader_accepts_the_files():
    """The package's own loader (index/framework.py) must accept the framework and both schemes."""
    framework_module = pytest.importorskip("index.framework")
    frame = framework_module.load_framework(FRAMEWORK_SQL)
    for path in WEIGHT_SCHEMES.values():
        framework_module.load_weights(path, frame)


def test_every_dimension_has_figures_that_the_counties_report(framework):
    # the 旗县 index (条例 第七十一条) is built from the 'league,county' indicators: each dimension keeps some
    from index.framework import unit_level_nodes

    at_county = unit_level_nodes(framework, "county")
    indicators = framework[framework["node_type"] == "Indicator"]
    for dimension in DIMENSIONS:
        children = set(indicators.loc[indicators["parent_id"] == dimension, "node_id"])
        assert children & at_county, dimension
        assert children - at_county or dimension == "digital_governance", dimension  # most keep 盟市-only ones
    assert unit_level_nodes(framework, "league") == set(framework.loc[framework["node_type"] != "Aggregate", "node_id"])
    assert {"population", "gdp"} <= at_county


def test_additive_figures_are_counts_or_amounts(framework):
    figures = framework[framework["node_type"] != "Aggregate"]
    additive = figures[figures["additive"].astype(bool)]
    assert set(additive["raw_unit"]) <= {"家", "亿元", "万元", "万人", "PFlop/s"}, set(additive["raw_unit"])
    shares = figures[figures["raw_unit"] == "%"]
    assert not shares["additive"].astype(bool).any()


@pytest.mark.parametrize(
    "row, message",
    [
        ({"levels": "county"}, "levels = 'county'"),
        ({"levels": "league,town"}, "levels = 'league,town'"),
        ({"levels": None}, "levels = NULL"),
        ({"additive": None}, "additive must be true or false"),
    ],
)
def test_a_bad_levels_or_additive_value_is_refused(framework, row, message):
    from index.framework import _level_problems

    bad = framework.copy()
    first = bad.index[bad["node_id"] == "fiveg_user_penetration"][0]
    for column, value in row.items():
        bad.loc[first, column] = value
    problems = _level_problems(bad)
    assert any(message in p and "fiveg_user_penetration" in p for p in problems), problems


def test_a_county_indicator_needs_a_county_denominator(framework):
    from index.framework import _level_problems

    bad = framework.copy()
    bad.loc[bad["node_id"] == "population", "levels"] = "league"
    problems = _level_problems(bad)
    assert any(
        "telecom_revenue_per_capita is reported by 旗县 but its denominator population is not" in p for p in problems
    )
