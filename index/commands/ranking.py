"""Read a release's ranking and compare two computations (a scenario against the current release)."""

from __future__ import annotations

from pathlib import Path

# the columns a ranking shows; an older release may lack some (e.g. score_change): what exists is shown
RANKING_COLUMNS = (
    "rank",
    "unit_code",
    "unit_name",
    "unit_level",
    "parent_code",
    "rank_in_parent",
    "year",
    "score",
    "score_change",
    "rank_change",
    "node_id",
)
REGION_CODE = 150000


def scores_relation(con, path: str) -> str:
    """A FROM item over a release's index_scores in the unit layout (unit_code, unit_name, unit_level,
    parent_code, rank_in_parent): a release from before the 旗县 level names its 盟市 league_code."""
    if "unit_code" in _columns(con, path):
        return "read_parquet($p)"
    return (
        "(select *, league_code as unit_code, league_name as unit_name, 'league' as unit_level,"
        f" {REGION_CODE} as parent_code, rank as rank_in_parent from read_parquet($p))"
    )


def _columns(con, path: str) -> set[str]:
    return {
        c
        for (c,) in con.execute(
            "select column_name from (describe select * from read_parquet($p))", {"p": path}
        ).fetchall()
    }


def units_ranked(release_dir: Path, level: str) -> int:
    """How many units of ``level`` the release scores (0 for a release from before the 旗县 level)."""
    import duckdb

    con = duckdb.connect()
    path = str(Path(release_dir) / "index_scores.parquet")
    source = scores_relation(con, path)
    return con.execute(
        f"select count(distinct unit_code) from {source} where unit_level = $l", {"p": path, "l": level}
    ).fetchall()[0][0]


def release_nodes(release_dir: Path, con=None) -> list[tuple]:
    """(node_id, name_zh, name_en) of every node a release ranks (names None in releases without them)."""
    import duckdb

    con = con or duckdb.connect()
    path = str(Path(release_dir) / "index_scores.parquet")
    if {"node_name_zh", "node_name_en"} <= _columns(con, path):
        return con.execute(
            "select distinct node_id, node_name_zh, node_name_en from read_parquet($p) order by node_id", {"p": path}
        ).fetchall()
    return [
        (n, None, None)
        for (n,) in con.execute(
            "select distinct node_id from read_parquet($p) order by node_id", {"p": path}
        ).fetchall()
    ]


def ranking(
    release_dir: Path, node_id: str = "DEI", year: int | None = None, level: str = "league", within: str | None = None
) -> list[dict]:
    """One year's ranking for a node (default: the composite, latest year), as a list of rows: the 12 盟市
    (``level="league"``), the 103 旗县市区 (``level="county"``), or the 旗县市区 of one 盟市 (``within``: its name,
    alias or code; ranked by rank_in_parent, the region-wide rank kept as ``rank_in_region``).

    ``node_id`` may be a node id, its Chinese or its English name; an unknown node or a year the release does not
    hold is a ConfigError that lists the valid choices. DuckDB alone (no pandas), so `dei ranking` starts fast."""
    import duckdb

    from index.errors import ConfigError

    path = str(Path(release_dir) / "index_scores.parquet")
    con = duckdb.connect()
    source = scores_relation(con, path)
    node_id = resolve_node(node_id, release_nodes(release_dir, con))
    parent = None
    if within is not None:
        from index import units

        try:
            parent = units.resolve_unit(within, levels="league").code
        except units.UnitNameError as exc:
            raise ConfigError(f"--within: {exc.message}") from None
        level = "county"
    held = [lv for (lv,) in con.execute(f"select distinct unit_level from {source} order by 1", {"p": path}).fetchall()]
    if level not in held:
        option = f"--within {within}" if parent is not None else f"--level {level}"
        raise ConfigError(f"{option}: the release ranks {held} only")
    years = [
        y
        for (y,) in con.execute(
            f"select distinct year from {source} where node_id = $n and unit_level = $l order by year",
            {"p": path, "n": node_id, "l": level},
        ).fetchall()
    ]
    if year is None:
        year = years[-1]
    elif year not in years:
        raise ConfigError(
            f"--year {year}: the release holds {years[0]}–{years[-1]} for {node_id}; choose one of {years}"
        )
    # what the file has, and the unit columns scores_relation gives a release from before the 旗县 level
    present = _columns(con, path) | {"unit_code", "unit_name", "unit_level"}
    columns = [c for c in RANKING_COLUMNS if c in present]
    order = "rank_in_parent" if parent is not None else "rank"
    rows = con.execute(
        f"select {', '.join(columns)} from {source} where node_id = $n and year = $y and unit_level = $l"
        f" and ($parent is null or parent_code = $parent) order by {order}, unit_code",
        {"p": path, "n": node_id, "y": year, "l": level, "parent": parent},
    ).fetchall()
    table = [dict(zip(columns, row)) for row in rows]
    if parent is not None:  # the rank shown is the rank within the 盟市; the region-wide one stays readable
        for row in table:
            row["rank_in_region"], row["rank"] = row["rank"], row["rank_in_parent"]
            row.pop("rank_change", None)  # a change of the region-wide rank, not of this one
    # the intervals are of the rank among all units of the level: not shown beside a rank within a 盟市
    intervals = rank_intervals(release_dir, node_id, year, con, level) if parent is None else {}
    for row in table:
        if intervals:  # a release from before the uncertainty analysis has none: the ranking alone
            row.update(intervals.get(int(row["unit_code"]), dict(rank_low=None, rank_high=None)))
    return table


