"""The landing zone's rules, and the one bounded problem report every quarantined file gets.

What ingest reads from ``data_lake/landing/``:

- only regular files, found without following any link. A symbolic link (even to a regular file), a FIFO,
  socket or device, or a path that resolves outside landing/ is refused: it is never opened, and the link or
  node itself (never its target) is moved to quarantine with a report.
- not hidden, temporary or partial files: dot-files and dot-folders, ``~$…`` and ``.~lock.…#`` lock files,
  ``*.tmp``, ``*.part``, ``*.partial``, ``*.crdownload``, ``*.download``, ``*~``. They are reported as waiting
  and left in place. The convention for senders: write to such a name and rename when done.
- not files still being written: a file modified less than ``DEI_LANDING_SETTLE_SECONDS`` ago (default 3) is
  waited for once, briefly (at most that long); if it changed meanwhile it is reported as waiting and left for
  the next run. Ingest also compares sha256, size and mtime before and after parsing (``FileState``).
- README files are ignored: they document the folder.

Stdlib only: DAG files import this module indirectly at parse time.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from index.config import env_number
from index.errors import SubmissionProblem
from index.files import write_text_atomic

SETTLE_ENV = "DEI_LANDING_SETTLE_SECONDS"
DEFAULT_SETTLE_SECONDS = 3.0
REPORT_LIMIT = 200  # problems listed in problems.txt / problems.json; all of them are counted
SUMMARY_SHOWN = 5  # problems quoted per file in run summaries and task logs

_PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".download")


def settle_seconds() -> float:
    """DEI_LANDING_SETTLE_SECONDS, read on each call so tests and operators can change it."""
    return env_number(
        SETTLE_ENV,
        DEFAULT_SETTLE_SECONDS,
        rejects=lambda value: not 0 <= value <= 600,
        invalid=f"{SETTLE_ENV} must be a number of seconds, found {{raw!r}}",
        out_of_range=f"{SETTLE_ENV} must be between 0 and 600 seconds, found {{raw!r}}",
    )


def waiting_reason(name: str) -> str | None:
    """Why a file name marks an upload in progress or a lock file, or None for a submission's name."""
    lower = name.lower()
    if lower.startswith(".~lock.") and lower.endswith("#"):
        return "a LibreOffice lock file (.~lock.…#): the file is open in LibreOffice"
    if name.startswith("~$"):
        return "an Office lock file (~$…): the workbook is open in Excel"
    if name.startswith("."):
        return "a hidden file (name starts with '.'): rename it without the dot when it is complete"
    for suffix in _PARTIAL_SUFFIXES:
        if lower.endswith(suffix):
            return f"a temporary or partial file ({suffix}): it is read once renamed to its final name"
    if name.endswith("~"):
        return "an editor backup or temporary file (name ends with ~)"
    return None


def is_readme(name: str) -> bool:
    return name.lower().startswith("readme")


@dataclass(frozen=True)
class Waiting:
    source_file: str  # relative to landing/
    reason: str


@dataclass(frozen=True)
class Refused:
    source_file: str  # relative to landing/
    path: Path
    rule: str  # 'symlink' | 'not_a_regular_file' | 'outside_landing'
    reason: str


@dataclass
class LandingScan:
    ready: list[Path] = field(default_factory=list)
    waiting: list[Waiting] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _key(st: os.stat_result) -> tuple:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _inside(path: Path, root_real: str) -> bool:
    real = os.path.realpath(path)
    return real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)


def _walk(landing: Path, scan: LandingScan) -> Iterator[tuple[Path, os.stat_result]]:
    """Regular, non-hidden, non-README files under landing, found without following links; the rest
    goes into ``scan`` as refused or waiting."""
    root_real = os.path.realpath(landing)
    stack = [landing]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            rel = folder.relative_to(landing).as_posix()
            scan.waiting.append(Waiting(rel + "/", f"the folder cannot be listed: {exc.strerror or exc}"))
            continue
        subfolders = []
        for entry in entries:
            path = Path(entry.path)
            rel = path.relative_to(landing).as_posix()
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue  # removed while we looked
            if stat.S_ISLNK(st.st_mode):
                try:
                    target = os.readlink(path)
                except OSError:
                    target = "?"
                scan.refused.append(
                    Refused(
                        rel,
                        path,
                        "symlink",
                        (f"a symbolic link (to {target}); links are never followed: put the file itself in landing/"),
                    )
                )
            elif stat.S_ISDIR(st.st_mode):
                if entry.name.startswith("."):
                    scan.waiting.append(
                        Waiting(
                            rel + "/", ("a hidden folder (name starts with '.'): its files are read once it is renamed")
                        )
                    )
                else:
                    subfolders.append(path)
            elif not stat.S_ISREG(st.st_mode):
                scan.refused.append(
                    Refused(
                        rel,
                        path,
                        "not_a_regular_file",
                        (f"{_kind(st.st_mode)}, not a file; only regular files are read"),
                    )
                )
            elif is_readme(entry.name):
                continue  # documents the folder
            elif (reason := waiting_reason(entry.name)) is not None:
                scan.waiting.append(Waiting(rel, reason))
            elif not _inside(path, root_real):
                scan.refused.append(
                    Refused(
                        rel,
                        path,
                        "outside_landing",
                        (f"resolves to {os.path.realpath(path)}, outside landing/; not read"),
                    )
                )
            else:
                yield path, st
        stack.extend(reversed(subfolders))


