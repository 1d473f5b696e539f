"""The whole release against what the accepted files imply: no published figure differs from it (issue 9).

The drop is the committed sample submissions (SYNTHETIC except the PKU figures, see data_lake/landing/README.md)
plus SYNTHETIC tricky files made here: some must be accepted and change figures in a known way, the others must
be refused whole. Every figure in a refused file, and every figure that must lose, is a sentinel value that
appears nowhere else, so the test can tell whether any of them leaked into the release.
"""

from __future__ import annotations

import math
import os

import duckdb
import pytest

from index import pipeline, samples
from index.config import settings

LABEL = "示例数据（合成）"
TELECOM = "内蒙古通信管理局"
FIVEG = "fiveg_user_penetration"
# figures that must never reach the release
SENTINELS = {91.25, 92.5, 93.75, 94.125, 95.5, 96.25, 97.75, 98.5, 12.34}
HOHHOT, BAOTOU, WUHAI = 150100, 150200, 150300


def _xlsx(path, sheets):
    """sheets: list of (name, rows, state, number formats {cell: format}, merged ranges)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows, state, formats, merges in sheets:
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for ref, fmt in formats.items():
            ws[ref].number_format = fmt
        for ref in merges:
            ws.merge_cells(ref)
        ws.sheet_state = state
    wb.save(path)


def _tricky_files(landing, outside):
    """Write the tricky files; return the figures the accepted ones must publish {(league, year, id): value}."""
    title = [f"2024年各盟市5G用户普及率补充数据（{LABEL}）"]
    header = ["盟市", "5G用户普及率（%）"]
    # accepted: the owner's correction, 5G rate formatted as a percentage in Excel (stored 0.6718, shown 67.18 %),
    # next to a hidden sheet with other figures that must be ignored
    _xlsx(
        landing / f"2024_{TELECOM}_5G补充数据.xlsx",
        [
            (
                "数据",
                [title, header, ["呼和浩特市", 0.6718], ["包头市", 0.5525]],
                "visible",
                {"B3": "0.00%", "B4": "0.00%"},
                [],
            ),
            ("旧数据", [title, header, ["呼和浩特市", 91.25], ["包头市", 92.5]], "hidden", {}, []),
        ],
    )
    expected = {(HOHHOT, 2024, FIVEG): 67.18, (BAOTOU, 2024, FIVEG): 55.25}
    # accepted, but its copy of the 5G rate loses to the owner's: it comes from the statistics bureau
    (landing / f"2024_自治区统计局_补充数据（{LABEL}）.csv").write_text(
        f"2024年补充数据（{LABEL}）\n盟市,5G用户普及率（%）\n乌海市,12.34\n", encoding="utf-8"
    )
    # refused: a formula error in the owner's file
    _xlsx(
        landing / f"2024_{TELECOM}_公式错误.xlsx",
        [("数据", [title, header, ["呼和浩特市", 93.75], ["包头市", "#DIV/0!"]], "visible", {}, [])],
    )
    # refused: a value cell merged across two 盟市
    _xlsx(
        landing / f"2024_{TELECOM}_合并单元格.xlsx",
        [("数据", [title, header, ["呼和浩特市", 94.125], ["包头市", None]], "visible", {}, ["B3:B4"])],
    )
    # refused: a year outside the framework's range, and a file name and title that disagree
    (landing / f"2031_{TELECOM}_补充数据.csv").write_text(
        f"2031年补充数据（{LABEL}）\n盟市,5G用户普及率（%）\n呼和浩特市,95.5\n", encoding="utf-8"
    )
    (landing / f"2023_{TELECOM}_年份不符.csv").write_text(
        f"2024年补充数据（{LABEL}）\n盟市,5G用户普及率（%）\n包头市,96.25\n", encoding="utf-8"
    )
    # refused: a figure with a qualifier
    (landing / f"2024_{TELECOM}_约数.csv").write_text(
        f"2024年补充数据（{LABEL}）\n盟市,5G用户普及率（%）\n呼和浩特市,约97.75\n", encoding="utf-8"
    )
    # refused: a symlink to a file outside the lake
    target = outside / f"2024_{TELECOM}_外部.csv"
    target.write_text(f"2024年补充数据（{LABEL}）\n盟市,5G用户普及率（%）\n包头市,98.5\n", encoding="utf-8")
    os.symlink(target, landing / f"2024_{TELECOM}_链接.csv")
    return expected


def _owner_truth(truth, framework):
    """The figures the sample files imply: each figure from the file of the department that owns it."""
    owner = dict(zip(framework["node_id"], framework["department"]))
    indicators = set(framework.loc[framework["node_type"] == "Indicator", "node_id"])
    truth = truth[truth["indicator_id"].isin(indicators)].copy()  # denominators are not published rows
    truth["sender"] = truth["source_file"].str.split("_").str[1]
    mine = truth[truth["sender"] == truth["indicator_id"].map(owner)]
    return {(int(r.league_code), int(r.year), r.indicator_id): r.value for r in mine.itertuples()}


@pytest.fixture(scope="module")
def drop(tmp_path_factory, repo):
    base = tmp_path_factory.mktemp("whole")
    root = base / "data_lake"
    outside = base / "elsewhere"
    outside.mkdir()
    mp = pytest.MonkeyPatch()
    mp.setenv("DEI_LAKE", str(root))
    mp.setenv("DEI_LANDING_SETTLE_SECONDS", "0")
    from index.framework import load_framework

    cfg = settings()
    framework = load_framework(cfg.framework_file)
    generated = samples.generate(cfg.landing, framework=framework)
    implied = _owner_truth(generated.truth, framework)
    implied.update(_tricky_files(cfg.landing, outside))
    release = pipeline.run_all(cfg=cfg)
    yield cfg, release, implied
    mp.undo()


def published(cfg):
    return duckdb.sql(
        f"select unit_code, year, indicator_id, raw_value, imputed from "
        f"read_parquet('{cfg.published / 'latest' / 'indicator_values.parquet'}') where unit_level = 'league'"
    ).fetchall()


def test_every_reported_figure_in_the_release_is_the_one_the_accepted_files_imply(drop):
    cfg, _, implied = drop
    wrong = []
    for league, year, indicator, raw_value, imputed in published(cfg):
        if imputed:
            continue
        want = implied.get((league, year, indicator))
        if (
            want is None
            or (isinstance(want, float) and math.isnan(want))
            or not math.isclose(raw_value, want, rel_tol=1e-12, abs_tol=1e-12)
        ):
            wrong.append((league, year, indicator, raw_value, want))
    assert wrong == []


def test_every_figure_the_accepted_files_report_is_in_the_release(drop):
    cfg, _, implied = drop
    reported = {(lg, yr, ind) for lg, yr, ind, _, imputed in published(cfg) if not imputed}
    expected = {key for key, value in implied.items() if not (isinstance(value, float) and math.isnan(value))}
    assert expected - reported == set()


def test_no_figure_of_a_refused_or_overridden_copy_reaches_the_release(drop):
    cfg, _, _ = drop
    values = {round(v, 6) for *_, v, _ in published(cfg) if v is not None}
    assert values & SENTINELS == set()


def test_the_refused_files_are_in_quarantine_and_the_link_target_was_never_read(drop):
    cfg, _, _ = drop
    quarantined = {
        p.name for d in cfg.quarantine.iterdir() for p in d.iterdir() if p.name not in ("problems.json", "problems.txt")
    }
    assert quarantined == {
        f"2024_{TELECOM}_公式错误.xlsx",
        f"2024_{TELECOM}_合并单元格.xlsx",
        f"2031_{TELECOM}_补充数据.csv",
        f"2023_{TELECOM}_年份不符.csv",
        f"2024_{TELECOM}_约数.csv",
        f"2024_{TELECOM}_链接.csv",
    }
    # accepted files stay where they were delivered; nothing refused is left beside them
    left = {p.name for p in cfg.landing.iterdir()}
    assert left & quarantined == set()
    assert {f"2024_{TELECOM}_5G补充数据.xlsx", f"2024_自治区统计局_补充数据（{LABEL}）.csv"} <= left
    assert not any("2031" in str(y) for (_, y, *_) in published(cfg) if y > 2025)


def test_the_release_log_says_which_copy_of_the_5g_rate_won(drop):
    import json

    cfg, release, _ = drop
    manifest = json.loads((cfg.published / "latest" / "release.json").read_text(encoding="utf-8"))
    lost = [
        p
        for p in manifest["precedence"]
        if p["indicator_id"] == FIVEG and p["overridden_file"] == f"2024_自治区统计局_补充数据（{LABEL}）.csv"
    ]
    assert [(p["winning_file"], p["winner_is_owner"], p["figures"], p["differing"]) for p in lost] == [
        ("2024_内蒙古通信管理局_通信业主要指标.xlsx", True, 1, 1)
    ]
