"""The `dei` command's second door: a framework in COINr's layout (the ASEM fixture, COINr's own example)."""

from __future__ import annotations

import pandas as pd

from index import cli


def test_compute_a_coinr_framework_writes_the_data_sets(repo, tmp_path, capsys):
    asem = repo / "tests" / "fixtures" / "asem"
    out = tmp_path / "asem"
    assert cli.main(["compute", "--framework", str(asem), "--method", str(asem / "method.toml"), "--out", str(out)]) == 0
    assert {"aggregated.csv", "imputed.csv", "treated.csv", "normalised.csv", "log.json"} <= {p.name for p in out.iterdir()}
    aggregated = pd.read_csv(out / "aggregated.csv")
    assert len(aggregated) == 51 and "Index" in aggregated.columns
    assert "winsorise_then_log" in capsys.readouterr().out


def test_compute_a_coinr_framework_needs_method_and_out(repo, capsys):
    assert cli.main(["compute", "--framework", str(repo / "tests" / "fixtures" / "asem")]) == 2
    assert "needs --method" in capsys.readouterr().err


def test_an_unknown_method_value_is_refused_with_the_key_named(repo, tmp_path, capsys):
    spec = tmp_path / "bad.toml"
    spec.write_text('[normalise]\nmethod = "softmax"\n', encoding="utf-8")
    asem = repo / "tests" / "fixtures" / "asem"
    assert cli.main(["compute", "--framework", str(asem), "--method", str(spec), "--out", str(tmp_path / "o")]) == 2
    assert "normalise.method" in capsys.readouterr().err
