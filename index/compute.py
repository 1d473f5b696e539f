"""Run the generic engine on the curated lake and shape its output into the DEI release tables.

The engine knows units, periods and nodes; this module maps them to 盟市 (league_code), years and the
framework, and writes a staged release directory that ``index.publish`` makes current.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from index import __version__

# resolve / allowed_roots: the paths of scheme and method files live in index.config (re-exported here)
from index.config import ALLOW_ENV, REPO_ROOT, Settings, allowed_roots, resolve  # noqa: F401
from index.config import settings as current_settings
from index.engine.vocabulary import NAMED_WEIGHT_SCHEMES, OBJECTIVE_WEIGHT_SCHEMES
from index.errors import ConfigError
from index.files import sha256_file

STAGING_DIR = ".staging"
# Everything that can shape a published table, so that editing any of it gives a new release id: the SQL
# tree in use (DEI_SQL), the package's own files, the reference data, the expectations and the lock file.
# Directories are hashed whole (every file, by relative path); caches are not sources.
RELEASE_SOURCES = ("index", "reference", "requirements.lock", "pyproject.toml")
_NOT_SOURCES = {"__pycache__", ".pytest_cache"}


@dataclass
class ComputeResult:
    staged: Path
    release_id: str
    manifest: dict
    log: list = field(default_factory=list)


def _source_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    if not root.is_dir():
        return []
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not _NOT_SOURCES.intersection(p.relative_to(root).parts) and p.suffix != ".pyc"
    )


def source_fingerprint(roots: list[tuple[str, Path]]) -> str:
    """sha256 over every file under each (label, path): relative path and bytes, in a fixed order."""
    digest = hashlib.sha256()
    for label, root in roots:
        root = Path(root)
        for path in _source_files(root):
            rel = path.relative_to(root).as_posix() if root.is_dir() else root.name
            digest.update(f"{label}/{rel}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def release_sources(cfg: Settings) -> list[tuple[str, Path]]:
    """(label, path) of every file tree that shapes a published table, for ``cfg``."""
    roots = [("sql", cfg.sql), ("expectations", cfg.expectations)]
    roots += [(name, REPO_ROOT / name) for name in RELEASE_SOURCES]
    return roots


def code_version(cfg: Settings | None = None) -> str:
    """Package version + hash of every release source, so a release id changes when any of them does."""
    cfg = cfg or current_settings()
    return f"{__version__}+{source_fingerprint(release_sources(cfg))[:12]}"


def curated_files(cfg: Settings) -> list[Path] | list[str]:
    """The curated batches; for a recomputation of chosen years (index.history), only those years' partitions.
    On an object lake their s3:// URLs (read through the filesystem :func:`load_curated` registers)."""
    from index import storage
    from index.history import keeps_year

    if storage.is_object_lake(cfg):
        return [url for year, url in storage.curated_urls(cfg) if keeps_year(cfg, year)]
    files = sorted(cfg.curated.glob("year=*/*.parquet"))
    if cfg.years is None:
        return files
    return [p for p in files if p.parent.name[5:].isdigit() and keeps_year(cfg, int(p.parent.name[5:]))]


def load_engine_inputs(con, cfg: Settings, weights_path: Path, level: str = "league"):
    """Create the engine's input tables (framework, weights, units, observations, and at 旗县 level
    unit_groups) on ``con`` for one level's build (index.levels)."""
    from index import framework as fw
    from index import levels

    framework = fw.load_framework(cfg.framework_file)
    weights = fw.load_weights(weights_path, framework)
    framework, weights = levels.level_framework(framework, weights, level)
    fw.register(con, framework, weights)

    units = levels.level_units(level, cfg.reference)
    con.register("units_df", units)
    con.execute(
        "create or replace table units as select unit_code, unit_name, unit_level,"
        " cast(parent_code as integer) as parent_code from units_df"
    )
    con.unregister("units_df")
    if level == levels.COUNTY:
        con.register("unit_groups_df", levels.unit_groups(units))
        con.execute("create or replace table unit_groups as select * from unit_groups_df")
        con.unregister("unit_groups_df")
    load_curated(con, cfg)
    con.execute(
        """
        create or replace table observations as
        with
        figure_copies as (select * from figure_copies),
        final as (
            select cast(unit_code as varchar) as unit_code, cast(year as integer) as period,
                   indicator_id as variable_id, cast(value as double) as value, ingested_at as loaded_at
            from figure_copies
            -- one level's build: the other level's rows of the lake (and the zones) are not scored here
            where copy_rank = 1 and cast(unit_code as varchar) in (select unit_code from units)
        )
        select * from final
        """
    )
    return framework, weights


