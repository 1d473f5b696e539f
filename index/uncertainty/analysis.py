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
"""

from __future__ import annotations

import copy
import itertools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from index.errors import ConfigError
from index.uncertainty import spec as uspec

Progress = Callable[[str, int, int], None]
INPUT_TABLES = ("framework", "weights", "units", "observations", "unit_groups")
CHUNK = 1024  # replicates evaluated together: bounds the (replicates × rows × children) arrays
POSITIVE_MEANS = ("gmean", "hmean", "genmean")
CHECK_TOLERANCE = 1e-9
BUILD_THREADS = 2


# ----------------------------------------------------------------------------------------------- inputs


@dataclass
class Inputs:
    """The engine's input tables (Arrow) and the checked nominal method spec."""

    tables: dict
    method: dict
    source: str
    scheme_dirs: list[Path] = field(default_factory=list)  # where a weights.schemes file may be found
    sandboxed: bool = True


def _tables_of(con, names=INPUT_TABLES) -> dict:
    present = {n for (n,) in con.execute("select table_name from information_schema.tables").fetchall()}
    return {name: con.sql(f'select * from "{name}"').to_arrow_table() for name in names if name in present}


def coinr_inputs(framework_dir: str | Path, method_path: str | Path) -> Inputs:
    """A framework in COINr's layout (imeta.csv, idata.csv) with its method spec, as the COINr door reads it."""
    import duckdb

    from index import engine
    from index.coinr import _resolve_weights, load_coinr

    framework_dir, method_path = Path(framework_dir), Path(method_path)
    method = engine.load_method(method_path)
    con = duckdb.connect()
    try:
        load_coinr(con, framework_dir)
        used = _resolve_weights(con, method, method_path, framework_dir)
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
    def of(cls, framework) -> "Tree":
        rows = [r for r in framework.to_pylist() if r["node_type"] in ("Indicator", "Aggregate")]
        indicators = [r["node_id"] for r in rows if r["node_type"] == "Indicator"]
        aggregates = [r["node_id"] for r in sorted((r for r in rows if r["node_type"] == "Aggregate"),
                                                   key=lambda r: (int(r["level"]), r["node_id"]))]
        agg_pos = {n: i for i, n in enumerate(aggregates)}
        nodes = indicators + aggregates
        parent_of = {r["node_id"]: r["parent_id"] for r in rows}
        parent = np.array([agg_pos[parent_of[n]] if parent_of[n] is not None else -1 for n in nodes])
        children = {a: ([], []) for a in range(len(aggregates))}
        for i, n in enumerate(nodes):
            if parent[i] >= 0:
                (children[parent[i]][0] if i < len(indicators) else children[parent[i]][1]).append(
                    i if i < len(indicators) else i - len(indicators))
        level = {r["node_id"]: int(r["level"]) for r in rows}
        roots = [n for n in nodes if parent_of[n] is None]
        return cls(indicators, aggregates, parent, level, {a: (np.array(c[0], int), np.array(c[1], int))
                                                           for a, c in children.items()},
                   sorted({level[a] for a in aggregates}), roots[0])

    def subtree(self, node: str) -> set[str]:
        """The node and every node below it."""
        nodes = self.nodes
        below = {node}
        for _ in self.agg_levels:  # one pass per level reaches every descendant
            below |= {n for i, n in enumerate(nodes)
                      if self.parent[i] >= 0 and self.aggregates[self.parent[i]] in below}
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


