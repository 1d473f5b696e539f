"""The pipeline steps as plain functions. The Airflow tasks and the ``dei`` CLI both call these.

A drop with bad files still moves on: ingest and validation promote the good files and return a summary
(never raising for a rejected file); ``announce_*`` succeed only when something new is there (so the task's
outlet emits its Asset event), and ``report_step`` fails when files were rejected, so the run shows up
failed with the problems in its log while the accepted figures flow on to a release.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from index.config import Settings
from index.config import settings as current_settings
from index.files import write_text_atomic

log = logging.getLogger("index.pipeline")

# When set (index.local.run sets it for `make run`), report_step also writes <dir>/<stage>.json.
RUN_REPORT_ENV = "DEI_RUN_REPORT_DIR"


# what compute_step hands on: <16 hex release id>-<8 hex>, never a path
_STAGED_NAME = re.compile(r"[0-9a-f]{16}-[0-9a-f]{8}")


class NothingNew(Exception):
    """No new landing file and no raw batch waiting for validation."""


def _framework(cfg: Settings):
    from index.framework import load_framework

    return load_framework(cfg.framework_file)


def _skip(message: str):
    # the library's own signal; the DAG task turns it into Airflow's skip (dags/dei_common.py)
    raise NothingNew(message)


def pending_raw_batches(cfg: Settings) -> list[str]:
    """Raw batches (by sha256 prefix) neither promoted to curated nor quarantined yet."""
    from index import storage

    if storage.is_object_lake(cfg):
        return _pending_on_store(cfg)
    raw = {p.stem for p in cfg.raw.glob("year=*/*.parquet")}
    done = {p.stem for p in cfg.curated.glob("year=*/*.parquet")}
    quarantined = {p.name for p in cfg.quarantine.glob("*") if p.is_dir()}
    return sorted(raw - done - quarantined)


def _pending_on_store(cfg: Settings) -> list[str]:
    from index import storage

    def stems(layer: str) -> set[str]:
        found = set()
        for meta in storage.layer_keys(cfg, layer):
            parts = meta["path"].split("/")
            if len(parts) == 3 and parts[1].startswith("year=") and parts[2].endswith(".parquet"):
                found.add(parts[2][: -len(".parquet")])
        return found

    quarantined = set(storage.lake_store(cfg).folders("quarantine"))
    return sorted(stems("raw") - stems("curated") - quarantined)


# --------------------------------------------------------------------------------------------------
# The landing poll: dei_ingest runs every minute and must cost next to nothing when nothing changed.
# --------------------------------------------------------------------------------------------------

# Kept in raw/ so that it goes with the raw layer (wiping raw/ makes the next poll ingest again).
LANDING_STATE = ".landing-state.json"
_LANDING_PENDING = ".landing-state.pending.json"
# the raw batches dei_raw was emitted for and that still wait for validation (announce_raw)
ANNOUNCED = ".announced.json"


def landing_fingerprint(cfg: Settings) -> list[list]:
    """Name, size, mtime, ctime, inode and type of every entry under landing/ (lstat, no link followed):
    any drop, rename, rewrite or removal changes it, and it costs one stat per entry. On an object lake: key,
    size, e_tag and last_modified of every object under landing/ (one listing)."""
    from index import storage

    if storage.is_object_lake(cfg):
        return sorted(
            [m["path"][len("landing/") :], m["size"], m.get("e_tag"), m["last_modified"].isoformat()]
            for m in storage.layer_keys(cfg, "landing")
        )
    entries = []
    root = str(cfg.landing)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue  # gone meanwhile
            entries.append(
                [os.path.relpath(path, root), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_mode]
            )
    return sorted(entries)


def _read_landing_state(path: Path) -> list | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# The state files live in raw/: files on a path lake, objects raw/<name> on an object lake.


def _read_state(cfg: Settings, name: str) -> list | None:
    from index import storage

    if not storage.is_object_lake(cfg):
        return _read_landing_state(cfg.raw / name)
    data = storage.lake_store(cfg).get(storage.key("raw", name))
    try:
        return None if data is None else json.loads(data.decode("utf-8"))
    except ValueError:
        return None


def _write_state(cfg: Settings, name: str, value: list) -> None:
    from index import storage

    if not storage.is_object_lake(cfg):
        write_text_atomic(cfg.raw / name, json.dumps(value))
        return
    storage.lake_store(cfg).put(storage.key("raw", name), json.dumps(value).encode("utf-8"))


def _remove_state(cfg: Settings, name: str) -> None:
    from index import storage

    if not storage.is_object_lake(cfg):
        (cfg.raw / name).unlink(missing_ok=True)
        return
    storage.lake_store(cfg).delete(storage.key("raw", name))


def landing_changed(run_type: str | None = None, cfg: Settings | None = None) -> bool:
    """The poll's cheap check: True when landing/ changed since the last ingest that dei_ingest finished.

    False for a backfill run: the reporting years are in the files, not in the run's logical date, so a
    backfill has nothing to re-do (recompute history with `dei compute --publish` or dei_compute).
    True for a manual run (`airflow dags trigger`, `airflow dags test`, `make run`): someone asked for it."""
    run_type = str(getattr(run_type, "value", run_type) or "")
    if run_type == "backfill":
        log.warning(
            "backfill run: nothing to do (the years are in the landing files, not the run's date); "
            "recompute history with `dei compute --publish` or by triggering dei_compute"
        )
        return False
    if run_type == "manual":
        log.info("manual run: ingesting whatever landing looks like")
        return True
    cfg = cfg or current_settings()
    current = landing_fingerprint(cfg)
    if _read_state(cfg, LANDING_STATE) == current:
        log.info("landing unchanged since the last ingest (%d entries): nothing to do", len(current))
        return False
    log.info("landing changed (%d entries): ingesting", len(current))
    return True


def _stage_landing_state(cfg: Settings, fingerprint: list, summary: dict) -> None:
    """Remember what landing looked like *before* this ingest (a file dropped meanwhile is then seen as a
    change); confirmed by ``announce_raw``. Not when a file waits: the next poll must try it again."""
    if summary.get("waiting"):
        _remove_state(cfg, _LANDING_PENDING)
        return
    _write_state(cfg, _LANDING_PENDING, fingerprint)


def _confirm_landing_state(cfg: Settings) -> None:
    from index import storage

    if storage.is_object_lake(cfg):
        # no rename on S3: the state is written, then the pending object removed
        staged = _read_state(cfg, _LANDING_PENDING)
        if staged is not None:
            _write_state(cfg, LANDING_STATE, staged)
            _remove_state(cfg, _LANDING_PENDING)
        return
    try:
        os.replace(cfg.raw / _LANDING_PENDING, cfg.raw / LANDING_STATE)
    except FileNotFoundError:
        pass  # something waited in landing, or no ingest staged one: the next poll ingests again


def refused_before_lines(entry: dict) -> list[str]:
    """A file sent again unchanged after it was refused: said as a rejection, with the problems it had."""
    where = entry.get("folder") or "quarantine"
    lines = [
        f"ingest: file {entry['file']}: REJECTED again: these very bytes were refused before ({where}/problems.txt); "
        "it is not read again: fix the file and send the corrected copy"
    ]
    lines += [f"ingest:   {problem}" for problem in entry.get("first") or []]
    return lines


def file_lines(stage: str, summary: dict) -> list[str]:
    """One line per file, batch and problem, for the task log (``stage_lines`` is the summary for people)."""
    lines = []
    if stage == "ingest":
        lines += [f"ingest: file {name}: ingested into raw" for name in summary.get("new") or []]
        again = {entry["file"]: entry for entry in summary.get("refused_before") or []}
        for name in summary.get("skipped") or []:
            if name in again:
                lines += refused_before_lines(again[name])
            else:
                lines.append(f"ingest: file {name}: already ingested earlier, skipped")
        lines += [f"ingest: file {w['file']}: waiting in landing: {w['reason']}" for w in summary.get("waiting") or []]
        lines += [f"ingest: file {n['file']}: note: {n['note']}" for n in summary.get("notes") or []]
    else:
        lines += [f"validation: batch {name}: promoted to curated" for name in summary.get("promoted") or []]
    for entry in summary.get("quarantined") or []:
        what = "file" if stage == "ingest" else "batch"
        lines.append(
            f"{stage}: {what} {entry['file']}: REJECTED, {entry['problems']} problem(s), quarantined in "
            f"{entry.get('folder') or 'nowhere (it could not be moved)'}"
        )
        lines += _problem_lines(
            entry, f"{stage}: problem: ", f"{stage}: problem: ", f"{entry.get('folder')}/problems.txt"
        )
    return lines


def _problem_lines(entry: dict, bullet: str, more_prefix: str, report: str) -> list[str]:
    """The problems quoted for a rejected file, then how many more the report holds."""
    lines = [f"{bullet}{problem}" for problem in entry.get("first", [])]
    more = int(entry["problems"]) - len(entry.get("first", []))
    if more > 0:
        lines.append(f"{more_prefix}... and {more} more in {report}")
    return lines


def ingest_step(skip_if_nothing_new: bool = False, cfg: Settings | None = None) -> dict:
    """Landing -> raw. Good files land, bad ones are quarantined, unfinished ones wait; see the summary's
    ``rejected``. With ``skip_if_nothing_new``, a run with nothing new and nothing rejected is skipped."""
    from index import ingest, storage

    cfg = cfg or current_settings()
    fingerprint = landing_fingerprint(cfg)
    # on an object lake: run on a private copy (landing downloaded, the other layers' names), then upload
    # the new raw batches and quarantine folders and delete the landing objects moved to quarantine
    with storage.workspace(
        cfg, full=("landing",), names=("raw", "curated", "quarantine"), select=_ingest_selector(cfg)
    ) as ws:
        summary = ws.shown(ingest.ingest_landing(ws.local, _framework(cfg)).summary())
    for line in file_lines("ingest", summary) + stage_lines("ingest", summary):
        log.info("%s", line)
    _stage_landing_state(cfg, fingerprint, summary)
    if skip_if_nothing_new and not summary["new"] and not summary["rejected"] and not pending_raw_batches(cfg):
        _skip("no new landing file and no raw batch waiting for validation")
    return summary


def announce_raw(summary: dict, cfg: Settings | None = None) -> list[str]:
    """Succeed (the task's outlet then emits dei_raw) once per change: when this run ingested a new file, or
    a raw batch waits that was never announced (ingested by `dei ingest`, or by a run that died before this
    step). Batches announced already and still waiting (their validation runs, or failed for good) do not
    make every poll emit again: a manual run of dei_validate retries them."""
    cfg = cfg or current_settings()
    _confirm_landing_state(cfg)
    waiting = pending_raw_batches(cfg)
    announced = set(_read_state(cfg, ANNOUNCED) or [])
    unannounced = [b for b in waiting if b not in announced]
    if summary.get("new") or unannounced:
        # only what still waits is kept: the list stays as short as the backlog
        _write_state(cfg, ANNOUNCED, sorted(set(waiting)))
        return list(summary.get("new") or []) or unannounced
    if waiting:
        log.info(
            "%d raw batch(es) announced earlier still wait for validation: trigger dei_validate to retry them",
            len(waiting),
        )
    _skip("nothing new landed: no dei_raw event")


def validate_step(cfg: Settings | None = None) -> dict:
    """Raw -> curated through the Great Expectations suite; failing batches go to quarantine (see
    the summary's ``rejected``), clean ones are promoted all the same."""
    from index import rollup, storage, validate
    from index.units import reporting_codes

    cfg = cfg or current_settings()
    # on an object lake: the raw files not yet in curated are downloaded, the rest of raw, curated and
    # quarantine by name only; landing is there for the files a failing batch takes along to quarantine
    with storage.workspace(
        cfg, full=("landing", "raw"), names=("curated", "quarantine"), select=_pending_selector(cfg)
    ) as ws:
        summary = ws.shown(validate.validate_pending(ws.local, _framework(cfg), reporting_codes()).summary())
    for line in file_lines("validation", summary) + stage_lines("validation", summary):
        log.info("%s", line)
    # a 盟市 figure against what its 旗县 add up to: findings for the log, never a rejection (index/rollup.py)
    rolled = rollup.findings(rollup.check_lake(cfg))
    for line in rolled:
        log.info("%s", line)
    summary["rollup"] = rolled
    return summary


def _ingest_selector(cfg: Settings):
    """For the ingest workspace: raw batches by name, only complete ones (a batch cut short by a crash is
    then ingested again and completed)."""
    from index import storage

    if not storage.is_object_lake(cfg):
        return None
    complete = storage.complete_batches(storage.layer_keys(cfg, "raw"))

    def select(layer, rel, meta):
        if layer == "landing":
            return "full"
        if layer == "raw":
            sha16 = storage.batch_of(meta["path"])
            return "name" if sha16 in complete else None
        return "name"

    return select


def _pending_selector(cfg: Settings):
    """For the validate workspace: the files of complete raw batches not yet in curated are downloaded."""
    from index import storage

    if not storage.is_object_lake(cfg):
        return None
    curated = {m["path"][len("curated/") :] for m in storage.layer_keys(cfg, "curated")}
    complete = storage.complete_batches(storage.layer_keys(cfg, "raw"))

    def select(layer, rel, meta):
        if layer == "landing":
            return "full"
        if layer == "raw":
            wanted = storage.batch_of(meta["path"]) in complete and rel not in curated
            return "full" if wanted else None
        return "name"

    return select


def announce_curated(summary: dict) -> list[str]:
    """Succeed (the task's outlet then emits dei_curated) only when a batch was promoted."""
    if summary.get("promoted"):
        return list(summary["promoted"])
    _skip("nothing was promoted to curated: no dei_curated event")


def report_step(stage: str, summary: dict) -> dict:
    """Log the stage's summary; raise FilesRejected when it rejected any file (the reporting task fails)."""
    from index.errors import FilesRejected

    lines = stage_lines(stage, summary)
    for line in lines:
        log.info("%s", line)
    _save_run_report(stage, summary)
    if summary.get("rejected"):
        raise FilesRejected("\n".join(lines), summary)
    return summary


def _save_run_report(stage: str, summary: dict) -> None:
    folder = os.environ.get(RUN_REPORT_ENV)
    if not folder:
        return
    write_text_atomic(Path(folder) / f"{stage}.json", json.dumps(summary, ensure_ascii=False, indent=2, default=str))


def compute_step(
    weights: str | None = None,
    method: str | None = None,
    cfg: Settings | None = None,
    replicates: int | None = None,
    years: str | list | None = None,
    framework: str | None = None,
) -> str:
    """Curated -> a release staged in the lake. Returns its name (``<release id>-<8 hex>``), not a path: the
    next task may run on another worker, which finds it under its own lake's published/.staging/.

    ``years`` and ``framework`` recompute history (index.history): the chosen reporting years only, or
    another framework file."""
    from index import history, storage
    from index.compute import compute

    cfg = history.settings_for(cfg or current_settings(), framework, years)
    result = compute(weights=weights, method=method, cfg=cfg, replicates=replicates)
    return storage.stage_release(cfg, result.staged)  # on an object lake: uploaded for the other workers


def staged_dir(name: str, cfg: Settings | None = None) -> Path:
    """The staged release ``name`` (what compute_step returned) in this worker's lake."""
    from index import storage
    from index.compute import STAGING_DIR
    from index.errors import ConfigError

    cfg = cfg or current_settings()
    given = str(name)
    if not _STAGED_NAME.fullmatch(given):
        raise ConfigError(f"{given!r} is not the name of a staged release (<release id>-<8 hex>)")
    if storage.is_object_lake(cfg):
        return storage.open_staged(cfg, given)  # downloaded from the store into this worker's cache
    path = cfg.published / STAGING_DIR / given
    if not path.is_dir() and not (cfg.published / "releases" / given.split("-")[0]).is_dir():
        raise ConfigError(
            f"staged release {given} is not in the lake {cfg.lake} (published/{STAGING_DIR}/): every worker"
            " must see the same lake (DEI_LAKE on a shared filesystem)"
        )
    return path


def analyse_step(staged: str, cfg: Settings | None = None) -> str:
    """The staged release's uncertainty analysis (rank_intervals, sensitivity, exclusion_effects) written
    beside its tables; returns the staged release's name for the publish step."""
    from index import storage
    from index.uncertainty.release import analyse_release

    cfg = cfg or current_settings()
    folder = staged_dir(staged, cfg)
    section = analyse_release(folder, cfg=cfg)
    storage.stage_release(cfg, folder)  # on an object lake: the three new tables uploaded beside the others
    if section:
        t = section.get("timings_seconds") or {}
        county = t.get("county") or {}
        log.info(
            "uncertainty analysis: %s replicates, Sobol n = %s, %s engine build(s), %.1f s (盟市)%s",
            section["replicates"],
            section["sobol_n"],
            t.get("variants"),
            t.get("total") or 0.0,
            f"; {county.get('variants')} engine build(s), {county.get('total') or 0.0:.1f} s (旗县市区)"
            if county
            else "",
        )
    return str(staged)


def publish_step(staged: str, triggered_by: str = "cli", cfg: Settings | None = None) -> dict:
    """Publish the staged release ``staged`` (its name); returns the release (id, path, created, previous)."""
    from index.publish import publish

    return publish(staged_dir(staged, cfg), triggered_by=triggered_by, cfg=cfg or current_settings())


def release_changed(release: dict) -> bool:
    """A publish made something new current: a new release, or an earlier one current again. Publishing the
    current release once more (the same inputs) changes nothing, so no dei_release event follows."""
    return bool(release.get("created")) or release.get("previous") != release.get("id")


def failure_advice(dag_id: str, task_id: str, exc: BaseException | None, try_number: int | None = None) -> str:
    """The failure callback's message: which task failed, why in one line, and what to do about it."""
    from index.errors import ConfigError, FilesRejected, PublishError, SubmissionError

    where = f"{dag_id}.{task_id} failed" + (f" (try {try_number})" if try_number else "")
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0] if exc is not None else "no exception"
    if isinstance(exc, FilesRejected | SubmissionError):
        todo = (
            "the accepted files went on; fix the rejected ones as their problems.txt in the lake's quarantine/ says"
            " and drop them into landing/ again (no retry: the same file is rejected every time)"
        )
    elif isinstance(exc, PublishError):
        todo = (
            "no half release is visible (latest still names a complete one); after the retries, check the target"
            " named above (PostgreSQL, the object store, the disk), then clear this task to publish again"
        )
    elif isinstance(exc, ConfigError):
        todo = (
            "fix the framework, weight scheme, method spec or Param named above (no retry: the same input fails"
            " every time), then trigger dei_compute again"
        )
    else:
        todo = (
            "unexpected: read this task's log; a transient cause (a file share or database restarting) is retried"
            " with backoff, anything else stays failed until the task is cleared"
        )
    return f"{where}: {reason}. What to do: {todo}."


@dataclass
class RunReport:
    """What one whole run did, filled step by step (so it is there even when a later step fails)."""

    ingest: dict | None = None
    validation: dict | None = None
    release: dict | None = None

    @property
    def rejected(self) -> int:
        return sum(int((s or {}).get("rejected") or 0) for s in (self.ingest, self.validation))

    def lines(self) -> list[str]:
        return run_summary_lines(self.ingest, self.validation, self.release)


def run_all(
    cfg: Settings | None = None,
    weights: str | None = None,
    method: str | None = None,
    report: RunReport | None = None,
    replicates: int | None = None,
) -> dict:
    """The whole chain in-process, without Airflow (the DAGs run the same steps). Returns the release.

    Rejected files do not stop it: the release is computed from what was accepted; ``report`` (when given)
    holds each step's summary, and ``report.rejected`` says whether anything was rejected."""
    cfg = cfg or current_settings()
    report = report if report is not None else RunReport()
    report.ingest = ingest_step(cfg=cfg)
    report.validation = validate_step(cfg=cfg)
    staged = analyse_step(compute_step(weights, method, cfg=cfg, replicates=replicates), cfg=cfg)
    report.release = publish_step(staged, triggered_by="cli", cfg=cfg)
    return report.release


# --------------------------------------------------------------------------------------------------
# Summaries for people (task logs, `dei run`, `make run`)
# --------------------------------------------------------------------------------------------------


def _quarantine_lines(entry: dict) -> list[str]:
    folder = entry.get("folder")
    where = f"{folder}/ (problems.txt, problems.json)" if folder else "nowhere: it could not be moved"
    lines = [
        f"    {entry['file']}: {entry['problems']} problem(s) found by {entry.get('stage', '?')}; "
        f"landing file {entry.get('landing_file', '?')}; report in {where}"
    ]
    return lines + _problem_lines(entry, "      - ", "      ", "problems.txt")


def stage_lines(stage: str, summary: dict) -> list[str]:
    """A stage's summary as lines: what was accepted, rejected (with where and why), waiting, noted."""
    accepted = summary.get("new") if stage == "ingest" else summary.get("promoted")
    verb = "ingested into raw" if stage == "ingest" else "promoted to curated"
    lines = [f"{stage}: {len(accepted or [])} file(s) {verb}" + (f": {', '.join(accepted)}" if accepted else "")]
    again = summary.get("refused_before") or []
    if len(summary.get("skipped") or []) > len(again):
        lines.append(f"{stage}: {len(summary['skipped']) - len(again)} file(s) already seen earlier, skipped")
    for entry in again:
        lines += [line.replace("ingest: ", f"{stage}: ", 1) for line in refused_before_lines(entry)]
    for note in summary.get("notes") or []:
        lines.append(f"{stage}: note: {note['note']}")
    rejected = summary.get("quarantined") or []
    if rejected:
        lines.append(
            f"{stage}: {len(rejected)} file(s) REJECTED and quarantined; fix them and drop them into landing/ again:"
        )
        for entry in rejected:
            lines += _quarantine_lines(entry)
    waiting = summary.get("waiting") or []
    if waiting:
        lines.append(f"{stage}: {len(waiting)} file(s) waiting, left in landing/ for the next run:")
        lines += [f"    {w['file']}: {w['reason']}" for w in waiting]
    return lines


def _names(names: list[str], shown: int = 5) -> str:
    if not names:
        return "nothing new"
    more = f", ... and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def run_summary_lines(ingest: dict | None, validation: dict | None, release: dict | None) -> list[str]:
    """The end-of-run summary of `dei run` and `make run`: ingested, quarantined, waiting, release."""
    lines = ["", "Summary of this run:"]
    if ingest is None:
        lines.append("  ingest did not run")
    else:
        new = ingest.get("new") or []
        lines.append(f"  ingested ({len(new)}): {_names(new)}")
        again = ingest.get("refused_before") or []
        if len(ingest.get("skipped") or []) > len(again):
            lines.append(f"  already ingested earlier, skipped: {len(ingest['skipped']) - len(again)} file(s)")
        if again:
            lines.append(
                f"  refused again, unchanged since they were quarantined ({len(again)}): "
                + _names([entry["file"] for entry in again])
            )
        for note in ingest.get("notes") or []:
            lines.append(f"  note: {note['note']}")
    if validation is None:
        lines.append("  validation did not run")
    else:
        promoted = validation.get("promoted") or []
        lines.append(f"  validated and promoted ({len(promoted)}): {_names(promoted)}")
    rejected = [*((ingest or {}).get("quarantined") or []), *((validation or {}).get("quarantined") or [])]
    if rejected:
        lines.append(f"  QUARANTINED ({len(rejected)}), fix and drop into landing/ again:")
        lines += [line for entry in rejected for line in _quarantine_lines(entry)]
    else:
        lines.append("  quarantined: none")
    waiting = (ingest or {}).get("waiting") or []
    if waiting:
        lines.append(f"  waiting in landing/ for the next run ({len(waiting)}):")
        lines += [f"    {w['file']}: {w['reason']}" for w in waiting]
    if release:
        state = "new" if release.get("created") else "unchanged: same inputs"
        from index.tables import shown_path

        lines.append(f"  release {release['id']} ({state}): {shown_path(release['path'])}")
    else:
        lines.append("  no release was published; the last release is unchanged")
    if rejected:
        lines.append(
            f"{len(rejected)} file(s) were rejected: the run counts as failed (exit code 1) until they "
            "are fixed and submitted again."
        )
    return lines