def load_curated(con, cfg: Settings) -> None:
    """Tables ``curated`` (every curated batch) and ``figure_copies`` (each figure's copies ranked by precedence,
    copy_rank 1 the one used) on ``con``, which holds the ``framework`` table."""
    from index import storage

    files = curated_files(cfg)
    where = storage.layer_url(cfg, "curated")
    if not files and cfg.years is not None:
        first, last = cfg.years
        raise ConfigError(f"the curated lake {where} holds no figure for the years {first}–{last}")
    if not files:
        raise ConfigError(f"the curated lake {where} is empty: run ingest and validate first")
    with storage.reading(cfg, con):
        con.execute(
            """
            create or replace table curated as
            select * from read_parquet($files, hive_partitioning = true, hive_types = {'year': INTEGER},
                                       union_by_name = true)
            """,
            {"files": [str(p) for p in files]},
        )
    # curated batches from before 旗县 were read name their unit league_code (always a 盟市)
    columns = {name for (name,) in con.execute("select column_name from (describe curated)").fetchall()}
    if "unit_code" not in columns:
        con.execute("alter table curated rename column league_code to unit_code")
    elif "league_code" in columns:
        con.execute("update curated set unit_code = coalesce(unit_code, league_code)")
        con.execute("alter table curated drop column league_code")
    # Several departments repeat figures they do not own (every file carries 常住人口 and GDP). Precedence, per
    # league, year and indicator: a copy sent by the department the framework names as the source beats any
    # other department's copy, whenever it arrived; among copies of the same standing the one ingested last
    # wins (a corrected resubmission); a tie goes to the larger value, as in the engine's stage step.
    # Every copy is kept in figure_copies with its place, so the release log can say which one won.
    con.execute(
        """
        create or replace table figure_copies as
        with
        curated as (select * from curated),
        framework as (select node_id, department as owner_department from framework),
        sourced as (
            select curated.*, framework.owner_department,
                   coalesce(curated.department = framework.owner_department, false) as from_owner
            from curated left join framework on framework.node_id = curated.indicator_id
        ),
        final as (
            select *, row_number() over (
                       partition by unit_code, year, indicator_id
                       order by from_owner desc, ingested_at desc nulls last, value desc nulls last, source_file
                   ) as copy_rank
            from sourced
        )
        select * from final
        """
    )


def input_manifest(con) -> list[dict]:
    # batches ingested before the synthetic flag existed have no such column: they count as not flagged
    columns = {name for (name,) in con.execute("select column_name from (describe curated)").fetchall()}
    synthetic = "coalesce(bool_or(synthetic), false)" if "synthetic" in columns else "false"
    rows = con.execute(
        f"""
        select source_file, sha256, any_value(department) as department, count(*) as n_values,
               min(year) as first_year, max(year) as last_year, {synthetic} as synthetic
        from curated group by source_file, sha256 order by source_file, sha256
        """
    ).fetchall()
    return [
        dict(file=f, sha256=s, department=d, values=int(n), years=[int(a), int(b)], synthetic=bool(flag))
        for f, s, d, n, a, b, flag in rows
    ]


