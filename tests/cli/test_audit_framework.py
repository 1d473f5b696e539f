"""`dei audit --framework DIR --method M.toml --out DIR` on COINr's ASEM framework: the audit as CSV, the
long table equal to the audit a Python caller gets from the same build, and the method spec required."""

from __future__ import annotations

import pandas as pd
import pytest

from index import cli, coinr, engine
from index.engine.audit import audit, audit_table


def test_dei_audit_on_the_asem_framework_writes_the_audit_as_csv(repo, tmp_path, capsys):
    asem = repo / "tests" / "fixtures" / "asem"
    out = tmp_path / "audit"
    code = cli.main(["audit", "--framework", str(asem), "--method", str(asem / "method.toml"), "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "Statistical audit of" in printed and "wrote 7 files" in printed
    for name in ("audit", "indicators", "correlations", "pairs", "aggregates", "thresholds", "nodes"):
        assert (out / f"{name}.csv").is_file(), name
    # the same numbers as the audit of the same build run in-process
    con, spec, _, _ = coinr.open_inputs(asem, asem / "method.toml")
    try:
        engine.run(con, spec)
        expected = audit_table(audit(con))
    finally:
        con.close()
    written = pd.read_csv(out / "audit.csv")
    assert len(written) == len(expected) and list(written.columns) == list(expected.columns)
    values = written["value"].to_numpy(dtype=float)
    assert values == pytest.approx(expected["value"].to_numpy(dtype=float), rel=1e-12, abs=1e-12, nan_ok=True)
    assert set(written.loc[written["flag"].fillna(False).astype(bool), "statistic"]) >= {"cronbach_alpha"}


def test_dei_audit_on_a_framework_needs_its_method(repo, tmp_path, capsys):
    asem = repo / "tests" / "fixtures" / "asem"
    assert cli.main(["audit", "--framework", str(asem), "--out", str(tmp_path / "a")]) == 2
    assert "needs --method" in capsys.readouterr().err