def regular_files(landing: Path) -> list[Path]:
    """Every file ingest may read, without the settle wait (used to find a landing file again)."""
    landing = Path(landing)
    if not landing.is_dir():
        return []
    return sorted(path for path, _ in _walk(landing, LandingScan()))


def scan(
    landing: Path,
    settle: float | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> LandingScan:
    """Sort landing into files ready to read, files waiting (with why) and entries refused.

    A file modified within the last ``settle`` seconds is waited for once, at most ``settle`` seconds (a
    file dated in the future, from a skewed clock, is waited for the full time); it is ready when it has not
    changed meanwhile, otherwise it is waiting for the next run.
    """
    landing = Path(landing)
    result = LandingScan()
    if not landing.is_dir():
        return result
    settle = settle_seconds() if settle is None else float(settle)
    found = list(_walk(landing, result))
    now = clock()
    fresh: dict[Path, os.stat_result] = {}
    for path, st in found:
        age = now - st.st_mtime
        if settle > 0 and age < settle:
            fresh[path] = st
    if fresh:
        sleep(max(min(settle - (now - st.st_mtime), settle) for st in fresh.values()))
    for path, st in found:
        if path not in fresh:
            result.ready.append(path)
            continue
        try:
            again = os.lstat(path)
        except OSError:
            continue  # gone while we waited: nothing to read
        if _key(again) != _key(st) or not stat.S_ISREG(again.st_mode):
            result.waiting.append(
                Waiting(
                    path.relative_to(landing).as_posix(),
                    (f"still being written: it changed within the last {settle:g} s; it is read on the next run"),
                )
            )
        else:
            result.ready.append(path)
    result.ready.sort()
    return result


# --------------------------------------------------------------------------------------------------
# Reading a landing file safely
# --------------------------------------------------------------------------------------------------


class NotARegularFile(OSError):
    """The path turned into a link, pipe or device after the scan."""


@dataclass(frozen=True)
class FileState:
    """sha256 and identity (device, inode, size, mtime) of one read of a landing file."""

    sha256: str
    key: tuple

    def changed(self, other: FileState) -> bool:
        return self != other


def read_state(path: Path) -> FileState:
    """Hash a landing file without following a link and without blocking on a pipe."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if os.path.islink(path):
            raise NotARegularFile(f"{path} is a symbolic link") from exc
        raise
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise NotARegularFile(f"{path} is {_kind(st.st_mode)}")
        digest = hashlib.sha256()
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    # the path's own stat, after reading: catches an append or a swap during the read
    return FileState(digest.hexdigest(), _key(os.lstat(path)))


def find_file(landing: Path, names: Iterable[str], sha256: str | None, sha16: str) -> Path | None:
    """The landing file with these bytes: by exact name first (never a glob pattern), then by sha256 alone."""
    names = set(names)
    files = regular_files(landing)

    def matches(path: Path) -> bool:
        try:
            digest = read_state(path).sha256
        except OSError:
            return False
        return digest == sha256 if sha256 else digest.startswith(sha16)

    for path in [p for p in files if p.name in names] + [p for p in files if p.name not in names]:
        if matches(path):
            return path
    return None


# --------------------------------------------------------------------------------------------------
# The bounded problem report (ingest and validation quarantine both write it)
# --------------------------------------------------------------------------------------------------


def problem_summary(problems: list[SubmissionProblem], limit: int = REPORT_LIMIT) -> dict:
    """Totals per rule and column over every problem, plus the first ``limit`` problems."""
    counts = Counter((p.rule, p.column) for p in problems)
    by_rule = [
        {"rule": rule, "column": column, "count": count}
        for (rule, column), count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0], str(kv[0][1])))
    ]
    shown = problems[:limit]
    return {
        "total": len(problems),
        "shown": len(shown),
        "truncated": len(problems) > len(shown),
        "by_rule": by_rule,
        "problems": [p.to_dict() for p in shown],
    }


def _text(file: str, stage: str, summary: dict, shown: list[SubmissionProblem]) -> str:
    total = summary["total"]
    lines = [
        f"{file}: rejected by {stage}, {total:,} problem(s).",
        "The submitted file is kept unchanged in this folder. Fix it and drop it into data_lake/landing/ again.",
        "",
        "Problems by rule and column:",
    ]
    for row in summary["by_rule"]:
        where = f", column {row['column']}" if row["column"] else ""
        lines.append(f"  {row['count']:>9,}  {row['rule']}{where}")
    lines.append("")
    lines.append(f"The first {len(shown):,} of {total:,} problems:" if summary["truncated"] else "Every problem:")
    lines.extend(str(p) for p in shown)
    if summary["truncated"]:
        lines.append(f"... and {total - len(shown):,} more, not listed (counted above).")
    return "\n".join(lines) + "\n"


def write_problem_report(
    directory: Path, problems: list[SubmissionProblem], *, file: str, stage: str, limit: int = REPORT_LIMIT
) -> dict:
    """Write problems.txt and problems.json into a quarantine folder, both bounded to ``limit`` problems.

    problems.json: {file, stage, total, shown, truncated, by_rule: [{rule, column, count}], problems: [...]}.
    Returns that summary. Never lists more than ``limit`` problems, however many there are.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    problems = list(problems)
    summary = {"file": file, "stage": stage, **problem_summary(problems, limit)}
    write_text_atomic(directory / "problems.json", json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    write_text_atomic(directory / "problems.txt", _text(file, stage, summary, problems[:limit]))
    return summary
