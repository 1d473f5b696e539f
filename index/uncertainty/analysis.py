"""Uncertainty and sensitivity analysis: the discrete variants through the real engine, replicates by matrices.

The discrete choices of an uncertainty spec (imputation, treatment, normalisation, whole weight schemes) form
few *variants*; each is one build of the real engine (DuckDB, index.engine.run) from which the normalised
matrix (unit-periods × indicators) and the nominal weights are read. Everything a replicate varies beyond
that (weight noise, the aggregation, leaving a node out) is applied to those matrices in numpy, level by
level, with the engine's rules: weighted means over the children taking part (a score and a weight > 0),
geometric and harmonic means through logs and reciprocals, a non-positive child an error or shifted per node
over the whole data set, ranks 1 = best with ties sharing the min rank. No loop runs over replicates or
units: replicates are grouped by (variant, aggregation, exclusion) and computed as matrix products.

Leaving a node out is a zero weight, which is the same build as a framework without it whenever nothing
upstream of normalisation looks across indicators; where something does (knn imputation, data-driven
weights, a screening threshold that the removal would move) that exclusion is one more engine build of the
framework without the node.

Before any replicate, the fast path recomputes the nominal build and must agree with the engine's own
scores and ranks (:meth:`Replicator.check_nominal`).

At national scale (3,000 units × 20 periods) the same numbers come in bounded memory and time: ranks sort
packed 64-bit keys (:func:`min_ranks`, a stable argsort where the packing is not exact), the replicates are
summarised period by period as they come (:func:`monte_carlo_summary`, in passes over groups of periods when
they would not fit), the aggregation's elementwise work runs in blocks of rows with one BLAS thread, and the
engine's results are read as Arrow columns and placed by vectorised lookups (:class:`Rows`).
"""

from __future__ import annotations

import copy
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.engine.vocabulary import UNIT_COMPARING_METHODS
from index.errors import ConfigError
from index.uncertainty import spec as uspec

Progress = Callable[[str, int, int], None]
INPUT_TABLES = ("framework", "weights", "units", "observations", "unit_groups")
CHUNK = 1024  # replicates evaluated together: bounds the (replicates × rows × children) arrays
POSITIVE_MEANS = ("gmean", "hmean", "genmean")
CHECK_TOLERANCE = 1e-9
BUILD_THREADS = 3  # engine builds at a time (see Replicator._build_variants)


# ----------------------------------------------------------------------------------------------- inputs


@dataclass
class Inputs:
    """The engine's input tables (Arrow) and the checked nominal method spec."""

    tables: dict
    method: dict
    source: str
    scheme_dirs: list[Path] = field(default_factory=list)  # where a weights.schemes file may be found
    sandboxed: bool = True
    # a build of one unit level of a larger framework (the DEI's 旗县, index.levels): a weights.schemes file
    # weights the whole framework, so it is checked against that one and rescaled to the level, as
    # index.compute.run_engine does with the nominal scheme
    whole_framework: object = None  # pandas DataFrame, or None: the tables' framework is the whole one
    level: str | None = None


def _tables_of(con, names=INPUT_TABLES) -> dict:
    present = {n for (n,) in con.execute("select table_name from information_schema.tables").fetchall()}
    return {name: con.sql(f'select * from "{name}"').to_arrow_table() for name in names if name in present}


def coinr_inputs(framework_dir: str | Path, method_path: str | Path) -> Inputs:
    """A framework in COINr's layout (imeta.csv, idata.csv) with its method spec, as the COINr door reads it."""
    from index.coinr import open_inputs

    framework_dir, method_path = Path(framework_dir), Path(method_path)
    con, method, _, used = open_inputs(framework_dir, method_path, threads=None)
    try:
        if used not in (None, "metadata") and Path(used).is_file():
            method.setdefault("weights", {})["scheme"] = "metadata"  # the file is now the weights table
        tables = _tables_of(con)
    finally:
        con.close()
    return Inputs(tables, method, str(framework_dir), [method_path.parent.resolve(), framework_dir.resolve()])


def lake_inputs(weights: str | Path | None = None, method: str | Path | None = None, cfg=None) -> Inputs:
    """The DEI lake: the inputs index.compute.run_engine loads (curated lake, framework, scheme, method)."""
    from index.compute import allowed_roots, run_engine
    from index.config import settings

    cfg = cfg or settings()
    run = run_engine(weights, method, cfg)
    try:
        tables = _tables_of(run.con, ("framework", "weights", "units", "observations"))
    finally:
        run.con.close()
    return Inputs(tables, run.method_spec, "the curated lake", [cfg.sql.parent.resolve(), *allowed_roots(cfg)])


# ----------------------------------------------------------------------------------------------- the tree


@dataclass
class Tree:
    """The framework's nodes as index arrays: indicators 0..C-1, then aggregates (lowest level first)."""

    indicators: list[str]
    aggregates: list[str]
    parent: np.ndarray  # node index -> parent's aggregate position, -1 for the root
    level: dict
    children: dict  # aggregate position -> (indicator positions, aggregate positions)
    agg_levels: list[int]
    root: str

    @property
    def nodes(self) -> list[str]:
        return self.indicators + self.aggregates

    @classmethod
    def of(cls, framework) -> Tree:
        rows = [r for r in framework.to_pylist() if r["node_type"] in ("Indicator", "Aggregate")]
        indicators = [r["node_id"] for r in rows if r["node_type"] == "Indicator"]
        aggregates = [
            r["node_id"]
            for r in sorted(
                (r for r in rows if r["node_type"] == "Aggregate"), key=lambda r: (int(r["level"]), r["node_id"])
            )
        ]
        agg_pos = {n: i for i, n in enumerate(aggregates)}
        nodes = indicators + aggregates
        parent_of = {r["node_id"]: r["parent_id"] for r in rows}
        parent = np.array([agg_pos[parent_of[n]] if parent_of[n] is not None else -1 for n in nodes])
        children = {a: ([], []) for a in range(len(aggregates))}
        for i in range(len(nodes)):
            if parent[i] >= 0:
                (children[parent[i]][0] if i < len(indicators) else children[parent[i]][1]).append(
                    i if i < len(indicators) else i - len(indicators)
                )
        level = {r["node_id"]: int(r["level"]) for r in rows}
        roots = [n for n in nodes if parent_of[n] is None]
        return cls(
            indicators,
            aggregates,
            parent,
            level,
            {a: (np.array(c[0], int), np.array(c[1], int)) for a, c in children.items()},
            sorted({level[a] for a in aggregates}),
            roots[0],
        )

    def subtree(self, node: str) -> set[str]:
        """The node and every node below it."""
        nodes = self.nodes
        below = {node}
        for _ in self.agg_levels:  # one pass per level reaches every descendant
            below |= {
                n for i, n in enumerate(nodes) if self.parent[i] >= 0 and self.aggregates[self.parent[i]] in below
            }
        return below


# ----------------------------------------------------------------------------------------------- builds


@dataclass
class Build:
    """One engine build: its normalised matrix on the replicator's rows, its weights, its scores."""

    method: dict
    X: np.ndarray  # rows × indicators, NaN = no value (or screened out)
    weights: np.ndarray  # node index -> weight under its parent (0 for the root)
    scores: np.ndarray | None  # rows × aggregates, the engine's own (nominal check, exclusions)
    ranks: np.ndarray | None
    present: np.ndarray | None  # rows × indicators: counted by screening (raw or imputed data)
    kept: np.ndarray | None  # rows: kept by screening
    seconds: float
    excluded: tuple = ()
    weights_table: object = None  # the weights table it was built with (None: the inputs')


def engine_build(
    inputs: Inputs,
    method: dict,
    tree: Tree,
    rows: Rows | None = None,
    exclude: tuple = (),
    weights_table=None,
    screening: bool = False,
):
    """Run the real engine on a fresh connection holding copies of the inputs; return its tables."""
    import duckdb

    from index import engine, sandbox
    from index.compute import _engine_limits

    started = time.perf_counter()
    con = duckdb.connect(config={"threads": 1})  # reproducible to the last digit, as compute's build
    try:
        for name, table in inputs.tables.items():
            con.register("input_table", table)
            con.execute(f'create table "{name}" as select * from input_table')
            con.unregister("input_table")
        if weights_table is not None:
            con.register("input_table", weights_table)
            con.execute(
                "create or replace table weights as select node_id, cast(weight as double) as weight from input_table"
            )
            con.unregister("input_table")
        if exclude:
            _remove_nodes(con, tree, exclude)
        if inputs.sandboxed:
            sandbox.close_engine_connection(con)
            con.execute("set preserve_insertion_order = false")
            sandbox.lock_configuration(con)
        with _engine_limits(con, "the engine steps"):
            engine.run(con, method)
        # Arrow columns, not numpy: no Python string per cell (Rows looks the keys up vectorised)
        normalised = _columns(con, "select unit_code, period, indicator_id, normalised from normalise")
        weights = con.execute("select node_id, weight from weights").fetchnumpy()
        scores = _columns(
            con,
            "select unit_code, period, node_id, score, rank from node_scores"
            " where node_id in (select node_id from framework where node_type = 'Aggregate')",
        )
        availability = None
        if screening:
            on = method["screen"]["on"]
            column = "raw_value" if on == "raw" else "filled_value"
            availability = _columns(
                con, f"select unit_code, period, indicator_id, {column} is not null as present from impute"
            )
            kept = _columns(con, "select unit_code, period from screen_units where kept")
        periods = sorted(int(p) for (p,) in con.execute("select distinct period from stage").fetchall())
        units = sorted(str(u) for (u,) in con.execute("select distinct unit_code from stage").fetchall())
    finally:
        con.close()
    if rows is None:
        rows = Rows(units, periods)
    build = Build(
        method,
        rows.matrix(
            normalised["unit_code"],
            normalised["period"],
            normalised["indicator_id"],
            normalised["normalised"],
            tree.indicators,
        ),
        _weight_vector(tree, weights),
        None,
        None,
        None,
        None,
        0.0,
        tuple(exclude),
    )
    build.scores = rows.matrix(
        scores["unit_code"], scores["period"], scores["node_id"], scores["score"], tree.aggregates
    )
    build.ranks = rows.matrix(scores["unit_code"], scores["period"], scores["node_id"], scores["rank"], tree.aggregates)
    if availability is not None:
        build.present = (
            rows.matrix(
                availability["unit_code"],
                availability["period"],
                availability["indicator_id"],
                availability["present"],
                tree.indicators,
            )
            == 1.0
        )
        build.kept = np.zeros(rows.n, bool)
        build.kept[rows.index(kept["unit_code"], kept["period"])] = True
    build.seconds = time.perf_counter() - started
    return build, rows


