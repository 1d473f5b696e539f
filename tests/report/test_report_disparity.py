"""The 区域差异 page (disparity.html) on a SYNTHETIC release (tests/report/conftest.py, extra table 'analyses'):
the charts' data are the release's analysis tables; a release without them builds and says so. Also the header's
units line and the methodology's 旗县 columns."""

from __future__ import annotations

import csv
import json
import re

import pandas as pd
import pytest

from index.report import build
from tests.report.conftest import make_release


def load_data(out):
    text = (out / "assets" / "data.js").read_text(encoding="utf-8")
    return json.loads(text[len("window.DEI_DATA = ") :].rstrip().rstrip(";"))


def _csv(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


# Each site is built once per module (a build writes 100+ pages): tests only read them.
@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    root = tmp_path_factory.mktemp("analysed")
    release = make_release(root / "release", extra_tables=("analyses",))
    out = root / "site"
    build(release, out)
    return release, out, load_data(out)


@pytest.fixture(scope="module")
def new_site(tmp_path_factory):
    """A new-layout release without the analysis tables, built."""
    root = tmp_path_factory.mktemp("new")
    build(make_release(root / "release"), root / "site")
    return root / "site"


@pytest.fixture(scope="module")
def old_site(tmp_path_factory):
    """An old-layout release (league_code columns, no analyses, no levels column), built."""
    root = tmp_path_factory.mktemp("old")
    build(make_release(root / "release", layout="old"), root / "site")
    return root / "site"


def test_the_page_is_in_the_navigation_of_every_page_in_both_languages(analysed):
    _, out, _ = analysed
    assert (out / "disparity.html").is_file()
    for page in [out / "index.html", out / "methodology.html", next((out / "league").glob("*.html"))]:
        html = page.read_text(encoding="utf-8")
        nav = re.search(r'<a href="[^"]*disparity\.html" id="nav-disparity"[^>]*>(.*?)</a>', html).group(1)
        assert "区域差异" in nav and "Disparity" in nav, page


def test_the_stacked_bars_are_the_disparity_table_of_the_index(analysed):
    release, out, data = analysed
    table = pd.read_parquet(release / "disparity.parquet")
    view = data["disparity_page"]
    assert view["available"] and view["groupings"] == ["region_group", "core_group"]
    assert view["nodes"][0] == "DEI"
    for grouping in ("region_group", "core_group"):
        rows = view["decomposition"][grouping]["DEI"]
        expected = table[(table.grouping == grouping) & (table.node_id == "DEI")].sort_values("year")
        assert [r["year"] for r in rows] == expected["year"].tolist()
        for key in ("gini", "gini_within", "gini_between", "gini_transvariation", "theil", "cv"):
            assert [r[key] for r in rows] == pytest.approx(expected[key].tolist(), abs=1e-4), key
        # the parts add up to the overall Gini (Dagum), as the bars' top meets the line
        assert all(
            r["gini_within"] + r["gini_between"] + r["gini_transvariation"] == pytest.approx(r["gini"], abs=1e-3)
            for r in rows
        )
        download = _csv(out / "downloads" / f"dagum_{grouping}_DEI.csv")[1:]
        assert [float(r[1]) for r in download] == pytest.approx(expected["gini"].tolist(), abs=1e-4)
    html = (out / "disparity.html").read_text(encoding="utf-8")
    for chart in ("dagum", "group-gini", "pair-gini", "density", "coupling", "sigma"):
        assert f'id="{chart}"' in html, chart
    assert 'id="no-disparity"' not in html and 'class="note missing"' not in html
    assert "downloads/dagum_region_group_DEI.csv" in html and "downloads/beta.csv" in html


def test_groups_pairs_density_coupling_and_convergence_come_from_their_tables(analysed):
    release, out, data = analysed
    view = data["disparity_page"]
    groups = pd.read_parquet(release / "disparity_groups.parquet")
    east = groups[(groups.grouping == "region_group") & (groups.node_id == "DEI") & (groups.group_name == "蒙东")]
    assert [r[1] for r in view["groups"]["region_group"]["DEI"]["蒙东"]] == pytest.approx(
        east.sort_values("year")["gini"].tolist(), abs=1e-4
    )
    pairs = pd.read_parquet(release / "disparity_pairs.parquet")
    core = pairs[(pairs.grouping == "core_group") & (pairs.node_id == "DEI")].sort_values("year")
    ((name, rows),) = view["pairs"]["core_group"]["DEI"].items()
    assert set(name.split(" – ")) == {"呼包鄂乌", "其他"}
    assert [r[1] for r in rows] == pytest.approx(core["gini_between"].tolist(), abs=1e-4)
    density = pd.read_parquet(release / "distribution.parquet")
    assert sorted(view["distribution"]["DEI"]) == [str(y) for y in sorted(density.year.unique())]
    assert len(view["distribution"]["DEI"]["2022"]) == len(density[(density.node_id == "DEI") & (density.year == 2022)])
    # coupling: the 12 盟市 only (the table also holds the 旗县市区), both systems, the class from the table
    coupling = pd.read_parquet(release / "coupling.parquet")
    assert (coupling.unit_level == "county").any()
    assert view["systems"] == ["六维度", "数字产业化 × 产业数字化"]
    cells = view["coupling"]["六维度"]
    assert sorted(int(c) for c in cells) == sorted(coupling[coupling.unit_level == "league"].unit_code.unique())
    row = coupling[(coupling.system == "六维度") & (coupling.unit_level == "league")].iloc[0]
    d, zh, en = cells[str(row.unit_code)][str(row.year)][:3]
    assert d == pytest.approx(row.coupling_coordination, abs=1e-4) and (zh, en) == (row.class_zh, row.class_en)
    assert len(_csv(out / "downloads" / "coupling_0.csv")) - 1 == 12 * 4
    html = (out / "disparity.html").read_text(encoding="utf-8")
    classes = re.search(r'<ol class="coupling-classes" id="coupling-classes">(.*?)</ol>', html, re.S).group(1)
    assert classes.count("<li>") == 10 and "0.0–0.1" in classes and "极度失调" in classes and "优质协调" in classes
    sigma = pd.read_parquet(release / "convergence_sigma.parquet")
    dei = sigma[sigma.node_id == "DEI"].sort_values("year")
    assert [r[1] for r in view["sigma"]["DEI"]] == pytest.approx(dei["cv"].tolist(), abs=1e-4)
    beta = pd.read_parquet(release / "convergence_beta.parquet").set_index("node_id").loc["DEI"]
    shown = view["beta"]["DEI"]
    assert shown["beta"] == pytest.approx(beta["beta"], abs=1e-4) and shown["converging"] == bool(beta["converging"])
    zh, en = shown["sentence"]
    assert zh.startswith("β = ") and en.startswith("β = ") and "p" in zh


def test_beta_sentences_say_what_the_regression_means():
    from index.report.disparity import beta_sentence

    row = {"beta": -0.12, "p_value": 0.03, "converging": True, "half_life": 5.4, "first_year": 2019}
    zh, en = beta_sentence({**row, "last_year": 2024})
    assert "β = −0.120（p = 0.030）" in zh and "半衰期 5.4 年" in zh
    assert en.startswith("β = −0.120 (p = 0.030): over 2019–2024 the lower-scoring leagues grew faster")
    assert "half-life 5.4 years" in en
    _, en = beta_sentence({**row, "p_value": 0.2, "converging": False, "last_year": 2024})
    assert "not significantly" in en and "half-life" not in en
    _, en = beta_sentence({**row, "beta": 0.05, "converging": False, "last_year": 2024})
    assert "no β convergence" in en
    assert beta_sentence(None) is None


def test_a_release_without_the_analysis_tables_builds_and_the_page_says_so(
    release_factory, tmp_path, new_site, old_site
):
    out = new_site
    html = (out / "disparity.html").read_text(encoding="utf-8")
    assert (
        'id="no-disparity"' in html
        and "此发布没有区域差异分析" in html
        and "has no regional disparity analysis" in html
    )
    assert 'id="dagum"' not in html and load_data(out)["disparity_page"]["available"] is False
    # an older release with some of the tables: each missing chart says which table it lacks
    release = release_factory(extra_tables=("analyses",))
    for name in ("disparity_groups", "disparity_pairs", "distribution"):
        (release / f"{name}.parquet").unlink()
    build(release, tmp_path / "partial")
    html = (tmp_path / "partial" / "disparity.html").read_text(encoding="utf-8")
    assert 'id="dagum"' in html and 'id="coupling"' in html and 'id="density"' not in html
    missing = re.findall(r'class="note missing" data-table="([a-z_]+)"', html)
    assert missing == ["disparity_groups", "disparity_pairs", "distribution"]
    # old layout (league_code columns, no analyses): builds too
    assert 'id="no-disparity"' in (old_site / "disparity.html").read_text(encoding="utf-8")


def test_the_header_names_both_levels_when_the_release_has_counties(new_site, old_site):
    html = (new_site / "index.html").read_text(encoding="utf-8")
    sub = re.search(r'<span class="sub" id="site-sub">(.*?)</span>\s*</div>', html, re.S).group(1)
    assert "内蒙古自治区 · 12 盟市 · 103 旗县市区" in sub and "Inner Mongolia · 12 leagues · 103 counties" in sub
    assert "12盟市<" not in html
    html = (old_site / "index.html").read_text(encoding="utf-8")
    sub = re.search(r'<span class="sub" id="site-sub">(.*?)</span>\s*</div>', html, re.S).group(1)
    assert "内蒙古自治区 · 12 盟市" in sub and "旗县市区" not in sub and "counties" not in sub


def test_methodology_marks_the_county_indicators_and_their_county_weight(new_site, old_site):
    html = (new_site / "methodology.html").read_text(encoding="utf-8")
    assert 'id="county-levels-note"' in html
    rows = dict(re.findall(r'<tr class="depth-\d type-\w+" data-node="(\w+)">(.*?)</tr>', html, re.S))
    marked = sorted(node for node, row in rows.items() if "county-mark" in row)
    assert marked == ["ind_c", "ind_up"]  # levels = 'league,county' in the framework table
    assert re.search(r'county-mark.*?</td>\s*<td class="num">1</td>', rows["ind_up"], re.S)
    framework = _csv(new_site / "downloads" / "framework.csv")
    at = framework[0].index("旗县上报 / Reported by counties")
    by_node = {r[-1]: r for r in framework[1:]}
    assert by_node["ind_c"][at] == "是 / yes" and by_node["ind_d"][at] == "否 / no" and by_node["dim_a"][at] == ""
    assert by_node["ind_c"][at + 1] == "1.0" and by_node["ind_d"][at + 1] == ""
    # an older framework without the levels column: nothing is marked
    html = (old_site / "methodology.html").read_text(encoding="utf-8")
    assert "county-mark" not in html and 'id="county-levels-note"' not in html
    assert "旗县上报 / Reported by counties" not in _csv(old_site / "downloads" / "framework.csv")[0]
