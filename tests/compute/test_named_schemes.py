"""Equal weights have one definition, the engine's scheme `equal` (sql/engine/07_weight_equal.sql): 1 / (number
of children) under every parent, and `--weights equal` on the command line means the same as in the method
spec. Inputs: the SYNTHETIC samples of one year."""

from __future__ import annotations

from collections import Counter

import duckdb

from index import compute
from index.config import settings
from index.framework import load_framework


def _shares_by_hand(framework) -> dict[str, float]:
    tree = framework[(framework["node_type"] != "Denominator") & framework["parent_id"].notna()]
    children = Counter(tree["parent_id"])
    return {node: 1.0 / children[parent] for node, parent in zip(tree["node_id"], tree["parent_id"])}


def test_equal_gives_every_child_the_same_share_of_its_parent(lake):
    from index.engine import equal_weights
    from tests.fixtures import engine_inputs

    framework = load_framework(lake.framework_file)
    expected = _shares_by_hand(framework)
    con = engine_inputs.connect(framework, [], [])
    record = equal_weights(con)
    derived = dict(con.execute("select node_id, weight from weights").fetchall())
    assert record["step"] == "weights_equal" and record["rows"] == len(expected)
    assert set(derived) == set(expected)
    assert all(abs(derived[node] - expected[node]) < 1e-15 for node in derived)
    assert len(set(expected.values())) > 1  # parents of different sizes: the shares are not all alike


def test_weights_equal_on_the_command_line_gives_the_hand_written_shares_scores(curated_lake, lake, tmp_path):
    shares = _shares_by_hand(load_framework(lake.framework_file))
    by_hand = tmp_path / "by_hand.sql"
    rows = ",\n".join(f"    ('{node}', {weight!r})" for node, weight in sorted(shares.items()))
    by_hand.write_text(f"select * from (values\n{rows}\n) as shares (node_id, weight)\n", encoding="utf-8")
    named = compute.compute(weights="equal", cfg=settings(), out_dir=tmp_path / "named")
    compute.compute(weights=str(by_hand), cfg=settings(), out_dir=tmp_path / "file")
    assert named.manifest["weight_scheme"]["path"] == "equal"
    con = duckdb.connect()
    differ = con.execute(f"""
        select count(*) from '{tmp_path / "named" / "index_scores.parquet"}' a
        full join '{tmp_path / "file" / "index_scores.parquet"}' b using (unit_code, year, node_id)
        where a.score is null or b.score is null or abs(a.score - b.score) > 1e-9 or a.rank <> b.rank
    """).fetchone()[0]
    assert differ == 0