def engine_build(inputs: Inputs, method: dict, tree: Tree, rows: "Rows | None" = None, exclude: tuple = (),
                 weights_table=None, screening: bool = False):
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
            con.execute("create or replace table weights as select node_id, cast(weight as double) as weight"
                        " from input_table")
            con.unregister("input_table")
        if exclude:
            _remove_nodes(con, tree, exclude)
        if inputs.sandboxed:
            sandbox.close_engine_connection(con)
            con.execute("set preserve_insertion_order = false")
            sandbox.lock_configuration(con)
        with _engine_limits(con, "the engine steps"):
            engine.run(con, method)
        normalised = con.execute("select unit_code, period, indicator_id, normalised from normalise").fetchnumpy()
        weights = con.execute("select node_id, weight from weights").fetchnumpy()
        scores = con.execute(
            "select unit_code, period, node_id, score, rank from node_scores"
            " where node_id in (select node_id from framework where node_type = 'Aggregate')").fetchnumpy()
        availability = None
        if screening:
            on = method["screen"]["on"]
            column = "raw_value" if on == "raw" else "filled_value"
            availability = con.execute(
                f"select unit_code, period, indicator_id, {column} is not null as present from impute").fetchnumpy()
            kept = con.execute("select unit_code, period from screen_units where kept").fetchnumpy()
        periods = sorted(int(p) for (p,) in con.execute("select distinct period from stage").fetchall())
        units = sorted(str(u) for (u,) in con.execute("select distinct unit_code from stage").fetchall())
    finally:
        con.close()
    if rows is None:
        rows = Rows(units, periods)
    build = Build(method, rows.matrix(normalised["unit_code"], normalised["period"], normalised["indicator_id"],
                                      normalised["normalised"], tree.indicators),
                  _weight_vector(tree, weights), None, None, None, None, 0.0, tuple(exclude))
    build.scores = rows.matrix(scores["unit_code"], scores["period"], scores["node_id"], scores["score"],
                               tree.aggregates)
    build.ranks = rows.matrix(scores["unit_code"], scores["period"], scores["node_id"], scores["rank"],
                              tree.aggregates)
    if availability is not None:
        build.present = rows.matrix(availability["unit_code"], availability["period"], availability["indicator_id"],
                                    availability["present"].astype(float), tree.indicators) == 1.0
        build.kept = np.zeros(rows.n, bool)
        build.kept[rows.index(kept["unit_code"], kept["period"])] = True
    build.seconds = time.perf_counter() - started
    return build, rows


def _weight_vector(tree: Tree, weights) -> np.ndarray:
    by_node = dict(zip((str(n) for n in weights["node_id"]), (float(w) for w in weights["weight"])))
    return np.array([by_node.get(n, 0.0) if tree.parent[i] >= 0 else 0.0 for i, n in enumerate(tree.nodes)])


def _remove_nodes(con, tree: Tree, exclude: tuple) -> None:
    """The framework without the excluded nodes and everything under them; siblings' weights rescaled to 1."""
    gone = set().union(*(tree.subtree(n) for n in exclude))
    con.execute("create or replace temp table excluded_nodes as select unnest(?::varchar[]) as node_id",
                [sorted(gone)])
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
        u = np.array([self.unit_pos[str(x)] for x in units], int)
        p = np.array([self.period_pos[int(x)] for x in periods], int)
        return p * len(self.units) + u

    def matrix(self, units, periods, keys, values, columns: list[str]) -> np.ndarray:
        out = np.full((self.n, len(columns)), np.nan)
        if len(keys) == 0:
            return out
        col_pos = {c: i for i, c in enumerate(columns)}
        cols = np.array([col_pos.get(str(k), -1) for k in keys], int)
        keep = cols >= 0
        vals = np.ma.filled(np.ma.asarray(values, dtype=float), np.nan)
        out[self.index(np.asarray(units)[keep], np.asarray(periods)[keep]), cols[keep]] = vals[keep]
        return out

    def labels(self) -> tuple[np.ndarray, np.ndarray]:
        return (np.tile(np.array(self.units, dtype=object), len(self.periods)),
                np.repeat(np.array(self.periods), len(self.units)))


# ----------------------------------------------------------------------------------------------- ranks


# Scores closer than this (× max(1, |score|)) are tied. The engine's SQL sums and numpy's add in different
# orders, so two units whose scores are equal in exact arithmetic (percentile ranks permuted across
# indicators, winsorised values) can differ by a few ulps either way; rounding noise must never order them.
TIE_TOLERANCE = 1e-10


def min_ranks(values: np.ndarray) -> np.ndarray:
    """Rank along the last axis: 1 = highest, ties share the lowest rank (SQL rank()), NaN = no rank and
    pushes nobody down; scores within TIE_TOLERANCE are tied. Vectorised: one argsort over every leading
    index at once."""
    neg = -values
    order = np.argsort(neg, axis=-1, kind="stable")  # NaN sorts last
    ordered = np.take_along_axis(neg, order, axis=-1)
    n = values.shape[-1]
    new = np.ones(ordered.shape, bool)
    gap = ordered[..., 1:] - ordered[..., :-1]
    with np.errstate(invalid="ignore"):
        new[..., 1:] = ~(gap <= TIE_TOLERANCE * np.maximum(1.0, np.abs(ordered[..., 1:])))
    start = np.where(new, np.arange(n), 0)
    np.maximum.accumulate(start, axis=-1, out=start)
    ranked = (start + 1).astype(float)
    ranked[np.isnan(ordered)] = np.nan
    out = np.empty_like(ranked)
    np.put_along_axis(out, order, ranked, axis=-1)
    return out


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


