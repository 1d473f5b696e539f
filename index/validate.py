"""Great Expectations validation of raw batches, promotion to curated, quarantine of bad submissions.

The expectation suite is data derived from the framework (``build_suite``) and committed as
``expectations/raw_observations.json``; ``check_suite_current`` stops a run when the committed suite no
longer matches the framework. ``validate_pending`` runs the suite over every raw batch not yet in curated:
a clean batch is copied unchanged to curated, a failing one is moved with its landing file to
``quarantine/<sha256[:16]>/`` next to ``problems.json`` and ``problems.txt``.

Great Expectations takes seconds to import, so it is imported inside functions only; the module's
top-level imports are stdlib (DAG files import this module indirectly at parse time).

Command line: ``dei expectations build [--out PATH] [--leagues-csv PATH]`` (``python -m index.validate build-suite
[...]``: the same).
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.errors import ConfigError, SubmissionError, SubmissionProblem
from index.files import copy_atomic, write_text_atomic
from index.ingest import PARSED_COLUMNS

if TYPE_CHECKING:  # keep the import light for DAG parsing
    import pandas as pd

    from index.config import Settings

SUITE_NAME = "raw_observations"
SUITE_FILE = "raw_observations.json"
STALE_MESSAGE = "expectations/raw_observations.json is out of date with the framework; run `dei expectations build`"
# what the suite requires of a raw batch: ingest's parsed columns (its synthetic flag not required) plus the
# file's sha256 and the time it was ingested
RAW_COLUMNS = [c for c in PARSED_COLUMNS if c != "synthetic"] + ["sha256", "ingested_at"]
NOT_NULL_COLUMNS = ["unit_code", "year", "indicator_id", "sha256", "source_file"]
KEY_COLUMNS = ["unit_code", "year", "indicator_id"]
YEAR_MIN, YEAR_MAX = 2000, 2100
MAX_ROWS_PER_RULE = 50
SHOWN_PER_FILE = 5  # problems quoted per quarantined file in the ValidationFailed message
_YEAR_DIR = re.compile(r"^year=(\d{4})$")


# --------------------------------------------------------------------------------------------------
# Great Expectations plumbing (imported lazily)
# --------------------------------------------------------------------------------------------------


def _gx():
    """Import GX quietly: no usage statistics; callers switch progress bars off on the context."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    return gx


def _ephemeral_context():
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


class GxRunner:
    """One ephemeral GX context with one pandas dataframe asset, reused for every batch of a run."""

    def __init__(self) -> None:
        self.gx = _gx()
        self.context = _ephemeral_context()
        source = self.context.data_sources.add_pandas(name="dei_raw")
        asset = source.add_dataframe_asset(name="raw_batch")
        self.batch_definition = asset.add_batch_definition_whole_dataframe("whole_batch")
        self._suites: dict[str, Any] = {}

    def suite(self, suite: dict):
        key = json.dumps(suite, sort_keys=True, default=str)
        if key not in self._suites:
            self._suites[key] = _suite_object(suite)
        return self._suites[key]

    def run(self, df: pd.DataFrame, suite: dict):
        batch = self.batch_definition.get_batch(batch_parameters={"dataframe": df})
        return batch.validate(self.suite(suite), result_format={"result_format": "COMPLETE"})


def _suite_object(suite: dict):
    """A GX ExpectationSuite from its JSON dict (ids dropped: they belong to a context's store)."""
    gx = _gx()
    body = json.loads(json.dumps(suite))
    body.pop("id", None)
    for expectation in body.get("expectations", []):
        expectation.pop("id", None)
        expectation.pop("rendered_content", None)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return gx.ExpectationSuite(**body)


# --------------------------------------------------------------------------------------------------
# The suite
# --------------------------------------------------------------------------------------------------


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _fmt_num(value: float) -> str:
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.15g}"


