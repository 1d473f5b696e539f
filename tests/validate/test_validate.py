"""Tests for index.validate: one test per suite rule, promotion/quarantine on a temporary lake, staleness.

All frameworks and batches here are SYNTHETIC: tiny made-up frames built in code, not real submissions.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from index.config import REPO_ROOT, Settings
from index.errors import ConfigError, SubmissionError, SubmissionProblem
from index.validate import (
    MAX_ROWS_PER_RULE,
    RAW_COLUMNS,
    STALE_MESSAGE,
    GxRunner,
    ValidationFailed,
    build_suite,
    check_suite_current,
    load_suite,
    raise_if_failed,
    suite_path,
    validate_frame,
    validate_pending,
    write_suite,
)

LEAGUES = [150100, 150200, 150300, 150400, 150500, 150600, 150700, 150800, 150900, 152200, 152500, 152900]
FILE = "synthetic_通信管理局_2023.xlsx"
SHEET = "2023年"
FIVE_G = "5G用户普及率（%）"
RANGE_RULE = "value within plausible range 0–100 % for five_g_penetration"


def synthetic_framework() -> pd.DataFrame:
    """SYNTHETIC framework with the real column set: root, one dimension, three indicators, one denominator."""
    rows = [
        # node_id, parent_id, level, node_type, name_zh, unit, raw_unit, polarity, denominator, scale, min, max
        ("DEI", None, 3, "Aggregate", "数字经济发展指数", None, None, None, None, None, None, None),
        ("digital_infrastructure", "DEI", 2, "Aggregate", "数字基础设施", None, None, None, None, None, None, None),
        (
            "five_g_penetration",
            "digital_infrastructure",
            1,
            "Indicator",
            "5G用户普及率",
            "%",
            "%",
            1,
            None,
            None,
            0.0,
            100.0,
        ),
        (
            "broadband_ports",
            "digital_infrastructure",
            1,
            "Indicator",
            "宽带端口",
            "个/百人",
            "万个",
            1,
            "population",
            100.0,
            0.0,
            None,
        ),
        ("data_centres", "digital_infrastructure", 1, "Indicator", "数据中心", "个", "个", 1, None, None, None, None),
        ("population", None, 1, "Denominator", "常住人口", "万人", "万人", None, None, None, 1.0, 2000.0),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "node_id",
            "parent_id",
            "level",
            "node_type",
            "name_zh",
            "unit",
            "raw_unit",
            "polarity",
            "denominator",
            "denominator_scale",
            "valid_min",
            "valid_max",
        ],
    )
    frame["name_en"] = frame["node_id"]
    for column in ["department", "definition", "target_2025", "target_note", "source_clause"]:
        frame[column] = None
    return frame


HEADERS = {
    "five_g_penetration": FIVE_G,
    "broadband_ports": "宽带端口（万个）",
    "data_centres": "数据中心（个）",
    "population": "常住人口（万人）",
}
VALUES = {"five_g_penetration": 55.5, "broadband_ports": 120.0, "data_centres": 3.0, "population": 300.0}


def synthetic_batch(leagues=(150100, 150200), year=2023, file=FILE, sha256=None) -> pd.DataFrame:
    """SYNTHETIC clean raw batch: one row per (league, indicator); source_row counts from 5 like a sheet."""
    sha256 = sha256 or hashlib.sha256(file.encode()).hexdigest()
    rows = []
    row_no = 5
    for league in leagues:
        for indicator, header in HEADERS.items():
            rows.append(
                {
                    "unit_code": league,
                    "year": year,
                    "indicator_id": indicator,
                    "value": VALUES[indicator],
                    "department": "自治区通信管理局",
                    "source_file": file,
                    "source_sheet": SHEET,
                    "source_row": row_no,
                    "source_column": header,
                    "sha256": sha256,
                    "ingested_at": datetime(2026, 1, 2, tzinfo=UTC),
                }
            )
        row_no += 1
    frame = pd.DataFrame(rows, columns=RAW_COLUMNS)
    frame["unit_code"] = frame["unit_code"].astype("int32")
    frame["year"] = frame["year"].astype("int32")
    frame["source_row"] = frame["source_row"].astype("int32")
    return frame


@pytest.fixture(scope="module")
def framework():
    return synthetic_framework()


@pytest.fixture(scope="module")
def suite(framework):
    return build_suite(framework, LEAGUES)


@pytest.fixture(scope="module")
def runner():
    return GxRunner()


def run(df, suite, runner):
    return validate_frame(df, suite, runner=runner)


def locate(df, indicator, league=150100):
    hit = df.index[(df["indicator_id"] == indicator) & (df["unit_code"] == league)]
    return int(hit[0])


# ---------------------------------------------------------------------------------------------- suite


def test_suite_is_json_with_a_rule_name_on_every_expectation(suite):
    assert json.loads(json.dumps(suite)) == suite
    assert suite["name"] == "raw_observations"
    assert all(e["meta"]["rule"] for e in suite["expectations"])
    rules = [e["meta"]["rule"] for e in suite["expectations"]]
    assert len(rules) == len(set(rules))
    assert RANGE_RULE in rules
    assert "value within plausible range 1–2000 万人 for population" in rules
    assert "value at least 0 万个 for broadband_ports" in rules
    assert not any("data_centres" in r for r in rules)  # no bounds in the framework -> no range rule


def test_write_and_load_suite_round_trip(tmp_path, suite):
    path = write_suite(suite, tmp_path / "expectations" / "raw_observations.json")
    assert load_suite(path) == suite
    assert [p.name for p in path.parent.iterdir()] == ["raw_observations.json"]


def test_load_suite_missing_file_is_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_suite(tmp_path / "nope.json")


def test_current_suite_passes_staleness_check(tmp_path, framework, suite):
    path = write_suite(suite, tmp_path / "raw_observations.json")
    check_suite_current(load_suite(path), framework, LEAGUES)


def test_suite_out_of_date_when_framework_bounds_change(framework, suite):
    changed = framework.copy()
    changed.loc[changed["node_id"] == "five_g_penetration", "valid_max"] = 110.0
    with pytest.raises(ConfigError) as err:
        check_suite_current(suite, changed, LEAGUES)
    assert str(err.value) == STALE_MESSAGE


def test_suite_out_of_date_when_indicator_added(framework, suite):
    extra = framework.iloc[[2]].copy()
    extra["node_id"] = "iot_terminals"
    with pytest.raises(ConfigError, match="out of date"):
        check_suite_current(suite, pd.concat([framework, extra], ignore_index=True), LEAGUES)


def test_module_import_does_not_import_great_expectations():
    code = "import sys, index.validate; assert 'great_expectations' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO_ROOT)


# ---------------------------------------------------------------------------------------- clean batch


def test_clean_batch_has_no_problems(suite, runner):
    assert run(synthetic_batch(), suite, runner) == []


def test_null_value_means_not_reported_and_is_allowed(suite, runner):
    df = synthetic_batch()
    df.loc[locate(df, "five_g_penetration"), "value"] = None
    assert run(df, suite, runner) == []


def test_validation_is_quiet_and_writes_nothing(tmp_path, monkeypatch, capfd, suite):
    monkeypatch.chdir(tmp_path)
    df = synthetic_batch()
    df.loc[0, "unit_code"] = 999999
    assert validate_frame(df, suite)  # its own fresh context
    out, err = capfd.readouterr()
    assert "Calculating Metrics" not in out + err
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------- one test per rule


def test_required_column_present(suite, runner):
    df = synthetic_batch().drop(columns=["department"])
    problems = run(df, suite, runner)
    assert len(problems) == 1
    p = problems[0]
    assert (p.file, p.row, p.column, p.rule) == (FILE, None, "department", "required column department present")
    assert "no column department" in p.message


@pytest.mark.parametrize("column", ["unit_code", "year", "indicator_id", "sha256", "source_file"])
def test_not_null(column, suite, runner):
    df = synthetic_batch()
    i = locate(df, "data_centres", 150200)
    df[column] = df[column].astype(object)
    df.loc[i, column] = None
    problems = run(df, suite, runner)
    assert len(problems) == 1, problems
    p = problems[0]
    assert (p.file, p.sheet, p.row, p.column, p.rule) == (FILE, SHEET, 6, column, f"{column} not empty")
    assert p.message == f"found {column} empty; expected a {column} on every row"


def test_unit_code_in_allowed_set(suite, runner):
    df = synthetic_batch()
    i = locate(df, "broadband_ports", 150200)
    df.loc[i, "unit_code"] = 159999
    problems = run(df, suite, runner)
    assert len(problems) == 1, problems
    p = problems[0]
    assert (p.file, p.sheet, p.row, p.column) == (FILE, SHEET, 6, "unit_code")
    assert p.rule == "unit_code is one of the 12 reporting units' codes (盟市, 旗县市区, development zones)"
    assert p.message.startswith("found unit_code 159999; expected one of 150100, 150200")


def test_year_between_2000_and_2100(suite, runner):
    df = synthetic_batch()
    df.loc[locate(df, "population"), "year"] = 1999
    problems = run(df, suite, runner)
    assert len(problems) == 1, problems
    p = problems[0]
    assert (p.file, p.row, p.column, p.rule) == (FILE, 5, "year", "year between 2000 and 2100")
    assert p.message == "found year 1999; expected a year from 2000 to 2100"


def test_indicator_id_in_framework(suite, runner):
    df = synthetic_batch()
    i = locate(df, "data_centres", 150200)
    df.loc[i, ["indicator_id", "source_column"]] = ["cloud_hosts", "云主机数（台）"]
    problems = run(df, suite, runner)
    assert len(problems) == 1, problems
    p = problems[0]
    assert (p.file, p.row, p.column) == (FILE, 6, "云主机数（台）")
    assert p.rule == "indicator_id is a framework indicator or denominator"
    assert "found indicator_id 'cloud_hosts'" in p.message


def test_league_year_indicator_unique(suite, runner):
    df = synthetic_batch()
    dup = df.iloc[[locate(df, "five_g_penetration")]].copy()
    dup["source_row"] = 9
    df = pd.concat([df, dup], ignore_index=True)
    problems = run(df, suite, runner)
    assert sorted(p.row for p in problems) == [5, 9]
    for p in problems:
        assert (p.file, p.column, p.rule) == (FILE, FIVE_G, "one row per unit_code, year and indicator_id")
        assert "(150100, 2023, 'five_g_penetration') on more than one row" in p.message


def test_value_within_percent_range(suite, runner):
    df = synthetic_batch()
    i = locate(df, "five_g_penetration", 150100)
    df.loc[i, ["value", "source_row"]] = [130.0, 7]
    problems = run(df, suite, runner)
    assert len(problems) == 1, problems
    p = problems[0]
    assert (p.file, p.sheet, p.row, p.column, p.rule) == (FILE, SHEET, 7, FIVE_G, RANGE_RULE)
    assert p.message == (
        "found value 130 for five_g_penetration; expected a value from 0–100 % (empty = not reported is allowed)"
    )
    assert str(p) == f"{FILE} sheet {SHEET} row 7, column {FIVE_G}: {RANGE_RULE}: {p.message}"


def test_value_lower_bound_only(suite, runner):
    df = synthetic_batch()
    df.loc[locate(df, "broadband_ports", 150200), "value"] = -3.0
    df.loc[locate(df, "broadband_ports", 150100), "value"] = 1e9  # no upper bound: fine
    problems = run(df, suite, runner)
    assert [(p.row, p.column, p.rule) for p in problems] == [
        (6, "宽带端口（万个）", "value at least 0 万个 for broadband_ports")
    ]


def test_value_range_of_denominator(suite, runner):
    df = synthetic_batch()
    df.loc[locate(df, "population", 150200), "value"] = 0.0
    problems = run(df, suite, runner)
    assert [(p.row, p.column, p.rule) for p in problems] == [
        (6, "常住人口（万人）", "value within plausible range 1–2000 万人 for population")
    ]


def test_problems_capped_per_rule_with_total(suite, runner):
    df = synthetic_batch(leagues=LEAGUES)
    parts = []
    for k in range(6):  # 6 copies x 12 leagues = 72 five_g rows, all out of range, distinct years
        part = df[df["indicator_id"] == "five_g_penetration"].copy()
        part["year"] = 2010 + k
        part["value"] = 150.0
        part["source_row"] = part["source_row"] + 100 * k
        parts.append(part)
    problems = run(pd.concat(parts, ignore_index=True), suite, runner)
    assert len(problems) == MAX_ROWS_PER_RULE + 1
    assert all(p.rule == RANGE_RULE for p in problems)
    assert problems[-1].row is None
    assert problems[-1].message == f"72 rows break this rule; only the first {MAX_ROWS_PER_RULE} are listed"


def test_a_clean_batch_of_three_thousand_rows_passes(suite, runner):
    # Speed is measured in `make bench`, not asserted here.
    base = synthetic_batch(leagues=LEAGUES)
    frames = []
    for year in range(2000, 2063):  # 63 years x 48 rows = 3024 rows
        part = base.copy()
        part["year"] = year
        frames.append(part)
    df = pd.concat(frames, ignore_index=True)
    assert len(df) > 3000
    assert run(df, suite, runner) == []


# ------------------------------------------------------------------------------------ lake operations


def make_settings(tmp_path: Path) -> Settings:
    return Settings(
        lake=tmp_path / "lake",
        sql=tmp_path / "sql",
        expectations=tmp_path / "expectations",
        reference=tmp_path / "reference",
    )


def land(settings: Settings, name: str, content: bytes) -> str:
    """Put a SYNTHETIC landing file in place and return its sha256."""
    settings.landing.mkdir(parents=True, exist_ok=True)
    (settings.landing / name).write_bytes(content)
    return hashlib.sha256(content).hexdigest()


def write_raw(settings: Settings, df: pd.DataFrame, sha256: str) -> list[Path]:
    """Write a batch the way ingest does: one file per year, year taken out into the hive partition."""
    paths = []
    for year, part in df.groupby("year"):
        path = settings.raw / f"year={year}" / f"{sha256[:16]}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        part.drop(columns=["year"]).to_parquet(path, index=False)
        paths.append(path)
    return paths


def test_validate_pending_promotes_clean_and_quarantines_bad(tmp_path, framework, suite):
    s = make_settings(tmp_path)
    write_suite(suite, suite_path(s))

    good_name, bad_name = "synthetic_good.csv", "synthetic_bad.xlsx"
    good_sha = land(s, good_name, b"synthetic good submission")
    bad_sha = land(s, bad_name, b"synthetic bad submission")
    land(s, "synthetic_other.csv", b"someone else's file")

    good = synthetic_batch(file=good_name, sha256=good_sha)
    good2 = synthetic_batch(file=good_name, sha256=good_sha, year=2022)
    good_paths = write_raw(s, pd.concat([good, good2], ignore_index=True), good_sha)
    assert len(good_paths) == 2  # two year files, one batch

    bad = synthetic_batch(file=bad_name, sha256=bad_sha)
    i = locate(bad, "five_g_penetration")
    bad.loc[i, ["value", "source_row"]] = [130.0, 7]
    bad_paths = write_raw(s, bad, bad_sha)

    outcome = validate_pending(s, framework, LEAGUES)

    assert [b.source_file for b in outcome.promoted] == [good_name]
    assert [b.source_file for b in outcome.quarantined] == [bad_name]
    for path in good_paths:
        rel = path.relative_to(s.raw)
        assert (s.curated / rel).read_bytes() == path.read_bytes()
    assert not any(p.name.startswith(".") for p in s.curated.rglob("*"))  # no temp files left

    qdir = s.quarantine / bad_sha[:16]
    assert (qdir / bad_name).read_bytes() == b"synthetic bad submission"
    assert not (s.landing / bad_name).exists()
    assert (s.landing / good_name).exists() and (s.landing / "synthetic_other.csv").exists()
    assert not any(p.exists() for p in bad_paths)
    assert (qdir / "raw" / "year=2023" / f"{bad_sha[:16]}.parquet").is_file()
    report = json.loads((qdir / "problems.json").read_text(encoding="utf-8"))
    problems = report["problems"]
    assert problems == [
        {
            "file": bad_name,
            "sheet": SHEET,
            "row": 7,
            "column": FIVE_G,
            "rule": RANGE_RULE,
            "message": problems[0]["message"],
        }
    ]
    assert (report["file"], report["stage"], report["total"], report["truncated"]) == (bad_name, "validation", 1, False)
    assert report["by_rule"] == [{"rule": RANGE_RULE, "column": FIVE_G, "count": 1}]
    text = (qdir / "problems.txt").read_text(encoding="utf-8")
    assert text.startswith(f"{bad_name}: rejected by validation, 1 problem(s).")
    assert f"\n{bad_name} sheet {SHEET} row 7" in text
    assert outcome.quarantined[0].problems[0].row == 7
    assert outcome.quarantined[0].landing_file == qdir / bad_name
    assert outcome.summary() == {
        "promoted": [good_name],
        "rejected": 1,
        "quarantined": [
            {
                "file": bad_name,
                "stage": "validation",
                "folder": str(qdir),
                "landing_file": "moved to quarantine",
                "problems": 1,
                "first": [str(outcome.quarantined[0].problems[0])],
            }
        ],
    }

    with pytest.raises(ValidationFailed) as err:
        raise_if_failed(outcome)
    assert isinstance(err.value, SubmissionError)
    message = str(err.value)
    assert bad_name in message and "row 7" in message and FIVE_G in message and RANGE_RULE in message
    assert good_name not in message
    assert f"moved to quarantine/{bad_sha[:16]}/" in message

    # A second run finds nothing new: the good batch is curated, the bad one gone from raw.
    again = validate_pending(s, framework, LEAGUES)
    assert again.promoted == [] and again.quarantined == []
    raise_if_failed(again)


def test_validate_pending_reads_year_from_partition(tmp_path, framework, suite):
    s = make_settings(tmp_path)
    sha = land(s, "synthetic_old.csv", b"synthetic old-year submission")
    df = synthetic_batch(file="synthetic_old.csv", sha256=sha, year=1998)  # year only in the path
    write_raw(s, df, sha)
    outcome = validate_pending(s, framework, LEAGUES, suite=suite)
    assert [b.sha16 for b in outcome.quarantined] == [sha[:16]]
    assert {p.rule for p in outcome.quarantined[0].problems} == {"year between 2000 and 2100"}


def test_validate_pending_refuses_stale_suite(tmp_path, framework, suite):
    s = make_settings(tmp_path)
    stale = json.loads(json.dumps(suite))
    stale["expectations"] = stale["expectations"][:-1]
    write_suite(stale, suite_path(s))
    with pytest.raises(ConfigError, match="out of date"):
        validate_pending(s, framework, LEAGUES)


def test_raise_if_failed_lists_every_quarantined_file(tmp_path, framework, suite):
    s = make_settings(tmp_path)
    names = []
    for k in range(2):
        name = f"synthetic_bad_{k}.csv"
        sha = land(s, name, f"synthetic bad {k}".encode())
        df = synthetic_batch(file=name, sha256=sha)
        df.loc[0, "unit_code"] = 100000 + k
        write_raw(s, df, sha)
        names.append(name)
    outcome = validate_pending(s, framework, LEAGUES, suite=suite)
    with pytest.raises(ValidationFailed) as err:
        raise_if_failed(outcome)
    for name in names:
        assert name in str(err.value)
    assert "quarantined 2 landing file(s)" in str(err.value)


def test_committed_suite_matches_the_real_framework():
    """The one test that reads the real framework: the committed suite must be rebuilt when it changes."""
    from index.config import settings
    from index.framework import load_framework
    from index.units import reporting_codes

    cfg = settings()
    check_suite_current(load_suite(suite_path(cfg)), load_framework(cfg.framework_file), reporting_codes())


def bad_batch(s: Settings, name: str, content: bytes) -> str:
    """Land a SYNTHETIC file and write its raw batch with one league code outside Inner Mongolia."""
    sha = land(s, name, content)
    df = synthetic_batch(file=name, sha256=sha)
    df.loc[0, "unit_code"] = 110000
    write_raw(s, df, sha)
    return sha


def test_a_landing_file_with_glob_characters_in_its_name_is_found_and_moved(tmp_path, framework, suite):
    s = make_settings(tmp_path)
    name = "2024_bad[1].csv"  # as a glob pattern, [1] matches only "2024_bad1.csv"
    sha = bad_batch(s, name, b"synthetic bad submission [1]")
    land(s, "2024_bad1.csv", b"another synthetic file")
    outcome = validate_pending(s, framework, LEAGUES, suite=suite)
    [batch] = outcome.quarantined
    assert batch.landing_status == "moved"
    assert not (s.landing / name).exists()
    assert (s.quarantine / sha[:16] / name).read_bytes() == b"synthetic bad submission [1]"
    assert (s.landing / "2024_bad1.csv").read_bytes() == b"another synthetic file"
    assert f"moved to quarantine/{sha[:16]}/" in str(ValidationFailed(outcome))


def test_a_renamed_landing_file_is_found_by_its_sha256(tmp_path, framework, suite):
    s = make_settings(tmp_path)
    sha = bad_batch(s, "synthetic_bad.csv", b"synthetic bad, renamed later")
    os.replace(s.landing / "synthetic_bad.csv", s.landing / "synthetic_bad_renamed.csv")
    [batch] = validate_pending(s, framework, LEAGUES, suite=suite).quarantined
    assert batch.landing_status == "moved"
    assert (s.quarantine / sha[:16] / "synthetic_bad_renamed.csv").is_file()


def test_a_missing_landing_file_is_never_claimed_moved(tmp_path, framework, suite):
    s = make_settings(tmp_path)
    sha = bad_batch(s, "synthetic_gone.csv", b"synthetic bad, deleted from landing")
    (s.landing / "synthetic_gone.csv").unlink()
    (s.landing / "synthetic_gone.csv").write_bytes(b"a different, newer file with the same name")
    outcome = validate_pending(s, framework, LEAGUES, suite=suite)
    [batch] = outcome.quarantined
    assert batch.landing_status == "not found in landing" and batch.landing_file is None
    assert (s.landing / "synthetic_gone.csv").read_bytes() == b"a different, newer file with the same name"
    message = str(ValidationFailed(outcome))
    assert "moved" not in message
    assert f"landing file not found in landing/, report in quarantine/{sha[:16]}/" in message
    assert batch.summary()["landing_file"].startswith("not found in landing")


def test_a_symlink_in_landing_is_never_taken_for_the_landing_file(tmp_path, framework, suite):
    s = make_settings(tmp_path)
    outside = tmp_path / "outside.csv"
    outside.write_bytes(b"synthetic bad, outside the lake")
    bad_batch(s, "synthetic_link.csv", outside.read_bytes())
    (s.landing / "synthetic_link.csv").unlink()
    (s.landing / "synthetic_link.csv").symlink_to(outside)
    [batch] = validate_pending(s, framework, LEAGUES, suite=suite).quarantined
    assert batch.landing_status == "not found in landing"
    assert outside.read_bytes() == b"synthetic bad, outside the lake"


def test_validation_quarantine_writes_the_same_bounded_report(tmp_path):
    from index.validate import BatchResult, _quarantine

    s = make_settings(tmp_path)
    sha = land(s, "synthetic_many.csv", b"synthetic file with many problems")
    problems = [
        SubmissionProblem("synthetic_many.csv", SHEET, 3 + i, FIVE_G, RANGE_RULE, f"found {i}") for i in range(5000)
    ]
    batch = BatchResult(sha16=sha[:16], source_file="synthetic_many.csv", raw_files=[], problems=problems)
    _quarantine(s, batch, pd.DataFrame({"source_file": ["synthetic_many.csv"], "sha256": [sha]}))
    qdir = s.quarantine / sha[:16]
    report = json.loads((qdir / "problems.json").read_text(encoding="utf-8"))
    assert (report["total"], report["shown"], report["truncated"]) == (5000, 200, True)
    assert report["by_rule"] == [{"rule": RANGE_RULE, "column": FIVE_G, "count": 5000}]
    assert [p["message"] for p in report["problems"]] == [f"found {i}" for i in range(200)]
    text = (qdir / "problems.txt").read_text(encoding="utf-8").splitlines()
    assert text[-1] == "... and 4,800 more, not listed (counted above)."
    assert len(text) == 200 + 8
    assert (qdir / "synthetic_many.csv").read_bytes() == b"synthetic file with many problems"
