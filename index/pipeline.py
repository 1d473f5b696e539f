"""The four pipeline steps as plain functions. The Airflow tasks and the ``dei`` CLI both call these."""

from __future__ import annotations

from pathlib import Path

from index.config import Settings, settings as current_settings


class NothingNew(Exception):
    """No new landing file and no raw batch waiting for validation."""


def _framework(cfg: Settings):
    from index.framework import load_framework

    return load_framework(cfg.framework_file)


def pending_raw_batches(cfg: Settings) -> list[str]:
    """Raw batches (by sha256 prefix) neither promoted to curated nor quarantined yet."""
    raw = {p.stem for p in cfg.raw.glob("year=*/*.parquet")}
    done = {p.stem for p in cfg.curated.glob("year=*/*.parquet")}
    quarantined = {p.name for p in cfg.quarantine.glob("*") if p.is_dir()}
    return sorted(raw - done - quarantined)


def ingest_step(skip_if_nothing_new: bool = False, cfg: Settings | None = None) -> dict:
    """Landing -> raw. Bad files are quarantined and reported; good files in the same run still land."""
    from index import ingest
    from index.errors import SubmissionError

    cfg = cfg or current_settings()
    outcome = ingest.ingest_landing(cfg, _framework(cfg))
    summary = outcome.summary()
    if outcome.quarantined:
        problems = [p for q in outcome.quarantined for p in q.problems]
        raise SubmissionError(problems)
    if skip_if_nothing_new and not outcome.new_batches and not pending_raw_batches(cfg):
        from airflow.sdk.exceptions import AirflowSkipException

        raise AirflowSkipException("no new landing file and no raw batch waiting for validation")
    return summary


def validate_step(cfg: Settings | None = None) -> dict:
    """Raw -> curated through the Great Expectations suite; failures go to quarantine and fail the step."""
    from index import validate
    from index.leagues import league_codes

    cfg = cfg or current_settings()
    outcome = validate.validate_pending(cfg, _framework(cfg), league_codes())
    validate.raise_if_failed(outcome)
    return outcome.summary()


def compute_step(weights: str | None = None, method: str | None = None, cfg: Settings | None = None) -> str:
    """Curated -> staged release. Returns the staging directory for the publish step."""
    from index.compute import compute

    result = compute(weights=weights, method=method, cfg=cfg or current_settings())
    return str(result.staged)


def publish_step(staged: str, triggered_by: str = "cli", cfg: Settings | None = None) -> dict:
    from index.publish import publish

    return publish(Path(staged), triggered_by=triggered_by, cfg=cfg or current_settings())


def run_all(cfg: Settings | None = None, weights: str | None = None, method: str | None = None) -> dict:
    """The whole chain in-process, without Airflow (the DAGs run the same steps)."""
    cfg = cfg or current_settings()
    ingest_step(cfg=cfg)
    validate_step(cfg=cfg)
    return publish_step(compute_step(weights, method, cfg=cfg), triggered_by="cli", cfg=cfg)
