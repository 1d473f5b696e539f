"""`dei ranking` (and `make run`, which prints the same table) says when a release is built from synthetic
inputs. The release directories here are SYNTHETIC and tiny: a two-league index_scores and a release.json."""

from __future__ import annotations

import json

import pandas as pd

from index import cli
from index.commands import ranking


def write_release(root, inputs):
    root.mkdir(parents=True)
    pd.DataFrame(
        {
            "rank": [1, 2],
            "unit_code": [150100, 150200],
            "unit_name": ["呼和浩特市", "包头市"],
            "unit_level": ["league", "league"],
            "parent_code": [150000, 150000],
            "rank_in_parent": [1, 2],
            "year": [2024, 2024],
            "node_id": ["DEI", "DEI"],
            "score": [70.0, 60.0],
            "score_change": [1.0, -1.0],
            "rank_change": [0, 0],
        }
    ).to_parquet(root / "index_scores.parquet")
    (root / "release.json").write_text(
        json.dumps({"id": root.name, "inputs": inputs}, ensure_ascii=False), encoding="utf-8"
    )
    return root


def test_the_note_counts_the_synthetic_inputs(tmp_path):
    release = write_release(
        tmp_path / "r1", [{"file": "a.csv", "synthetic": True}, {"file": "b.csv", "synthetic": False}]
    )
    note = ranking.synthetic_note(release)
    assert "1/2 个输入文件为示例数据（合成）" in note
    assert "1 of 2 input files declare SYNTHETIC figures" in note


def test_no_note_for_real_inputs_or_an_older_manifest(tmp_path):
    assert ranking.synthetic_note(write_release(tmp_path / "r1", [{"file": "a.csv", "synthetic": False}])) is None
    assert ranking.synthetic_note(write_release(tmp_path / "r2", [{"file": "a.csv"}])) is None  # before the flag
    assert ranking.synthetic_note(tmp_path / "no-such-release") is None


def test_dei_ranking_prints_the_note_under_the_table(tmp_path, capsys):
    release = write_release(tmp_path / "r1", [{"file": "a.csv", "synthetic": True}])
    assert cli.main(["ranking", "--release", str(release)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "呼和浩特市" in out[2] and "包头市" in out[3]
    assert out[4].startswith("注：1/1 个输入文件为示例数据（合成）")
