"""Publishing switches data_lake/published/latest atomically to a complete release.

The staged releases here are SYNTHETIC: two tiny tables written by the test, not engine output.
"""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from index import publish
from index.errors import ConfigError
from tests.fixtures.staged import stage


def latest_score(cfg):
    return pd.read_parquet(cfg.published / "latest" / "index_scores.parquet")["score"].iloc[0]


def test_publish_makes_release_current(lake):
    result = publish.publish(stage(lake, "aaaa", 61.5), triggered_by="test")
    assert result["created"] is True
    assert publish.current_release_id(lake) == "aaaa"
    assert latest_score(lake) == 61.5
    manifest = json.loads((lake.published / "latest" / "release.json").read_text())
    assert manifest["triggered_by"] == "test"
    assert not any((lake.published / ".staging").iterdir())


def test_publishing_the_same_release_twice_writes_nothing_new(lake):
    publish.publish(stage(lake, "aaaa", 61.5))
    before = {p: p.stat().st_mtime_ns for p in (lake.published / "releases" / "aaaa").iterdir()}
    again = publish.publish(stage(lake, "aaaa", 61.5))
    assert again["created"] is False
    after = {p: p.stat().st_mtime_ns for p in (lake.published / "releases" / "aaaa").iterdir()}
    assert before == after
    assert sorted(p.name for p in (lake.published / "releases").iterdir()) == ["aaaa"]


def test_new_release_replaces_latest_and_keeps_the_old_one(lake):
    publish.publish(stage(lake, "aaaa", 61.5))
    result = publish.publish(stage(lake, "bbbb", 70.0))
    assert result["previous"] == "aaaa"
    assert latest_score(lake) == 70.0
    assert (lake.published / "releases" / "aaaa" / "index_scores.parquet").is_file()


def test_incomplete_staged_release_is_refused_and_latest_stays(lake):
    publish.publish(stage(lake, "aaaa", 61.5))
    broken = stage(lake, "bbbb", 70.0)
    (broken / "framework.parquet").unlink()
    with pytest.raises(ConfigError, match="incomplete.*framework.parquet"):
        publish.publish(broken)
    assert publish.current_release_id(lake) == "aaaa"
    assert latest_score(lake) == 61.5


def test_crash_before_the_switch_leaves_latest_on_the_previous_release(lake, monkeypatch):
    publish.publish(stage(lake, "aaaa", 61.5))
    real_replace = os.replace

    def crash_on_switch(src, dst):
        if str(dst).endswith("latest"):
            raise OSError("simulated crash while switching latest")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_switch)
    with pytest.raises(OSError, match="simulated crash"):
        publish.publish(stage(lake, "bbbb", 70.0))
    assert publish.current_release_id(lake) == "aaaa"
    assert latest_score(lake) == 61.5


def test_a_retry_after_the_rename_finishes_the_publish(lake):
    staged = stage(lake, "cccc", 55.0)
    name = staged.name
    publish.publish(stage(lake, "aaaa", 61.5))
    # first try crashed right after the rename: the release exists but latest was never switched
    (lake.published / "releases").mkdir(exist_ok=True)
    staged.rename(lake.published / "releases" / "cccc")
    result = publish.publish(lake.published / ".staging" / name)
    assert result["id"] == "cccc"
    assert publish.current_release_id(lake) == "cccc"
    assert latest_score(lake) == 55.0
