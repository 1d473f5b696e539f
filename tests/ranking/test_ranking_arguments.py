"""`dei ranking` with a bad --node, --year or --release: one clear line listing the valid choices, never a traceback.
The release directory here is SYNTHETIC and tiny."""

from __future__ import annotations

import pytest

from index import cli


@pytest.fixture
def release(tmp_path, make_release):
    return make_release(tmp_path / "r1")


@pytest.mark.parametrize("node", ["digital_infrastructure", "数字基础设施", "digital INFRASTRUCTURE"])
def test_a_node_may_be_named_by_id_chinese_or_english_name(release, capsys, node):
    assert cli.main(["ranking", "--release", str(release), "--node", node]) == 0
    assert "digital_infrastructure 2024" in capsys.readouterr().out


@pytest.mark.parametrize("node", ["D1", "fiveg_user_penetration", "数字"])
def test_an_unknown_node_lists_the_valid_ones(release, capsys, node):
    assert cli.main(["ranking", "--release", str(release), "--node", node]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"dei ranking: unknown node {node!r}; valid: "
        "DEI (内蒙古数字经济发展指数), digital_infrastructure (数字基础设施)."
    )
    assert "Traceback" not in err


def test_a_year_outside_the_release_lists_the_years(release, capsys):
    assert cli.main(["ranking", "--release", str(release), "--year", "2030"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "dei ranking: --year 2030: the release holds 2023–2024 for DEI; choose one of [2023, 2024]"


def test_a_folder_that_is_not_a_release_is_named(tmp_path, capsys):
    assert cli.main(["ranking", "--release", str(tmp_path)]) == 2
    assert (
        capsys.readouterr().err.strip()
        == f"dei ranking: {tmp_path} is not a release directory (no index_scores.parquet)"
    )