def build_suite(framework: pd.DataFrame, unit_codes: Iterable, name: str = SUITE_NAME) -> dict:
    """The GX suite (GX's own suite JSON, as a dict) for raw observations, derived from the framework.

    Every expectation's ``meta`` holds ``rule`` (a short human rule name used in messages), ``expected``
    (what the rule wants, in words) and ``report_column`` (``source_column`` when a failing row is best
    located by the header cell it came from, otherwise the dataframe column to name).
    """
    gx = _gx()
    from great_expectations.expectations.row_conditions import Column

    E = gx.expectations
    codes = sorted({int(c) for c in unit_codes})
    ids = framework.loc[framework["node_type"].isin(["Indicator", "Denominator"])]
    indicator_ids = sorted(str(i) for i in ids["node_id"])

    def meta(rule: str, expected: str, report_column: str) -> dict:
        return {"rule": rule, "expected": expected, "report_column": report_column}

    expectations = []
    for column in RAW_COLUMNS:
        expectations.append(
            E.ExpectColumnToExist(
                column=column, meta=meta(f"required column {column} present", f"a column named {column}", column)
            )
        )
    for column in NOT_NULL_COLUMNS:
        expectations.append(
            E.ExpectColumnValuesToNotBeNull(
                column=column, meta=meta(f"{column} not empty", f"a {column} on every row", column)
            )
        )
    expectations.append(
        E.ExpectColumnValuesToBeInSet(
            column="unit_code",
            value_set=codes,
            meta=meta(
                f"unit_code is one of the {len(codes)} reporting units' codes (盟市, 旗县市区, development zones)",
                "one of " + ", ".join(str(c) for c in codes),
                "unit_code",
            ),
        )
    )
    expectations.append(
        E.ExpectColumnValuesToBeBetween(
            column="year",
            min_value=YEAR_MIN,
            max_value=YEAR_MAX,
            meta=meta(f"year between {YEAR_MIN} and {YEAR_MAX}", f"a year from {YEAR_MIN} to {YEAR_MAX}", "year"),
        )
    )
    expectations.append(
        E.ExpectColumnValuesToBeInSet(
            column="indicator_id",
            value_set=indicator_ids,
            meta=meta(
                "indicator_id is a framework indicator or denominator",
                "the node_id of a framework Indicator or Denominator",
                "source_column",
            ),
        )
    )
    expectations.append(
        E.ExpectCompoundColumnsToBeUnique(
            # keyed by sha256 too, so several submissions can be checked in one run
            column_list=["sha256", *KEY_COLUMNS],
            meta=meta(
                "one row per unit_code, year and indicator_id",
                "each (unit_code, year, indicator_id) once per submission",
                "source_column",
            ),
        )
    )
    bounded = ids.sort_values("node_id")
    for row in bounded.itertuples(index=False):
        low, high = _num(row.valid_min), _num(row.valid_max)
        if low is None and high is None:
            continue
        unit = f" {row.raw_unit}" if isinstance(row.raw_unit, str) and row.raw_unit else ""
        if low is not None and high is not None:
            span = f"{_fmt_num(low)}–{_fmt_num(high)}{unit}"
            rule, expected = f"value within plausible range {span} for {row.node_id}", f"a value from {span}"
        elif low is not None:
            span = f"{_fmt_num(low)}{unit}"
            rule, expected = f"value at least {span} for {row.node_id}", f"a value of at least {span}"
        else:
            span = f"{_fmt_num(high)}{unit}"
            rule, expected = f"value at most {span} for {row.node_id}", f"a value of at most {span}"
        expectations.append(
            E.ExpectColumnValuesToBeBetween(
                column="value",
                min_value=low,
                max_value=high,
                row_condition=Column("indicator_id") == str(row.node_id),
                meta=meta(rule, expected + " (empty = not reported is allowed)", "source_column"),
            )
        )

    suite = gx.ExpectationSuite(
        name=name,
        expectations=expectations,
        meta={"generated_by": "python -m index.validate build-suite (dei expectations build); do not edit"},
    )
    return json.loads(json.dumps(suite.to_json_dict()))


