"""The release id covers every file that shapes a published table (issue 9.4).

The curated batch here is SYNTHETIC: the committed sample submissions for one year, parsed and promoted
without the validation step, which is not what these tests are about.
"""

from __future__ import annotations

import pytest

from index import compute
from index.config import settings


def test_editing_one_release_sql_file_gives_a_new_release_id(curated_lake, sql_copy, tmp_path):
    before = compute.compute(cfg=settings(), out_dir=tmp_path / "a")
    release_sql = sql_copy / "release" / "index_scores.sql"
    release_sql.write_text("-- edited by the test\n" + release_sql.read_text(encoding="utf-8"), encoding="utf-8")
    after = compute.compute(cfg=settings(), out_dir=tmp_path / "b")
    assert after.release_id != before.release_id
    assert after.manifest["code_version"] != before.manifest["code_version"]


def test_the_same_sources_give_the_same_release_id(curated_lake, sql_copy, tmp_path):
    first = compute.compute(cfg=settings(), out_dir=tmp_path / "a")
    second = compute.compute(cfg=settings(), out_dir=tmp_path / "b")
    assert first.release_id == second.release_id


@pytest.mark.parametrize("root_name", ["sql", "expectations", "index", "reference", "requirements.lock"])
def test_every_release_source_is_in_the_fingerprint(root_name, lake):
    labels = [label for label, _ in compute.release_sources(lake)]
    assert root_name in labels


def test_the_fingerprint_changes_with_any_file_and_its_path(tmp_path):
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "a.py").write_text("x = 1\n")
    (tree / "b.csv").write_text("code\n150100\n")
    base = compute.source_fingerprint([("t", tree)])

    (tree / "b.csv").write_text("code\n150200\n")
    changed_content = compute.source_fingerprint([("t", tree)])
    (tree / "b.csv").write_text("code\n150100\n")
    assert compute.source_fingerprint([("t", tree)]) == base

    (tree / "sub" / "a.py").rename(tree / "sub" / "c.py")
    renamed = compute.source_fingerprint([("t", tree)])
    (tree / "sub" / "c.py").rename(tree / "sub" / "a.py")

    (tree / "__pycache__").mkdir()
    (tree / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0cache")
    with_cache = compute.source_fingerprint([("t", tree)])

    assert len({base, changed_content, renamed}) == 3
    assert with_cache == base  # byte-code caches are not sources


def test_a_staged_release_names_its_compute_and_the_published_one_does_not(curated_lake, monkeypatch):
    # The owner note keeps a concurrent publish's cleanup away from a staging directory still being written.
    import os
    import socket

    from index import publish

    monkeypatch.delenv("DEI_POSTGRES_DSN", raising=False)
    from index.uncertainty.release import analyse_release

    result = compute.compute(cfg=settings(), replicates=16)
    assert (result.staged / ".owner").read_text(encoding="utf-8").split() == [str(os.getpid()), socket.gethostname()]
    analyse_release(result.staged)  # a release is published with its uncertainty tables
    assert (result.staged / ".owner").is_file()
    publish.publish(result.staged)
    current = (curated_lake.published / "latest").resolve()
    assert (current / "release.json").is_file()
    assert not (current / ".owner").exists()
