"""Equal weights have one meaning: the file sql/weights/equal.sql and the engine's named scheme `equal` agree,
and a named scheme works on the command line as in the method spec. Inputs: the SYNTHETIC samples of one year."""

from __future__ import annotations

import duckdb

from index import compute
from index.config import settings
from index.framework import load_framework, load_weights


def test_the_equal_file_is_the_engine_equal_scheme(lake, repo):
    framework = load_framework(lake.framework_file)
    from_file = load_weights(repo / "sql" / "weights" / "equal.sql", framework).set_index("node_id")["weight"]
    from index.engine import equal_weights
    from tests.fixtures import engine_inputs

    con = engine_inputs.connect(framework, from_file.reset_index(), [])
    equal_weights(con)
    derived = dict(con.execute("select node_id, weight from weights").fetchall())
    assert set(derived) == set(from_file.index)
    assert all(abs(derived[node] - from_file[node]) < 1e-15 for node in derived)


def test_weights_equal_on_the_command_line_gives_the_file_schemes_scores(curated_lake, tmp_path):
    named = compute.compute(weights="equal", cfg=settings(), out_dir=tmp_path / "named")
    compute.compute(weights="sql/weights/equal.sql", cfg=settings(), out_dir=tmp_path / "file")
    assert named.manifest["weight_scheme"]["path"] == "equal"
    con = duckdb.connect()
    differ = con.execute(f"""
        select count(*) from '{tmp_path / "named" / "index_scores.parquet"}' a
        join '{tmp_path / "file" / "index_scores.parquet"}' b using (league_code, year, node_id)
        where abs(a.score - b.score) > 1e-9 or a.rank <> b.rank
    """).fetchone()[0]
    assert differ == 0