def write_suite(suite: dict, path: Path) -> Path:
    """Write the suite as stable, diff-friendly JSON (temp file + os.replace)."""
    return write_text_atomic(path, json.dumps(suite, ensure_ascii=False, indent=2) + "\n")


def load_suite(path: Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: expectation suite not found; run `dei expectations build`")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON: {exc}") from exc


def suite_path(settings: Settings) -> Path:
    return Path(settings.expectations) / SUITE_FILE


def _comparable(suite: dict) -> dict:
    """The parts of a suite that carry rules: name and expectations (no ids, no GX version stamp)."""
    body = json.loads(json.dumps(suite))
    expectations = []
    for expectation in body.get("expectations", []):
        expectation.pop("id", None)
        expectation.pop("rendered_content", None)
        expectations.append(expectation)
    return {"name": body.get("name"), "expectations": expectations}


def check_suite_current(suite: dict, framework: pd.DataFrame, unit_codes: Iterable) -> None:
    """Raise ConfigError when the committed suite differs from what the framework yields now."""
    if _comparable(suite) != _comparable(build_suite(framework, unit_codes, name=suite.get("name") or SUITE_NAME)):
        raise ConfigError(STALE_MESSAGE)


# --------------------------------------------------------------------------------------------------
# Validating one batch
# --------------------------------------------------------------------------------------------------


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN / NaT
    except (TypeError, ValueError):
        return False


def _plain(value: Any) -> Any:
    if _is_missing(value):
        return None
    if hasattr(value, "item"):
        try:
            return value.item()
        except (AttributeError, ValueError):
            pass
    return value


