"""Read a release's ranking and compare two computations (a scenario against the current release)."""

from __future__ import annotations

from pathlib import Path


def ranking(release_dir: Path, node_id: str = "DEI", year: int | None = None):
    """One year's ranking of the 盟市 for a node (default: the composite, latest year)."""
    import duckdb

    path = str(Path(release_dir) / "index_scores.parquet")
    con = duckdb.connect()
    if year is None:
        year = con.execute("select max(year) from read_parquet($p) where node_id = $n", {"p": path, "n": node_id}).fetchone()[0]
    return con.execute(
        """
        select rank, league_code, league_name, year, score, score_change, rank_change
        from read_parquet($p) where node_id = $n and year = $y order by rank, league_code
        """,
        {"p": path, "n": node_id, "y": year},
    ).df()


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