def precedence_log(con) -> list[dict]:
    """Which copy won where several files sent the same figure: one entry per indicator, winning file and
    overridden file, with how many figures it concerned and how many of them differed."""
    rows = con.execute(
        """
        with
        figure_copies as (select * from figure_copies),
        winners as (select * from figure_copies where copy_rank = 1),
        overridden as (
            select figure_copies.indicator_id, winners.source_file as winning_file,
                   winners.department as winning_department, winners.from_owner as winner_is_owner,
                   figure_copies.source_file as overridden_file, figure_copies.department as overridden_department,
                   figure_copies.value is distinct from winners.value as differs
            from figure_copies
            join winners using (unit_code, year, indicator_id)
            where figure_copies.copy_rank > 1
        ),
        final as (
            select indicator_id, winning_file, winning_department, winner_is_owner,
                   overridden_file, overridden_department,
                   count(*) as figures, count(*) filter (where differs) as differing
            from overridden
            group by all
            order by indicator_id, winning_file, overridden_file
        )
        select * from final
        """
    ).fetchall()
    keys = (
        "indicator_id",
        "winning_file",
        "winning_department",
        "winner_is_owner",
        "overridden_file",
        "overridden_department",
        "figures",
        "differing",
    )
    return [dict(zip(keys, row)) for row in rows]