def _columns(con, query: str) -> dict:
    """A query's result as Arrow columns by name."""
    table = con.sql(query).to_arrow_table()
    return {name: table.column(name) for name in table.column_names}


def _weight_vector(tree: Tree, weights) -> np.ndarray:
    by_node = dict(zip((str(n) for n in weights["node_id"]), (float(w) for w in weights["weight"])))
    return np.array([by_node.get(n, 0.0) if tree.parent[i] >= 0 else 0.0 for i, n in enumerate(tree.nodes)])


def _remove_nodes(con, tree: Tree, exclude: tuple) -> None:
    """The framework without the excluded nodes and everything under them; siblings' weights rescaled to 1."""
    gone = set().union(*(tree.subtree(n) for n in exclude))
    con.execute("create or replace temp table excluded_nodes as select unnest(?::varchar[]) as node_id", [sorted(gone)])
    con.execute("delete from framework where node_id in (select node_id from excluded_nodes)")
    con.execute("delete from weights where node_id in (select node_id from excluded_nodes)")
    con.execute(
        """
        create or replace table weights as
        select weights.node_id,
               weights.weight / sum(weights.weight) over (partition by framework.parent_id) as weight
        from weights join framework using (node_id)
        """
    )


class Rows:
    """Unit-periods as matrix rows, period-major: row = period position × units + unit position."""

    def __init__(self, units: list[str], periods: list[int]):
        self.units, self.periods = list(units), list(periods)
        self.unit_pos = {u: i for i, u in enumerate(self.units)}
        self.period_pos = {p: i for i, p in enumerate(self.periods)}
        self.n = len(self.units) * len(self.periods)

    def index(self, units, periods) -> np.ndarray:
        u = _positions(units, self.units, str)
        p = _positions(periods, self.periods, int)
        if (u < 0).any() or (p < 0).any():  # as a dict lookup would: an unknown unit or period is a bug
            bad = _first_missing(units, u) if (u < 0).any() else _first_missing(periods, p)
            raise KeyError(bad)
        return p * len(self.units) + u

    def matrix(self, units, periods, keys, values, columns: list[str]) -> np.ndarray:
        out = np.full((self.n, len(columns)), np.nan)
        if len(keys) == 0:
            return out
        cols = _positions(keys, columns, str)
        keep = cols >= 0
        vals = _floats(values)
        out[self.index(_take(units, keep), _take(periods, keep)), cols[keep]] = vals[keep]
        return out

    def labels(self) -> tuple[np.ndarray, np.ndarray]:
        return (
            np.tile(np.array(self.units, dtype=object), len(self.periods)),
            np.repeat(np.array(self.periods), len(self.units)),
        )


def _positions(values, lookup: list, cast) -> np.ndarray:
    """Position of every value in ``lookup`` (-1: not there), as ``lookup.index(cast(value))`` would give, but
    vectorised: Arrow's hash lookup for Arrow columns, pandas' get_indexer for arrays; a value the fast lookup
    misses (another type than the lookup's) is looked up again through ``cast``, one by one."""
    import pandas as pd

    if _is_arrow(values):
        import pyarrow as pa
        import pyarrow.compute as pc

        target = pa.string() if cast is str else pa.int64()
        try:
            found = pc.index_in(values.cast(target), value_set=pa.array(lookup, type=target))
            return np.asarray(found.fill_null(-1).to_numpy(), dtype=np.int64)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OverflowError):
            values = values.to_numpy(zero_copy_only=False)
    values = np.asarray(values)
    if values.size == 0:
        return np.zeros(0, np.int64)
    pos = pd.Index(lookup, dtype=object).get_indexer(values.astype(object)).astype(np.int64)
    missed = np.flatnonzero(pos < 0)
    if missed.size:
        where = {v: i for i, v in enumerate(lookup)}
        for i in missed:
            try:
                pos[i] = where.get(cast(values[i]), -1)
            except (TypeError, ValueError):
                pos[i] = -1
    return pos


def _is_arrow(values) -> bool:
    return type(values).__module__.startswith("pyarrow")


def _take(values, keep: np.ndarray):
    if keep.all():
        return values
    if _is_arrow(values):
        import pyarrow as pa

        return values.filter(pa.array(keep))
    return np.asarray(values)[keep]


def _floats(values) -> np.ndarray:
    """Values as float64, NULL (Arrow) or masked (numpy) = NaN."""
    if _is_arrow(values):
        import pyarrow as pa

        if pa.types.is_boolean(values.type):
            values = values.cast(pa.float64())
        return np.asarray(values.to_numpy(), dtype=float)
    return np.ma.filled(np.ma.asarray(values, dtype=float), np.nan)


def _first_missing(values, pos: np.ndarray):
    i = int(np.flatnonzero(pos < 0)[0])
    return values[i].as_py() if _is_arrow(values) else np.asarray(values)[i]


# ----------------------------------------------------------------------------------------------- ranks


# Scores closer than this (× max(1, |score|)) are tied. The engine's SQL sums and numpy's add in different
# orders, so two units whose scores are equal in exact arithmetic (percentile ranks permuted across
# indicators, winsorised values) can differ by a few ulps either way; rounding noise must never order them.
TIE_TOLERANCE = 1e-10


