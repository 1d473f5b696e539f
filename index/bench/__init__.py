"""`make bench`: time the engine and measure its memory against a straightforward pandas version of the same build.

ALL DATA HERE IS SYNTHETIC. The national case is a seeded, made-up panel of 3,000 units × 60 indicators
(6 dimensions of 10) × 20 periods = 3.6M values, about 3% missing, a few indicators with polarity -1; size
``tiny`` (30 units × 12 indicators × 3 periods) is for CI. The ASEM case runs the COINr reference build
(tests/fixtures/asem) when ``index.coinr.compute_coinr`` and the fixture exist. The cli_startup case times whole
``dei`` processes (``--help``, ``ranking`` of a tiny SYNTHETIC release, the ASEM build) against CLI_TARGETS.

Each variant runs in a fresh Python process (``python -m index.bench --worker ...``) so its peak resident set
is its own: DuckDB works in native memory, which tracemalloc cannot see, so memory is read from
/proc/self/status. Per step: a background thread samples VmRSS every 5 ms, and at every step boundary the
kernel's high-water mark VmHWM is read and reset (``/proc/self/clear_refs`` = 5, Linux ≥ 4.0), so even a
peak shorter than 5 ms is counted. The total peak is the largest of these.

Usage: ``python -m index.bench [--size full|tiny] [--out bench/results.json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "bench" / "results.json"
SIZES = {
    # units, dimensions, indicators per dimension, periods
    "full": dict(units=3000, dimensions=6, indicators_per_dimension=10, periods=20),
    "tiny": dict(units=30, dimensions=3, indicators_per_dimension=4, periods=3),
}
# the two-level case (issue 13): prefectures with their counties, as for all of China (about 340 prefecture-level
# and 2,850 county-level divisions); the same indicators and periods as the national case at that size
HIERARCHY = {"full": dict(prefectures=340, counties=2850), "tiny": dict(prefectures=4, counties=30)}
SEED = 20250101
MISSING_SHARE = 0.03
ROOT = "SYN_INDEX"
# the DEI's method (sql/method/dei.toml) without a weight-scheme file: the registered weights are used
METHOD = {
    "impute": {"method": "panel_linear"},
    "normalise": {"method": "minmax", "range": [0, 100], "scope": "panel"},
    "aggregate": {"method": "amean"},
}
TARGETS = {"national_total_seconds": 3.0, "national_peak_gb": 2.0}
# issue 12: the nominal national build itself (the engine's steps, loading excluded) in 1 s or less, so that
# every uncertainty replicate that needs a build stays cheap; reported beside the targets above, met or not
NOMINAL_BUILD_TARGET_SECONDS = 1.0
SAMPLE_SECONDS = 0.005


# --------------------------------------------------------------------------------------------------------------
# synthetic data


def synthetic_framework(size: str = "full"):
    """Framework (index.framework.FRAMEWORK_COLUMNS) and weights of the SYNTHETIC national-scale index."""
    import numpy as np
    import pandas as pd

    from index.framework import FRAMEWORK_COLUMNS

    shape = SIZES[size]
    rng = np.random.default_rng(SEED)
    rows = [dict(node_id=ROOT, parent_id=None, level=3, node_type="Aggregate", name_en="Synthetic index")]
    weights = []
    dim_weights = rng.uniform(0.5, 1.5, shape["dimensions"])
    dim_weights /= dim_weights.sum()
    indicator = 0
    for d in range(shape["dimensions"]):
        dim_id = f"SYN_D{d + 1}"
        rows.append(
            dict(node_id=dim_id, parent_id=ROOT, level=2, node_type="Aggregate", name_en=f"Synthetic dimension {d + 1}")
        )
        weights.append((dim_id, float(dim_weights[d])))
        ind_weights = rng.uniform(0.5, 1.5, shape["indicators_per_dimension"])
        ind_weights /= ind_weights.sum()
        for i in range(shape["indicators_per_dimension"]):
            indicator += 1
            ind_id = f"SYN_D{d + 1}_I{i + 1:02d}"
            # every 9th indicator is "lower is better"
            polarity = -1 if indicator % 9 == 0 else 1
            rows.append(
                dict(
                    node_id=ind_id,
                    parent_id=dim_id,
                    level=1,
                    node_type="Indicator",
                    polarity=polarity,
                    name_en=f"Synthetic indicator {indicator}",
                    unit="synthetic unit",
                    raw_unit="synthetic unit",
                    definition="SYNTHETIC benchmark data",
                    valid_min=0.0,
                )
            )
            weights.append((ind_id, float(ind_weights[i])))
    frame = pd.DataFrame(rows)
    for column in FRAMEWORK_COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    frame = frame[FRAMEWORK_COLUMNS]
    frame["level"] = frame["level"].astype("int32")
    frame["polarity"] = frame["polarity"].astype("float64").astype("Int32")
    for column in ("denominator_scale", "target_2025", "valid_min", "valid_max"):
        frame[column] = frame[column].astype("float64")
    return frame, pd.DataFrame(weights, columns=["node_id", "weight"])


def synthetic_panel(size: str = "full", units: int | None = None, prefix: str = "SYN", seed_offset: int = 0):
    """SYNTHETIC units and observations (unit_code, period, variable_id, value, loaded_at), seeded; ``units``
    (default: the size's) named ``<prefix>00001`` …, ``seed_offset`` for a second, independent panel.

    About 3% of the cells are missing (half reported as NULL, half not reported at all); 0.5% of the
    unit × indicator series are never reported (the engine falls back to the cross-section mean), and the first
    indicator is reported by nobody in the first period, so a few cells stay missing and their siblings are
    re-weighted.
    """
    import numpy as np
    import pandas as pd

    framework, _ = synthetic_framework(size)
    shape = SIZES[size]
    rng = np.random.default_rng(SEED + 1 + seed_offset)
    indicators = framework.loc[framework["node_type"] == "Indicator", "node_id"].to_numpy()
    dim_of = np.repeat(np.arange(shape["dimensions"]), shape["indicators_per_dimension"])
    n_u, n_i, n_p = units or shape["units"], len(indicators), shape["periods"]
    periods = np.arange(2025 - n_p, 2025, dtype=np.int32)
    units = np.array([f"{prefix}{u + 1:05d}" for u in range(n_u)])

    general = rng.normal(size=(n_u, 1, 1))
    by_dimension = rng.normal(size=(n_u, shape["dimensions"]))[:, dim_of][:, :, None]
    scale = 10.0 ** rng.uniform(0, 4, size=(1, n_i, 1))
    growth = rng.uniform(-0.02, 0.08, size=(1, n_i, 1))
    t = np.arange(n_p)[None, None, :]
    noise = rng.normal(scale=0.15, size=(n_u, n_i, n_p))
    values = scale * np.exp(0.3 * general + 0.4 * by_dimension + growth * t + noise)

    missing = rng.random(values.shape) < MISSING_SHARE
    never = rng.random((n_u, n_i)) < 0.005
    missing |= never[:, :, None]
    missing[:, 0, 0] = True
    values[missing] = np.nan
    # half the missing cells are absent rows, half reported as NULL
    absent = missing & (rng.random(values.shape) < 0.5)
    keep = ~absent.ravel()

    observations = pd.DataFrame(
        {
            "unit_code": np.repeat(units, n_i * n_p)[keep],
            "period": np.tile(periods, n_u * n_i)[keep],
            "variable_id": np.tile(np.repeat(indicators, n_p), n_u)[keep],
            "value": values.ravel()[keep],
        }
    )
    observations["loaded_at"] = pd.Timestamp("2025-01-01 00:00:00")
    unit_frame = pd.DataFrame({"unit_code": units, "unit_name": [f"Synthetic unit {u + 1}" for u in range(n_u)]})
    return unit_frame, observations


def write_inputs(size: str, data_dir: Path) -> dict:
    """Write the SYNTHETIC inputs as Parquet once; every worker process reads the same files."""
    framework, weights = synthetic_framework(size)
    units, observations = synthetic_panel(size)
    data_dir.mkdir(parents=True, exist_ok=True)
    framework.to_pickle(data_dir / "framework.pkl")
    weights.to_parquet(data_dir / "weights.parquet", index=False)
    units.to_parquet(data_dir / "units.parquet", index=False)
    observations.to_parquet(data_dir / "observations.parquet", index=False)
    n_ind = int((framework["node_type"] == "Indicator").sum())
    return {
        "synthetic": True,
        "units": len(units),
        "indicators": n_ind,
        "dimensions": SIZES[size]["dimensions"],
        "periods": SIZES[size]["periods"],
        "values": len(units) * n_ind * SIZES[size]["periods"],
        "observation_rows": len(observations),
        "missing_values": int(observations["value"].isna().sum())
        + len(units) * n_ind * SIZES[size]["periods"]
        - len(observations),
        "polarity_minus_one": int((framework["polarity"] == -1).sum()),
        "seed": SEED,
    }


def write_hierarchy_inputs(size: str, data_dir: Path) -> dict:
    """The two-level case's SYNTHETIC inputs: a prefecture panel and a county panel (independent draws), and
    each county's prefecture (seeded, about 8 counties each) as the unit group ``parent``."""
    import numpy as np
    import pandas as pd

    shape = HIERARCHY[size]
    for level, count, offset in (("prefecture", shape["prefectures"], 100), ("county", shape["counties"], 200)):
        units, observations = synthetic_panel(size, units=count, prefix=level[:3].upper(), seed_offset=offset)
        units.to_parquet(data_dir / f"{level}_units.parquet", index=False)
        observations.to_parquet(data_dir / f"{level}_observations.parquet", index=False)
        if level == "county":
            rng = np.random.default_rng(SEED + 300)
            parents = rng.integers(0, shape["prefectures"], size=count)
            parents[: shape["prefectures"]] = np.arange(shape["prefectures"])  # every prefecture has a county
            pd.DataFrame(
                {
                    "unit_code": units["unit_code"],
                    "group_column": "parent",
                    "group_value": [f"PRE{p + 1:05d}" for p in parents],
                }
            ).to_parquet(data_dir / "county_groups.parquet", index=False)
    return {"synthetic": True, **shape, "periods": SIZES[size]["periods"], "indicators": _indicator_count(size)}


def _indicator_count(size: str) -> int:
    return SIZES[size]["dimensions"] * SIZES[size]["indicators_per_dimension"]


# --------------------------------------------------------------------------------------------------------------
# memory and time of one process


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_hwm() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


class Meter:
    """Labels the running process's time into steps and keeps each step's peak RSS (MB) and seconds."""

    def __init__(self) -> None:
        self.label: str | None = None
        self.started = time.perf_counter()
        self.steps: dict[str, dict[str, float]] = {}
        self.overall_kb = _status_kb("VmHWM")
        self.hwm_resettable = _reset_hwm()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _note(self, label: str | None, kb: int) -> None:
        if label is None:
            return
        entry = self.steps.setdefault(label, {"seconds": 0.0, "peak_kb": 0})
        entry["peak_kb"] = max(entry["peak_kb"], kb)
        self.overall_kb = max(self.overall_kb, kb)

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            kb = _status_kb("VmRSS")
            with self._lock:
                self._note(self.label, kb)

    def mark(self, label: str | None) -> None:
        """Close the current step (its seconds and the high-water mark since it began) and start ``label``."""
        now = time.perf_counter()
        with self._lock:
            hwm = _status_kb("VmHWM") if self.hwm_resettable else _status_kb("VmRSS")
            self._note(self.label, hwm)
            if self.label is not None:
                self.steps[self.label]["seconds"] += now - self.started
            if self.hwm_resettable:
                _reset_hwm()
            self.label = label
            self.started = time.perf_counter()
            self._note(label, _status_kb("VmRSS"))

    def stop(self) -> dict:
        self.mark(None)
        self._stop.set()
        self._thread.join()
        if not self.hwm_resettable:
            self.overall_kb = max(self.overall_kb, _status_kb("VmHWM"))
        return {
            "steps": {
                name: {"seconds": round(v["seconds"], 4), "peak_rss_mb": round(v["peak_kb"] / 1024, 1)}
                for name, v in self.steps.items()
            },
            "peak_rss_mb": round(self.overall_kb / 1024, 1),
        }


_CREATE_TABLE = re.compile(r"^\s*create\s+(?:or\s+replace\s+)?(?:table|view)\s+([a-z_][a-z0-9_]*)", re.IGNORECASE)


class _StepMarkingConnection:
    """A DuckDB connection that tells the meter when the engine starts a step (the table or view it creates).

    The engine's log gives each step's seconds only after the run; the memory of a step needs its boundaries
    while it runs. An auxiliary table (impute_fills, weight_aggregates, aggregate_level ...) belongs to the
    step whose name prefixes it. Steps only move forward (the order of ``steps``): the views the engine
    re-creates at the end, to show keys as text, stay with the last step.
    """

    def __init__(self, con, meter: Meter, steps: tuple[str, ...]) -> None:
        self._con = con
        self._meter = meter
        self._steps = steps
        self._reached = -1

    def _step_of(self, table: str) -> str | None:
        if table in self._steps:
            return table
        owners = [s for s in self._steps if table.startswith(s + "_")]
        return max(owners, key=len) if owners else None

    def execute(self, query, *args, **kwargs):
        match = _CREATE_TABLE.match(query) if isinstance(query, str) else None
        if match:
            step = self._step_of(match.group(1).lower())
            if step is not None and self._steps.index(step) > self._reached:
                self._reached = self._steps.index(step)
                self._meter.mark(step)
        return self._con.execute(query, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._con, name)


ENGINE_STEPS = (
    "stage",
    "denominate",
    "impute",
    "screen",
    "treat",
    "normalise",
    "weights",
    "weight",
    "aggregate",
    "rank",
    "period_change",
    "indicator_results",
    "node_scores",
)


def _engine_worker(data_dir: Path, out_dir: Path) -> dict:
    import duckdb
    import pandas as pd
    import pyarrow.parquet as pq

    from index import engine
    from index.framework import register

    meter = Meter()
    meter.mark("load")
    con = duckdb.connect()
    framework = pd.read_pickle(data_dir / "framework.pkl")
    weights = pq.read_table(data_dir / "weights.parquet").to_pandas()
    register(con, framework, weights)
    # DuckDB's own Parquet reader, as compute.load_engine_inputs reads the curated lake. observations is a view
    # over the file: the engine reads it once (stage), so the file is decoded there, inside the timed build,
    # instead of being copied into a table first. (A view takes no parameters: the path is quoted here.)
    con.execute("create table units as select * from read_parquet(?)", [str(data_dir / "units.parquet")])
    observations_file = str(data_dir / "observations.parquet").replace("'", "''")
    con.execute(
        "create view observations as select unit_code, cast(period as integer) as period, variable_id,"
        f" cast(value as double) as value, loaded_at from read_parquet('{observations_file}')"
    )
    meter.mark("stage")
    log = engine.run(_StepMarkingConnection(con, meter, ENGINE_STEPS), METHOD)
    measured = meter.stop()

    # the engine's own per-step seconds; memory from the meter
    steps: dict[str, dict[str, Any]] = {"load": measured["steps"]["load"]}
    for entry in log:
        if entry["step"] == "total":
            continue
        mem = measured["steps"].get(entry["step"], {})
        steps[entry["step"]] = {
            "seconds": entry["seconds"],
            "peak_rss_mb": mem.get("peak_rss_mb"),
            "rows": entry["rows"],
        }
    build = next(e["seconds"] for e in log if e["step"] == "total")
    root = _root_id(framework)
    con.execute(
        f"copy (select unit_code, period, node_id, score, rank from node_scores) to '{out_dir / 'engine_scores.parquet'}'"
        " (format parquet)"
    )
    con.execute(
        "copy (select unit_code, period, indicator_id, normalised, effective_weight, contribution"
        f" from indicator_results) to '{out_dir / 'engine_indicators.parquet'}' (format parquet)"
    )
    return {
        "steps": steps,
        "build_seconds": round(build, 4),
        "total_seconds": round(steps["load"]["seconds"] + build, 4),
        "peak_rss_mb": measured["peak_rss_mb"],
        "root": root,
    }


def _two_level_worker(data_dir: Path, out_dir: Path) -> dict:
    """Both levels in one process, each its own build as the DEI does (counties scored against counties, with a
    second rank within their prefecture; prefectures against prefectures)."""
    import duckdb
    import pandas as pd
    import pyarrow.parquet as pq

    from index import engine
    from index.framework import register

    meter = Meter()
    framework = pd.read_pickle(data_dir / "framework.pkl")
    weights = pq.read_table(data_dir / "weights.parquet").to_pandas()
    levels: dict[str, dict] = {}
    for level in ("county", "prefecture"):
        meter.mark(level)
        started = time.perf_counter()
        con = duckdb.connect()
        register(con, framework, weights)
        con.execute("create table units as select * from read_parquet(?)", [str(data_dir / f"{level}_units.parquet")])
        observations_file = str(data_dir / f"{level}_observations.parquet").replace("'", "''")
        con.execute(
            "create view observations as select unit_code, cast(period as integer) as period, variable_id,"
            f" cast(value as double) as value, loaded_at from read_parquet('{observations_file}')"
        )
        method = dict(METHOD)
        if level == "county":
            groups = str(data_dir / "county_groups.parquet")
            con.execute("create table unit_groups as select * from read_parquet(?)", [groups])
            method["rank"] = {"group": "parent"}
        log = engine.run(con, method)
        units = con.execute("select count(*) from units").fetchone()[0]
        levels[level] = {
            "units": int(units),
            "build_seconds": round(next(e["seconds"] for e in log if e["step"] == "total"), 4),
            "seconds": round(time.perf_counter() - started, 4),
            "group_ranks_rows": next((e["rows"] for e in log if e["step"] == "group_ranks"), None),
        }
        con.close()
    measured = meter.stop()
    for level in levels:
        levels[level]["peak_rss_mb"] = measured["steps"].get(level, {}).get("peak_rss_mb")
    return {
        "levels": levels,
        "total_seconds": round(sum(v["seconds"] for v in levels.values()), 4),
        "build_seconds": round(sum(v["build_seconds"] for v in levels.values()), 4),
        "peak_rss_mb": measured["peak_rss_mb"],
    }


def _root_id(framework) -> str:
    from index.framework import root_id

    return root_id(framework)


def _pandas_worker(data_dir: Path, out_dir: Path) -> dict:
    import pandas as pd

    from index.bench import baseline as bench_baseline

    meter = Meter()
    meter.mark("load")
    framework = pd.read_pickle(data_dir / "framework.pkl")
    weights = pd.read_parquet(data_dir / "weights.parquet")
    units = pd.read_parquet(data_dir / "units.parquet")
    observations = pd.read_parquet(data_dir / "observations.parquet")
    meter.mark(None)
    indicator_results, node_scores = bench_baseline.build(framework, weights, units, observations, METHOD, meter.mark)
    measured = meter.stop()
    node_scores[["unit_code", "period", "node_id", "score", "rank"]].to_parquet(out_dir / "pandas_scores.parquet")
    indicator_results[
        ["unit_code", "period", "indicator_id", "normalised", "effective_weight", "contribution"]
    ].to_parquet(out_dir / "pandas_indicators.parquet")
    steps = measured["steps"]
    build = sum(v["seconds"] for k, v in steps.items() if k != "load")
    return {
        "steps": steps,
        "build_seconds": round(build, 4),
        "total_seconds": round(steps["load"]["seconds"] + build, 4),
        "peak_rss_mb": measured["peak_rss_mb"],
    }


def _asem_available() -> tuple[bool, str]:
    fixture = REPO / "tests" / "fixtures" / "asem"
    method = fixture / "method.toml"
    try:
        import importlib

        coinr = importlib.import_module("index.coinr")
    except ImportError as exc:
        return False, f"index.coinr not importable ({exc})"
    if not hasattr(coinr, "compute_coinr"):
        return False, "index.coinr has no compute_coinr"
    if not method.is_file():
        return False, f"{method.relative_to(REPO)} not found"
    return True, ""


def _asem_worker(out_dir: Path) -> dict:
    """compute_coinr on the ASEM fixture; engine steps marked through its connection, as for the national case."""
    import importlib

    import duckdb

    fixture = REPO / "tests" / "fixtures" / "asem"
    meter = Meter()
    meter.mark("import")
    coinr = importlib.import_module("index.coinr")
    from index import engine

    connect, engine_run = duckdb.connect, engine.run

    def marked_connect(*args, **kwargs):
        return _StepMarkingConnection(connect(*args, **kwargs), meter, ENGINE_STEPS)

    def marked_run(con, method):
        meter.mark("stage")
        log = engine_run(con, method)
        meter.mark("write_outputs")
        return log

    duckdb.connect, engine.run = marked_connect, marked_run
    try:
        meter.mark("load")
        result = coinr.compute_coinr(fixture, fixture / "method.toml", out_dir / "asem_out")
    finally:
        duckdb.connect, engine.run = connect, engine_run
    measured = meter.stop()
    log = result.get("log") if isinstance(result, dict) else result if isinstance(result, list) else []
    steps: dict[str, dict[str, Any]] = {}
    for name in ("import", "load"):
        steps[name] = measured["steps"].get(name, {})
    build = 0.0
    for entry in log or []:
        if not isinstance(entry, dict) or "step" not in entry or "seconds" not in entry:
            continue
        if entry["step"] == "total":
            build = float(entry["seconds"])
            continue
        mem = measured["steps"].get(entry["step"], {})
        steps[str(entry["step"])] = {"seconds": entry["seconds"], "peak_rss_mb": mem.get("peak_rss_mb")}
    steps["write_outputs"] = measured["steps"].get("write_outputs", {})
    return {
        "steps": steps,
        "build_seconds": round(build, 4),
        "total_seconds": round(sum(v["seconds"] for k, v in measured["steps"].items()), 4),
        "peak_rss_mb": measured["peak_rss_mb"],
    }


def _worker(variant: str, data_dir: Path, out_dir: Path, result_path: Path) -> None:
    if variant == "engine":
        result = _engine_worker(data_dir, out_dir)
    elif variant == "pandas":
        result = _pandas_worker(data_dir, out_dir)
    elif variant == "asem":
        result = _asem_worker(out_dir)
    elif variant == "two_level":
        result = _two_level_worker(data_dir, out_dir)
    else:
        raise SystemExit(f"unknown variant {variant!r}")
    result_path.write_text(json.dumps(result), encoding="utf-8")


def _run_in_fresh_process(variant: str, data_dir: Path, out_dir: Path) -> dict:
    result_path = out_dir / f"{variant}_result.json"
    cmd = [sys.executable, "-m", "index.bench", "--worker", variant, "--data", str(data_dir), "--work", str(out_dir)]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)
    if proc.returncode != 0:
        raise RuntimeError(f"bench worker {variant} failed:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(result_path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------------------------------
# cli_startup: whole `dei` processes, as a user waits for them

# Targets for whole processes (interpreter start included). `dei --help` and `dei ranking`: under a second
# (issue 10). The ASEM build: 0.69 s, COINr's time for the same build (build_example_coin() of COINr 1.1.14,
# the reference tests/fixtures/asem reproduces), as measured by the issue author on their machine.
CLI_TARGETS = {"help_seconds": 1.0, "ranking_seconds": 1.0, "asem_build_seconds": 0.69}
CLI_TARGET_SOURCE = (
    "help, ranking: < 1 s, issue 10; asem_build: 0.69 s = COINr's time for the same build, measured by the issue author"
)


def synthetic_release(folder: Path) -> Path:
    """A tiny SYNTHETIC release for `dei ranking`: 12 made-up units, two nodes, three years (DuckDB only)."""
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    duckdb.connect().execute(
        f"""
        copy (
            with units as (select u, 150000 + 100 * u as unit_code, 'SYNTHETIC 盟市 ' || u as unit_name
                           from range(1, 13) t(u)),
                 cells as (select *, (hash(u * 31 + y * 7 + n) % 1000) / 10.0 as score
                           from units, (values (2022), (2023), (2024)) y(y), (values (0), (1)) n(n))
            select rank() over (partition by y, n order by score desc) as rank, unit_code, unit_name,
                   'league' as unit_level, 150000 as parent_code,
                   rank() over (partition by y, n order by score desc) as rank_in_parent,
                   y as year, score, null::double as score_change, null::integer as rank_change,
                   case n when 0 then 'SYN_INDEX' else 'SYN_D1' end as node_id,
                   case n when 0 then '合成指数' else '合成维度' end as node_name_zh,
                   case n when 0 then 'Synthetic index' else 'Synthetic dimension' end as node_name_en
            from cells
        ) to '{folder / "index_scores.parquet"}' (format parquet)
        """
    )
    (folder / "release.json").write_text(
        json.dumps({"id": "synthetic", "inputs": [], "synthetic": True}), encoding="utf-8"
    )
    return folder


def cli_startup(work: Path, repeat: int = 1) -> dict:
    """Seconds of whole `python -m index.cli` processes: --help, ranking of a SYNTHETIC release, the ASEM build."""
    fixture = REPO / "tests" / "fixtures" / "asem"
    release = synthetic_release(work / "cli_release")
    cli = [sys.executable, "-m", "index.cli"]
    commands = {
        "help": cli + ["--help"],
        "ranking": cli + ["ranking", "--release", str(release), "--node", "SYN_INDEX"],
        "asem_build": cli
        + [
            "compute",
            "--framework",
            str(fixture),
            "--method",
            str(fixture / "method.toml"),
            "--out",
            str(work / "cli_asem"),
        ],
    }
    # a lake of its own (`dei` looks up the current release before every command), and a bytecode cache of its
    # own, warmed by one unmeasured run: an installed `dei` starts from cached bytecode, and without a cache
    # (PYTHONDONTWRITEBYTECODE) every start would compile pandas and pydantic again
    # The verdict cache (index/verdicts.py) is the bench's own too, filled by the same warm-up run.
    env = dict(
        os.environ,
        DEI_LAKE=str(work / "cli_lake"),
        PYTHONPYCACHEPREFIX=str(work / "pycache"),
        DEI_CACHE=str(work / "verdicts"),
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    measured = {}
    for name, cmd in commands.items():
        subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)  # warm-up, not measured
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)
            times.append(time.perf_counter() - start)
            if proc.returncode != 0:
                raise RuntimeError(f"{' '.join(cmd[2:])} failed:\n{proc.stderr[-2000:]}")
        measured[name] = {
            "command": "dei " + " ".join(cmd[3:]),
            "seconds": round(sorted(times)[len(times) // 2], 4),
            "runs": [round(t, 4) for t in times],
        }
    checks = {f"{name}_seconds": measured[name]["seconds"] <= CLI_TARGETS[f"{name}_seconds"] for name in commands}
    return {
        "status": "ok",
        "synthetic_data": True,
        "commands": measured,
        "targets": CLI_TARGETS,
        "bytecode_cache": "warm (PYTHONPYCACHEPREFIX in the bench's temporary directory)",
        "target_source": CLI_TARGET_SOURCE,
        "meets_targets": all(checks.values()),
        "meets": checks,
    }


# --------------------------------------------------------------------------------------------------------------
# cross-check and report


def compare(work: Path, root: str) -> dict:
    """Engine against pandas: DEI scores, every node's score and rank, every contribution."""
    import pandas as pd

    def side_by_side(table: str, keys: list[str]) -> pd.DataFrame:
        engine, pandas = (pd.read_parquet(work / f"{side}_{table}.parquet") for side in ("engine", "pandas"))
        engine["period"] = engine["period"].astype("int64")
        pandas["period"] = pandas["period"].astype("int64")
        return engine.merge(pandas, on=keys, how="outer", suffixes=("_engine", "_pandas"), indicator=True)

    scores = side_by_side("scores", ["unit_code", "period", "node_id"])
    unmatched = int((scores["_merge"] != "both").sum())
    diff = (scores["score_engine"] - scores["score_pandas"]).abs()
    null_mismatch = int((scores["score_engine"].isna() != scores["score_pandas"].isna()).sum())
    root_rows = scores["node_id"] == root
    rank_mismatch = int(
        (scores["rank_engine"].fillna(-1).astype("int64") != scores["rank_pandas"].fillna(-1).astype("int64")).sum()
    )
    ind = side_by_side("indicators", ["unit_code", "period", "indicator_id"])
    contribution = (ind["contribution_engine"] - ind["contribution_pandas"]).abs()
    weight = (ind["effective_weight_engine"] - ind["effective_weight_pandas"]).abs()
    dei_diff = diff[root_rows]
    return {
        # NaN (no comparable row at all) is reported as +inf so a broken run can never look correct
        "max_abs_diff_dei": float(dei_diff.max()) if dei_diff.notna().any() else float("inf"),
        "max_abs_diff_all_scores": float(diff.max()) if diff.notna().any() else float("inf"),
        "max_abs_diff_contribution": float(contribution.max()) if contribution.notna().any() else float("inf"),
        "max_abs_diff_effective_weight": float(weight.max()) if weight.notna().any() else float("inf"),
        "rows_only_in_one": unmatched + int((ind["_merge"] != "both").sum()),
        "score_null_mismatches": null_mismatch,
        "rank_mismatches": rank_mismatch,
        "dei_rows_compared": int(root_rows.sum()),
    }


def machine() -> dict:
    import duckdb
    import numpy
    import pandas

    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "pandas": pandas.__version__,
        "numpy": numpy.__version__,
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


# fresh-process runs per variant at each size; the run with the median total is the one reported
DEFAULT_REPEAT = {"full": 3, "tiny": 1}


def _median_run(variant: str, data_dir: Path, work: Path, repeat: int) -> dict:
    """Run ``variant`` ``repeat`` times, each in a fresh process; report the run whose total is the median
    (the upper one of the two middle runs for an even count), with every run's total and peak beside it."""
    runs = [_run_in_fresh_process(variant, data_dir, work) for _ in range(repeat)]
    totals = [run["total_seconds"] for run in runs]
    chosen = dict(runs[sorted(range(repeat), key=totals.__getitem__)[repeat // 2]])
    chosen["runs"] = {
        "count": repeat,
        "reported": "the run with the median total_seconds",
        "total_seconds": totals,
        "peak_rss_mb": [run["peak_rss_mb"] for run in runs],
    }
    return chosen


def run_bench(size: str = "full", out: Path = DEFAULT_OUT, repeat: int | None = None) -> dict:
    repeat = DEFAULT_REPEAT[size] if repeat is None else repeat
    if repeat < 1:
        raise ValueError(f"repeat = {repeat}: at least one run per variant")
    results: dict[str, Any] = {
        "synthetic_data": True,
        "size": size,
        "repeat": repeat,
        "machine": machine(),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "method": METHOD,
        "cases": {},
        "targets": TARGETS,
    }
    with tempfile.TemporaryDirectory(prefix="dei-bench-") as tmp:
        work = Path(tmp)
        data_dir = work / "data"
        data = write_inputs(size, data_dir)
        engine = _median_run("engine", data_dir, work, repeat)
        pandas_result = _median_run("pandas", data_dir, work, repeat)
        root = engine.pop("root")
        check = compare(work, root)
        national = {
            "data": data,
            "engine": engine,
            "pandas": pandas_result,
            "speedup": round(pandas_result["total_seconds"] / engine["total_seconds"], 2)
            if engine["total_seconds"] > 0
            else None,
            "speedup_build_only": round(pandas_result["build_seconds"] / engine["build_seconds"], 2)
            if engine["build_seconds"] > 0
            else None,
            **check,
        }
        results["cases"]["national"] = national
        hierarchy = write_hierarchy_inputs(size, data_dir)
        results["cases"]["two_level"] = {"data": hierarchy, "engine": _median_run("two_level", data_dir, work, repeat)}
        available, why = _asem_available()
        if available:
            try:
                results["cases"]["asem"] = {"status": "ok", "engine": _run_in_fresh_process("asem", data_dir, work)}
            except RuntimeError as exc:
                results["cases"]["asem"] = {"status": "failed", "error": str(exc)[-2000:]}
        else:
            results["cases"]["asem"] = {"status": "asem: not available yet", "reason": why}
        try:
            results["cases"]["cli_startup"] = cli_startup(work, repeat)
        except RuntimeError as exc:
            results["cases"]["cli_startup"] = {"status": "failed", "error": str(exc)[-2000:]}
    # the national targets; cli_startup carries its own meets_targets
    results["meets_targets"] = bool(
        engine["total_seconds"] <= TARGETS["national_total_seconds"]
        and engine["peak_rss_mb"] / 1024 <= TARGETS["national_peak_gb"]
    )
    build = float(engine.get("build_seconds", engine["total_seconds"]))
    results["nominal_build"] = {
        "seconds": round(build, 4),
        "target_seconds": NOMINAL_BUILD_TARGET_SECONDS,
        "met": build <= NOMINAL_BUILD_TARGET_SECONDS,
        "missed_by_seconds": round(max(0.0, build - NOMINAL_BUILD_TARGET_SECONDS), 4),
        "source": "issue 12: the nominal national build itself, 1 s or less",
    }
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return results


def table(results: dict) -> str:
    national = results["cases"]["national"]
    engine, pandas_result = national["engine"], national["pandas"]
    lines = [
        f"SYNTHETIC national panel ({results['size']}): {national['data']['units']} units x "
        f"{national['data']['indicators']} indicators x {national['data']['periods']} periods "
        f"= {national['data']['values']:,} values",
        f"{'step':<20}{'engine s':>10}{'engine MB':>11}{'pandas s':>10}{'pandas MB':>11}",
    ]
    names = list(engine["steps"]) + [s for s in pandas_result["steps"] if s not in engine["steps"]]
    for name in names:
        e = engine["steps"].get(name, {})
        p = pandas_result["steps"].get(name, {})

        def cell(entry, key, width, fmt):
            value = entry.get(key)
            return f"{format(value, fmt):>{width}}" if value is not None else f"{'-':>{width}}"

        lines.append(
            f"{name:<20}{cell(e, 'seconds', 10, '.3f')}{cell(e, 'peak_rss_mb', 11, '.0f')}"
            f"{cell(p, 'seconds', 10, '.3f')}{cell(p, 'peak_rss_mb', 11, '.0f')}"
        )
    lines.append(
        f"{'total':<20}{engine['total_seconds']:>10.3f}{engine['peak_rss_mb']:>11.0f}"
        f"{pandas_result['total_seconds']:>10.3f}{pandas_result['peak_rss_mb']:>11.0f}"
    )
    lines.append(
        f"speedup {national['speedup']}x (build only {national['speedup_build_only']}x); "
        f"max |DEI engine - pandas| = {national['max_abs_diff_dei']:.3g}; "
        f"rank mismatches {national['rank_mismatches']}"
    )
    asem = results["cases"]["asem"]
    if asem.get("status") == "ok":
        a = asem["engine"]
        lines.append(
            f"asem (COINr reference build): {a['total_seconds']:.3f} s in all, engine build {a['build_seconds']:.3f} s, "
            f"peak {a['peak_rss_mb']:.0f} MB"
        )
    else:
        lines.append(f"asem: {asem.get('status')} {asem.get('reason', asem.get('error', ''))[:200]}")
    two = results["cases"].get("two_level")
    if two:
        t2, d2 = two["engine"], two["data"]
        county, prefecture = t2["levels"]["county"], t2["levels"]["prefecture"]
        lines.append(
            f"two-level (SYNTHETIC {d2['prefectures']} prefectures + {d2['counties']:,} counties x "
            f"{d2['indicators']} indicators x {d2['periods']} periods): county build {county['build_seconds']:.2f} s "
            f"(with ranks within the prefecture), prefecture build {prefecture['build_seconds']:.2f} s, "
            f"{t2['total_seconds']:.2f} s in all, peak {t2['peak_rss_mb']:.0f} MB; one level "
            f"({national['data']['units']:,} units): {engine['total_seconds']:.2f} s, peak {engine['peak_rss_mb']:.0f} MB"
        )
    for variant, measured in (("engine", engine), ("pandas", pandas_result)):
        runs = measured.get("runs")
        if runs and runs["count"] > 1:
            totals = ", ".join(f"{x:.3f}" for x in runs["total_seconds"])
            lines.append(f"{variant}: {runs['count']} runs, total seconds {totals}; the median run is shown")
    cli = results["cases"].get("cli_startup") or {}
    if cli.get("status") == "ok":
        shown = ", ".join(
            f"{name} {c['seconds']:.2f} s (target {cli['targets'][name + '_seconds']} s)"
            for name, c in cli["commands"].items()
        )
        lines.append(f"cli_startup (whole processes): {shown}: {'met' if cli['meets_targets'] else 'NOT met'}")
    elif cli:
        lines.append(f"cli_startup: {cli.get('status')} {cli.get('error', '')[:200]}")
    nominal = results.get("nominal_build")
    if nominal:
        verdict = "met" if nominal["met"] else f"NOT met, missed by {nominal['missed_by_seconds']:.2f} s"
        lines.append(
            f"nominal build {nominal['seconds']:.2f} s (target {nominal['target_seconds']:g} s, issue 12): {verdict}"
        )
    t = results["targets"]
    lines.append(
        f"targets: total <= {t['national_total_seconds']} s and peak <= {t['national_peak_gb']} GB: "
        f"{'met' if results['meets_targets'] else 'NOT met'}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--repeat",
        type=int,
        help="fresh-process runs per variant; the median run is reported"
        f" (default: {DEFAULT_REPEAT['full']} at full size, {DEFAULT_REPEAT['tiny']} at tiny)",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args.worker, args.data, args.work, args.work / f"{args.worker}_result.json")
        return 0
    results = run_bench(args.size, args.out, args.repeat)
    print(table(results))
    print(f"written to {args.out}")
    return 0