def choices(inputs: Inputs, spec: uspec.UncertaintySpec, tree: Tree) -> list[Choice]:
    """The uncertain inputs in a fixed order; a step the spec leaves out has one alternative, the nominal."""
    nominal = inputs.method
    out = []
    if spec.impute:
        alts = [a.as_dict() for a in spec.impute.alternatives]
        out.append(Choice("impute", [_label(a) for a in alts], alts))
    else:
        out.append(Choice("impute", ["nominal"], [nominal["impute"]]))
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
    if spec.normalise:
        alts = [a.as_dict() for a in spec.normalise.alternatives]
        out.append(Choice("normalise", [_label(a) for a in alts], alts))
    else:
        out.append(Choice("normalise", ["nominal"], [nominal["normalise"]]))
    if spec.weights and spec.weights.schemes:
        out.append(Choice("weights", list(spec.weights.schemes), list(spec.weights.schemes)))
    else:
        out.append(Choice("weights", ["nominal"], [None]))
    if spec.weights and spec.weights.noise:
        levels = {tree.level[n] for i, n in enumerate(tree.nodes) if tree.parent[i] >= 0}
        unknown = sorted(set(int(k) for k in spec.weights.noise) - levels)
        if unknown:
            raise ConfigError(f"weights.noise names level(s) {unknown} holding no weighted node;"
                              f" levels: {sorted(levels)}")
        label = ", ".join(f"level {k} ±{v:g}" for k, v in sorted(spec.weights.noise.items()))
        out.append(Choice("weight_noise", [label], [dict(spec.weights.noise)]))
    if spec.aggregate:
        alts = [a.as_dict() for a in spec.aggregate.alternatives]
        out.append(Choice("aggregate", [_label(a) for a in alts], alts))
    else:
        out.append(Choice("aggregate", ["nominal"], [nominal["aggregate"]]))
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
            if "copeland" in {section["method"], *section.get("levels", {}).values()}:
                raise ConfigError(f"the {name} aggregates with copeland, which the uncertainty analysis does not offer")
        self.target = spec.target or self.tree.root
        if self.target not in self.tree.aggregates:
            raise ConfigError(f"target = {self.target!r} is not an aggregate node; aggregates: {self.tree.aggregates}")
        if spec.exclusion is not None:
            exclusion_candidates(spec.exclusion, self.tree)  # a bad node is named before any build
        self.choices = choices(inputs, spec, self.tree)
        self.by_name = {c.name: c for c in self.choices}
        self.screening = inputs.method["screen"]["min_data"] > 0
        self.nominal, self.rows = engine_build(inputs, inputs.method, self.tree, screening=self.screening)
        self.builds: list[Build] = [self.nominal]
        self.variant_of: dict[tuple, int] = {}
        self._rebuilt: dict[tuple, int] = {}
        self._build_variants()
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
                framework = self.inputs.tables["framework"].to_pandas()
                weights = load_weights(path, framework)
                return pa.Table.from_pandas(weights, preserve_index=False), "metadata"
        raise ConfigError(f"weights.schemes: {scheme!r} is neither one of {list(NAMED_WEIGHT_SCHEMES)} nor a"
                          f" weight-scheme file in {[str(r) for r in self.inputs.scheme_dirs]}")

    def _build_variants(self) -> None:
        """One engine build per distinct variant, two at a time: each is a chain of small DuckDB statements,
        so two connections keep both cores busy where one alone would not."""
        from concurrent.futures import ThreadPoolExecutor, as_completed

        keys = list(itertools.product(*(range(c.k) for c in self.choices[:4])))
        seen = {json.dumps(self.nominal.method, sort_keys=True, default=str) + "|None": 0}
        todo = {}
        for key in keys:
            method, weights_table = self._method_for(key)
            fingerprint = json.dumps(method, sort_keys=True, default=str) + f"|{self.choices[3].values[key[3]]}"
            if fingerprint not in seen and fingerprint not in todo:
                todo[fingerprint] = (method, weights_table)
            self.variant_of[key] = fingerprint
        with ThreadPoolExecutor(max_workers=BUILD_THREADS) as pool:
            futures = {pool.submit(engine_build, self.inputs, method, self.tree, self.rows,
                                   weights_table=weights_table, screening=self.screening): fingerprint
                       for fingerprint, (method, weights_table) in todo.items()}
            built = {}
            for done, future in enumerate(as_completed(futures)):
                build, _ = future.result()
                built[futures[future]] = build
                self.progress("engine builds (variants)", done + 1, len(futures))
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
        if method.get("weights", {}).get("scheme") in ("entropy", "critic", "pca", "balance"):
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
        build, _ = engine_build(self.inputs, base.method, self.tree, self.rows, exclude=(node,),
                                weights_table=base.weights_table, screening=self.screening)
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
        share = np.array([choice.values[0].get(str(self.tree.level[n]), 0.0) if self.tree.parent[i] >= 0 else 0.0
                          for i, n in enumerate(self.tree.nodes)])
        return 1.0 + rng.uniform(-1.0, 1.0, size=(size, len(share))) * share

    def evaluate(self, picks: dict[str, np.ndarray], noise: np.ndarray | None = None) -> np.ndarray:
        """Scores (samples × rows × aggregates) for samples given as alternative indices per choice name
        (``picks``, each an int array; a missing name = alternative 0) and weight factors ``noise``
        (samples × nodes, or None)."""
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
                sel = members[start:start + CHUNK]
                w = np.broadcast_to(build.weights, (len(sel), build.weights.size)).copy()
                if noise is not None:
                    w *= noise[sel]
                    w = self._renormalised(w)
                if zero is not None:
                    w[:, self.tree.nodes.index(zero)] = 0.0
                scores = self.aggregate(build.X, w, agg_spec)
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

        build, _ = engine_build(self.inputs, validate_method(method), self.tree, self.rows,
                                exclude=(node,) if node else (), weights_table=table)
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

    def aggregate(self, X: np.ndarray, w: np.ndarray, agg_spec: dict) -> np.ndarray:
        """The engine's aggregation for one normalised matrix and a batch of weight vectors, level by level."""
        tree = self.tree
        n_s, C = w.shape[0], len(tree.indicators)
        scores = np.full((n_s, X.shape[0], len(tree.aggregates)), np.nan)
        present_x = ~np.isnan(X)
        for pos, node in enumerate(tree.aggregates):
            level = tree.level[node]
            name = agg_spec.get("levels", {}).get(str(level), agg_spec["method"])
            p = float(agg_spec.get("p", 1.0))
            if name == "genmean" and p == 0:
                name = "gmean"
            ci, ca = tree.children[pos]
            wi, wa = w[:, ci], w[:, C + ca]
            Xi, Pi = X[:, ci], present_x[:, ci]
            Va = scores[:, :, ca]
            Pa = ~np.isnan(Va)
            shift = np.zeros(n_s)
            if name in POSITIVE_MEANS:
                shift = self._shift(node, level, name, p, agg_spec.get("nonpositive", "error"), Xi, Pi, wi, Va, Pa, wa)
            f, inverse = _transform(name, p)
            if not shift.any():
                fx = np.where(Pi, f(np.where(Pi, Xi, 1.0)), 0.0)
                num = (fx @ wi.T).T  # rows × samples -> samples × rows: one matrix product for every replicate
                den = (Pi.astype(float) @ wi.T).T
            else:
                shifted = np.where(Pi[None], Xi[None] + shift[:, None, None], 1.0)
                fx = np.where(Pi[None], f(shifted), 0.0)
                num = np.einsum("src,sc->sr", fx, wi)
                den = np.einsum("rc,sc->sr", Pi.astype(float), wi)
            if ca.size:
                shifted = np.where(Pa, Va + shift[:, None, None], 1.0)
                num = num + np.einsum("srk,sk->sr", np.where(Pa, f(shifted), 0.0), wa)
                den = den + np.einsum("srk,sk->sr", Pa.astype(float), wa)
            with np.errstate(divide="ignore", invalid="ignore"):
                mean = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
                scores[:, :, pos] = inverse(mean) - shift[:, None]
        return scores

    def _shift(self, node, level, name, p, nonpositive, Xi, Pi, wi, Va, Pa, wa) -> np.ndarray:
        """Per sample: 0, or 1 − the smallest child taking part (over every unit and period) when a child
        taking part is one the mean cannot take and nonpositive = "shift"; an error names the child."""
        allow_zero = name == "genmean" and p > 0
        bad_x = Pi & ((Xi < 0) if allow_zero else (Xi <= 0))
        bad_a = Pa & ((Va < 0) if allow_zero else (Va <= 0))
        taking_i, taking_a = wi > 0, wa > 0
        bad = (bad_x.any(0)[None, :] & taking_i).any(1)
        if bad_a.size:
            bad |= (bad_a & taking_a[:, None, :]).any((1, 2))
        if not bad.any():
            return np.zeros(wi.shape[0])
        if nonpositive == "error":
            rows, cols = np.nonzero(bad_x & taking_i[np.argmax(bad)][None, :]) if bad_x.any() else ((), ())
            units, periods = self.rows.labels()
            tree = self.tree
            if len(rows):
                child, r = tree.indicators[tree.children[tree.aggregates.index(node)][0][cols[0]]], rows[0]
            else:
                s, r, k = np.argwhere(bad_a & taking_a[:, None, :])[0]
                child = tree.aggregates[tree.children[tree.aggregates.index(node)][1][k]]
            need = "> 0" if not allow_zero else ">= 0"
            raise ConfigError(
                f"aggregate: {name} at level {level} needs children {need}: node {node}, unit {units[r]}, period "
                f"{periods[r]}, child {child} ≤ 0 in an alternative of the uncertainty spec. Normalise onto a positive"
                ' range (e.g. minmax range = [1, 100]) or set nonpositive = "shift" in that aggregate alternative')
        low_x = np.full(wi.shape[0], np.inf)
        if Xi.shape[1]:  # a node whose children are all aggregates (the root) has no indicator column
            low_x = np.where(taking_i, np.nanmin(np.where(Pi, Xi, np.inf), axis=0)[None, :], np.inf).min(1)
        low_a = np.full(wi.shape[0], np.inf)
        if Va.size:
            low_a = np.where(Pa & taking_a[:, None, :], Va, np.inf).min((1, 2))
        return np.where(bad, 1.0 - np.minimum(low_x, low_a), 0.0)

    def ranks(self, scores: np.ndarray) -> np.ndarray:
        """samples × rows × aggregates -> ranks within each period and node."""
        n_s = scores.shape[0]
        U, P, A = len(self.rows.units), len(self.rows.periods), scores.shape[2]
        by_period = scores.reshape(n_s, P, U, A).transpose(0, 1, 3, 2)  # samples × periods × nodes × units
        return min_ranks(by_period).transpose(0, 1, 3, 2).reshape(n_s, P * U, A)

    def check_nominal(self) -> float:
        """The fast path on every engine build (with the method spec's aggregation) must give the engine's
        scores within 1e-9 and the same ranks (ties: TIE_TOLERANCE); returns the largest score difference. A
        disagreement is a bug, never a result. Sets the nominal ranks the replicates are compared with
        (:attr:`nominal_ranks`: the engine's scores ranked with ties within rounding noise) and the fast
        path's nominal scores (:attr:`fast_nominal`, the exclusion table's baseline, so an unaffected node
        moves by exactly 0)."""
        worst = 0.0
        for b, build in enumerate(self.builds):
            worst = max(worst, self._check_build(b))
        self.nominal_ranks = self.ranks(self.nominal.scores[None])[0]
        self.fast_nominal = self.aggregate(self.nominal.X, self.nominal.weights[None, :],
                                           self.nominal.method["aggregate"])[0]
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
    rng = np.random.default_rng([seed, 0])
    picks = {c.name: rng.integers(0, c.k, replicates) for c in rep.choices if c.k > 1}
    noise = rep.noise_pool(replicates, rng)
    scores = np.empty((replicates, rep.rows.n, len(rep.tree.aggregates)))
    ranks = np.empty(scores.shape, np.float32)
    step = 4 * CHUNK
    for start in range(0, replicates, step):
        sel = slice(start, min(start + step, replicates))
        scores[sel] = rep.evaluate({k: v[sel] for k, v in picks.items()} or {"impute": np.zeros(sel.stop - start, int)},
                                   None if noise is None else noise[sel])
        ranks[sel] = rep.ranks(scores[sel])
        if progress:
            progress("Monte Carlo replicates", sel.stop, replicates)
    return MonteCarlo(scores, ranks, picks, noise, time.perf_counter() - started)


