"""`dei weights suggest`: an objective scheme written as an editable SQL file, checked, never made the default.

The lake is built by the real pipeline (ingest, validate) from a copy of the committed sample landing files,
which are SYNTHETIC except the PKU digital financial inclusion figures (see data_lake/landing/README.md).
The small frames in the unit tests below are SYNTHETIC too.
"""

from __future__ import annotations

import dataclasses
import re

import pandas as pd
import pytest

from index import pipeline
from index.commands import weights_suggest
from index.errors import ConfigError
from index.framework import FRAMEWORK_COLUMNS, check_weights, load_framework, load_weights
from tests.fixtures.lakes import sample_lake


@pytest.fixture(scope="module")
def curated(tmp_path_factory, repo):
    cfg, mp = sample_lake(tmp_path_factory.mktemp("suggest") / "data_lake", repo, postgres_off=False)
    pipeline.ingest_step(cfg=cfg)
    pipeline.validate_step(cfg=cfg)
    yield cfg
    mp.undo()


@pytest.fixture(scope="module")
def entropy_file(curated, tmp_path_factory):
    return weights_suggest.suggest("entropy", out=tmp_path_factory.mktemp("out") / "entropy.sql", cfg=curated)


def test_suggest_writes_a_scheme_that_load_weights_accepts(curated, entropy_file):
    framework = load_framework(curated.framework_file)
    weights = load_weights(entropy_file, framework)
    tree = framework[framework["node_type"] != "Denominator"]
    assert set(weights["node_id"]) == set(tree["node_id"]) - {"DEI"}


def test_each_row_carries_the_chinese_name_and_each_group_sums_to_exactly_one(curated, entropy_file):
    framework = load_framework(curated.framework_file).set_index("node_id")
    text = entropy_file.read_text(encoding="utf-8")
    rows = re.findall(r"^\s*\('([a-z0-9_]+)',\s*([0-9.]+)\),?\s*--\s*(\S+)", text, flags=re.MULTILINE)
    assert len(rows) == len(framework[framework["parent_id"].notna()])
    for node_id, _, name in rows:
        assert name == framework.at[node_id, "name_zh"]
    # the written decimals add up to exactly 1 per parent (counted in units of 0.0001, no float slack)
    units = pd.DataFrame(
        [(framework.at[n, "parent_id"], round(float(v) * 10_000)) for n, v, _ in rows], columns=["parent", "units"]
    )
    assert (units.groupby("parent")["units"].sum() == 10_000).all()
    assert all(len(v.split(".")[1]) == 4 for _, v, _ in rows)


def test_header_says_how_it_was_made_and_that_it_is_not_the_default(entropy_file):
    header = "\n".join(line for line in entropy_file.read_text(encoding="utf-8").splitlines() if line.startswith("--"))
    assert "dei weights suggest --method entropy" in header
    assert "NOT the default" in header and "expert" in header
    assert "熵值法" in header and re.search(r"\d{4}-\d{2}-\d{2}", header)


def test_suggest_leaves_the_expert_scheme_and_the_method_alone(curated, sql_copy):
    # a private SQL tree (DEI_SQL): the default output goes to its weights folder, never into the repo
    cfg = dataclasses.replace(curated, sql=sql_copy)
    before = {p.name: p.read_bytes() for p in (sql_copy / "weights").iterdir()}
    method_before = cfg.default_method.read_bytes()
    path = weights_suggest.suggest("critic", cfg=cfg)
    assert path == sql_copy / "weights" / "critic.sql" and path.is_file()
    after = {p.name: p.read_bytes() for p in (sql_copy / "weights").iterdir()}
    assert after == {**before, "critic.sql": path.read_bytes()}  # expert.sql and the rest untouched
    assert cfg.default_method.read_bytes() == method_before


def test_suggest_rejects_an_unknown_method(curated, tmp_path):
    with pytest.raises(ConfigError, match="entropy"):
        weights_suggest.suggest("astrology", out=tmp_path / "x.sql", cfg=curated)


# --------------------------------------------------------------------------- unit tests on SYNTHETIC frames

SMALL = pd.DataFrame(
    [
        dict(node_id="IDX", parent_id=None, node_type="Aggregate", name_zh="指数"),
        dict(node_id="A", parent_id="IDX", node_type="Aggregate", name_zh="甲"),
        dict(node_id="B", parent_id="IDX", node_type="Aggregate", name_zh="乙"),
        dict(node_id="A1", parent_id="A", node_type="Indicator", name_zh="甲一", polarity=1),
        dict(node_id="A2", parent_id="A", node_type="Indicator", name_zh="甲二", polarity=1),
        dict(node_id="A3", parent_id="A", node_type="Indicator", name_zh="甲三", polarity=1),
        dict(node_id="B1", parent_id="B", node_type="Indicator", name_zh="乙一", polarity=1),
    ]
).reindex(columns=FRAMEWORK_COLUMNS)


def test_rounding_puts_the_remainder_on_the_largest_weight():
    weights = pd.DataFrame(
        {"node_id": ["A", "B", "A1", "A2", "A3", "B1"], "weight": [0.5, 0.5, 1 / 3, 1 / 3 + 1e-6, 1 / 3 - 1e-6, 1.0]}
    )
    rounded = weights_suggest.round_within_parents(weights, SMALL).set_index("node_id")["units"]
    # 0.3333 × 3 = 0.9999: the largest (A2) takes the missing 0.0001
    assert rounded.to_dict() == {"A": 5000, "B": 5000, "A1": 3333, "A2": 3334, "A3": 3333, "B1": 10000}


def test_rendered_sql_runs_and_passes_the_checks(tmp_path):
    weights = pd.DataFrame(
        {"node_id": ["A", "B", "A1", "A2", "A3", "B1"], "weight": [0.61234, 0.38766, 0.2, 0.3, 0.5, 1.0]}
    )
    path = tmp_path / "small.sql"
    path.write_text(weights_suggest.render_sql("pca", weights, SMALL, None, "synthetic"), encoding="utf-8")
    loaded = load_weights(path, SMALL)
    check_weights(loaded, SMALL)
    assert dict(zip(loaded["node_id"], loaded["weight"]))["A"] == pytest.approx(0.6123)
    assert "-- 甲三" in path.read_text(encoding="utf-8")


def test_compare_lines_up_expert_and_suggested_with_their_difference():
    expert = pd.DataFrame({"node_id": ["A", "B"], "weight": [0.6, 0.4]})
    suggested = pd.DataFrame({"node_id": ["B", "A"], "weight": [0.55, 0.45]})
    table = weights_suggest.compare(suggested, expert)
    assert list(table.columns) == ["node_id", "expert", "suggested", "difference"]
    assert list(table["node_id"]) == ["A", "B"]
    assert table["difference"].tolist() == pytest.approx([-0.15, 0.15])