def release_id_for(
    inputs: list[dict],
    framework_sha: str,
    weights_sha: str,
    method_sha: str,
    code: str,
    uncertainty: dict | None = None,
    years: tuple[int, int] | None = None,
) -> str:
    """Content hash: the same inputs, framework, scheme, method, code and uncertainty analysis (spec,
    replicates, seed) give the same id."""
    parts = dict(
        inputs=sorted(i["sha256"] for i in inputs),
        framework=framework_sha,
        weights=weights_sha,
        method=method_sha,
        code=code,
    )
    if uncertainty is not None:  # absent (no spec in the SQL tree): the id is what it was before the analysis
        parts["uncertainty"] = uncertainty
    if years is not None:  # a recomputation of chosen years (index.history): the same files, fewer of their rows
        parts["years"] = list(years)
    payload = json.dumps(parts, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


# Weight schemes the engine derives itself (``[weights] scheme = ...``) rather than reads from a SQL file.
DERIVED_SCHEMES = NAMED_WEIGHT_SCHEMES


@dataclass
class EngineRun:
    con: object
    method_spec: dict
    method_path: Path
    weights_path: Path
    scheme: str
    log: list
    level: str = "league"
    dei_method: object = None  # index.levels.DeiMethod: the method file as read (with its [county] section)


def _derived_start(cfg: Settings) -> Path:
    """The weights a derived scheme starts from: equal shares of the framework in use (whichever it is)."""
    from index.engine.build import EQUAL_WEIGHTS_FILE

    return cfg.sql / "engine" / EQUAL_WEIGHTS_FILE


def run_engine(
    weights: str | Path | None = None,
    method: str | Path | None = None,
    cfg: Settings | None = None,
    level: str = "league",
) -> EngineRun:
    """Load the curated lake, framework, weights and method into an in-memory DuckDB and run the engine for
    one unit level (``league``: the 12 盟市; ``county``: the 旗县市区, index.levels).

    ``weights`` (a SQL file, or a named scheme: equal, entropy, ...) overrides the method spec's
    ``[weights] scheme``. A derived scheme (entropy, ...) starts from equal shares read off the framework
    (the engine's 07_weight_equal.sql), which the engine then replaces, and the release records the scheme:
    never from the expert file, which weights today's framework only and would refuse a past one.
    """
    import duckdb

    from index import engine, levels, sandbox

    cfg = cfg or current_settings()
    # --method and --weights are the caller's own choice; a file the method names is confined (see resolve)
    method_path = resolve(method or cfg.default_method, cfg, confined=method is None)
    dei_method = levels.load_method(method_path)
    method_spec = levels.level_spec(dei_method, level)
    spec_scheme = (method_spec.get("weights") or {}).get("scheme")
    if weights is not None and str(weights) in DERIVED_SCHEMES:
        # a named scheme on the command line (--weights equal | entropy | ...), as in the method spec
        weights_path = _derived_start(cfg)
        method_spec.setdefault("weights", {})["scheme"] = scheme = str(weights)
    elif weights is not None:
        weights_path = resolve(weights, cfg, confined=False)
        method_spec.setdefault("weights", {})["scheme"] = "metadata"
        scheme = _rel(weights_path)
    elif spec_scheme in DERIVED_SCHEMES:
        weights_path = _derived_start(cfg)
        scheme = spec_scheme
    else:
        weights_path = resolve(spec_scheme or cfg.default_weights, cfg)
        method_spec.setdefault("weights", {})["scheme"] = "metadata"
        scheme = _rel(weights_path)
    if method_spec["weights"].get("scheme") not in OBJECTIVE_WEIGHT_SCHEMES:
        # a scheme given on the command line replaces an objective one: weights.scope has nothing left to derive
        method_spec["weights"].pop("scope", None)

    # One thread: parallel sums add in a different order each run, so the last digit of a score would change
    # from run to run; the same inputs must give the same published bytes (a 12-盟市 build loses nothing).
    con = duckdb.connect(config={"threads": 1})
    try:
        load_engine_inputs(con, cfg, weights_path, level)
        # the inputs are in memory now; engine steps (a DEI_SQL tree is user SQL) reach no file from here on
        sandbox.close_engine_connection(con)
        # what engine.run would set for itself, set here so the configuration is locked before any step runs
        con.execute("set preserve_insertion_order = false")
        sandbox.lock_configuration(con)
        with _engine_limits(con, "the engine steps"):
            log = engine.run(con, method_spec)
    except BaseException:
        con.close()
        raise
    return EngineRun(con, method_spec, method_path, weights_path, scheme, log, level, dei_method)


@contextmanager
def _engine_limits(con, source: str):
    """The engine connection's time limit; DuckDB's memory and access refusals become ConfigErrors."""
    import duckdb

    from index import sandbox

    try:
        with sandbox.time_limit(con, sandbox.engine_timeout_seconds(), source, sandbox.ENGINE_TIMEOUT_ENV):
            yield
    except (duckdb.OutOfMemoryException, duckdb.PermissionException) as exc:
        raise sandbox.engine_failure(exc, source) from None


def create_release_view(con, sql_file: Path) -> None:
    """A shared view of the release SQL: the file's single checked SELECT, as a temporary view named after it."""
    import duckdb

    from index import sandbox

    name = sql_file.stem
    if not name.isidentifier():
        raise ConfigError(f"{sql_file}: a shared view's file name must be a plain identifier, e.g. region_values.sql")
    query = sandbox.check_sql(sandbox.read_user_sql(sql_file, "release view"), sql_file, "release view")
    try:
        con.execute(f'create or replace temp view "{name}" as {query}')
    except duckdb.Error as exc:
        raise sandbox.engine_failure(exc, str(sql_file)) from None


def write_release_table(con, sql_file: Path, out: Path) -> None:
    """One published table: the file's single SELECT, fetched as Arrow and written with pyarrow (no COPY, so
    no SQL ever names a path to write)."""
    import duckdb
    import pyarrow.parquet as pq

    from index import sandbox

    query = sandbox.check_sql(sandbox.read_user_sql(sql_file, "release table"), sql_file, "release table")
    with _engine_limits(con, str(sql_file)):
        try:
            table = con.sql(query).to_arrow_table()
        except (duckdb.OutOfMemoryException, duckdb.PermissionException, duckdb.InterruptException):
            raise
        except duckdb.Error as exc:
            raise sandbox.engine_failure(exc, str(sql_file)) from None
    pq.write_table(table, out)


def compute(
    weights: str | Path | None = None,
    method: str | Path | None = None,
    cfg: Settings | None = None,
    out_dir: Path | None = None,
    replicates: int | None = None,
) -> ComputeResult:
    """Compute the index from the curated lake and write the release tables to a staging directory.

    The release's uncertainty analysis (``replicates``, default index.uncertainty.release.DEFAULT_REPLICATES)
    is recorded in release.json and the id here; index.uncertainty.release.analyse_release writes its tables."""
    import pyarrow.parquet as pq

    from index import history
    from index.engine.audit import audit, audit_table
    from index.uncertainty import release as uncertainty

    cfg = cfg or current_settings()
    run = run_engine(weights, method, cfg)
    con = run.con
    # the statistical audit is the 盟市 build's (the published framework's), taken before the levels merge
    with _engine_limits(con, "the statistical audit"):
        audit_rows = audit_table(audit(con))
    county_log = merge_levels(con, _county_run(weights, method, cfg, con))

    inputs = input_manifest(con)
    shas = dict(
        framework=sha256_file(cfg.framework_file),
        weights=sha256_file(run.weights_path) if run.scheme not in DERIVED_SCHEMES else run.scheme,
        method=sha256_file(run.method_path),
    )
    code = code_version(cfg)
    analysis = uncertainty.release_settings(cfg, replicates)
    if analysis is not None:
        # what analyse_release must run again: the caller's own weights and method, as given (resolve() reads
        # "sql/..." against the SQL tree in use, so another worker's checkout resolves them the same way)
        analysis["arguments"] = dict(
            weights=None if weights is None else str(weights),
            method=None if method is None else str(method),
            **history.arguments(cfg),
        )
    rid = release_id_for(
        inputs, shas["framework"], shas["weights"], shas["method"], code, uncertainty.id_part(analysis), cfg.years
    )

    staged = out_dir or (cfg.published / STAGING_DIR / f"{rid}-{uuid.uuid4().hex[:8]}")
    staged.mkdir(parents=True, exist_ok=True)
    if out_dir is None:
        # Compute writes without the publish lock: the note keeps a concurrent publish's cleanup away from it.
        from index.releases import OWNER_FILE

        (staged / OWNER_FILE).write_text(f"{os.getpid()} {socket.gethostname()}\n", encoding="utf-8")
    con.execute("set variable release_id = $rid", {"rid": rid})
    scheme_name = run.scheme if run.scheme in DERIVED_SCHEMES else Path(run.scheme).stem
    con.execute("set variable weight_scheme = $s", {"s": scheme_name})
    # sql/release/shared/ holds views several release tables read (one definition each), named after the file.
    for sql_file in sorted((cfg.sql / "release" / "shared").glob("*.sql")):
        create_release_view(con, sql_file)
    # Every file in sql/release/ is one published table, named after the file.
    for sql_file in sorted((cfg.sql / "release").glob("*.sql")):
        write_release_table(con, sql_file, staged / (sql_file.stem + ".parquet"))
    # The statistical audit travels with every release.
    con.register("audit_long", audit_rows)
    pq.write_table(con.sql("select * from audit_long").to_arrow_table(), staged / "audit.parquet")
    # So do the regional analyses (disparity, obstacles, coupling, convergence), read from the staged tables.
    from index.analyses import release as analyses

    analysis_notes = analyses.write(staged, rid, cfg.reference)

    manifest = dict(
        id=rid,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        inputs=inputs,
        framework=dict(path=_rel(cfg.framework_file), sha256=shas["framework"]),
        weight_scheme=dict(path=run.scheme, sha256=shas["weights"]),
        method=dict(
            path=_rel(run.method_path),
            sha256=shas["method"],
            spec={**run.method_spec, "county": run.dei_method.county.as_dict()},
        ),
        code_version=code,
        engine_log=run.log,
        county_engine_log=county_log,
        analyses=dict(tables=list(analyses.TABLES), notes=analysis_notes),
        precedence=precedence_log(con),
    )
    if cfg.years is not None or cfg.framework_override is not None:
        manifest["history"] = history.arguments(cfg)  # a recomputation of history: what it was asked for
    if analysis is not None:
        manifest[uncertainty.MANIFEST_KEY] = analysis
    (staged / "release.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )
    con.close()
    return ComputeResult(staged=staged, release_id=rid, manifest=manifest, log=run.log)


# The engine relations the release tables read, per unit level; after merge_levels each holds both levels.
LEVEL_RELATIONS = ("stage", "denominate", "treat", "indicator_results", "node_scores")


def _county_run(weights, method, cfg: Settings, league_con) -> EngineRun | None:
    """The 旗县 build (index.levels), or None when the lake holds no 旗县 figure (a 盟市-only release)."""
    from index import levels

    reported = league_con.execute(
        "select count(*) from curated where list_contains($codes, cast(unit_code as varchar))",
        {"codes": list(levels.level_units(levels.COUNTY, cfg.reference)["unit_code"])},
    ).fetchall()[0][0]
    return run_engine(weights, method, cfg, level=levels.COUNTY) if reported else None


def _replace_relation(con, name: str, query: str) -> None:
    """Table ``name`` becomes ``query``'s rows, whether ``name`` was a table or a view (the engine folds some
    steps into views); the query may read ``name`` itself."""
    con.execute(f"create table replacing_{name} as {query}")
    kind = con.execute(
        "select table_type from information_schema.tables where table_name = $name", {"name": name}
    ).fetchall()[0][0]
    con.execute(f"drop {'view' if kind == 'VIEW' else 'table'} {name}")
    con.execute(f"alter table replacing_{name} rename to {name}")


def merge_levels(con, county: EngineRun | None) -> list:
    """Put the 旗县 build's rows beside the 盟市 build's in ``con``: LEVEL_RELATIONS, ``units`` (with
    unit_level, parent_code) and ``node_scores.rank_in_parent`` (a 盟市's parent is the 自治区, so its rank there
    is its rank; a 旗县's is its rank within its 盟市). Returns the 旗县 build's log ([] without one)."""
    if county is None:
        _replace_relation(con, "node_scores", "select *, rank as rank_in_parent from node_scores")
        con.execute("create table county_weights (node_id varchar, weight double)")
        return []
    try:
        # the 旗县 build's weights (rescaled over the county-level nodes): the framework table shows them
        con.register("county_weights_arrow", county.con.sql("select node_id, weight from weights").to_arrow_table())
        con.execute("create table county_weights as select * from county_weights_arrow")
        con.unregister("county_weights_arrow")
        for name in (*LEVEL_RELATIONS, "units"):
            con.register(f"county_{name}_arrow", county.con.sql(f"select * from {name}").to_arrow_table())
        con.register("county_group_ranks_arrow", county.con.sql("select * from group_ranks").to_arrow_table())
    finally:
        county.con.close()
    # the 盟市 rows first, every relation at once: several are views over each other (indicator_results reads
    # denominate and treat), so replacing one before the others are read would count the 旗县 twice
    for name in LEVEL_RELATIONS:
        con.execute(f"create table league_{name} as select * from {name}")
    for name in LEVEL_RELATIONS:
        _replace_relation(con, name, f"select * from league_{name} union all by name select * from county_{name}_arrow")
        con.execute(f"drop table league_{name}")
        con.unregister(f"county_{name}_arrow")
    con.execute("create table merged_units as select * from units union all by name select * from county_units_arrow")
    con.execute("drop table units")
    con.execute("alter table merged_units rename to units")
    con.execute(
        """
        create or replace table node_scores as
        select node_scores.*, coalesce(county_group_ranks_arrow.group_rank, node_scores.rank) as rank_in_parent
        from node_scores
        left join county_group_ranks_arrow
            on county_group_ranks_arrow.unit_code = cast(node_scores.unit_code as varchar)
                and county_group_ranks_arrow.period = node_scores.period
                and county_group_ranks_arrow.node_id = node_scores.node_id
        """
    )
    con.unregister("county_group_ranks_arrow")
    return county.log


def _rel(path: Path) -> str:
    try:
        return Path(path).resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)
