"""Problems found in a submission, worded so a data clerk can find and fix the cell."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class SubmissionProblem:
    file: str
    sheet: str | None
    row: int | None
    column: str | None
    rule: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.sheet:
            where += f" sheet {self.sheet}"
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.rule}: {self.message}"

    def to_dict(self) -> dict:
        return asdict(self)


class SubmissionError(Exception):
    """A landing file cannot be accepted. Carries every problem found, not just the first."""

    def __init__(self, problems: list[SubmissionProblem]):
        self.problems = list(problems)
        shown = "\n".join(f"  - {p}" for p in self.problems[:20])
        more = f"\n  ... and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(f"{len(self.problems)} problem(s):\n{shown}{more}")


class FilesRejected(Exception):
    """Files of a run were quarantined. Raised by the reporting task only, after the good files were promoted,
    so the run is visibly failed while the accepted figures still flow on. ``summary`` is the step's summary."""

    def __init__(self, message: str, summary: dict | None = None):
        self.summary = summary or {}
        super().__init__(message)


class ConfigError(Exception):
    """A framework, weight scheme or method spec is unusable; the run stops before computing."""


class PublishError(ConfigError):
    """A publish, rollback, prune or sync could not finish (another writer, a full disk, a target refusing);
    the message says what every target shows now and what to do."""


class StoreUnavailable(ConfigError):
    """The object store of the lake did not answer (refused, timed out, a server error): it may pass, so the
    DAG tasks retry it with backoff, unlike a missing bucket or a broken spec (index/storage.py)."""
