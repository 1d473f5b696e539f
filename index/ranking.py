"""Read a release's ranking and compare two computations (a scenario against the current release)."""

from __future__ import annotations

from pathlib import Path


def ranking(release_dir: Path, node_id: str = "DEI", year: int | None = None):
    """One year's ranking of the 盟市 for a node (default: the composite, latest year).

    ``node_id`` may be a node id, its Chinese or its English name; an unknown node or a year the release does not
    hold is a ConfigError that lists the valid choices."""
    import duckdb

    from index.errors import ConfigError

    path = str(Path(release_dir) / "index_scores.parquet")
    con = duckdb.connect()
    nodes = con.execute(
        "select distinct node_id, node_name_zh, node_name_en from read_parquet($p) order by node_id", {"p": path}
    ).fetchall() if _has_names(con, path) else [
        (n, None, None) for (n,) in con.execute("select distinct node_id from read_parquet($p)", {"p": path}).fetchall()
    ]
    node_id = _resolve_node(node_id, nodes)
    years = [y for (y,) in con.execute(
        "select distinct year from read_parquet($p) where node_id = $n order by year", {"p": path, "n": node_id}
    ).fetchall()]
    if year is None:
        year = years[-1]
    elif year not in years:
        raise ConfigError(f"--year {year}: the release holds {years[0]}–{years[-1]} for {node_id}; choose one of {years}")
    return con.execute(
        """
        select rank, league_code, league_name, year, score, score_change, rank_change, node_id
        from read_parquet($p) where node_id = $n and year = $y order by rank, league_code
        """,
        {"p": path, "n": node_id, "y": year},
    ).df()


def _has_names(con, path: str) -> bool:
    columns = {c for (c,) in con.execute("select column_name from (describe select * from read_parquet($p))",
                                         {"p": path}).fetchall()}
    return {"node_name_zh", "node_name_en"} <= columns


def _resolve_node(text: str, nodes: list[tuple]) -> str:
    """A node id, Chinese or English name (case and spaces aside) -> the node id; else a ConfigError listing them."""
    from index.errors import ConfigError

    def norm(value) -> str:
        return "".join(str(value or "").split()).casefold()

    wanted = norm(text)
    for node_id, name_zh, name_en in nodes:
        if wanted in (norm(node_id), norm(name_zh), norm(name_en)):
            return node_id
    choices = ", ".join(f"{n} ({zh})" if zh else n for n, zh, _ in nodes)
    raise ConfigError(f"--node {text!r} is not an index or dimension of this release; choose one of: {choices}."
                      " Indicators have no ranking here: see indicator_values.")


def synthetic_note(release_dir: Path) -> str | None:
    """A warning line when some input of the release declares its figures synthetic (release.json inputs)."""
    import json

    manifest_path = Path(release_dir) / "release.json"
    if not manifest_path.is_file():
        return None
    inputs = json.loads(manifest_path.read_text(encoding="utf-8")).get("inputs") or []
    flagged = [i for i in inputs if i.get("synthetic")]
    if not flagged:
        return None
    return (
        f"注：{len(flagged)}/{len(inputs)} 个输入文件为示例数据（合成），非官方统计，结果仅供演示。"
        f"\nNOTE: {len(flagged)} of {len(inputs)} input files declare SYNTHETIC figures; not official statistics."
    )


def _arrow(change) -> str:
    if change is None or change != change:  # None or NaN: no previous year
        return "  –"
    change = int(change)
    return f"↑{change:>2}" if change > 0 else (f"↓{-change:>2}" if change < 0 else "  =")


def format_ranking(table, title: str) -> str:
    lines = [title, f"{'排名':>4}  {'盟市':<8}{'得分':>8}{'较上年':>9}{'名次变化':>6}"]
    for row in table.itertuples(index=False):
        delta = "" if row.score_change != row.score_change or row.score_change is None else f"{row.score_change:+.2f}"
        name = row.league_name + "\u3000" * max(0, 6 - len(row.league_name))
        lines.append(f"{int(row.rank):>5}  {name}{row.score:>8.2f}{delta:>10}{_arrow(row.rank_change):>8}")
    return "\n".join(lines)


def rank_moves(baseline_dir: Path, scenario_dir: Path, node_id: str = "DEI"):
    """How ranks moved for every year: scenario rank against the baseline release's rank."""
    import duckdb

    con = duckdb.connect()
    return con.execute(
        """
        with baseline as (select * from read_parquet($b) where node_id = $n),
             scenario as (select * from read_parquet($s) where node_id = $n),
             final as (
                select scenario.year, scenario.league_code, scenario.league_name,
                       baseline.score as baseline_score, scenario.score as scenario_score,
                       baseline.rank as baseline_rank, scenario.rank as scenario_rank,
                       baseline.rank - scenario.rank as rank_moved_up
                from scenario join baseline using (year, league_code)
             )
        select * from final order by year, scenario_rank, league_code
        """,
        {"b": str(Path(baseline_dir) / "index_scores.parquet"), "s": str(Path(scenario_dir) / "index_scores.parquet"), "n": node_id},
    ).df()


def format_moves(moves, year: int | None = None) -> str:
    if year is None:
        year = int(moves["year"].max())
    sel = moves[moves["year"] == year]
    lines = [f"{year} 年 DEI 排名变化 (scenario vs current release)", f"{'盟市':<8}{'current':>9}{'scenario':>9}{'moved':>7}"]
    for row in sel.itertuples(index=False):
        name = row.league_name + "\u3000" * max(0, 6 - len(row.league_name))
        lines.append(
            f"{name}{int(row.baseline_rank):>6} ({row.baseline_score:5.1f}){int(row.scenario_rank):>4} ({row.scenario_score:5.1f}){_arrow(row.rank_moved_up):>6}"
        )
    changed = int((sel["rank_moved_up"] != 0).sum())
    lines.append(f"{changed} of {len(sel)} 盟市 change rank in {year}.")
    return "\n".join(lines)