def _q(value: float) -> str:
    return f"q{value * 100:g}".replace(".", "_")


def rank_intervals(rep: Replicator, mc: MonteCarlo, interval=(0.05, 0.95)):
    """One row per unit, aggregate node and period: nominal score and rank, then over the replicates the mean,
    median and interval quantiles of rank and score, the share keeping the nominal rank, and the units whose
    rank intervals overlap this one's (not distinguishable)."""
    import pandas as pd

    lo, hi = interval
    nominal_rank, nominal_score = rep.nominal_ranks, rep.nominal.scores
    with np.errstate(all="ignore"), _quiet():
        rq = np.nanquantile(mc.ranks, [lo, 0.5, hi], axis=0)
        sq = np.nanquantile(mc.scores, [lo, 0.5, hi], axis=0)
        mean_rank = np.nanmean(mc.ranks, axis=0)
        mean_score = np.nanmean(mc.scores, axis=0)
    kept = (mc.ranks == nominal_rank[None]).mean(axis=0)
    units, periods = rep.rows.labels()
    A = len(rep.tree.aggregates)
    frame = pd.DataFrame({
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
    })
    frame = frame[~np.isnan(frame["nominal_score"]) | ~np.isnan(frame["mean_score"])]
    pairs = indistinguishable_pairs(frame, lo, hi)
    others = {}
    for row in pairs.itertuples(index=False):
        others.setdefault((row.period, row.node_id, row.unit_a), []).append(row.unit_b)
        others.setdefault((row.period, row.node_id, row.unit_b), []).append(row.unit_a)
    frame["indistinguishable_from"] = [";".join(sorted(others.get((p, n, u), [])))
                                       for p, n, u in zip(frame["period"], frame["node_id"], frame["unit_code"])]
    frame = frame.sort_values(["period", "level", "node_id", "nominal_rank", "unit_code"],
                              ascending=[True, False, True, True, True])
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
        out.append(pd.DataFrame({"period": period, "node_id": node, "unit_a": codes[i], "unit_b": codes[j],
                                 f"a_{low}": a[i], f"a_{high}": b[i], f"b_{low}": a[j], f"b_{high}": b[j]}))
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


