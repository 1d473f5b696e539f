"""Comparisons: two computations side by side (`dei releases diff` / `dei compare A B`), and several weight
schemes computed and lined up (`dei compare --weights a.sql b.sql ...`).

Either side may be a release or a scenario (index.commands.scenarios.resolve). The header says what differs between
the two computations, read from their release.json: inputs, weight scheme, method spec, code version.
In a scheme comparison every scheme's move is against the FIRST scheme named (put the expert scheme first):
it is defined whether or not anything is published, and the order is the user's choice.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from index.commands.scenarios import Source, method_of, resolve, scheme_of
from index.config import Settings
from index.config import settings as current_settings
from index.errors import ConfigError

DIFF_SQL = """
    with
    a as (select * from {a} where unit_level = $level),
    b as (select * from {b} where unit_level = $level),
    joined as (
        select
            coalesce(b.unit_code, a.unit_code) as unit_code,
            coalesce(b.unit_name, a.unit_name) as unit_name,
            coalesce(b.year, a.year) as year,
            coalesce(b.node_id, a.node_id) as node_id,
            a.score as score_a, b.score as score_b, b.score - a.score as score_delta,
            a.rank as rank_a, b.rank as rank_b, a.rank - b.rank as rank_delta
        from a full outer join b using (unit_code, year, node_id)
    )
    select * from joined
    where ($node is null or node_id = $node) and ($year is null or year = $year)
    order by year, node_id, rank_b nulls last, unit_code
