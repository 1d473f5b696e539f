"""The `dei` command's second door: a framework in COINr's layout (the ASEM fixture, COINr's own example)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from index import cli


def test_compute_a_coinr_framework_writes_the_data_sets(repo, tmp_path, capsys):
    asem = repo / "tests" / "fixtures" / "asem"
    out = tmp_path / "asem"
    assert (
        cli.main(["compute", "--framework", str(asem), "--method", str(asem / "method.toml"), "--out", str(out)]) == 0
    )
    assert {"aggregated.csv", "imputed.csv", "treated.csv", "normalised.csv", "log.json"} <= {
        p.name for p in out.iterdir()
    }
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


# ----------------------------------------------------------------------- errors reach users as messages

import errno  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402

import pytest  # noqa: E402

from index import pipeline  # noqa: E402


def test_a_full_disk_is_a_clear_message_not_a_traceback(lake, monkeypatch, capsys):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(lake.raw / "year=2024" / "x.parquet"))

    monkeypatch.setattr(pipeline, "ingest_step", full)
    assert cli.main(["ingest"]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"dei ingest: the disk is full: cannot write {lake.raw / 'year=2024' / 'x.parquet'}: "
        "No space left on device; nothing was published\n"
    )


def test_an_unexpected_error_is_one_line_with_the_traceback_in_a_log_file(lake, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the log file goes here, not to /tmp

    def broken(*args, **kwargs):
        raise ValueError("something nobody planned for\nsecond line")

    monkeypatch.setattr(pipeline, "validate_step", broken)
    monkeypatch.delenv("DEI_DEBUG", raising=False)
    assert cli.main(["validate"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(
        "dei validate: unexpected error: ValueError: something nobody planned for; "
        "nothing was published; full traceback in "
    )
    log = Path(err.strip().split("full traceback in ")[1])
    assert log.parent == tmp_path and "Traceback (most recent call last)" in log.read_text(encoding="utf-8")
    monkeypatch.setenv("DEI_DEBUG", "1")  # developers see the traceback
    with pytest.raises(ValueError, match="something nobody planned for"):
        cli.main(["validate"])


def test_dei_ingest_prints_its_summary_and_exits_1_when_a_file_is_rejected(lake, monkeypatch, capsys):
    monkeypatch.setenv("DEI_LANDING_SETTLE_SECONDS", "0")
    # SYNTHETIC: one good file, one naming a 盟市 that does not exist
    (lake.landing / "2024_内蒙古通信管理局_更正数据.csv").write_text(
        "2024年更正数据（示例数据（合成））\n盟市,5G用户普及率（%）\n呼和浩特市,77.7\n", encoding="utf-8"
    )
    (lake.landing / "2024_bad.csv").write_text(
        "2024年补充数据（示例数据（合成））\n盟市,5G用户普及率（%）\n北京市,50\n", encoding="utf-8"
    )
    assert cli.main(["ingest"]) == 1
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["new"] == ["2024_内蒙古通信管理局_更正数据.csv"] and summary["rejected"] == 1
    assert [q["file"] for q in summary["quarantined"]] == ["2024_bad.csv"]
    assert "2024_bad.csv row 3, column 盟市: unknown_league" in captured.err
    assert "Traceback" not in captured.err
    assert list(lake.raw.glob("year=2024/*.parquet"))  # the good file landed


def test_compute_publish_runs_the_uncertainty_analysis_with_the_replicates_asked_for(curated_lake, monkeypatch, capsys):
    """`dei compute --publish --replicates N` on the 2023 sample submissions (SYNTHETIC): the release carries
    the three tables and records N; the ranking printed shows each rank's interval."""
    import json

    from index import publish
    from index.targets import contract

    monkeypatch.delenv("DEI_POSTGRES_DSN", raising=False)
    assert cli.main(["compute", "--publish", "--replicates", "64"]) == 0
    out = capsys.readouterr().out
    release = publish.current_release_dir(curated_lake)
    assert all((release / f"{t}.parquet").is_file() for t in contract.UNCERTAINTY_TABLES)
    manifest = json.loads((release / "release.json").read_text(encoding="utf-8"))
    assert manifest["uncertainty"]["replicates"] == 64
    assert "5–95% 区间" in out and release.name in out