def sobol(func: Callable[[np.ndarray], np.ndarray], d: int, n: int, seed: int, bootstrap: int = 999,
          confidence: float = 0.95) -> SobolIndices:
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
    shaped = [np.asarray(a, float).reshape(s, d) for a in (
        result.first_order, result.total_order, low[0], high[0], low[1], high[1])]  # scipy drops a single output's axis
    return SobolIndices(*shaped, np.var(every, axis=1), every.shape[1])


def _bootstrap(result, confidence: float, resamples: int, rng: np.random.Generator):
    """BCa intervals of (first order, total order), as SobolResult.bootstrap computes them, but with a seeded
    generator: SobolResult.bootstrap takes none, so its intervals would change from run to run."""
    from scipy import stats

    try:
        f_a, f_b, f_ab, indices = result._f_A, result._f_B, result._f_AB, result._indices_method
    except AttributeError:  # a scipy without these: its own (unseeded) bootstrap
        ci = result.bootstrap(confidence_level=confidence, n_resamples=resamples)
        return ((ci.first_order.confidence_interval.low, ci.total_order.confidence_interval.low),
                (ci.first_order.confidence_interval.high, ci.total_order.confidence_interval.high))

    def statistic(idx):
        return indices(f_a[:, idx], f_b[:, idx], f_ab[..., idx])

    res = stats.bootstrap([np.arange(f_a.shape[1])], statistic=statistic, method="BCa", n_resamples=resamples,
                          confidence_level=confidence, rng=rng)
    return res.confidence_interval.low, res.confidence_interval.high


def sensitivity(rep: Replicator, spec: uspec.UncertaintySpec, progress: Progress | None = None):
    """Sobol indices of every uncertain input for (a) the mean absolute rank shift of the target node against
    the nominal ranking (COINr's default) and (b) each unit's rank of the target node, per period."""
    import pandas as pd

    varied = [c for c in rep.choices if c.k > 1 or c.name == "weight_noise"]
    columns = ["input", "output", "unit_code", "period", "node_id", "first_order", "first_order_low",
               "first_order_high", "total_order", "total_order_low", "total_order_high", "output_variance"]
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
            rows.append((choice.name, name, unit, period, rep.target, result.first_order[o, i],
                         result.first_low[o, i], result.first_high[o, i], result.total_order[o, i],
                         result.total_low[o, i], result.total_high[o, i], result.variance[o]))
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
        frame = pd.DataFrame({
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
        })
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
    mc = monte_carlo(rep, spec.replicates, spec.seed, progress)
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
    return Results(intervals, pairs, sens, exclusion, timings,
                   [{"input": c.name, "alternatives": c.labels} for c in rep.choices])