def min_ranks(values: np.ndarray, dtype=float) -> np.ndarray:
    """Rank along the last axis: 1 = highest, ties share the lowest rank (SQL rank()), NaN = no rank and
    pushes nobody down; scores within TIE_TOLERANCE are tied. Vectorised: one sort over every leading index
    at once, of packed 64-bit keys (:func:`_packed_order`); the rows the packing cannot order exactly are
    ranked by :func:`min_ranks_argsort`, so the ranks are always that function's. ``dtype``: float (no rank
    = NaN) or an unsigned integer type (no rank = 0; the caller sees that the ranks fit)."""
    values = np.asarray(values, dtype=float)
    dtype = np.dtype(dtype)
    n = values.shape[-1]
    if n < 2 or values.size == 0:
        return _as_ranks(min_ranks_argsort(values), dtype)
    flat = values.reshape(-1, n)
    out = np.empty(flat.shape, dtype)
    # blocks of rows of a few MB: the temporaries stay in cache and are reused, not fresh pages every time
    step = max(1, RANK_BLOCK // n)
    for start in range(0, flat.shape[0], step):
        block = flat[start : start + step]
        neg = np.negative(block)  # a contiguous copy
        flat_order, ordered, exact = _packed_order(neg)
        ranked = _ranks_of_sorted(ordered, dtype)
        out[start : start + step].reshape(-1)[flat_order] = ranked.reshape(-1)  # back to the values' places
        if not exact.all():
            redo = np.flatnonzero(~exact)
            out[start + redo] = _as_ranks(min_ranks_argsort(block[redo]), dtype)
    return out.reshape(values.shape)


def _as_ranks(ranks: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if dtype.kind == "f":
        return ranks.astype(dtype, copy=False)
    return np.where(np.isnan(ranks), 0, ranks).astype(dtype)


def min_ranks_argsort(values: np.ndarray) -> np.ndarray:
    """:func:`min_ranks` the straightforward way: a stable argsort of the negated values (the oracle)."""
    neg = -np.asarray(values, dtype=float)
    order = np.argsort(neg, axis=-1, kind="stable")  # NaN sorts last
    ordered = np.take_along_axis(neg, order, axis=-1)
    ranked = _ranks_of_sorted(ordered)
    out = np.empty_like(ranked)
    np.put_along_axis(out, order, ranked, axis=-1)
    return out


def _ranks_of_sorted(ordered: np.ndarray, dtype=float) -> np.ndarray:
    """Min ranks of values sorted ascending along the last axis (NaN last): a new rank where the gap to the
    previous value exceeds TIE_TOLERANCE × max(1, |value|). No rank: NaN, or 0 for an integer ``dtype``."""
    n = ordered.shape[-1]
    new = np.ones(ordered.shape, bool)
    gap = ordered[..., 1:] - ordered[..., :-1]
    with np.errstate(invalid="ignore"):
        new[..., 1:] = ~(gap <= TIE_TOLERANCE * np.maximum(1.0, np.abs(ordered[..., 1:])))
    start = np.where(new, np.arange(n), 0)
    np.maximum.accumulate(start, axis=-1, out=start)
    start += 1
    dtype = np.dtype(dtype)
    ranked = start.astype(dtype)
    ranked[np.isnan(ordered)] = np.nan if dtype.kind == "f" else 0
    return ranked


RANK_BLOCK = 1 << 17  # values ranked together (1 MB of float64)
ROW_BLOCK = 1 << 16  # samples × rows aggregated together elementwise
_SIGN = np.uint64(1 << 63)
_ALL = np.uint64(0xFFFF_FFFF_FFFF_FFFF)


def _packed_order(neg: np.ndarray):
    """Sort every row of ``neg`` (2-D, float64) ascending, NaN last, by one np.sort of 64-bit keys: the
    float's order-preserving bit pattern with its low b bits replaced by the column (b = bits for n columns).
    Keys are distinct, so no argsort and no stable sort is needed. Dropping b bits of the mantissa can merge
    values that differ by less than 2^(b-52) relative; a row is *exact* when its values, read back in key
    order, are non-decreasing (NaN last): then it is an ascending order of the exact values, and ranks depend
    on nothing else. Returns (the flat positions in ``neg`` in that order, the values in that order, exact per
    row)."""
    rows, n = neg.shape
    b = max(1, int(n - 1).bit_length())
    low = np.uint64((1 << b) - 1)
    bits = neg.view(np.uint64)
    keys = np.where(bits & _SIGN, ~bits, bits | _SIGN)  # negative floats: all bits flipped; else sign bit set
    keys[np.isnan(neg)] = _ALL
    keys &= ~low
    keys |= np.arange(n, dtype=np.uint64)[None, :]
    keys.sort(axis=-1)
    order = (keys & low).astype(np.intp)
    del keys
    order += (np.arange(rows) * n)[:, None]  # flat positions: one 1-D take, no broadcast index
    order = order.reshape(-1)
    ordered = neg.reshape(-1)[order].reshape(rows, n)
    with np.errstate(invalid="ignore"):
        fine = (ordered[:, 1:] >= ordered[:, :-1]) | np.isnan(ordered[:, 1:])
    return order, ordered, fine.all(axis=1)


# ----------------------------------------------------------------------------------------------- inputs varied


@dataclass
class Choice:
    """One uncertain input: its name and alternatives (labels); ``values`` are what the replicator applies."""

    name: str
    labels: list[str]
    values: list

    @property
    def k(self) -> int:
        return len(self.labels)


def _label(section: dict) -> str:
    if section.get("method") != "minmax":
        section = {k: v for k, v in section.items() if k != "range"}  # the default range means nothing there
    return json.dumps(section, sort_keys=True, ensure_ascii=False, separators=(",", "="))[1:-1].replace('"', "")


def _sections_choice(name: str, section, nominal: dict) -> Choice:
    """A step whose alternatives are whole method-spec sections; the nominal one when the spec leaves it out."""
    if section:
        alts = [a.as_dict() for a in section.alternatives]
        return Choice(name, [_label(a) for a in alts], alts)
    return Choice(name, ["nominal"], [nominal[name]])


def choices(inputs: Inputs, spec: uspec.UncertaintySpec, tree: Tree) -> list[Choice]:
    """The uncertain inputs in a fixed order; a step the spec leaves out has one alternative, the nominal."""
    nominal = inputs.method
    out = []
    out.append(_sections_choice("impute", spec.impute, nominal))
    if spec.treat:
        base = dict(nominal["treat"])
        base.setdefault("skew", 2.0), base.setdefault("kurtosis", 3.5)
        alts = [dict(base, method="winsorise_then_log", winmax=w) for w in spec.treat.winmax_values()]
        if not alts:
            alts = [dict(nominal["treat"])]
        if spec.treat.off and all(a["method"] != "none" for a in alts):
            alts.append({"method": "none"})
        labels = [f"winmax={a['winmax']}" if a["method"] != "none" else "none" for a in alts]
        out.append(Choice("treat", labels, alts))
    else:
        out.append(Choice("treat", ["nominal"], [nominal["treat"]]))
    out.append(_sections_choice("normalise", spec.normalise, nominal))
    if spec.weights and spec.weights.schemes:
        out.append(Choice("weights", list(spec.weights.schemes), list(spec.weights.schemes)))
    else:
        out.append(Choice("weights", ["nominal"], [None]))
    if spec.weights and spec.weights.noise:
        levels = {tree.level[n] for i, n in enumerate(tree.nodes) if tree.parent[i] >= 0}
        unknown = sorted(set(int(k) for k in spec.weights.noise) - levels)
        if unknown:
            raise ConfigError(
                f"weights.noise names level(s) {unknown} holding no weighted node; levels: {sorted(levels)}"
            )
        label = ", ".join(f"level {k} ±{v:g}" for k, v in sorted(spec.weights.noise.items()))
        out.append(Choice("weight_noise", [label], [dict(spec.weights.noise)]))
    out.append(_sections_choice("aggregate", spec.aggregate, nominal))
    if spec.exclusion and spec.exclusion.uncertain:
        nodes = exclusion_candidates(spec.exclusion, tree)
        out.append(Choice("exclusion", ["none", *nodes], [None, *nodes]))
    return out


def exclusion_candidates(section: uspec.Exclusion, tree: Tree) -> list[str]:
    """The nodes left out one at a time; a node that is its parent's only child cannot be (the parent would
    have no children), so it is refused by name."""
    nodes = section.nodes or [n for n in tree.nodes if tree.level[n] == section.level and n != tree.root]
    unknown = [n for n in nodes if n not in tree.level]
    if unknown:
        raise ConfigError(f"exclusion.nodes: unknown node(s) {unknown}")
    if tree.root in nodes:
        raise ConfigError(f"exclusion.nodes: the root {tree.root} cannot be left out")
    if not nodes:
        raise ConfigError(f"exclusion.level = {section.level}: no node on that level")
    lonely = []
    for n in nodes:
        p = tree.parent[tree.nodes.index(n)]
        if sum(len(c) for c in tree.children[p]) < 2:
            lonely.append(n)
    if lonely:
        raise ConfigError(f"exclusion: {lonely} are the only child of their parent; leave them out of exclusion.nodes")
    return list(nodes)


# ----------------------------------------------------------------------------------------------- the replicator


class Replicator:
    """Builds every variant once through the engine and evaluates batches of replicates in numpy."""

    def __init__(self, inputs: Inputs, spec: uspec.UncertaintySpec, progress: Progress | None = None):
        self.inputs, self.spec = inputs, spec
        self.progress = progress or (lambda *_: None)
        self.tree = Tree.of(inputs.tables["framework"])
        for name, section in (("nominal method", inputs.method["aggregate"]),):
            for used in sorted(set(UNIT_COMPARING_METHODS) & {section["method"], *section.get("levels", {}).values()}):
                raise ConfigError(f"the {name} aggregates with {used}, which the uncertainty analysis does not offer")
        if inputs.method.get("weights", {}).get("scope", "panel") != "panel":
            # the replicates multiply each variant's normalised matrix by ONE weight vector per node
            raise ConfigError(
                "the nominal method has weights.scope = 'period' (objective weights derived per period), which the "
                "uncertainty analysis does not offer: its replicates apply one weight per node to every period; "
                "analyse the method with weights.scope = 'panel'"
            )
        self.target = spec.target or self.tree.root
        if self.target not in self.tree.aggregates:
            raise ConfigError(f"target = {self.target!r} is not an aggregate node; aggregates: {self.tree.aggregates}")
        if spec.exclusion is not None:
            exclusion_candidates(spec.exclusion, self.tree)  # a bad node is named before any build
        self.choices = choices(inputs, spec, self.tree)
        self.by_name = {c.name: c for c in self.choices}
        self.screening = inputs.method["screen"]["min_data"] > 0
        self.builds: list[Build] = []  # the nominal first, then the variants
        self.variant_of: dict[tuple, int] = {}
        self._rebuilt: dict[tuple, int] = {}
        self._build_variants()  # sets nominal and rows too
        self.agg_levels = self.tree.agg_levels
        self.check_nominal()

    # variants: every combination of the engine-side choices
    def _method_for(self, key: tuple) -> tuple[dict, object]:
        method = copy.deepcopy(self.inputs.method)
        imp, treat, norm, scheme = (self.choices[i].values[k] for i, k in enumerate(key))
        method["impute"], method["treat"], method["normalise"] = imp, treat, norm
        weights_table = None
        if scheme is not None:
            weights_table, name = self._scheme(scheme)
            method["weights"] = {"scheme": name}
        from index.engine import validate_method

        return validate_method(method, "uncertainty variant"), weights_table

    def _scheme(self, scheme: str):
        from index.engine.spec import NAMED_WEIGHT_SCHEMES

        if scheme in NAMED_WEIGHT_SCHEMES:
            return None, scheme
        import pyarrow as pa

        from index.framework import load_weights

        for root in self.inputs.scheme_dirs:
            path = (root / scheme).resolve()
            if path.is_file() and any(path.is_relative_to(r) for r in self.inputs.scheme_dirs):
                if self.inputs.whole_framework is not None:
                    from index.levels import level_framework

                    whole = self.inputs.whole_framework
                    _, weights = level_framework(whole, load_weights(path, whole), self.inputs.level)
                else:
                    weights = load_weights(path, self.inputs.tables["framework"].to_pandas())
                return pa.Table.from_pandas(weights, preserve_index=False), "metadata"
        raise ConfigError(
            f"weights.schemes: {scheme!r} is neither one of {list(NAMED_WEIGHT_SCHEMES)} nor a"
            f" weight-scheme file in {[str(r) for r in self.inputs.scheme_dirs]}"
        )

    def _build_variants(self) -> None:
        """The nominal build and one engine build per distinct variant, BUILD_THREADS at a time: each is a
        chain of small DuckDB statements with Python between them, so three connections keep two cores busier
        than two do (national scale: three builds in 7.9 s at once, against 10.8 s for the nominal, then two).
        Every variant is read onto the nominal's rows (the same units and periods: staging comes before any
        step a variant changes); one whose own rows differed would be read again onto them."""
        from concurrent.futures import ThreadPoolExecutor, as_completed

        keys = list(itertools.product(*(range(c.k) for c in self.choices[:4])))
        seen = {json.dumps(self.inputs.method, sort_keys=True, default=str) + "|None": 0}
        todo = {}
        for key in keys:
            method, weights_table = self._method_for(key)
            fingerprint = json.dumps(method, sort_keys=True, default=str) + f"|{self.choices[3].values[key[3]]}"
            if fingerprint not in seen and fingerprint not in todo:
                todo[fingerprint] = (method, weights_table)
            self.variant_of[key] = fingerprint
        pool = ThreadPoolExecutor(max_workers=BUILD_THREADS)
        try:
            nominal = pool.submit(engine_build, self.inputs, self.inputs.method, self.tree, screening=self.screening)
            futures = {
                pool.submit(
                    engine_build,
                    self.inputs,
                    method,
                    self.tree,
                    None,
                    weights_table=weights_table,
                    screening=self.screening,
                ): fingerprint
                for fingerprint, (method, weights_table) in todo.items()
            }
            self.nominal, self.rows = nominal.result()  # its errors first, as when it was built alone
            built = {}
            for done, future in enumerate(as_completed(futures)):
                build, rows = future.result()
                fingerprint = futures[future]
                if rows.units != self.rows.units or rows.periods != self.rows.periods:
                    method, weights_table = todo[fingerprint]
                    build, _ = engine_build(
                        self.inputs, method, self.tree, self.rows, weights_table=weights_table, screening=self.screening
                    )
                built[fingerprint] = build
                self.progress("engine builds (variants)", done + 1, len(futures))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        self.builds = [self.nominal]
        for fingerprint in todo:  # in the order of the keys, whatever order the threads finished in
            build = built[fingerprint]
            build.weights_table = todo[fingerprint][1]
            self.builds.append(build)
            seen[fingerprint] = len(self.builds) - 1
        self.variant_of = {key: seen[fp] for key, fp in self.variant_of.items()}

    # exclusions: a zero weight, or a build of the framework without the node where that is not the same
    def _needs_rebuild(self, build: Build, node: str) -> bool:
        method = build.method
        if method["impute"]["method"] == "knn":
            return True
        from index.engine.vocabulary import OBJECTIVE_WEIGHT_SCHEMES

        if method.get("weights", {}).get("scheme") in OBJECTIVE_WEIGHT_SCHEMES:
            return True
        if self.screening:
            # the screening share counts every indicator of the framework: would the removal move it across?
            gone = [i for i, n in enumerate(self.tree.indicators) if n in self.tree.subtree(node)]
            left = np.ones(len(self.tree.indicators), bool)
            left[gone] = False
            share = build.present[:, left].sum(1) / left.sum()
            in_grid = build.present.any(1) | build.kept
            kept_after = in_grid & (share >= method["screen"]["min_data"])
            return bool((kept_after != build.kept).any())
        return False

    def resolve(self, variant: int, node: str | None) -> tuple[int, str | None]:
        """The build to use for (variant, excluded node), and the node still to zero (None when rebuilt)."""
        if node is None:
            return variant, None
        key = (variant, node)
        if key in self._rebuilt:
            return self._rebuilt[key], None
        base = self.builds[variant]
        if not self._needs_rebuild(base, node):
            return variant, node
        build, _ = engine_build(
            self.inputs,
            base.method,
            self.tree,
            self.rows,
            exclude=(node,),
            weights_table=base.weights_table,
            screening=self.screening,
        )
        self.builds.append(build)
        self._check_build(len(self.builds) - 1)
        self._rebuilt[key] = len(self.builds) - 1
        return self._rebuilt[key], None

    # the replicates
    def noise_pool(self, size: int, rng: np.random.Generator) -> np.ndarray | None:
        """size × nodes weight factors 1 + u, u uniform in [−share, share] for the nodes of a noisy level."""
        choice = self.by_name.get("weight_noise")
        if choice is None:
            return None
        share = np.array(
            [
                choice.values[0].get(str(self.tree.level[n]), 0.0) if self.tree.parent[i] >= 0 else 0.0
                for i, n in enumerate(self.tree.nodes)
            ]
        )
        return 1.0 + rng.uniform(-1.0, 1.0, size=(size, len(share))) * share

    def evaluate(
        self, picks: dict[str, np.ndarray], noise: np.ndarray | None = None, rows: slice | None = None
    ) -> np.ndarray:
        """Scores (samples × rows × aggregates) for samples given as alternative indices per choice name
        (``picks``, each an int array; a missing name = alternative 0) and weight factors ``noise``
        (samples × nodes, or None). ``rows``: only these rows are wanted (the others' root scores are not
        computed; every score of the wanted rows is the same as without)."""
        with _one_blas_thread():
            return self._evaluate(picks, noise, rows)

    def _evaluate(self, picks: dict[str, np.ndarray], noise: np.ndarray | None, wanted: slice | None) -> np.ndarray:
        n = len(next(iter(picks.values()))) if picks else (0 if noise is None else len(noise))
        get = lambda name: picks.get(name, np.zeros(n, int))  # noqa: E731
        engine_key = np.stack([get(c.name) for c in self.choices[:4]], axis=1)
        combos, inverse = np.unique(engine_key, axis=0, return_inverse=True)
        variant = np.array([self.variant_of[tuple(int(i) for i in k)] for k in combos])[inverse.ravel()]
        agg = get("aggregate")
        excl = get("exclusion")
        exclusion = self.by_name.get("exclusion")
        out = np.empty((n, self.rows.n, len(self.tree.aggregates)))
        groups, group_of = np.unique(np.stack([variant, agg, excl], axis=1), axis=0, return_inverse=True)
        group_of = group_of.ravel()
        for g, (v, a, e) in enumerate(groups):
            members = np.flatnonzero(group_of == g)
            node = exclusion.values[e] if exclusion is not None else None
            b, zero = self.resolve(int(v), node)
            build = self.builds[b]
            agg_spec = self.by_name["aggregate"].values[a]
            for start in range(0, len(members), CHUNK):
                sel = members[start : start + CHUNK]
                w = np.broadcast_to(build.weights, (len(sel), build.weights.size)).copy()
                if noise is not None:
                    w *= noise[sel]
                    w = self._renormalised(w)
                if zero is not None:
                    w[:, self.tree.nodes.index(zero)] = 0.0
                scores = self.aggregate(build.X, w, agg_spec, wanted)
                if zero is not None:  # as in a framework without it: the node and its subtree have no score
                    scores[:, :, self._gone_aggregates(zero)] = np.nan
                out[sel] = scores
        return out

    def _gone_aggregates(self, node: str) -> list[int]:
        gone = self.tree.subtree(node)
        return [i for i, a in enumerate(self.tree.aggregates) if a in gone]

    def replicate_build(self, picks: dict, noise: np.ndarray | None, r: int) -> Build:
        """Replicate ``r`` as one full engine build (the slow way: the bench's baseline, the tests' oracle):
        its variant's method with its aggregation, and its noisy weights as the weights table."""
        import pyarrow as pa

        key = tuple(int(picks[c.name][r]) if c.name in picks else 0 for c in self.choices[:4])
        variant = self.builds[self.variant_of[key]]
        method = copy.deepcopy(variant.method)
        method["aggregate"] = self.by_name["aggregate"].values[int(picks.get("aggregate", [0] * (r + 1))[r])]
        method["weights"] = {"scheme": "metadata"}
        w = variant.weights[None, :].copy()
        if noise is not None:
            w = self._renormalised(w * noise[r][None, :])
        exclusion = self.by_name.get("exclusion")
        node = exclusion.values[int(picks["exclusion"][r])] if exclusion is not None and "exclusion" in picks else None
        has = self.tree.parent >= 0
        table = pa.table({"node_id": [n for n, h in zip(self.tree.nodes, has) if h], "weight": w[0, has]})
        from index.engine import validate_method

        build, _ = engine_build(
            self.inputs,
            validate_method(method),
            self.tree,
            self.rows,
            exclude=(node,) if node else (),
            weights_table=table,
        )
        return build

    def _renormalised(self, w: np.ndarray) -> np.ndarray:
        parent = self.tree.parent
        has = parent >= 0
        sums = np.zeros((w.shape[0], len(self.tree.aggregates)))
        np.add.at(sums.T, parent[has], w[:, has].T)
        scale = np.ones_like(w)
        denom = sums[:, parent[has]]
        scale[:, has] = np.divide(1.0, denom, out=np.ones_like(denom), where=denom > 0)
        return w * scale

    def aggregate(self, X: np.ndarray, w: np.ndarray, agg_spec: dict, wanted: slice | None = None) -> np.ndarray:
        """The engine's aggregation for one normalised matrix and a batch of weight vectors, level by level.
        ``wanted``: the rows whose scores are needed; the root, which no node takes up, is computed on those
        only (its other rows are NaN). Every node below it needs every row (a shift looks at all of them)."""
        tree = self.tree
        n_s, C, n_rows = w.shape[0], len(tree.indicators), X.shape[0]
        # each aggregate's scores, samples × rows, contiguous; the returned array is a view of it
        by_node = np.empty((len(tree.aggregates), n_s, n_rows))
        prepared = self._prepared(X)
        # elementwise work in blocks of rows, so its temporaries stay small (reused, in cache); the matrix
        # products over all rows at once, as ever (BLAS's sums do not depend on a row block then)
        step = max(1, ROW_BLOCK // max(1, n_s))
        blocks = [slice(r, min(r + step, n_rows)) for r in range(0, n_rows, step)]
        wanted = slice(0, n_rows) if wanted is None else slice(*wanted.indices(n_rows)[:2])
        root_blocks = [slice(r, min(r + step, wanted.stop)) for r in range(wanted.start, wanted.stop, step)]
        root = tree.aggregates.index(tree.root) if tree.root in tree.aggregates else -1
        if wanted != slice(0, n_rows):
            by_node[root] = np.nan
        for pos, node in enumerate(tree.aggregates):
            level = tree.level[node]
            name = agg_spec.get("levels", {}).get(str(level), agg_spec["method"])
            p = float(agg_spec.get("p", 1.0))
            if name == "genmean" and p == 0:
                name = "gmean"
            ci, ca = tree.children[pos]
            wi, wa = w[:, ci], w[:, C + ca]
            prep = prepared[pos]
            shift = np.zeros(n_s)
            if name in POSITIVE_MEANS:  # children come before their parent (lowest level first)
                shift = self._shift(
                    node, level, name, p, agg_spec.get("nonpositive", "error"), prep, wi, by_node, ca, wa, blocks
                )
            f, inverse = _transform(name, p)
            if not shift.any():
                fx = prep.derived(("plain", name, p), _transformed, f, prep)
                num_i = (fx @ wi.T).T  # rows × samples -> samples × rows: one matrix product for every replicate
                den_i = (prep.Pf @ wi.T).T
            else:
                # the indicators' transform depends on the sample through its shift only: once per distinct
                # shift (the same numbers as one samples × rows × children array)
                num_i = np.empty((n_s, n_rows))
                for value in np.unique(shift):
                    members = np.flatnonzero(shift == value)
                    fx = prep.derived(("shift", name, p, float(value)), _transformed, f, prep, value)
                    num_i[members] = np.einsum("rc,sc->sr", fx, wi[members])
                den_i = np.einsum("rc,sc->sr", prep.Pf, wi)
            for rs in root_blocks if pos == root else blocks:
                num, den = num_i[:, rs], den_i[:, rs]
                if ca.size:
                    Va = _children(by_node, ca, rs)
                    Pa = ~np.isnan(Va)
                    shifted = np.where(Pa, Va + shift[:, None, None], 1.0)
                    num = num + np.einsum("srk,sk->sr", np.where(Pa, f(shifted), 0.0), wa)
                    den = den + np.einsum("srk,sk->sr", Pa.astype(float), wa)
                with np.errstate(divide="ignore", invalid="ignore"):
                    mean = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
                    by_node[pos, :, rs] = inverse(mean) - shift[:, None]
        return by_node.transpose(1, 2, 0)

    def _prepared(self, X: np.ndarray) -> list[_NodeInputs]:
        """Per normalised matrix, what the aggregation takes from it whatever the weights (each node's
        indicator columns, their presence, their transforms): computed once per build, not once per batch."""
        cache = self.__dict__.setdefault("_prepared_cache", {})
        hit = cache.get(id(X))
        if hit is not None and hit[0] is X:
            return hit[1]
        present = ~np.isnan(X)
        nodes = [
            _NodeInputs(X[:, ci], present[:, ci])
            for ci, _ in (self.tree.children[pos] for pos in range(len(self.tree.aggregates)))
        ]
        cache[id(X)] = (X, nodes)  # holds X, so its id is not reused while the entry lives
        return nodes

    def _shift(self, node, level, name, p, nonpositive, prep: _NodeInputs, wi, by_node, ca, wa, blocks) -> np.ndarray:
        """Per sample: 0, or 1 − the smallest child taking part (over every unit and period) when a child
        taking part is one the mean cannot take and nonpositive = "shift"; an error names the child. The
        aggregate children are read block by block of rows (``blocks``) from ``by_node``."""
        allow_zero = name == "genmean" and p > 0
        Xi, Pi = prep.Xi, prep.Pi
        bad_cols = prep.derived(("bad", allow_zero), _bad_columns, prep, allow_zero)
        taking_i, taking_a = wi > 0, wa > 0
        bad = (bad_cols[None, :] & taking_i).any(1)
        low_a = np.full(wi.shape[0], np.inf)
        first_bad_a = None  # (block, sample, row, child) of a bad aggregate child, for the error
        for rs in blocks if ca.size else ():
            Va = _children(by_node, ca, rs)
            Pa = ~np.isnan(Va)
            bad_a = Pa & ((Va < 0) if allow_zero else (Va <= 0)) & taking_a[:, None, :]
            if bad_a.any():
                bad |= bad_a.any((1, 2))
                if first_bad_a is None:
                    first_bad_a = (rs, *np.argwhere(bad_a)[0])
            low_a = np.minimum(low_a, np.where(Pa & taking_a[:, None, :], Va, np.inf).min((1, 2)))
        if not bad.any():
            return np.zeros(wi.shape[0])
        if nonpositive == "error":
            bad_x = Pi & ((Xi < 0) if allow_zero else (Xi <= 0))
            rows, cols = np.nonzero(bad_x & taking_i[np.argmax(bad)][None, :]) if bad_x.any() else ((), ())
            units, periods = self.rows.labels()
            tree = self.tree
            if len(rows):
                child, r = tree.indicators[tree.children[tree.aggregates.index(node)][0][cols[0]]], rows[0]
            else:
                rs, s, r, k = first_bad_a
                r += rs.start
                child = tree.aggregates[tree.children[tree.aggregates.index(node)][1][k]]
            need = "> 0" if not allow_zero else ">= 0"
            raise ConfigError(
                f"aggregate: {name} at level {level} needs children {need}: node {node}, unit {units[r]}, period "
                f"{periods[r]}, child {child} ≤ 0 in an alternative of the uncertainty spec. Normalise onto a positive"
                ' range (e.g. minmax range = [1, 100]) or set nonpositive = "shift" in that aggregate alternative'
            )
        low_x = np.full(wi.shape[0], np.inf)
        if Xi.shape[1]:  # a node whose children are all aggregates (the root) has no indicator column
            col_min = prep.derived(("min",), _column_minima, prep)
            low_x = np.where(taking_i, col_min[None, :], np.inf).min(1)
        return np.where(bad, 1.0 - np.minimum(low_x, low_a), 0.0)

    def ranks(self, scores: np.ndarray, dtype=float) -> np.ndarray:
        """samples × rows × aggregates -> ranks within each period and node (``dtype``: see min_ranks). The
        rows may be those of some consecutive periods only."""
        n_s = scores.shape[0]
        U, A = len(self.rows.units), scores.shape[2]
        P = scores.shape[1] // U
        by_period = scores.reshape(n_s, P, U, A).transpose(0, 1, 3, 2)  # samples × periods × nodes × units
        out = np.empty((n_s, P, U, A), dtype)
        for s in range(n_s):  # one sample at a time: its copies are a few MB (reused), not the whole batch
            out[s] = min_ranks(by_period[s], dtype).transpose(0, 2, 1)
        return out.reshape(n_s, P * U, A)

    def check_nominal(self) -> float:
        """The fast path on every engine build (with the method spec's aggregation) must give the engine's
        scores within 1e-9 and the same ranks (ties: TIE_TOLERANCE); returns the largest score difference. A
        disagreement is a bug, never a result. Sets the nominal ranks the replicates are compared with
        (:attr:`nominal_ranks`: the engine's scores ranked with ties within rounding noise) and the fast
        path's nominal scores (:attr:`fast_nominal`, the exclusion table's baseline, so an unaffected node
        moves by exactly 0)."""
        worst = 0.0
        with _one_blas_thread():
            for b in range(len(self.builds)):
                worst = max(worst, self._check_build(b))
        self.nominal_ranks = self.ranks(self.nominal.scores[None])[0]
        self.fast_nominal = self.aggregate(
            self.nominal.X, self.nominal.weights[None, :], self.nominal.method["aggregate"]
        )[0]
        return worst

    def _check_build(self, b: int) -> float:
        build = self.builds[b]
        mine = self.aggregate(build.X, build.weights[None, :], build.method["aggregate"])
        ranks = self.ranks(mine)[0]
        mine = mine[0]
        both = ~np.isnan(build.scores)
        if (np.isnan(mine) != ~both).any():
            raise RuntimeError("uncertainty fast path: a score is present in one of the engine and the fast path")
        diff = float(np.max(np.abs(mine[both] - build.scores[both]), initial=0.0))
        scale = max(1.0, float(np.max(np.abs(build.scores[both]), initial=0.0)))
        if diff > CHECK_TOLERANCE * scale:
            raise RuntimeError(f"uncertainty fast path: scores differ from the engine's by {diff:g} (build {b})")
        engine_ranks = self.ranks(build.scores[None])[0]
        if not np.array_equal(ranks[both], engine_ranks[both]):
            raise RuntimeError(f"uncertainty fast path: ranks differ from the engine's (build {b})")
        return diff


def _one_blas_thread():
    """The aggregation's matrix products are thin (rows × children times children × samples): BLAS threads
    spin more than they compute there (at 60,000 rows, 6× slower with two threads on a busy two-core machine
    than with one). One thread while replicates are evaluated; nothing changes without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(1, "blas")


def _children(by_node: np.ndarray, ca: np.ndarray, rows: slice) -> np.ndarray:
    """samples × rows × children: the aggregate children's scores on a block of rows."""
    return np.stack([by_node[k, :, rows] for k in ca], axis=-1)


class _NodeInputs:
    """One aggregate's indicator children in one normalised matrix (rows × children), with what is derived
    from them alone, computed on first use (:meth:`derived`)."""

    def __init__(self, Xi: np.ndarray, Pi: np.ndarray):
        self.Xi, self.Pi = Xi, Pi
        self.Pf = Pi.astype(float)
        self._derived: dict = {}

    def derived(self, key: tuple, compute: Callable[..., np.ndarray], *args) -> np.ndarray:
        """``compute(*args)``, once per key."""
        if key not in self._derived:
            self._derived[key] = compute(*args)
        return self._derived[key]


def _transformed(f, prep: _NodeInputs, shift: float | None = None) -> np.ndarray:
    """f of the indicator children taking part (shifted), 0 elsewhere."""
    x = prep.Xi if shift is None else prep.Xi + shift
    return np.where(prep.Pi, f(np.where(prep.Pi, x, 1.0)), 0.0)


def _bad_columns(prep: _NodeInputs, allow_zero: bool) -> np.ndarray:
    """Per indicator child: does any row hold a value the mean cannot take?"""
    return (prep.Pi & ((prep.Xi < 0) if allow_zero else (prep.Xi <= 0))).any(0)


def _column_minima(prep: _NodeInputs) -> np.ndarray:
    return np.nanmin(np.where(prep.Pi, prep.Xi, np.inf), axis=0)


def _transform(name: str, p: float):
    if name == "amean":
        return (lambda x: x), (lambda m: m)
    if name == "gmean":
        return np.log, np.exp
    if name == "hmean":
        return (lambda x: 1.0 / x), (lambda m: 1.0 / m)
    if name == "genmean":
        if p > 0:
            return (lambda x: np.power(np.maximum(x, 0.0), p)), (lambda m: np.power(m, 1.0 / p))
        return (lambda x: np.power(x, p)), (lambda m: np.power(m, 1.0 / p))
    raise ConfigError(f"aggregate: {name} is not offered by the uncertainty analysis")


# ----------------------------------------------------------------------------------------------- Monte Carlo


@dataclass
class MonteCarlo:
    """Every replicate's scores and ranks (replicates × rows × aggregates) and the draws behind them."""

    scores: np.ndarray
    ranks: np.ndarray
    picks: dict
    noise: np.ndarray | None
    seconds: float


def monte_carlo(rep: Replicator, replicates: int, seed: int, progress: Progress | None = None) -> MonteCarlo:
    """N replicates, each drawing every uncertain input independently (alternatives with equal chances,
    fresh weight noise). The same seed gives the same draws, so the same tables."""
    started = time.perf_counter()
    picks, noise = _draws(rep, replicates, seed)
    scores = np.empty((replicates, rep.rows.n, len(rep.tree.aggregates)))
    ranks = np.empty(scores.shape, np.float32)
    step = batch_size(rep)
    for start in range(0, replicates, step):
        sel = slice(start, min(start + step, replicates))
        scores[sel] = rep.evaluate(
            {k: v[sel] for k, v in picks.items()} or {"impute": np.zeros(sel.stop - start, int)},
            None if noise is None else noise[sel],
        )
        ranks[sel] = rep.ranks(scores[sel])
        if progress:
            progress("Monte Carlo replicates", sel.stop, replicates)
    return MonteCarlo(scores, ranks, picks, noise, time.perf_counter() - started)


# Replicate scores and ranks kept for the summaries at a time: every summary is per period, so past this many
# bytes the replicates are evaluated again for each group of periods that fits (exact, deterministic).
SUMMARY_MEMORY = 2200 << 20
BATCH_BYTES = 1 << 25  # scores of one batch of replicates (replicates × rows × aggregates, float64)


@dataclass
class Summary:
    """Over the replicates, per row (unit-period) and aggregate node: what :func:`rank_intervals` reports,
    computed batch by batch without keeping every replicate in memory (:func:`monte_carlo_summary`)."""

    interval: tuple
    rank_q: np.ndarray  # 3 × rows × aggregates: the lower quantile, the median, the upper quantile
    score_q: np.ndarray
    mean_rank: np.ndarray
    mean_score: np.ndarray
    share_nominal_rank: np.ndarray
    picks: dict
    noise: np.ndarray | None
    replicates: int
    seconds: float
    passes: int  # evaluations of every replicate: one per group of periods kept in memory together


def _draws(rep: Replicator, replicates: int, seed: int):
    rng = np.random.default_rng([seed, 0])
    picks = {c.name: rng.integers(0, c.k, replicates) for c in rep.choices if c.k > 1}
    return picks, rep.noise_pool(replicates, rng)


def batch_size(rep: Replicator) -> int:
    """Replicates evaluated together: 4 × CHUNK, fewer where their scores would pass BATCH_BYTES."""
    per = max(1, rep.rows.n * len(rep.tree.aggregates) * 8)
    return int(max(1, min(4 * CHUNK, BATCH_BYTES // per)))


def monte_carlo_summary(
    rep: Replicator,
    replicates: int,
    seed: int,
    interval=(0.05, 0.95),
    progress: Progress | None = None,
    memory: int = SUMMARY_MEMORY,
) -> Summary:
    """:func:`monte_carlo` and the summaries of :func:`rank_intervals` in bounded memory: the same draws and
    the same numbers (numpy's default "linear" quantiles over the same values, means summed in replicate
    order), but each batch of replicates is ranked and kept by period (scores float64, ranks uint16) and the
    summaries are taken one period at a time. When every period's replicates would take more than ``memory``
    bytes, the periods are taken in groups that fit, each group a pass over every replicate (the same
    batches, so the same numbers)."""
    started = time.perf_counter()
    picks, noise = _draws(rep, replicates, seed)
    P, U, A = len(rep.rows.periods), len(rep.rows.units), len(rep.tree.aggregates)
    rank_dtype = np.dtype(np.uint16 if U < np.iinfo(np.uint16).max else np.float32)
    per_period = replicates * U * A * (8 + rank_dtype.itemsize)
    group = int(max(1, min(P, memory // max(1, per_period))))
    step = batch_size(rep)
    lo, hi = interval
    rank_q, score_q = np.full((3, rep.rows.n, A), np.nan), np.full((3, rep.rows.n, A), np.nan)
    mean_rank = np.full((rep.rows.n, A), np.nan, np.float32)  # as np.nanmean of monte_carlo's float32 ranks
    mean_score = np.full((rep.rows.n, A), np.nan)
    share = np.zeros((rep.rows.n, A))
    passes = 0
    store = _ReplicateStore(replicates, group, U * A, rank_dtype)  # one buffer for every pass
    for first in range(0, P, group):
        last = min(P, first + group)
        rows = slice(first * U, last * U)  # period-major: the group's rows are contiguous
        store.done = 0
        for start in range(0, replicates, step):
            sel = slice(start, min(start + step, replicates))
            b = sel.stop - start
            scores = rep.evaluate(
                {k: v[sel] for k, v in picks.items()} or {"impute": np.zeros(b, int)},
                None if noise is None else noise[sel],
                rows,
            )[:, rows]
            ranks = rep.ranks(scores, rank_dtype)
            store.add(scores.reshape(b, last - first, U * A), ranks.reshape(b, last - first, U * A))
            del scores, ranks
            if progress:
                progress("Monte Carlo replicates", passes * replicates + sel.stop, replicates * -(-P // group))
        for p in range(first, last):
            cells = slice(p * U, (p + 1) * U)
            scores, ranks = store.period(p - first)
            nominal = rep.nominal_ranks[cells].reshape(-1)
            with np.errstate(all="ignore"), _quiet():
                mean_rank[cells] = _nanmean0(ranks).reshape(U, A)
                mean_score[cells] = _nanmean0(scores).reshape(U, A)
                share[cells] = (ranks == nominal[None]).mean(axis=0).reshape(U, A)
                # last: the quantiles reorder the blocks in place (they are not needed after)
                rank_q[:, cells] = _nanquantile0(ranks, [lo, 0.5, hi]).reshape(3, U, A)
                score_q[:, cells] = _nanquantile0(scores, [lo, 0.5, hi]).reshape(3, U, A)
            del scores, ranks
        passes += 1
    store.close()
    return Summary(
        tuple(interval),
        rank_q,
        score_q,
        mean_rank,
        mean_score,
        share,
        picks,
        noise,
        replicates,
        time.perf_counter() - started,
        passes,
    )


def _nanmean0(a: np.ndarray) -> np.ndarray:
    """np.nanmean(a, axis=0), the same numbers, without its copy of ``a`` when ``a`` has no NaN (np.nanmean
    copies first, then sums and divides by the counts just so)."""
    if np.isnan(a).any():
        return np.nanmean(a, axis=0)
    total = np.sum(a, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.divide(total, np.full(total.shape, a.shape[0], np.intp), out=total, casting="unsafe")


def _nanquantile0(a: np.ndarray, q) -> np.ndarray:
    """np.nanquantile(a, q, axis=0), the same numbers: np.quantile over the columns without NaN in one call
    (np.nanquantile would take them one by one), np.nanquantile over the others. ``a`` is reordered in place
    (overwrite_input: no copy of it)."""
    has_nan = np.isnan(a).any(axis=0)
    if not has_nan.any():
        return np.quantile(a, q, axis=0, overwrite_input=True)
    if has_nan.all():
        return np.nanquantile(a, q, axis=0, overwrite_input=True)
    clean = np.quantile(a[:, ~has_nan], q, axis=0, overwrite_input=True)
    out = np.empty((len(q), a.shape[1]), dtype=clean.dtype)
    out[:, ~has_nan] = clean
    out[:, has_nan] = np.nanquantile(a[:, has_nan], q, axis=0)
    return out


class _ReplicateStore:
    """Replicates' scores (float64) and ranks by period, each period a replicates × (units · aggregates)
    block, filled batch by batch. Ranks are kept as whole numbers (0 = no rank) and handed out as float32
    with NaN, as :func:`monte_carlo` keeps them."""

    def __init__(self, replicates: int, periods: int, width: int, rank_dtype):
        self.rank_dtype = np.dtype(rank_dtype)
        self.scores = np.empty((periods, replicates, width))
        self.ranks = np.empty((periods, replicates, width), self.rank_dtype)
        self.done = 0

    def add(self, scores: np.ndarray, ranks: np.ndarray) -> None:
        """scores, ranks (in rank_dtype, 0 = no rank): batch × periods × width, the next replicates."""
        b, periods = scores.shape[0], scores.shape[1]
        self.scores[:periods, self.done : self.done + b] = scores.transpose(1, 0, 2)
        self.ranks[:periods, self.done : self.done + b] = ranks.transpose(1, 0, 2)
        self.done += b

    def period(self, p: int) -> tuple[np.ndarray, np.ndarray]:
        scores, ranks = self.scores[p], self.ranks[p]
        if self.rank_dtype.kind == "u":
            missing = ranks == 0
            ranks = ranks.astype(np.float32)
            ranks[missing] = np.nan
        return scores, ranks

    def close(self) -> None:
        self.scores = self.ranks = None


def _q(value: float) -> str:
    return f"q{value * 100:g}".replace(".", "_")


def rank_intervals(rep: Replicator, mc: MonteCarlo | Summary, interval=(0.05, 0.95), pairs: bool = True):
    """One row per unit, aggregate node and period: nominal score and rank, then over the replicates the mean,
    median and interval quantiles of rank and score, the share keeping the nominal rank, and the units whose
    rank intervals overlap this one's (not distinguishable). ``mc``: every replicate (:func:`monte_carlo`) or
    their summaries (:func:`monte_carlo_summary`, taken with the same interval). ``pairs=False`` skips the
    pairs (quadratic in the units per node and period): the pairs come back as None and the column
    indistinguishable_from is None."""
    import pandas as pd

    lo, hi = interval
    nominal_rank, nominal_score = rep.nominal_ranks, rep.nominal.scores
    if isinstance(mc, Summary):
        if tuple(mc.interval) != tuple(interval):
            raise ValueError(f"the summaries were taken with interval {mc.interval}, not {tuple(interval)}")
        rq, sq, mean_rank, mean_score, kept = mc.rank_q, mc.score_q, mc.mean_rank, mc.mean_score, mc.share_nominal_rank
    else:
        with np.errstate(all="ignore"), _quiet():
            rq = np.nanquantile(mc.ranks, [lo, 0.5, hi], axis=0)
            sq = np.nanquantile(mc.scores, [lo, 0.5, hi], axis=0)
            mean_rank = np.nanmean(mc.ranks, axis=0)
            mean_score = np.nanmean(mc.scores, axis=0)
        kept = (mc.ranks == nominal_rank[None]).mean(axis=0)
    units, periods = rep.rows.labels()
    A = len(rep.tree.aggregates)
    frame = pd.DataFrame(
        {
            "unit_code": np.repeat(units, A),
            "period": np.repeat(periods, A),
            "node_id": np.tile(np.array(rep.tree.aggregates, dtype=object), rep.rows.n),
            "level": np.tile([rep.tree.level[a] for a in rep.tree.aggregates], rep.rows.n),
            "nominal_score": nominal_score.ravel(),
            "nominal_rank": nominal_rank.ravel(),
            "engine_rank": rep.nominal.ranks.ravel(),
            "mean_rank": mean_rank.ravel(),
            "median_rank": rq[1].ravel(),
            f"rank_{_q(lo)}": rq[0].ravel(),
            f"rank_{_q(hi)}": rq[2].ravel(),
            "share_nominal_rank": kept.ravel(),
            "mean_score": mean_score.ravel(),
            "median_score": sq[1].ravel(),
            f"score_{_q(lo)}": sq[0].ravel(),
            f"score_{_q(hi)}": sq[2].ravel(),
        }
    )
    frame = frame[~np.isnan(frame["nominal_score"]) | ~np.isnan(frame["mean_score"])]
    if not pairs:
        frame = frame.assign(indistinguishable_from=None)
        frame = frame.sort_values(
            ["period", "level", "node_id", "nominal_rank", "unit_code"], ascending=[True, False, True, True, True]
        )
        return frame.reset_index(drop=True), None
    pairs = indistinguishable_pairs(frame, lo, hi)
    others = {}
    for row in pairs.itertuples(index=False):
        others.setdefault((row.period, row.node_id, row.unit_a), []).append(row.unit_b)
        others.setdefault((row.period, row.node_id, row.unit_b), []).append(row.unit_a)
    frame["indistinguishable_from"] = [
        ";".join(sorted(others.get((p, n, u), [])))
        for p, n, u in zip(frame["period"], frame["node_id"], frame["unit_code"])
    ]
    frame = frame.sort_values(
        ["period", "level", "node_id", "nominal_rank", "unit_code"], ascending=[True, False, True, True, True]
    )
    return frame.reset_index(drop=True), pairs


def indistinguishable_pairs(frame, lo: float, hi: float):
    """Pairs of units (same node and period) whose rank intervals overlap: the ranking cannot tell them apart."""
    import pandas as pd

    low, high = f"rank_{_q(lo)}", f"rank_{_q(hi)}"
    out = []
    for (period, node), part in frame.groupby(["period", "node_id"], sort=True):
        part = part.dropna(subset=[low, high])
        a, b = part[low].to_numpy(), part[high].to_numpy()
        overlap = (a[:, None] <= b[None, :]) & (a[None, :] <= b[:, None])
        i, j = np.nonzero(np.triu(overlap, k=1))
        codes = part["unit_code"].to_numpy()
        out.append(
            pd.DataFrame(
                {
                    "period": period,
                    "node_id": node,
                    "unit_a": codes[i],
                    "unit_b": codes[j],
                    f"a_{low}": a[i],
                    f"a_{high}": b[i],
                    f"b_{low}": a[j],
                    f"b_{high}": b[j],
                }
            )
        )
    columns = ["period", "node_id", "unit_a", "unit_b", f"a_{low}", f"a_{high}", f"b_{low}", f"b_{high}"]
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=columns)


class _quiet:
    """numpy's all-NaN slice warnings: a unit-period without any score simply has no interval."""

    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


# ----------------------------------------------------------------------------------------------- Sobol


@dataclass
class SobolIndices:
    first_order: np.ndarray  # outputs × inputs
    total_order: np.ndarray
    first_low: np.ndarray
    first_high: np.ndarray
    total_low: np.ndarray
    total_high: np.ndarray
    variance: np.ndarray  # outputs
    evaluations: int


def sobol(
    func: Callable[[np.ndarray], np.ndarray], d: int, n: int, seed: int, bootstrap: int = 999, confidence: float = 0.95
) -> SobolIndices:
    """First-order and total Sobol indices of ``func`` on [0, 1]^d (inputs d × m -> outputs s × m) by
    scipy.stats.sobol_indices (Saltelli 2010 design, n × (d + 2) evaluations), with bootstrap intervals."""
    from scipy import stats

    outputs = []

    def counted(x):
        y = np.atleast_2d(func(x))
        outputs.append(y)
        return y

    dists = [stats.uniform(0.0, 1.0) for _ in range(d)]
    with _quiet():
        result = stats.sobol_indices(func=counted, n=n, dists=dists, rng=np.random.default_rng([seed, 1]))
        low, high = _bootstrap(result, confidence, bootstrap, np.random.default_rng([seed, 3]))
    every = np.concatenate(outputs, axis=1)  # the variance the indices divide (0: indices undefined, NaN)
    s = every.shape[0]
    shaped = [
        np.asarray(a, float).reshape(s, d)
        for a in (result.first_order, result.total_order, low[0], high[0], low[1], high[1])
    ]  # scipy drops a single output's axis
    return SobolIndices(*shaped, np.var(every, axis=1), every.shape[1])


def _bootstrap(result, confidence: float, resamples: int, rng: np.random.Generator):
    """BCa intervals of (first order, total order), as SobolResult.bootstrap computes them, but with a seeded
    generator: SobolResult.bootstrap takes none, so its intervals would change from run to run."""
    from scipy import stats

    try:
        f_a, f_b, f_ab, indices = result._f_A, result._f_B, result._f_AB, result._indices_method
    except AttributeError:  # a scipy without these: its own (unseeded) bootstrap
        ci = result.bootstrap(confidence_level=confidence, n_resamples=resamples)
        return (
            (ci.first_order.confidence_interval.low, ci.total_order.confidence_interval.low),
            (ci.first_order.confidence_interval.high, ci.total_order.confidence_interval.high),
        )

    def statistic(idx):
        return indices(f_a[:, idx], f_b[:, idx], f_ab[..., idx])

    res = stats.bootstrap(
        [np.arange(f_a.shape[1])],
        statistic=statistic,
        method="BCa",
        n_resamples=resamples,
        confidence_level=confidence,
        rng=rng,
    )
    return res.confidence_interval.low, res.confidence_interval.high


def sensitivity(rep: Replicator, spec: uspec.UncertaintySpec, progress: Progress | None = None):
    """Sobol indices of every uncertain input for (a) the mean absolute rank shift of the target node against
    the nominal ranking (COINr's default) and (b) each unit's rank of the target node, per period."""
    import pandas as pd

    varied = [c for c in rep.choices if c.k > 1 or c.name == "weight_noise"]
    columns = [
        "input",
        "output",
        "unit_code",
        "period",
        "node_id",
        "first_order",
        "first_order_low",
        "first_order_high",
        "total_order",
        "total_order_low",
        "total_order_high",
        "output_variance",
    ]
    if not varied or spec.sensitivity.skip:
        return pd.DataFrame(columns=columns), 0
    sens = spec.sensitivity
    t = rep.tree.aggregates.index(rep.target)
    P, U = len(rep.rows.periods), len(rep.rows.units)
    nominal = rep.nominal_ranks[:, t].reshape(P, U)
    keep_unit = ~np.all(np.isnan(nominal), axis=0)
    # weight noise is one input (as in COINr): its uniform coordinate picks one of pool_size noisy weight sets
    # drawn beforehand; every discrete input's coordinate picks an alternative, floor(u × k)
    pool_size = max(4096, sens.n)
    noise_pool = rep.noise_pool(pool_size, np.random.default_rng([spec.seed, 2]))
    total = sens.n * (len(varied) + 2)
    done = [0]

    def model(x: np.ndarray) -> np.ndarray:
        m = x.shape[1]
        picks, noise = {}, None
        for row, choice in zip(x, varied):
            if choice.name == "weight_noise":
                noise = noise_pool[np.minimum((row * pool_size).astype(int), pool_size - 1)]
            else:
                picks[choice.name] = np.minimum((row * choice.k).astype(int), choice.k - 1)
        ranks = np.empty((m, P, U))
        for start in range(0, m, 4 * CHUNK):
            sel = slice(start, min(start + 4 * CHUNK, m))
            sub = {k: v[sel] for k, v in picks.items()} or {"impute": np.zeros(sel.stop - start, int)}
            scores = rep.evaluate(sub, None if noise is None else noise[sel])
            ranks[sel] = rep.ranks(scores)[:, :, t].reshape(-1, P, U)
            done[0] += sel.stop - start
            if progress:
                progress("Sobol design", min(done[0], total), total)
        # a unit without a rank in some build ranks after everyone, so the output stays defined
        ranks = np.where(np.isnan(ranks), U + 1, ranks)
        with _quiet():
            shift = np.nanmean(np.abs(ranks - nominal[None]), axis=2)  # m × P
        unit_ranks = ranks[:, :, keep_unit].reshape(m, -1)
        return np.concatenate([shift, unit_ranks], axis=1).T

    result = sobol(model, len(varied), sens.n, spec.seed, sens.bootstrap, sens.confidence)
    units = np.array(rep.rows.units, dtype=object)[keep_unit]
    outputs = [("mean_abs_rank_shift", "", p) for p in rep.rows.periods]
    outputs += [("rank", u, p) for p in rep.rows.periods for u in units]
    rows = []
    for o, (name, unit, period) in enumerate(outputs):
        for i, choice in enumerate(varied):
            rows.append(
                (
                    choice.name,
                    name,
                    unit,
                    period,
                    rep.target,
                    result.first_order[o, i],
                    result.first_low[o, i],
                    result.first_high[o, i],
                    result.total_order[o, i],
                    result.total_low[o, i],
                    result.total_high[o, i],
                    result.variance[o],
                )
            )
    return pd.DataFrame(rows, columns=columns), result.evaluations


# ----------------------------------------------------------------------------------------------- exclusion


def exclusion_effects(rep: Replicator, section: uspec.Exclusion, progress: Progress | None = None):
    """How each unit's score and rank move, at every aggregate node and period, when one node is left out of
    the nominal build (COINr's remove_elements); rank_change = nominal rank − rank (positive = up)."""
    import pandas as pd

    nodes = exclusion_candidates(section, rep.tree)
    units, periods = rep.rows.labels()
    A = len(rep.tree.aggregates)
    frames = []
    agg = rep.inputs.method["aggregate"]
    for done, node in enumerate(nodes):
        b, zero = rep.resolve(0, node)
        build = rep.builds[b]
        w = build.weights.copy()[None, :]
        if zero is not None:
            w[0, rep.tree.nodes.index(zero)] = 0.0
        scores = rep.aggregate(build.X, w, agg)
        ranks = rep.ranks(scores)[0]
        scores = scores[0]
        gone = rep.tree.subtree(node)
        frame = pd.DataFrame(
            {
                "excluded": node,
                "excluded_level": rep.tree.level[node],
                "rebuilt": zero is None,
                "unit_code": np.repeat(units, A),
                "period": np.repeat(periods, A),
                "node_id": np.tile(np.array(rep.tree.aggregates, dtype=object), rep.rows.n),
                "nominal_score": rep.fast_nominal.ravel(),
                "score": scores.ravel(),
                "nominal_rank": rep.nominal_ranks.ravel(),
                "rank": ranks.ravel(),
            }
        )
        frame = frame[~frame["node_id"].isin(gone) & ~(frame["nominal_score"].isna() & frame["score"].isna())]
        frames.append(frame)
        if progress:
            progress("leave-one-out builds", done + 1, len(nodes))
    out = pd.concat(frames, ignore_index=True)
    out["score_change"] = out["score"] - out["nominal_score"]
    out["rank_change"] = out["nominal_rank"] - out["rank"]
    return out


# ----------------------------------------------------------------------------------------------- all of it


@dataclass
class Results:
    rank_intervals: object
    pairs: object
    sensitivity: object
    exclusion: object | None
    timings: dict
    choices: list


def analyse(inputs: Inputs, spec: uspec.UncertaintySpec, progress: Progress | None = None) -> Results:
    """The whole analysis: variants, Monte Carlo rank intervals, Sobol indices and the exclusion table."""
    timings = {}
    started = time.perf_counter()
    rep = Replicator(inputs, spec, progress)
    timings["engine_builds"] = time.perf_counter() - started
    timings["variants"] = len(rep.builds)
    mc = monte_carlo_summary(rep, spec.replicates, spec.seed, spec.interval, progress)  # bounded memory
    timings["monte_carlo"] = mc.seconds
    t = time.perf_counter()
    intervals, pairs = rank_intervals(rep, mc, spec.interval)
    timings["summaries"] = time.perf_counter() - t
    t = time.perf_counter()
    sens, evaluations = sensitivity(rep, spec, progress)
    timings["sobol"] = time.perf_counter() - t
    timings["sobol_evaluations"] = evaluations
    exclusion = None
    if spec.exclusion is not None:
        t = time.perf_counter()
        exclusion = exclusion_effects(rep, spec.exclusion, progress)
        timings["exclusion"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - started
    return Results(
        intervals, pairs, sens, exclusion, timings, [{"input": c.name, "alternatives": c.labels} for c in rep.choices]
    )
