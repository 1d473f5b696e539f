"""The site's 区域差异 page (disparity.html): the release's analysis tables of the spread across the 12 盟市.

Reads disparity, disparity_groups, disparity_pairs (Dagum's Gini decomposition under the two groupings of
reference/league_groups.csv), distribution (kernel density of the scores by year), coupling (耦合协调度, the 盟市
rows), convergence_sigma and convergence_beta (index/analyses/). A release published before an analysis existed
lacks its table: the table's part of :func:`payload` is then None and the page says so. Sentences (the β
result) are written here in both languages, so the page, its downloads and the tests read the same words.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from index.report import tables

GROUPINGS = ("region_group", "core_group")
GROUPING_NAMES = {
    "region_group": ("蒙东 / 蒙西", "East / west (蒙东 / 蒙西)"),
    "core_group": ("呼包鄂乌 / 其他盟市", "Hohhot–Baotou–Ordos–Ulanqab / the others"),
}
GROUP_NAMES = {
    "蒙东": "East (蒙东)",
    "蒙西": "West (蒙西)",
    "呼包鄂乌": "Hohhot–Baotou–Ordos–Ulanqab (呼包鄂乌)",
    "其他": "Other leagues (其他)",
}
SYSTEMS = ("六维度", "数字产业化 × 产业数字化")
SYSTEM_NAMES = {
    "六维度": ("六个维度", "The six dimensions"),
    "数字产业化 × 产业数字化": ("数字产业化 × 产业数字化", "Digital industrialisation × industrial digitalisation"),
}
DECOMPOSITION = ("gini", "gini_within", "gini_between", "gini_transvariation", "theil", "theil_within")
DECOMPOSITION += ("theil_between", "cv")


def coupling_classes() -> list[list]:
    """[low, high, zh, en] for the ten classes of index/analyses/coupling.py, the ones the analysis labels with."""
    from index.analyses.coupling import CLASSES

    return [[round(lo, 1), round(lo + 0.1, 1), zh, en] for lo, zh, en in CLASSES]


def _num(value, digits: int = 4) -> float | None:
    if value is None or value is pd.NA:
        return None
    value = float(value)
    return None if math.isnan(value) else round(value, digits)


def _node_order(present, order: list[str]) -> list[str]:
    present = set(present)
    return [n for n in order if n in present] + sorted(present - set(order))


def beta_sentence(row: dict | None, leagues: int = 12) -> tuple[str, str] | None:
    """The β regression in plain words: β, its p-value, what it means, the half-life."""
    if not row or row.get("beta") is None:
        return None
    b, p = row["beta"], row.get("p_value")
    sign = "−" if b < 0 else ""
    shown = None if p is None else ("p < 0.001" if p < 0.001 else f"p = {p:.3f}")
    head = f"β = {sign}{abs(b):.3f}" + (f"（{shown}）" if shown else "")
    head_en = f"β = {sign}{abs(b):.3f}" + (f" ({shown})" if shown else "")
    span = f"{row.get('first_year')}–{row.get('last_year')}"
    if row.get("converging"):
        zh = f"{head}：{span} 年得分较低的盟市增长更快，差距在缩小（β 收敛）"
        en = f"{head_en}: over {span} the lower-scoring leagues grew faster, so the gap is closing (β convergence)"
        if row.get("half_life") is not None:
            zh += f"；半衰期 {row['half_life']:.1f} 年（按此速度差距减半所需年数）"
            en += f"; half-life {row['half_life']:.1f} years (the time to halve the gap at this speed)"
    elif b < 0:
        zh = f"{head}：{span} 年得分较低的盟市增长略快，但统计上不显著（p ≥ 0.05），不能认定差距在缩小"
        en = (
            f"{head_en}: over {span} the lower-scoring leagues grew a little faster, but not significantly "
            "(p ≥ 0.05), so the gap cannot be said to be closing"
        )
    else:
        zh = f"{head}：{span} 年得分较高的盟市增长不慢于较低的盟市，没有 β 收敛"
        en = f"{head_en}: over {span} the higher-scoring leagues grew at least as fast as the lower ones: no β convergence"
    return zh + "。", en + "."


def payload(release_dir: Path, root: str, dims: list[str]) -> dict:
    """Everything the page draws; a part is None when the release has no such table."""
    order = [root, *dims]
    out: dict = {
        "groupings": [],
        "grouping_names": {g: list(v) for g, v in GROUPING_NAMES.items()},
        "group_names": GROUP_NAMES,
        "nodes": [],
        "decomposition": None,
        "groups": None,
        "pairs": None,
        "distribution": None,
        "coupling": None,
        "systems": [],
        "system_names": {s: list(v) for s, v in SYSTEM_NAMES.items()},
        "classes": coupling_classes(),
        "sigma": None,
        "beta": None,
    }
    nodes: set[str] = set()
    groupings: set[str] = set()

    table = tables.read(release_dir, "disparity")
    if table is not None:
        out["decomposition"] = {}
        for (grouping, node), part in table.groupby(["grouping", "node_id"], sort=True):
            groupings.add(grouping)
            nodes.add(node)
            out["decomposition"].setdefault(grouping, {})[node] = [
                {"year": int(r["year"]), **{k: _num(r.get(k)) for k in DECOMPOSITION}}
                for r in part.sort_values("year").to_dict("records")
            ]

    table = tables.read(release_dir, "disparity_groups")
    if table is not None:
        out["groups"] = {}
        for (grouping, node, group), part in table.groupby(["grouping", "node_id", "group_name"], sort=True):
            groupings.add(grouping)
            nodes.add(node)
            out["groups"].setdefault(grouping, {}).setdefault(node, {})[group] = [
                [int(r.year), _num(r.gini), _num(r.mean, 2), int(r.units)]
                for r in part.sort_values("year").itertuples(index=False)
            ]

    table = tables.read(release_dir, "disparity_pairs")
    if table is not None:
        out["pairs"] = {}
        for (grouping, node, a, b), part in table.groupby(["grouping", "node_id", "group_a", "group_b"], sort=True):
            groupings.add(grouping)
            nodes.add(node)
            pair = out["pairs"].setdefault(grouping, {}).setdefault(node, {})
            for r in part.sort_values("year").itertuples(index=False):
                # group_a is the group with the higher mean in that year: the pair is named the same way every year
                key = " – ".join(sorted((a, b)))
                pair.setdefault(key, []).append([int(r.year), _num(r.gini_between), a, _num(r.relative_affluence)])
        for by_node in out["pairs"].values():
            for by_pair in by_node.values():
                for rows in by_pair.values():
                    rows.sort(key=lambda x: x[0])

    table = tables.read(release_dir, "distribution")
    if table is not None:
        out["distribution"] = {}
        for (node, year), part in table.groupby(["node_id", "year"], sort=True):
            nodes.add(node)
            part = part.sort_values("x")
            out["distribution"].setdefault(node, {})[int(year)] = [
                [_num(x, 3), _num(d, 6)] for x, d in zip(part["x"], part["density"])
            ]

    table = tables.level(tables.read(release_dir, "coupling"), tables.LEAGUE)
    if table is not None:
        out["coupling"] = {}
        present = set(table["system"].dropna())
        out["systems"] = [s for s in SYSTEMS if s in present] + sorted(present - set(SYSTEMS))
        for r in table.sort_values(["system", "unit_code", "year"]).itertuples(index=False):
            out["coupling"].setdefault(r.system, {}).setdefault(int(r.unit_code), {})[int(r.year)] = [
                _num(r.coupling_coordination),
                r.class_zh,
                r.class_en,
                _num(r.coupling),
                _num(r.coordination),
            ]

    table = tables.read(release_dir, "convergence_sigma")
    if table is not None:
        out["sigma"] = {}
        for node, part in table.groupby("node_id", sort=True):
            nodes.add(node)
            out["sigma"][node] = [
                [int(r.year), _num(r.cv), _num(r.sd_log), _num(r.mean, 2), _num(r.sd, 2)]
                for r in part.sort_values("year").itertuples(index=False)
            ]

    table = tables.read(release_dir, "convergence_beta")
    if table is not None:
        out["beta"] = {}
        for r in table.to_dict("records"):
            nodes.add(r["node_id"])
            row = {
                "first_year": int(r["first_year"]) if pd.notna(r.get("first_year")) else None,
                "last_year": int(r["last_year"]) if pd.notna(r.get("last_year")) else None,
                "units": int(r["units"]) if pd.notna(r.get("units")) else None,
                **{k: _num(r.get(k)) for k in ("beta", "beta_stderr", "p_value", "r_squared", "speed", "half_life")},
                "converging": None if pd.isna(r.get("converging")) else bool(r["converging"]),
            }
            row["sentence"] = beta_sentence(row)
            out["beta"][r["node_id"]] = row

    out["groupings"] = [g for g in GROUPINGS if g in groupings] + sorted(groupings - set(GROUPINGS))
    out["nodes"] = _node_order(nodes, order)
    out["available"] = any(
        out[k] is not None for k in ("decomposition", "groups", "pairs", "distribution", "coupling", "sigma", "beta")
    )
    return out


def _pair(x) -> tuple:
    return tuple(x) if isinstance(x, (list, tuple)) else (x, x)


def page_tables(data: dict, head) -> dict[str, tuple[list[str], list[list]]]:
    """The page's tables, one file per grouping and node where the page has a selector, row for row as
    site.js draws them."""
    v = data.get("disparity_page") or {}
    if not v.get("available"):
        return {}
    out: dict[str, tuple[list[str], list[list]]] = {}
    for grouping, by_node in (v.get("decomposition") or {}).items():
        for node, rows in by_node.items():
            out[f"dagum_{grouping}_{node}"] = (
                [
                    head("year"),
                    head("gini"),
                    head(("组内贡献（绝对值）", "Within groups (contribution)")),
                    head(("组间贡献（绝对值）", "Between groups (contribution)")),
                    head(("超变密度贡献（绝对值）", "Transvariation (contribution)")),
                    head("theil"),
                    head(("泰尔指数组内", "Theil within")),
                    head(("泰尔指数组间", "Theil between")),
                    head("cv"),
                ],
                [[r["year"], *(r[k] for k in DECOMPOSITION)] for r in rows],
            )
    names = v.get("group_names") or {}
    for grouping, by_node in (v.get("groups") or {}).items():
        for node, by_group in by_node.items():
            out[f"groupgini_{grouping}_{node}"] = (
                [
                    head("year"),
                    head(("组别", "Group")),
                    "Group (English)",
                    head(("组内基尼系数", "Gini within the group")),
                ]
                + [head(("组均值", "Group mean")), head(("盟市数", "Leagues"))],
                sorted(
                    ([r[0], g, names.get(g, g), r[1], r[2], r[3]] for g, rows in by_group.items() for r in rows),
                    key=lambda x: (x[0], x[1]),
                ),
            )
    for grouping, by_node in (v.get("pairs") or {}).items():
        for node, by_pair in by_node.items():
            out[f"pairgini_{grouping}_{node}"] = (
                [head("year"), head(("组对", "Pair of groups")), head(("组间基尼系数", "Between-group Gini"))]
                + [
                    head(("均值较高的组", "Group with the higher mean")),
                    head(("相对经济富裕度", "Relative affluence")),
                ],
                sorted(([r[0], p, r[1], r[2], r[3]] for p, rows in by_pair.items() for r in rows), key=lambda x: x[:2]),
            )
    for node, by_year in (v.get("distribution") or {}).items():
        out[f"density_{node}"] = (
            [head("year"), head(("得分", "Score")), head(("核密度", "Density"))],
            [[y, x, d] for y, points in sorted(by_year.items()) for x, d in points],
        )
    leagues = {l["code"]: (l["zh"], l["en"]) for l in data["leagues"]}
    for i, system in enumerate(v.get("systems") or []):
        by_unit = v["coupling"].get(system, {})
        out[f"coupling_{i}"] = (
            [head("league"), "League (English)", head("year"), head(("耦合协调度 D", "Coupling coordination D"))]
            + [head(("协调等级", "Class")), "Class (English)", head(("耦合度 C", "Coupling C"))]
            + [head(("协调指数 T", "Coordination T")), head(("系统", "System"))],
            [
                [*leagues.get(code, (code, code)), year, *cell, system]
                for code in [l["code"] for l in data["leagues"]]
                for year, cell in sorted(by_unit.get(code, {}).items())
            ],
        )
    for node, rows in (v.get("sigma") or {}).items():
        out[f"sigma_{node}"] = (
            [head("year"), head("cv"), head(("对数标准差", "SD of log scores"))]
            + [head(("均值", "Mean")), head(("标准差", "Standard deviation"))],
            [list(r) for r in rows],
        )
    if v.get("beta") is not None:
        nodes = {n["node_id"]: n for n in data["nodes"]}
        order = {n: i for i, n in enumerate(v.get("nodes") or [])}
        out["beta"] = (
            [head("node"), "Node (English)", head(("起始年", "First year")), head(("终止年", "Last year"))]
            + [head(("盟市数", "Leagues")), "β", head(("标准误", "Standard error")), head(("p 值", "p-value"))]
            + [
                head(("收敛速度", "Speed")),
                head(("半衰期（年）", "Half-life (years)")),
                head(("是否收敛", "Converging")),
            ]
            + [head(("说明", "In words")), "In words (English)"],
            [
                [
                    nodes.get(node, {}).get("name_zh") or node,
                    nodes.get(node, {}).get("name_en") or node,
                    r["first_year"],
                    r["last_year"],
                    r["units"],
                    r["beta"],
                    r["beta_stderr"],
                    r["p_value"],
                    r["speed"],
                    r["half_life"],
                    r["converging"],
                    *_pair(r["sentence"] or (None, None)),
                ]
                for node, r in sorted(v["beta"].items(), key=lambda x: order.get(x[0], len(order)))
            ],
        )
    return out