INTERVAL_COLUMNS = ("rank_low", "rank_high", "interval_low", "interval_high")


def rank_intervals(release_dir: Path, node_id: str, year: int, con=None, level: str = "league") -> dict[int, dict]:
    """unit_code of a 盟市 (or, ``level`` county, a 旗县) -> its rank interval (rank_low, rank_high and their
    quantiles) from the release's rank_intervals table; {} when the release has none (or an older layout of it,
    or none for that level)."""
    import duckdb

    path = Path(release_dir) / "rank_intervals.parquet"
    if not path.is_file():
        return {}
    con = con or duckdb.connect()
    present = _columns(con, str(path))
    code = "unit_code" if "unit_code" in present else "league_code"
    if not {code, "node_id", "year", *INTERVAL_COLUMNS} <= present:
        return {}
    if "unit_level" not in present and level != "league":
        return {}  # a release from before the 旗县 intervals: its rows are the 盟市'
    by_level = " and unit_level = $l" if "unit_level" in present else ""
    rows = con.execute(
        f"select {code}, {', '.join(INTERVAL_COLUMNS)} from read_parquet($p)"
        f" where node_id = $n and year = $y{by_level}",
        {"p": str(path), "n": node_id, "y": year, **({"l": level} if by_level else {})},
    ).fetchall()
    return {int(code): dict(zip(INTERVAL_COLUMNS, rest)) for code, *rest in rows}


def interval_text(row: dict) -> str:
    """ "3–5" (or "4" when both ends agree); "" without an interval. A quantile between two ranks rounds
    outwards to the whole ranks containing it, as the site does."""
    import math

    low, high = row.get("rank_low"), row.get("rank_high")
    if low is None or high is None or low != low or high != high:
        return ""
    low, high = math.floor(low + 1e-9), math.ceil(high - 1e-9)
    return str(low) if low == high else f"{low}–{high}"


def resolve_node(text: str, nodes: list[tuple]) -> str:
    """A node id, Chinese or English name (case and spaces aside) -> the node id; else a ConfigError listing them."""
    from index.errors import ConfigError

    def norm(value) -> str:
        return "".join(str(value or "").split()).casefold()

    wanted = norm(text)
    for node_id, name_zh, name_en in nodes:
        if wanted in (norm(node_id), norm(name_zh), norm(name_en)):
            return node_id
    choices = ", ".join(f"{n} ({zh})" if zh else n for n, zh, _ in nodes)
    raise ConfigError(
        f"unknown node {text!r}; valid: {choices}. Indicators have no ranking here: see indicator_values."
    )


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