def _fmt_value(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return "empty"
    if isinstance(value, float):
        return _fmt_num(value)
    if isinstance(value, str):
        return f"'{value}'"
    return str(value)


def _cell(df: pd.DataFrame, i: int, column: str) -> Any:
    return _plain(df.at[i, column]) if column in df.columns else None


def _batch_file(df: pd.DataFrame, fallback: str | None) -> str:
    if "source_file" in df.columns:
        names = [str(v) for v in df["source_file"].dropna().unique()]
        if names:
            return ", ".join(sorted(names))
    return fallback or "(unknown file)"


def _expectation_columns(kwargs: dict) -> list[str]:
    columns = []
    if kwargs.get("column"):
        columns.append(kwargs["column"])
    columns.extend(kwargs.get("column_list") or [])
    condition = kwargs.get("row_condition")
    if isinstance(condition, dict) and isinstance(condition.get("column"), dict):
        columns.append(condition["column"].get("name"))
    elif getattr(getattr(condition, "column", None), "name", None):
        columns.append(condition.column.name)
    return [c for c in columns if c]


def validate_frame(
    df: pd.DataFrame, suite: dict, *, batch_name: str | None = None, runner: GxRunner | None = None
) -> list[SubmissionProblem]:
    """Run the GX suite over one raw batch; see ``_validate_rows``."""
    return [problem for _, problem in _validate_rows(df, suite, batch_name=batch_name, runner=runner)]


def _validate_rows(
    df: pd.DataFrame,
    suite: dict,
    *,
    batch_name: str | None = None,
    runner: GxRunner | None = None,
    max_rows: int | None = None,
) -> list[tuple[int | None, SubmissionProblem]]:
    """Run the GX suite over one raw batch; every failure becomes SubmissionProblems.

    Row-level failures name the file (source_file), sheet (source_sheet), row (source_row) and the column
    the rule reports (source_column, or the dataframe column for structural rules); at most
    MAX_ROWS_PER_RULE rows per rule are listed, followed by one problem saying how many rows there were.
    ``batch_name`` names the file when the batch has no usable source_file.
    """
    runner = runner or GxRunner()
    frame = df.reset_index(drop=True)
    result = runner.run(frame, suite)
    fallback_file = _batch_file(frame, batch_name)
    problems: list[tuple[int | None, SubmissionProblem]] = []
    max_rows = max_rows or MAX_ROWS_PER_RULE

    def batch_problem(column: str | None, rule: str, message: str) -> None:
        # a problem of the batch as a whole: no row, so no sheet or row number to name
        problems.append((None, SubmissionProblem(fallback_file, None, None, column, rule, message)))

    for outcome in result.results:
        if outcome.success:
            continue
        config = outcome.expectation_config
        kwargs = dict(config.kwargs)
        meta = dict(config.meta or {})
        rule = meta.get("rule") or config.type
        expected = meta.get("expected") or config.type
        report_column = meta.get("report_column") or kwargs.get("column")
        needed = _expectation_columns(kwargs)
        if config.type == "expect_column_to_exist":
            seen = ", ".join(map(str, frame.columns))
            batch_problem(
                kwargs["column"],
                rule,
                f"the batch has no column {kwargs['column']} (columns seen: {seen}); expected {expected}",
            )
            continue
        if any(c not in frame.columns for c in needed):
            continue  # the missing column is reported by its own rule
        info = outcome.exception_info or {}
        raised = info.get("raised_exception") if isinstance(info, dict) else False
        if raised or not isinstance(outcome.result, dict) or "unexpected_index_list" not in outcome.result:
            detail = info.get("exception_message") if isinstance(info, dict) else None
            batch_problem(
                report_column, rule, f"could not be checked ({detail or 'no row-level result'}); expected {expected}"
            )
            continue
        indexes = list(outcome.result.get("unexpected_index_list") or [])
        count = int(outcome.result.get("unexpected_count") or len(indexes))
        for i in indexes[:max_rows]:
            i = int(i)
            if config.type == "expect_compound_columns_to_be_unique":
                key = ", ".join(_fmt_value(_cell(frame, i, c)) for c in KEY_COLUMNS)
                seen = f"({', '.join(KEY_COLUMNS)}) = ({key}) on more than one row"
            else:
                column = kwargs["column"]
                seen = f"{column} {_fmt_value(_cell(frame, i, column))}"
                if column == "value":
                    seen += f" for {_cell(frame, i, 'indicator_id')}"
            column_name = report_column
            if report_column == "source_column":
                column_name = _cell(frame, i, "source_column") or kwargs.get("column") or ", ".join(KEY_COLUMNS)
            row = _cell(frame, i, "source_row")
            problems.append(
                (
                    i,
                    SubmissionProblem(
                        file=str(_cell(frame, i, "source_file") or fallback_file),
                        sheet=_cell(frame, i, "source_sheet"),
                        row=int(row) if row is not None else None,
                        column=str(column_name) if column_name is not None else None,
                        rule=rule,
                        message=f"found {seen}; expected {expected}",
                    ),
                )
            )
        if count > max_rows:
            batch_problem(None, rule, f"{count} rows break this rule; only the first {max_rows} are listed")
    return problems


# --------------------------------------------------------------------------------------------------
# Raw -> curated / quarantine
# --------------------------------------------------------------------------------------------------


@dataclass
class BatchResult:
    sha16: str
    source_file: str
    raw_files: list[Path]  # relative to the raw root, e.g. year=2023/<sha16>.parquet
    problems: list[SubmissionProblem] = field(default_factory=list)
    landing_file: Path | None = None  # quarantined batches: where the landing file is now (in quarantine)
    quarantine_dir: Path | None = None
    landing_status: str | None = None  # 'moved' | 'already in quarantine' | 'not found in landing'

    def summary(self) -> dict:
        status = {
            "moved": "moved to quarantine",
            "already in quarantine": "already in quarantine",
            "not found in landing": "not found in landing (moved or deleted earlier); only its raw batch "
            "was quarantined",
        }.get(self.landing_status or "", self.landing_status)
        return {
            "file": self.source_file,
            "stage": "validation",
            "folder": str(self.quarantine_dir) if self.quarantine_dir else None,
            "landing_file": status,
            "problems": len(self.problems),
            "first": [str(p) for p in self.problems[:SHOWN_PER_FILE]],
        }


@dataclass
class ValidationOutcome:
    promoted: list[BatchResult] = field(default_factory=list)
    quarantined: list[BatchResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.quarantined

    def summary(self) -> dict:
        """JSON-ready: promoted files, and each quarantined one with its folder and first problems."""
        return {
            "promoted": [b.source_file for b in self.promoted],
            "quarantined": [b.summary() for b in self.quarantined],
            "rejected": len(self.quarantined),
        }


class ValidationFailed(SubmissionError):
    """One or more raw batches broke the expectation suite and were quarantined."""

    def __init__(self, outcome: ValidationOutcome):
        self.outcome = outcome
        super().__init__([p for b in outcome.quarantined for p in b.problems])
        lines = [f"validation quarantined {len(outcome.quarantined)} landing file(s); fix and submit again:"]
        for batch in outcome.quarantined:
            where = f"quarantine/{batch.sha16}/"
            if batch.landing_status == "moved":
                state = f"moved to {where}"
            elif batch.landing_status == "already in quarantine":
                state = f"already in {where}"
            else:  # never claim a move that did not happen
                state = f"landing file not found in landing/, report in {where}"
            lines.append(f"  {batch.source_file} ({len(batch.problems)} problem(s), {state}):")
            for problem in batch.problems[:SHOWN_PER_FILE]:
                lines.append(f"    - {problem}")
            if len(batch.problems) > SHOWN_PER_FILE:
                lines.append(f"    ... and {len(batch.problems) - SHOWN_PER_FILE} more in {where}problems.txt")
        self.args = ("\n".join(lines),)

    def __str__(self) -> str:
        return self.args[0]


def raise_if_failed(outcome: ValidationOutcome) -> None:
    if outcome.quarantined:
        raise ValidationFailed(outcome)


def _pending_batches(settings: Settings) -> dict[str, list[Path]]:
    """sha16 -> raw files (relative to raw) of batches with at least one file not yet in curated."""
    batches: dict[str, list[Path]] = {}
    raw = Path(settings.raw)
    if not raw.is_dir():
        return batches
    for year_dir in sorted(raw.iterdir()):
        if not (year_dir.is_dir() and _YEAR_DIR.match(year_dir.name)):
            continue
        for file in sorted(year_dir.glob("*.parquet")):
            if file.name.startswith("."):
                continue  # a temp file of a writer that has not finished
            batches.setdefault(file.stem, []).append(file.relative_to(raw))
    curated = Path(settings.curated)
    return {sha16: files for sha16, files in batches.items() if not all((curated / rel).is_file() for rel in files)}


def read_raw_file(path: Path) -> pd.DataFrame:
    """One raw Parquet file as pandas, with ``year`` added from the hive partition when the file lacks it."""
    import pyarrow.parquet as pq

    path = Path(path)
    frame = pq.read_table(path).to_pandas()
    match = _YEAR_DIR.match(path.parent.name)
    if "year" not in frame.columns and match:
        frame["year"] = int(match.group(1))
        frame["year"] = frame["year"].astype("int32")
    return frame


def _read_batch(settings: Settings, files: list[Path]) -> pd.DataFrame:
    import pandas as pd

    frames = [read_raw_file(Path(settings.raw) / rel) for rel in files]
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)


def _find_landing(settings: Settings, names: list[str], sha256: str | None, sha16: str) -> Path | None:
    """The landing file of a batch: by exact name, then by sha256; never a glob pattern, never a link."""
    from index.landing import find_file

    return find_file(Path(settings.landing), names, sha256, sha16)


def _quarantine(settings: Settings, batch: BatchResult, frame: pd.DataFrame) -> None:
    from index.landing import write_problem_report

    target = Path(settings.quarantine) / batch.sha16
    names = sorted({str(v) for v in frame["source_file"].dropna().unique()}) if "source_file" in frame else []
    # The report first: a crash after this leaves the raw files pending, and the next run redoes it.
    write_problem_report(target, batch.problems, file=batch.source_file, stage="validation")
    shas = sorted({str(v) for v in frame["sha256"].dropna().unique()}) if "sha256" in frame else []
    landing = _find_landing(settings, names, shas[0] if len(shas) == 1 else None, batch.sha16)
    if landing is not None:
        destination = target / landing.name
        shutil.move(str(landing), str(destination))
        batch.landing_file, batch.landing_status = destination, "moved"
    else:
        already = [target / n for n in names if (target / n).is_file()]
        batch.landing_file = already[0] if already else None
        batch.landing_status = "already in quarantine" if already else "not found in landing"
    for rel in batch.raw_files:
        destination = target / "raw" / rel
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(Path(settings.raw) / rel), str(destination))
    batch.quarantine_dir = target


