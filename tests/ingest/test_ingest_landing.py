"""ingest_landing: landing -> raw/year=YYYY/<sha16>.parquet, skip seen files, quarantine bad ones."""

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from index.config import Settings
from index.framework import load_framework
from index.ingest import RAW_FILE_COLUMNS, ingest_landing, sha256_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LANDING = FIXTURES / "landing"
NOW = datetime(2024, 5, 1, 8, 30, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def framework():
    return load_framework(FIXTURES / "framework_small.sql")


@pytest.fixture
def lake(tmp_path):
    settings = Settings(lake=tmp_path / "lake", sql=tmp_path / "sql", expectations=tmp_path / "exp",
                        reference=Path(__file__).resolve().parents[2] / "reference")
    settings.landing.mkdir(parents=True)
    return settings


def put(settings, *names):
    for name in names:
        shutil.copy(LANDING / name, settings.landing / name)


def test_writes_raw_partitions(lake, framework):
    put(lake, "merged_header_title.xlsx", "2022_utf8_bom.csv")
    (lake.landing / "README.md").write_text("not a submission")
    (lake.landing / ".DS_Store").write_bytes(b"\0")
    outcome = ingest_landing(lake, framework, now=NOW)
    assert sorted(b.source_file for b in outcome.new_batches) == ["2022_utf8_bom.csv", "merged_header_title.xlsx"]
    assert outcome.skipped == [] and outcome.quarantined == []
    sha = sha256_file(lake.landing / "merged_header_title.xlsx")
    path = lake.raw / "year=2023" / f"{sha[:16]}.parquet"
    assert path.is_file()
    table = pq.read_table(path)
    assert table.column_names == RAW_FILE_COLUMNS  # no year inside; it is the partition
    assert str(table.schema.field("league_code").type) == "int32"
    assert str(table.schema.field("ingested_at").type) == "timestamp[us, tz=UTC]"
    df = table.to_pandas()
    assert len(df) == 12 and set(df["sha256"]) == {sha}
    assert set(df["ingested_at"]) == {NOW}
    assert (lake.raw / "year=2022").is_dir()
    assert not list(lake.raw.rglob(".*"))  # no temp files left behind


def test_seen_files_are_skipped(lake, framework):
    put(lake, "2023_gbk.csv")
    first = ingest_landing(lake, framework, now=NOW)
    assert len(first.new_batches) == 1
    second = ingest_landing(lake, framework, now=NOW)
    assert second.new_batches == [] and [s.source_file for s in second.skipped] == ["2023_gbk.csv"]
    # also when the batch has moved on to curated only
    sha16 = first.new_batches[0].sha16
    (lake.curated / "year=2023").mkdir(parents=True)
    shutil.move(str(lake.raw / "year=2023" / f"{sha16}.parquet"), str(lake.curated / "year=2023"))
    third = ingest_landing(lake, framework, now=NOW)
    assert third.new_batches == [] and third.skipped[0].reason == "curated"


def test_bad_file_quarantined_with_problems(lake, framework):
    put(lake, "2023_unknown_league.csv", "2023_gbk.csv")
    sha = sha256_file(lake.landing / "2023_unknown_league.csv")
    outcome = ingest_landing(lake, framework, now=NOW)
    assert [b.source_file for b in outcome.new_batches] == ["2023_gbk.csv"]
    assert [q.source_file for q in outcome.quarantined] == ["2023_unknown_league.csv"]
    target = lake.quarantine / sha[:16]
    assert (target / "2023_unknown_league.csv").is_file()
    assert not (lake.landing / "2023_unknown_league.csv").exists()
    problems = json.loads((target / "problems.json").read_text(encoding="utf-8"))
    assert problems == [{"file": "2023_unknown_league.csv", "sheet": None, "row": 4, "column": "盟市",
                         "rule": "unknown_league", "message": outcome.quarantined[0].problems[0].message}]
    assert (target / "problems.txt").read_text(encoding="utf-8").startswith(
        "2023_unknown_league.csv row 4, column 盟市: unknown_league")
    assert not any(p.name.startswith(sha[:16]) for p in lake.raw.rglob("*.parquet"))
    # the same bytes submitted again are recognised as already quarantined
    put(lake, "2023_unknown_league.csv")
    again = ingest_landing(lake, framework, now=NOW)
    assert [(s.source_file, s.reason) for s in again.skipped] == [
        ("2023_gbk.csv", "raw"), ("2023_unknown_league.csv", "quarantine")]