"""


def diff_rows(
    path_a: Path, path_b: Path, node_id: str | None = None, year: int | None = None, level: str = "league"
) -> list[dict]:
    """Per unit of ``level`` (the 盟市 by default), year and node: both scores and ranks, and how they moved from
    a to b (rank_delta > 0: up)."""
    import duckdb

    from index.commands.ranking import scores_relation

    con = duckdb.connect()
    a, b = str(Path(path_a) / "index_scores.parquet"), str(Path(path_b) / "index_scores.parquet")
    sql = DIFF_SQL.format(a=scores_relation(con, a).replace("$p", "$a"), b=scores_relation(con, b).replace("$p", "$b"))
    cursor = con.execute(sql, {"a": a, "b": b, "node": node_id, "year": year, "level": level})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _years(path: Path, node_id: str) -> set[int]:
    import duckdb

    return {
        y
        for (y,) in duckdb.connect()
        .execute(
            "select distinct year from read_parquet($p) where node_id = $n",
            {"p": str(Path(path) / "index_scores.parquet"), "n": node_id},
        )
        .fetchall()
    }


def pick_node_and_year(paths: list[Path], node: str | None, year: int | None) -> tuple[str, int]:
    """The node (by id, Chinese or English name, through ranking's resolver) and the year (default: the latest
    every computation holds); an unknown node or a year not held by all is a ConfigError listing the choices."""
    from index.commands.ranking import release_nodes, resolve_node

    nodes = release_nodes(paths[0])
    node_id = resolve_node(node or "DEI", nodes)
    common = set.intersection(*(_years(p, node_id) for p in paths))
    if not common:
        raise ConfigError(f"the computations share no year for {node_id}")
    if year is None:
        return node_id, max(common)
    if year not in common:
        raise ConfigError(f"--year {year}: not held by every computation compared; choose one of {sorted(common)}")
    return node_id, year


def _inputs(manifest: dict) -> dict:
    return {(i.get("file") or i.get("sha256")): i.get("sha256") for i in manifest.get("inputs") or []}


def changes(a: Source, b: Source) -> list[str]:
    """What differs between the two computations: inputs, weight scheme, method spec, code version."""
    ma, mb = a.manifest, b.manifest
    ia, ib = _inputs(ma), _inputs(mb)
    changed = sum(1 for f in set(ia) | set(ib) if ia.get(f) != ib.get(f))
    inputs = f"{changed} of {len(set(ia) | set(ib))} files changed" if changed else f"same {len(ib)} files"

    def part(key: str, shown) -> str:
        pa, pb = ma.get(key) or {}, mb.get(key) or {}
        if shown(ma) != shown(mb):
            return f"{shown(ma)} → {shown(mb)}"
        return f"same ({shown(mb)})" if pa.get("sha256") == pb.get("sha256") else f"{shown(mb)}, edited"

    ca, cb = ma.get("code_version"), mb.get("code_version")
    code = f"same ({cb})" if ca == cb else f"{ca} → {cb}"
    return [
        f"A = {a.label}: {scheme_of(ma)}, {method_of(ma)}, created {ma.get('created_at') or '?'}",
        f"B = {b.label}: {scheme_of(mb)}, {method_of(mb)}, created {mb.get('created_at') or '?'}",
        f"changed: inputs {inputs}; weight scheme {part('weight_scheme', scheme_of)}; "
        f"method spec {part('method', method_of)}; code version {code}",
    ]


@dataclass
class Comparison:
    a: Source
    b: Source
    node_id: str
    year: int
    rows: list[dict]
    total_scores: int = 0
    scores_changed: int = 0
    ranks_moved: int = 0


def diff(a: str, b: str, cfg: Settings | None = None, node: str | None = None, year: int | None = None) -> Comparison:
    """Two computations (release or scenario ids / names, unique prefixes) for one node and year."""
    cfg = cfg or current_settings()
    sa, sb = resolve(a, cfg), resolve(b, cfg)
    node_id, year = pick_node_and_year([sb.path, sa.path], node, year)
    every = diff_rows(sa.path, sb.path)
    return Comparison(
        sa,
        sb,
        node_id,
        year,
        [r for r in every if r["node_id"] == node_id and r["year"] == year],
        total_scores=len(every),
        scores_changed=sum(1 for r in every if r["score_delta"] is not None and abs(r["score_delta"]) > 1e-12),
        ranks_moved=sum(1 for r in every if r["rank_delta"]),
    )


def _num(value, fmt: str = "{:.2f}") -> str:
    return "" if value is None or value != value else fmt.format(value)


def format_diff(comparison: Comparison) -> str:
    from index.tables import arrow, render

    c = comparison
    moved = sum(1 for r in c.rows if r["rank_delta"])
    lines = changes(c.a, c.b)
    lines.append(
        f"all nodes and years: {c.scores_changed} of {c.total_scores} scores changed, {c.ranks_moved} ranks moved"
    )
    lines.append(f"{c.node_id} {c.year}: {moved} of {len(c.rows)} 盟市 change rank (B against A)")
    body = [
        [
            r["unit_name"],
            _num(r["score_a"]),
            _num(r["rank_a"], "{:.0f}"),
            _num(r["score_b"]),
            _num(r["rank_b"], "{:.0f}"),
            _num(r["score_delta"], "{:+.2f}"),
            arrow(r["rank_delta"]) if r["rank_a"] is not None and r["rank_b"] is not None else "–",
        ]
        for r in c.rows
    ]
    lines += render(["盟市", "A 得分", "A 排名", "B 得分", "B 排名", "得分变化", "名次变化"], body, indent="  ")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------ several weight schemes


@dataclass
class SchemeTable:
    node_id: str
    year: int
    schemes: list[Source]
    headers: list[str]
    rows: list[list]
    warnings: list[str] = field(default_factory=list)


def compute_schemes(
    weights: list[str], method: str | None = None, cfg: Settings | None = None
) -> tuple[list[Source], list[str]]:
    """Each scheme computed as a scenario in data_lake/scenarios/<name>/ (compute.compute, same as
    `dei compute --weights`); returns the scenarios and the drop-out warnings of each scheme."""
    from index import compute
    from index.commands.scenarios import list_scenarios, scenario_name, scenarios_dir

    cfg = cfg or current_settings()
    warnings, outs, seen = [], [], set()
    for w in weights:
        warnings += scheme_warnings(w, cfg)
        name = scenario_name(w, method)
        if name in seen:  # two files of the same name from different folders
            name = f"{name}-{len(seen) + 1}"
        seen.add(name)
        out = scenarios_dir(cfg) / name
        if out.exists():
            shutil.rmtree(out)
        compute.compute(weights=w, method=method, cfg=cfg, out_dir=out)
        outs.append(out)
    by_path = {s.path: s for s in list_scenarios(cfg)}
    return [by_path[o] for o in outs], warnings


def scheme_warnings(weights: str, cfg: Settings | None = None) -> list[str]:
    """The drop-out warnings of one scheme file (index.framework.dropout_warnings)."""
    from index.config import resolve as resolve_path
    from index.engine.vocabulary import NAMED_WEIGHT_SCHEMES
    from index.framework import dropout_warnings, load_framework, load_weights

    if weights in NAMED_WEIGHT_SCHEMES:
        return []  # derived from the data or the tree at run time: no file to read before the build
    cfg = cfg or current_settings()
    path = resolve_path(weights, cfg, confined=False)
    framework = load_framework(cfg.framework_file)
    return dropout_warnings(load_weights(path, framework), framework, Path(path).name)


def scheme_table(scenarios: list[Source], node: str | None = None, year: int | None = None) -> SchemeTable:
    """盟市, then per scheme: score, rank and the move against the first scheme."""
    import duckdb

    from index.commands.ranking import scores_relation
    from index.tables import arrow

    node_id, year = pick_node_and_year([s.path for s in scenarios], node, year)
    con = duckdb.connect()
    per = []
    for s in scenarios:
        path = str(s.path / "index_scores.parquet")
        rows = con.execute(
            f"select unit_code, unit_name, score, rank from {scores_relation(con, path)}"
            " where node_id = $n and year = $y and unit_level = 'league'",
            {"p": path, "n": node_id, "y": year},
        ).fetchall()
        per.append({code: (name, score, rank) for code, name, score, rank in rows})
    first = per[0]
    headers = ["盟市"]
    for i, s in enumerate(scenarios):
        label = s.name  # the scenario's folder: unique even for two files of the same name
        headers += [f"{label} 得分", f"{label} 排名"] + ([] if i == 0 else [f"{label} 名次变化"])
    codes = sorted(set().union(*per), key=lambda c: (first.get(c, (None, None, 10**9))[2], c))
    rows = []
    for code in codes:
        name = next(p[code][0] for p in per if code in p)
        line = [name]
        for i, p in enumerate(per):
            _, score, rank = p.get(code, (None, None, None))
            line += [_num(score), _num(rank, "{:.0f}")]
            if i:
                base = first.get(code, (None, None, None))[2]
                line.append(arrow(base - rank) if base is not None and rank is not None else "–")
        rows.append(line)
    return SchemeTable(node_id, year, scenarios, headers, rows)


def format_scheme_table(table: SchemeTable) -> str:
    from index.tables import render, shown_path

    lines = [
        f"{table.node_id} {table.year}: {len(table.schemes)} weight schemes; moves are against "
        f"{scheme_of(table.schemes[0].manifest)} (the first scheme named)"
    ]
    lines += [f"  {s.name}: scenario {s.id} in {shown_path(s.path)}" for s in table.schemes]
    lines += render(table.headers, table.rows, indent="  ")
    return "\n".join(lines)


def write_xlsx(path: Path, title: str, headers: list[str], rows: list[list]) -> Path:
    """One comparison table as a workbook (the site's own XLSX writer, index.report.downloads)."""
    from index.report.downloads import write_xlsx as write

    path = Path(path)
    write(path, headers, rows, title=title)
    return path


def diff_table(comparison: Comparison) -> tuple[list[str], list[list]]:
    """The diff's rows as plain values, for --xlsx."""
    headers = ["unit_code", "盟市", "A 得分", "A 排名", "B 得分", "B 排名", "得分变化", "名次变化"]
    rows = [
        [
            r["unit_code"],
            r["unit_name"],
            r["score_a"],
            r["rank_a"],
            r["score_b"],
            r["rank_b"],
            r["score_delta"],
            r["rank_delta"],
        ]
        for r in comparison.rows
    ]
    return headers, rows
