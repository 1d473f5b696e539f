"""`dei analyse` on COINr's ASEM framework: every table written, Dagum's parts adding up to the Gini, each
unit's indicator obstacles adding up to 100 %, and a bad group named with the valid ones."""

from __future__ import annotations

import pandas as pd
import pytest

from index import cli


def analyse(repo, group: str, out) -> int:
    """`dei analyse` on the ASEM fixture with its method file, grouping by group, writing into out."""
    asem = repo / "tests" / "fixtures" / "asem"
    args = ["--framework", str(asem), "--method", str(asem / "method.toml"), "--group", group, "--out", str(out)]
    return cli.main(["analyse", *args])


def test_dei_analyse_on_the_asem_framework(repo, tmp_path, capsys):
    out = tmp_path / "analyse"
    code = analyse(repo, "EurAsia_group", out)
    assert code == 0
    for name in (
        "disparity",
        "disparity_groups",
        "disparity_pairs",
        "obstacles",
        "obstacles_top",
        "coupling",
        "sigma_convergence",
        "kernel_density",
    ):
        assert (out / f"{name}.csv").is_file(), name
    disparity = pd.read_csv(out / "disparity.csv")
    parts = disparity["gini_within"] + disparity["gini_between"] + disparity["gini_transvariation"]
    assert (parts - disparity["gini"]).abs().max() < 1e-12
    obstacles = pd.read_csv(out / "obstacles.csv")
    sums = obstacles[obstacles["node_type"] == "Indicator"].groupby(["unit_code", "period"])["obstacle"].sum()
    assert sums.to_numpy() == pytest.approx(1.0)
    # one period only: β convergence is left out and said so
    assert "beta convergence" in (out / "notes.txt").read_text(encoding="utf-8")


def test_a_group_the_framework_lacks_is_named_with_the_valid_ones(repo, tmp_path, capsys):
    code = analyse(repo, "Continent", tmp_path / "a")
    err = capsys.readouterr().err
    assert code == 2 and "EurAsia_group" in err and "Traceback" not in err
