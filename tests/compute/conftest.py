"""Fixtures for compute: a curated lake of one year and a private copy of the SQL tree.

The curated batch is SYNTHETIC: the committed sample submissions for one year, parsed and promoted without the
validation step, which is not what these tests are about.
"""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture
def curated_lake(lake, repo):
    from index import ingest
    from index.framework import load_framework

    framework = load_framework(lake.framework_file)
    for path in sorted((repo / "data_lake" / "landing").glob("2023_*")):
        ingest.ingest_file(path, framework, lake.curated)
    return lake


@pytest.fixture
def sql_copy(tmp_path, repo, monkeypatch):
    """A copy of the SQL tree made current through DEI_SQL; returns its root."""
    root = tmp_path / "sql"
    shutil.copytree(repo / "sql", root)
    monkeypatch.setenv("DEI_SQL", str(root))
    return root