def format_ranking(rows: list[dict], title: str) -> str:
    from index.tables import arrow, render

    columns = set(rows[0]) if rows else set()
    shown = next((r for r in rows if r.get("interval_low") is not None), None)
    # the interval beside the rank: "90 % of plausible method choices rank it here" (rank_intervals)
    band = [f"{shown['interval_low'] * 100:g}–{shown['interval_high'] * 100:g}% 区间"] if shown else []
    county = bool(rows) and rows[0].get("unit_level") == "county"
    headers = (
        ["排名", *band, "旗县市区" if county else "盟市", "得分"]
        + (["全区排名"] if "rank_in_region" in columns else [])
        + (["较上年"] if "score_change" in columns else [])
        + (["名次变化"] if "rank_change" in columns else [])
    )
    body = []
    for row in rows:
        line = [int(row["rank"]), *([interval_text(row)] if shown else []), row["unit_name"], f"{row['score']:.2f}"]
        if "rank_in_region" in columns:
            line.append(int(row["rank_in_region"]))
        if "score_change" in columns:
            change = row["score_change"]
            line.append("" if change is None or change != change else f"{change:+.2f}")
        if "rank_change" in columns:
            line.append(arrow(row["rank_change"]))
        body.append(line)
    align = (">>" if shown else ">") + "<" + ">" * (len(headers) - 2 - bool(shown))
    lines = [title] + render(headers, body, align=align, indent="  ")
    if shown:
        share = f"{(shown['interval_high'] - shown['interval_low']) * 100:g}"
        lines.append(
            f"  {band[0]}：{share}% 的合理方法选择下的名次 / the ranks in {share} % of plausible method choices"
            " (rank_intervals)"
        )
    return "\n".join(lines)


def rank_moves(baseline_dir: Path, scenario_dir: Path, node_id: str = "DEI") -> list[dict]:
    """How the 盟市' ranks moved for every year: scenario rank against the baseline release's rank."""
    import duckdb

    con = duckdb.connect()
    baseline_path = str(Path(baseline_dir) / "index_scores.parquet")
    scenario_path = str(Path(scenario_dir) / "index_scores.parquet")
    baseline = scores_relation(con, baseline_path).replace("$p", "$b")
    scenario = scores_relation(con, scenario_path).replace("$p", "$s")
    cursor = con.execute(
        f"""
        with baseline as (select * from {baseline} where node_id = $n and unit_level = 'league'),
             scenario as (select * from {scenario} where node_id = $n and unit_level = 'league'),
             final as (
                select scenario.year, scenario.unit_code, scenario.unit_name,
                       baseline.score as baseline_score, scenario.score as scenario_score,
                       baseline.rank as baseline_rank, scenario.rank as scenario_rank,
                       baseline.rank - scenario.rank as rank_moved_up
                from scenario join baseline using (year, unit_code)
             )
        select * from final order by year, scenario_rank, unit_code
        """,
        {"b": baseline_path, "s": scenario_path, "n": node_id},
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def format_moves(moves: list[dict], year: int | None = None) -> str:
    from index.tables import arrow, render

    if not moves:
        return "the scenario and the current release share no year"
    if year is None:
        year = max(m["year"] for m in moves)
    sel = [m for m in moves if m["year"] == year]
    body = [
        [
            m["unit_name"],
            int(m["baseline_rank"]),
            f"{m['baseline_score']:.1f}",
            int(m["scenario_rank"]),
            f"{m['scenario_score']:.1f}",
            arrow(m["rank_moved_up"]),
        ]
        for m in sel
    ]
    lines = [f"{year} 年 DEI 排名变化 (scenario vs current release)"]
    lines += render(["盟市", "current", "得分", "scenario", "得分", "名次变化"], body, indent="  ")
    changed = sum(1 for m in sel if m["rank_moved_up"] != 0)
    lines.append(f"{changed} of {len(sel)} 盟市 change rank in {year}.")
    return "\n".join(lines)
