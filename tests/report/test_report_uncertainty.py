"""The site's rank intervals and Sobol indices (index/report/uncertainty.py) on SYNTHETIC releases
(tests/report/conftest.py): the payload follows the release's tables, the sentences say what the numbers
say, the downloads hold the rows the pages draw, and a release without the analysis still builds."""

from __future__ import annotations

import csv
import json
import math

import pandas as pd

from index.report import build
from index.report import uncertainty as view
from index.report.build import payload


def load_data(out):
    text = (out / "assets" / "data.js").read_text(encoding="utf-8")
    return json.loads(text[len("window.DEI_DATA = ") :].rstrip().rstrip(";"))


def _csv(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_intervals_and_sentences_follow_the_rank_intervals_table(release_factory, tmp_path):
    release = release_factory(extra_tables=("uncertainty",))
    out = tmp_path / "site"
    build(release, out)
    data = load_data(out)
    u = data["uncertainty"]
    table = pd.read_parquet(release / "rank_intervals.parquet")
    assert u["interval"] == [0.05, 0.95] and u["share"] == 90 and u["replicates"] == 1000
    names = {l["code"]: l for l in data["leagues"]}
    for r in table.itertuples():
        cell = u["ranks"][r.node_id][str(r.unit_code)][str(r.year)]
        assert cell[:4] == [r.nominal_rank, r.rank_low, r.rank_high, round(r.share_nominal_rank, 4)]
        assert cell[4] == [int(c) for c in r.indistinguishable_from.split(";") if c]
        if r.node_id != "DEI":
            continue
        zh, en = u["lines"][str(r.year)][str(r.unit_code)]
        lo, hi = math.floor(r.rank_low), math.ceil(r.rank_high)  # a quantile between two ranks rounds outwards
        assert zh.startswith(names[r.unit_code]["zh"]) and en.startswith(names[r.unit_code]["en"])
        assert "90%" in zh and "90 % of plausible method choices" in en
        if lo == hi:
            assert f"第 {lo} 位" in zh and f"ranks {view.ordinal(lo)} " in en
        else:
            assert f"第 {lo} 至第 {hi} 位" in zh and f"between {view.ordinal(lo)} and {view.ordinal(hi)}" in en
    assert any(r.rank_low % 1 or r.rank_high % 1 for r in table.itertuples()), "the fixture has a fractional bound"

    # the overview's download, in ranking order, for every year; each league page's, every dimension
    for year in data["years"]:
        rows = _csv(out / "downloads" / f"intervals_{year}.csv")[1:]
        part = table[(table["node_id"] == "DEI") & (table["year"] == year)].sort_values(["nominal_rank", "unit_code"])
        assert [int(r[0]) for r in rows] == part["nominal_rank"].tolist()
        assert [r[1] for r in rows] == part["unit_name"].tolist()
    code = data["leagues"][0]["code"]
    rows = _csv(out / "downloads" / f"intervals_{code}.csv")[1:]
    assert len(rows) == 1 + len(data["dims"])
    latest = table[(table["unit_code"] == code) & (table["year"] == data["latest"])].set_index("node_id")
    assert [float(r[3]) for r in rows] == [latest.loc[n, "rank_low"] for n in [data["root"], *data["dims"]]]
    html = (out / "league" / f"{code}.html").read_text(encoding="utf-8")
    assert 'id="rank-intervals-table"' in html and f"intervals_{code}.csv" in html
    assert 'id="rank-intervals"' in (out / "index.html").read_text(encoding="utf-8")


def test_sobol_rows_are_ordered_by_total_index_and_the_sentence_names_the_strongest(release_factory, tmp_path):
    release = release_factory(extra_tables=("uncertainty",))
    out = tmp_path / "site"
    build(release, out)
    data = load_data(out)
    sobol = data["uncertainty"]["sobol"]
    sens = pd.read_parquet(release / "sensitivity.parquet")
    latest = sens[(sens["year"] == data["latest"]) & (sens["output"] == "mean_abs_rank_shift")]
    assert sobol["year"] == data["latest"]
    assert [r["input"] for r in sobol["rows"]] == latest.sort_values("total_order", ascending=False)["input"].tolist()
    top = sobol["rows"][0]
    assert view.INPUT_NAMES[top["input"]][0] in sobol["sentence"][0]
    assert view.INPUT_NAMES[top["input"]][1] in sobol["sentence"][1] and f"{top['total']:.2f}" in sobol["sentence"][1]
    html = (out / "methodology.html").read_text(encoding="utf-8")
    assert 'id="sobol"' in html and 'id="sobol-sentence"' in html and 'href="#sensitivity"' in html
    rows = _csv(out / "downloads" / "sensitivity.csv")[1:]
    assert [r[1] for r in rows] == [view.INPUT_NAMES[r["input"]][1] for r in sobol["rows"]]


def test_a_release_without_the_analysis_builds_with_a_note(release_factory, tmp_path):
    release = release_factory()
    assert not (release / "rank_intervals.parquet").exists()
    assert payload(release)["uncertainty"] is None
    out = tmp_path / "site"
    build(release, out)
    for page in ["index.html", "methodology.html", *(f"league/{p.name}" for p in (out / "league").iterdir())]:
        html = (out / page).read_text(encoding="utf-8")
        assert 'id="no-uncertainty"' in html, page
    assert not list((out / "downloads").glob("intervals_*")) and not (out / "downloads" / "sensitivity.csv").exists()


def test_ordinals_and_sentence_forms():
    assert [view.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 112)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "23rd",
        "101st",
        "111th",
        "112th",
    ]
    assert view.rank_bounds(2.0, 4.0) == (2, 4) and view.rank_bounds(2.5, 3.5) == (2, 4)
    zh, en = view.rank_sentence("乌兰察布市", "Ulanqab", 7.0, 7.0, 90.0)
    assert en == "Ulanqab ranks 7th in 90 % of plausible method choices" and "均排名第 7 位" in zh
    zh, en = view.rank_sentence("乌兰察布市", "Ulanqab", 7.0, 10.0, 90.0)
    assert en == "Ulanqab ranks between 7th and 10th in 90 % of plausible method choices"
    assert zh == "乌兰察布市在 90% 的合理方法选择下排名第 7 至第 10 位"
