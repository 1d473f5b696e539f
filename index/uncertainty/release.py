"""The uncertainty analysis published with every release: rank_intervals, sensitivity, exclusion_effects.

``compute`` records what the analysis will be (:func:`release_settings`: the spec <DEI_SQL>/method/
dei_uncertainty.toml, its sha256, the replicate count, the seed, the Sobol base sample) in release.json and in
the release id; :func:`analyse_release` (the ``analyse_uncertainty`` task of dei_compute, and the one-command
paths) then reads the same curated inputs with the same weights and method, runs ``analysis.analyse`` and
writes the three tables into the staged directory, typed by the contract (index/targets/contract.py).

The spec's own ``replicates`` and ``[sensitivity] n`` are sized for `dei sensitivity` (minutes); a release
uses ``replicates`` from the caller (DAG Param, ``--replicates``; default :data:`DEFAULT_REPLICATES`) and a
Sobol design of about as many evaluations (:func:`sobol_n`), so `make run` stays quick.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from index.config import Settings
from index.config import settings as current_settings
from index.errors import ConfigError
from index.files import write_text_atomic
from index.targets.contract import UNCERTAINTY_TABLES as TABLES

SPEC_FILE = Path("method") / "dei_uncertainty.toml"
DEFAULT_REPLICATES = 1000
MANIFEST_KEY = "uncertainty"


def spec_path(cfg: Settings) -> Path:
    return cfg.sql / SPEC_FILE


def sobol_n(replicates: int, spec_n: int) -> int:
    """The release's Sobol base sample: the largest power of 2 not above replicates / 4 (the design then costs
    n × (inputs + 2), about the replicate count for the DEI's six inputs), within [16, the spec's n]."""
    n = 16
    while n * 2 <= replicates / 4 and n * 2 <= spec_n:
        n *= 2
    return min(n, spec_n)


def release_settings(cfg: Settings, replicates: int | None = None) -> dict | None:
    """What the analysis of a release will be; None when the SQL tree has no uncertainty spec (the release
    then carries no uncertainty tables, and publishing does not ask for them)."""
    from index.files import sha256_file
    from index.uncertainty import spec as uspec

    path = spec_path(cfg)
    if not path.is_file():
        return None
    replicates = DEFAULT_REPLICATES if replicates is None else int(replicates)
    if replicates < 1:
        raise ConfigError(f"replicates = {replicates}: the uncertainty analysis needs at least 1 replicate")
    spec = uspec.load(path)
    return dict(
        spec=_rel(path, cfg),
        sha256=sha256_file(path),
        replicates=replicates,
        seed=spec.seed,
        sobol_n=sobol_n(replicates, spec.sensitivity.n),
        interval=list(spec.interval),
    )


def id_part(settings: dict | None) -> dict | None:
    """The part of the settings that goes into the release id (all of them but the file's path)."""
    if settings is None:
        return None
    return {k: settings[k] for k in ("sha256", "replicates", "seed", "sobol_n", "interval")}


def declared(manifest: dict) -> bool:
    """Whether a release was computed to carry the uncertainty tables (older releases were not)."""
    return bool(manifest.get(MANIFEST_KEY))


def missing_tables(release_dir: Path) -> list[str]:
    return [f"{t}.parquet" for t in TABLES if not (Path(release_dir) / f"{t}.parquet").is_file()]


def analyse_release(staged: str | Path, cfg: Settings | None = None) -> dict:
    """Run the analysis the staged release's release.json declares and write its three tables beside the
    others; returns the manifest's uncertainty section (with timings). Nothing to do for a release that
    declares none. The inputs must be the ones compute read: a lake that changed in between is refused."""
    from index import history
    from index.compute import allowed_roots, code_version, input_manifest, run_engine
    from index.files import sha256_file
    from index.uncertainty import analysis
    from index.uncertainty import spec as uspec

    cfg = cfg or current_settings()
    staged = Path(staged)
    manifest_path = staged / "release.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    section = manifest.get(MANIFEST_KEY)
    if not section:
        return {}
    path = spec_path(cfg)
    if not path.is_file() or sha256_file(path) != section["sha256"]:
        raise ConfigError(
            f"{path}: the uncertainty spec changed (or is gone) since release {manifest['id']} was"
            " computed; compute again"
        )
    if code_version(cfg) != manifest.get("code_version"):
        # the SQL tree, the package or the reference data changed in between: not the same build any more
        raise ConfigError(f"the release sources changed since release {manifest['id']} was computed; compute again")
    spec = uspec.load(path).model_copy(update={"replicates": int(section["replicates"]), "seed": int(section["seed"])})
    spec = spec.model_copy(update={"sensitivity": spec.sensitivity.model_copy(update={"n": int(section["sobol_n"])})})
    if spec.exclusion is None:
        spec = spec.model_copy(update={"exclusion": uspec.Exclusion()})  # the table is always published

    args = section.get("arguments") or {}
    # a recomputation of history runs again on the framework and years it was computed for
    cfg = history.settings_for(cfg, args.get("framework"), args.get("years"))
    run = run_engine(args.get("weights"), args.get("method"), cfg)
    try:
        inputs_now = sorted(i["sha256"] for i in input_manifest(run.con))
        tables = analysis._tables_of(run.con, ("framework", "weights", "units", "observations"))
    finally:
        run.con.close()
    if inputs_now != sorted(i["sha256"] for i in manifest.get("inputs") or []):
        raise ConfigError(f"the curated lake changed since release {manifest['id']} was computed; compute again")
    inputs = analysis.Inputs(
        tables,
        run.method_spec,
        "the curated lake",
        [path.parent.resolve(), cfg.sql.parent.resolve(), *allowed_roots(cfg)],
    )
    results = analysis.analyse(inputs, spec)
    builds = [LevelResults("league", results, _unit_rows(tables["units"], REGION_CODE))]
    if manifest.get("county_engine_log"):  # compute ran a 旗县 build (merge_levels: [] without one)
        # the 旗县 build too (条例 第七十一条: each 盟市 evaluates its 旗县): the same spec on that build, whose
        # ranks are among all 旗县 (index_scores.rank)
        builds.append(_county_results(cfg, args, spec, path))
    write_tables(staged, manifest["id"], builds, spec.interval)
    timings = {k: round(v, 3) if isinstance(v, float) else v for k, v in results.timings.items()}
    if len(builds) > 1:
        timings["county"] = {
            k: round(v, 3) if isinstance(v, float) else v for k, v in builds[1].results.timings.items()
        }

    section = dict(section, varied=results.choices, tables=list(TABLES), timings_seconds=timings)
    manifest[MANIFEST_KEY] = section
    write_text_atomic(manifest_path, json.dumps(manifest, ensure_ascii=False, indent=2, default=str))
    return section


@dataclass
class LevelResults:
    """One unit level's analysis and its units: unit_code (text) -> (unit_name, parent_code)."""

    level: str
    results: object  # index.uncertainty.analysis.Results
    units: dict


def _unit_rows(units, parent: int | None = None) -> dict:
    codes = units["unit_code"].to_pylist()
    names = units["unit_name"].to_pylist()
    parents = units["parent_code"].to_pylist() if "parent_code" in units.column_names else [parent] * len(codes)
    return {str(c): (n, int(p) if p is not None else parent) for c, n, p in zip(codes, names, parents)}


def _county_results(cfg: Settings, args: dict, spec, spec_file: Path) -> LevelResults:
    from index import levels
    from index.compute import allowed_roots, run_engine
    from index.framework import load_framework
    from index.uncertainty import analysis

    run = run_engine(args.get("weights"), args.get("method"), cfg, level=levels.COUNTY)
    try:
        tables = analysis._tables_of(run.con)
    finally:
        run.con.close()
    inputs = analysis.Inputs(
        tables,
        run.method_spec,
        "the curated lake (旗县市区)",
        [spec_file.parent.resolve(), cfg.sql.parent.resolve(), *allowed_roots(cfg)],
        whole_framework=load_framework(cfg.framework_file),
        level=levels.COUNTY,
    )
    return LevelResults("county", analysis.analyse(inputs, spec), _unit_rows(tables["units"]))


def _q(value: float) -> str:
    return f"q{value * 100:g}".replace(".", "_")


REGION_CODE = 150000  # the 盟市' parent, the 自治区


def write_tables(out: Path, release_id: str, builds: list[LevelResults], interval) -> None:
    """The analysis frames as the contract's tables (DEI names: unit_code, year; fixed interval columns), the
    rows of each unit level's build one after the other (the 盟市 first). A row about all the units of a build
    together (sensitivity's mean_abs_rank_shift) names that build's unit_level and no unit."""
    import duckdb
    import pandas as pd
    import pyarrow.parquet as pq

    from index.targets import contract

    lo, hi = _q(interval[0]), _q(interval[1])
    frames: dict[str, list] = {"rank_intervals": [], "sensitivity": [], "exclusion_effects": []}
    for build in builds:
        results = build.results
        ri = results.rank_intervals.rename(
            columns={
                "period": "year",
                f"rank_{lo}": "rank_low",
                f"rank_{hi}": "rank_high",
                f"score_{lo}": "score_low",
                f"score_{hi}": "score_high",
            }
        )
        ri = ri.assign(interval_low=float(interval[0]), interval_high=float(interval[1]))
        choices = {c["input"]: " | ".join(c["alternatives"]) for c in results.choices}
        sens = results.sensitivity.rename(columns={"period": "year"})
        sens = sens.assign(
            alternatives=sens["input"].map(choices), unit_code=sens["unit_code"].where(sens["unit_code"] != "", None)
        )  # "" = all the units of the build
        excl = results.exclusion.rename(columns={"period": "year"})
        for table, frame in (("rank_intervals", ri), ("sensitivity", sens), ("exclusion_effects", excl)):
            if "unit_code" in frame.columns:
                present = frame["unit_code"].notna()
                units = build.units
                unit = frame["unit_code"].map(lambda c, units=units: units.get(str(c)) if c is not None else None)
                # the league build's all-units rows keep the NULL unit_level they always had
                whole = None if build.level == "league" else build.level
                frame = frame.assign(
                    unit_name=unit.map(lambda u: u[0] if u else None),
                    unit_level=pd.Series(build.level, index=frame.index).where(present, whole),
                    parent_code=unit.map(lambda u: u[1] if u else None),
                )
            frames[table].append(frame)
    con = duckdb.connect()
    try:
        for table, parts in frames.items():
            frame = pd.concat(parts, ignore_index=True).assign(release_id=release_id)
            # pandas NaN reads as NULL here, so a rank no replicate gave stays NULL rather than failing a cast
            con.register("frame", pd.DataFrame(frame))
            pq.write_table(con.sql(contract.cast_select(table, "frame")).to_arrow_table(), out / f"{table}.parquet")
            con.unregister("frame")
    finally:
        con.close()


def _rel(path: Path, cfg: Settings) -> str:
    try:
        return "sql/" + Path(path).resolve().relative_to(cfg.sql.resolve()).as_posix()
    except ValueError:
        return str(path)