def validate_pending(
    settings: Settings, framework: pd.DataFrame, unit_codes: Iterable, suite: dict | None = None
) -> ValidationOutcome:
    """Validate every raw batch not yet in curated; promote clean ones, quarantine the others.

    ``suite`` defaults to the committed suite in settings.expectations, which must match the framework.
    One GX context serves all batches of the call.
    """
    if suite is None:
        suite = load_suite(suite_path(settings))
        check_suite_current(suite, framework, unit_codes)
    outcome = ValidationOutcome()
    pending = _pending_batches(settings)
    if not pending:
        return outcome
    import pandas as pd

    # One GX run over all pending batches together: a run costs about a second whatever its size, so
    # validating 50 submissions one by one would take a minute. Rows keep their batch in `_batch`, and
    # uniqueness is keyed by sha256, so one submission's rows never clash with another's.
    frames = {sha16: _read_batch(settings, files) for sha16, files in sorted(pending.items())}
    combined = pd.concat([f.assign(_batch=sha16) for sha16, f in frames.items()], ignore_index=True)
    found = _validate_rows(
        combined, suite, batch_name="pending raw batches", runner=GxRunner(), max_rows=MAX_ROWS_PER_RULE * len(frames)
    )
    by_batch: dict[str, list[SubmissionProblem]] = {sha16: [] for sha16 in frames}
    for index, problem in found:  # already bounded per rule; the report bounds what is written
        owners = [combined.at[index, "_batch"]] if index is not None else list(frames)
        for sha16 in owners:
            by_batch[sha16].append(problem)
    for sha16, files in sorted(pending.items()):
        frame = frames[sha16]
        source_file = _batch_file(frame, f"{sha16} (raw batch)")
        problems = by_batch[sha16]
        batch = BatchResult(sha16=sha16, source_file=source_file, raw_files=files, problems=problems)
        if problems:
            _quarantine(settings, batch, frame)
            outcome.quarantined.append(batch)
        else:
            for rel in files:
                copy_atomic(Path(settings.raw) / rel, Path(settings.curated) / rel)
            outcome.promoted.append(batch)
    return outcome


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------


def read_unit_codes(path: Path) -> list[int]:
    """The codes of a CSV with a ``code`` column (reference/units.csv, or a leagues.csv)."""
    with open(path, encoding="utf-8", newline="") as fh:
        return [int(row["code"]) for row in csv.DictReader(fh)]


def main(argv: list[str] | None = None) -> int:
    """``python -m index.validate build-suite [--out PATH] [--units-csv PATH]``: an alias of
    ``dei expectations build`` (index/cli.py)."""
    from index import cli

    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["build-suite"]:
        args[0] = "build"
    return cli.main(["expectations", *args])


if __name__ == "__main__":
    sys.exit(main())
