"""ingest_landing: landing -> raw/year=YYYY/<sha16>.parquet, skip seen files, quarantine bad ones, refuse
links and special files, leave hidden, partial and still-changing files waiting, bounded problem reports.

Every landing file written here is SYNTHETIC (test fixtures or generated in tmp_path).
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from index import ingest, landing, pipeline
from index.config import Settings
from index.errors import SubmissionProblem
from index.framework import load_framework
from index.ingest import RAW_FILE_COLUMNS, ingest_landing, sha256_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LANDING = FIXTURES / "landing"
NOW = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def framework():
    return load_framework(FIXTURES / "framework_small.sql")


@pytest.fixture(autouse=True)
def no_settle(monkeypatch):
    """Fixture files are copied just before each run; the settle wait has tests of its own below."""
    monkeypatch.setenv("DEI_LANDING_SETTLE_SECONDS", "0")


@pytest.fixture
def lake(tmp_path):
    settings = Settings(
        lake=tmp_path / "lake",
        sql=tmp_path / "sql",
        expectations=tmp_path / "exp",
        reference=Path(__file__).resolve().parents[2] / "reference",
    )
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
    # the dot-file is reported as waiting, not skipped without a word; README is not reported at all
    assert [(w.source_file, w.reason) for w in outcome.waiting] == [(".DS_Store", landing.waiting_reason(".DS_Store"))]
    assert (lake.landing / ".DS_Store").exists()
    sha = sha256_file(lake.landing / "merged_header_title.xlsx")
    path = lake.raw / "year=2023" / f"{sha[:16]}.parquet"
    assert path.is_file()
    table = pq.read_table(path)
    assert table.column_names == RAW_FILE_COLUMNS  # no year inside; it is the partition
    assert str(table.schema.field("unit_code").type) == "int32"
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
    report = json.loads((target / "problems.json").read_text(encoding="utf-8"))
    assert report == {
        "file": "2023_unknown_league.csv",
        "stage": "ingest",
        "total": 1,
        "shown": 1,
        "truncated": False,
        "by_rule": [{"rule": "unknown_league", "column": "盟市", "count": 1}],
        "problems": [
            {
                "file": "2023_unknown_league.csv",
                "sheet": None,
                "row": 4,
                "column": "盟市",
                "rule": "unknown_league",
                "message": outcome.quarantined[0].problems[0].message,
            }
        ],
    }
    text = (target / "problems.txt").read_text(encoding="utf-8")
    assert text.startswith("2023_unknown_league.csv: rejected by ingest, 1 problem(s).")
    assert "\n2023_unknown_league.csv row 4, column 盟市: unknown_league" in text
    assert outcome.summary()["quarantined"] == [
        {
            "file": "2023_unknown_league.csv",
            "stage": "ingest",
            "folder": str(target),
            "landing_file": "moved to quarantine",
            "problems": 1,
            "first": [str(outcome.quarantined[0].problems[0])],
        }
    ]
    assert outcome.summary()["rejected"] == 1
    assert not any(p.name.startswith(sha[:16]) for p in lake.raw.rglob("*.parquet"))
    # the same bytes submitted again are recognised as already quarantined
    put(lake, "2023_unknown_league.csv")
    again = ingest_landing(lake, framework, now=NOW)
    assert [(s.source_file, s.reason) for s in again.skipped] == [
        ("2023_gbk.csv", "raw"),
        ("2023_unknown_league.csv", "quarantine"),
    ]
    # and said to be refused again, with where and why, not "already ingested"
    first = str(outcome.quarantined[0].problems[0])
    assert again.summary()["refused_before"] == [
        {"file": "2023_unknown_league.csv", "folder": str(target), "first": [first]}
    ]
    lines = pipeline.file_lines("ingest", again.summary())
    assert "ingest: file 2023_gbk.csv: already ingested earlier, skipped" in lines
    refused = lines.index(next(line for line in lines if "2023_unknown_league.csv" in line))
    assert lines[refused].startswith("ingest: file 2023_unknown_league.csv: REJECTED again")
    assert f"{target}/problems.txt" in lines[refused] and lines[refused + 1] == f"ingest:   {first}"
    assert not any("2023_unknown_league.csv: already ingested" in line for line in lines)


# ------------------------------------------------------------------------------ refused: links, pipes


def raw_files(settings):
    return sorted(settings.raw.rglob("*.parquet")) if settings.raw.exists() else []


def test_a_symlink_to_a_file_outside_the_lake_is_refused_not_followed(lake, framework, tmp_path):
    outside = tmp_path / "outside" / "2023_gbk.csv"
    outside.parent.mkdir()
    shutil.copy(LANDING / "2023_gbk.csv", outside)  # a good file: following the link would ingest it
    before = outside.read_bytes()
    (lake.landing / "2023_gbk.csv").symlink_to(outside)
    outcome = ingest_landing(lake, framework, now=NOW)
    assert outcome.new_batches == [] and raw_files(lake) == []
    [refused] = outcome.quarantined
    assert refused.source_file == "2023_gbk.csv" and refused.problems[0].rule == "symlink"
    assert str(outside) in refused.problems[0].message
    # the link itself moved to quarantine, its target untouched
    moved = refused.directory / "2023_gbk.csv"
    assert moved.is_symlink() and os.readlink(moved) == str(outside)
    assert not os.path.lexists(lake.landing / "2023_gbk.csv")
    assert outside.read_bytes() == before
    assert json.loads((refused.directory / "problems.json").read_text(encoding="utf-8"))["by_rule"] == [
        {"rule": "symlink", "column": None, "count": 1}
    ]
    assert outcome.summary()["rejected"] == 1


def test_a_symlink_to_a_file_inside_landing_is_refused_too(lake, framework):
    put(lake, "2023_gbk.csv")
    (lake.landing / "copy.csv").symlink_to(lake.landing / "2023_gbk.csv")
    outcome = ingest_landing(lake, framework, now=NOW)
    assert [b.source_file for b in outcome.new_batches] == ["2023_gbk.csv"]
    assert [(q.source_file, q.problems[0].rule) for q in outcome.quarantined] == [("copy.csv", "symlink")]


def test_a_symlinked_folder_is_refused_and_not_walked(lake, framework, tmp_path):
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    shutil.copy(LANDING / "2023_gbk.csv", folder / "2023_gbk.csv")
    (lake.landing / "sub").symlink_to(folder, target_is_directory=True)
    outcome = ingest_landing(lake, framework, now=NOW)
    assert outcome.new_batches == [] and raw_files(lake) == []
    assert [(q.source_file, q.problems[0].rule) for q in outcome.quarantined] == [("sub", "symlink")]
    assert (folder / "2023_gbk.csv").is_file()


def test_a_fifo_is_refused_without_being_opened(lake, framework):
    os.mkfifo(lake.landing / "2023_pipe.csv")  # opening it for reading would block forever
    outcome = ingest_landing(lake, framework, now=NOW)
    [refused] = outcome.quarantined
    assert refused.problems[0].rule == "not_a_regular_file" and "FIFO" in refused.problems[0].message
    assert not os.path.lexists(lake.landing / "2023_pipe.csv")
    assert (refused.directory / "2023_pipe.csv").is_fifo()


def test_a_file_swapped_for_a_link_after_the_scan_is_refused(lake, framework, tmp_path, monkeypatch):
    put(lake, "2023_gbk.csv")
    outside = tmp_path / "secret.csv"
    shutil.copy(LANDING / "2022_utf8_bom.csv", outside)
    real_scan = ingest.scan_landing

    def scan_then_swap(*args, **kwargs):
        found = real_scan(*args, **kwargs)
        (lake.landing / "2023_gbk.csv").unlink()
        (lake.landing / "2023_gbk.csv").symlink_to(outside)
        return found

    monkeypatch.setattr(ingest, "scan_landing", scan_then_swap)
    outcome = ingest_landing(lake, framework, now=NOW)
    assert outcome.new_batches == [] and raw_files(lake) == []
    assert [(q.source_file, q.problems[0].rule) for q in outcome.quarantined] == [("2023_gbk.csv", "symlink")]


# ------------------------------------------------------------------- waiting: hidden, partial, changing

WAITING_NAMES = [
    ".upload.csv",
    "~$book.xlsx",
    "2023.csv.tmp",
    "2023.csv.part",
    "2023.csv.crdownload",
    "2023.csv~",
    ".~lock.book.xlsx#",
]


def test_hidden_temporary_and_partial_files_are_reported_as_waiting(lake, framework):
    for name in WAITING_NAMES:
        shutil.copy(LANDING / "2023_gbk.csv", lake.landing / name)
    (lake.landing / ".incoming").mkdir()
    shutil.copy(LANDING / "2023_gbk.csv", lake.landing / ".incoming" / "2023_gbk.csv")
    (lake.landing / "README.txt").write_text("documents the folder", encoding="utf-8")
    outcome = ingest_landing(lake, framework, now=NOW)
    assert outcome.new_batches == [] and outcome.quarantined == [] and outcome.skipped == []
    assert sorted(w.source_file for w in outcome.waiting) == sorted(WAITING_NAMES + [".incoming/"])
    assert all(w.reason for w in outcome.waiting)
    assert {w["file"] for w in outcome.summary()["waiting"]} == set(WAITING_NAMES + [".incoming/"])
    for name in WAITING_NAMES:
        assert (lake.landing / name).is_file()  # left in place for the sender to rename


def test_a_renamed_temporary_file_is_ingested(lake, framework):
    shutil.copy(LANDING / "2023_gbk.csv", lake.landing / "2023_gbk.csv.tmp")
    assert ingest_landing(lake, framework, now=NOW).new_batches == []
    os.replace(lake.landing / "2023_gbk.csv.tmp", lake.landing / "2023_gbk.csv")
    assert [b.source_file for b in ingest_landing(lake, framework, now=NOW).new_batches] == ["2023_gbk.csv"]


class FakeTime:
    """A clock and a sleep that only advances it; ``on_sleep`` runs as if someone wrote meanwhile."""

    def __init__(self, now, on_sleep=None):
        self.now, self.on_sleep, self.slept = now, on_sleep, []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds
        if self.on_sleep:
            self.on_sleep()


def test_a_fresh_file_that_keeps_changing_waits_for_the_next_run(tmp_path):
    path = tmp_path / "2023.csv"
    path.write_text("盟市,5G用户普及率（%）\n", encoding="utf-8")
    os.utime(path, (1000.0, 1000.0))
    fake = FakeTime(
        1001.0, on_sleep=lambda: (path.open("a").write("呼和浩特市,50\n"), os.utime(path, (1003.0, 1003.0)))
    )
    found = landing.scan(tmp_path, settle=5, sleep=fake.sleep, clock=fake.clock)
    assert found.ready == [] and [w.source_file for w in found.waiting] == ["2023.csv"]
    assert "still being written" in found.waiting[0].reason
    assert fake.slept == [4.0]  # bounded: only until the file would be 5 s old


def test_a_fresh_file_that_stops_changing_is_read_after_a_bounded_wait(tmp_path):
    path = tmp_path / "2023.csv"
    path.write_text("x", encoding="utf-8")
    os.utime(path, (1000.0, 1000.0))
    fake = FakeTime(1002.5)
    assert landing.scan(tmp_path, settle=3, sleep=fake.sleep, clock=fake.clock).ready == [path]
    assert fake.slept == [0.5]
    # dated in the future (a skewed clock): waited for the whole settle time, then read
    os.utime(path, (5000.0, 5000.0))
    fake = FakeTime(1000.0)
    assert landing.scan(tmp_path, settle=3, sleep=fake.sleep, clock=fake.clock).ready == [path]
    assert fake.slept == [3]
    # old enough: no wait at all
    fake = FakeTime(6000.0)
    assert landing.scan(tmp_path, settle=3, sleep=fake.sleep, clock=fake.clock).ready == [path]
    assert fake.slept == []


def test_settle_seconds_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("DEI_LANDING_SETTLE_SECONDS")
    assert landing.settle_seconds() == landing.DEFAULT_SETTLE_SECONDS
    monkeypatch.setenv("DEI_LANDING_SETTLE_SECONDS", "1.5")
    assert landing.settle_seconds() == 1.5
    monkeypatch.setenv("DEI_LANDING_SETTLE_SECONDS", "soon")
    from index.errors import ConfigError

    with pytest.raises(ConfigError, match="DEI_LANDING_SETTLE_SECONDS must be a number of seconds"):
        landing.settle_seconds()


@pytest.mark.parametrize("parse_fails", [False, True])
def test_a_file_that_changes_while_parsed_is_left_in_landing_untouched(lake, framework, monkeypatch, parse_fails):
    put(lake, "2023_gbk.csv")
    path = lake.landing / "2023_gbk.csv"
    real_parse = ingest.parse_file

    def parse_while_someone_appends(p, fw):
        with open(p, "ab") as fh:  # the sender is still writing
            fh.write("乌海市,1,2\n".encode("gbk"))
        if parse_fails:
            raise ingest.SubmissionError([SubmissionProblem(p.name, None, 9, None, "no_data", "cut off")])
        return real_parse(p, fw)

    monkeypatch.setattr(ingest, "parse_file", parse_while_someone_appends)
    outcome = ingest_landing(lake, framework, now=NOW)
    assert outcome.new_batches == [] and outcome.quarantined == []  # neither ingested nor quarantined
    assert [w.source_file for w in outcome.waiting] == ["2023_gbk.csv"]
    assert "changed while it was being read" in outcome.waiting[0].reason
    assert path.is_file() and raw_files(lake) == [] and not any(lake.quarantine.glob("*"))


WRITER = textwrap.dedent("""
    import sys, time
    path, rows = sys.argv[1], sys.argv[2:]
    with open(path, "wb", buffering=0) as fh:
        fh.write("2023年各盟市5G用户普及率（测试用合成数据）\\n盟市,5G用户普及率（%）\\n".encode("utf-8"))
        print("started", flush=True)
        for row in rows:
            line = (row + "\\n").encode("utf-8")
            for part in (line[: len(line) // 2], line[len(line) // 2:]):  # half rows too
                fh.write(part)
                time.sleep(0.15)
""")
LEAGUES = [
    "呼和浩特市",
    "包头市",
    "乌海市",
    "赤峰市",
    "通辽市",
    "鄂尔多斯市",
    "呼伦贝尔市",
    "巴彦淖尔市",
    "乌兰察布市",
    "兴安盟",
    "锡林郭勒盟",
    "阿拉善盟",
]


def test_a_file_written_slowly_by_another_process_is_ingested_only_once_complete(lake, framework):
    # SYNTHETIC figures, written row by row (and half row by half row) by a second process.
    rows = [f"{name},{40 + i}.5" for i, name in enumerate(LEAGUES)]
    path = lake.landing / "2023_slow.csv"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), *rows], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "started"
        runs_while_writing = []
        while writer.poll() is None:
            runs_while_writing.append(ingest_landing(lake, framework, now=NOW, settle=1.5))
        writer.wait(timeout=60)
    finally:
        writer.kill()
        writer.wait(timeout=60)
    assert writer.returncode == 0
    assert any(w.source_file == "2023_slow.csv" for w in runs_while_writing[0].waiting)
    final_sha = sha256_file(path)
    ingested = [b for run in runs_while_writing for b in run.new_batches]
    for _ in range(3):  # the finished file is fresh: at most one settle wait per run
        if ingested:
            break
        ingested += ingest_landing(lake, framework, now=NOW, settle=1.5).new_batches
    # whatever run took it, it took it whole: never a half-written version, never quarantined
    assert [(b.source_file, b.sha256, b.rows) for b in ingested] == [("2023_slow.csv", final_sha, 12)]
    assert not any(lake.quarantine.glob("*"))
    values = pq.read_table(lake.raw / "year=2023" / f"{final_sha[:16]}.parquet").to_pandas()
    assert sorted(values["value"]) == [40.5 + i for i in range(12)]


# ------------------------------------------------------------------------------- notes, huge reports


def test_parse_notes_are_carried_into_the_batch_and_the_summary(lake, framework, monkeypatch):
    put(lake, "2023_gbk.csv")
    real_parse = ingest.parse_file
    note = SubmissionProblem("2023_gbk.csv", "隐藏表", None, None, "hidden_sheet", "hidden sheet ignored")

    def parse_with_notes(p, fw):
        frame = real_parse(p, fw)
        frame.attrs["notes"] = [note]
        return frame

    monkeypatch.setattr(ingest, "parse_file", parse_with_notes)
    outcome = ingest_landing(lake, framework, now=NOW)
    assert outcome.new_batches[0].notes == (note,)
    assert outcome.summary()["notes"] == [{"file": "2023_gbk.csv", "note": str(note)}]


def test_a_huge_bad_file_gets_a_bounded_report_and_is_kept_whole(lake, framework):
    # SYNTHETIC: 200,000 rows, each naming a 盟市 that does not exist.
    path = lake.landing / "2023_huge_bad.csv"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("盟市,5G用户普及率（%）\n")
        for i in range(200_000):
            fh.write(f"测试地区{i},50\n")
    original = path.read_bytes()
    sha = sha256_file(path)
    outcome = ingest_landing(lake, framework, now=NOW)
    [bad] = outcome.quarantined
    total = len(bad.problems)
    assert total == 200_000  # one per row
    target = lake.quarantine / sha[:16]
    assert (target / "2023_huge_bad.csv").read_bytes() == original  # nothing lost
    report = json.loads((target / "problems.json").read_text(encoding="utf-8"))
    assert (report["total"], report["shown"], report["truncated"]) == (total, 200, True)
    assert len(report["problems"]) == 200
    assert sum(r["count"] for r in report["by_rule"]) == total
    assert report["by_rule"] == [{"rule": "unknown_league", "column": "盟市", "count": 200_000}]
    lines = (target / "problems.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) < 200 + 20 + len(report["by_rule"])
    assert f"... and {total - 200:,} more, not listed (counted above)." in lines
    assert (target / "problems.txt").stat().st_size + (target / "problems.json").stat().st_size < 200_000
    assert outcome.summary()["quarantined"][0]["problems"] == total
    assert len(outcome.summary()["quarantined"][0]["first"]) == landing.SUMMARY_SHOWN
