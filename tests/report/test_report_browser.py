"""The monitoring site of a real release, opened page by page in headless Chromium from file://.

The release is made in-process from the committed sample landing files (SYNTHETIC except the PKU digital
financial inclusion figures, see data_lake/landing/README.md), as in tests/pipeline/test_end_to_end.py.
Chromium is Debian's /usr/bin/chromium (.ci/install-browser installs it); Playwright only drives it and never
downloads a browser. Screenshots go to the test's tmp dir.

Layout is checked in both languages at 1024 and 1400 px on every page: no table may be wider than its card
(tables wrap to fit; the .table-wrap scroll container is a last resort that these widths must not need).
"""

from __future__ import annotations

import csv
import json
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from playwright.sync_api import sync_playwright

from index.leagues import league_codes
from index.report import build
from index.units import registry
from tests.fixtures.lakes import published_lake

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory, repo):
    cfg, release, mp = published_lake(tmp_path_factory.mktemp("report") / "data_lake", repo, postgres_off=False)
    out = tmp_path_factory.mktemp("site")
    index = build(cfg.published / "latest", out)
    yield out, index, release
    mp.undo()


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM.exists(), "Chromium is missing: run .ci/install-browser (apt-get install chromium)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


class PageWatch:
    """A fresh page that records console errors, uncaught exceptions and failed requests."""

    def __init__(self, browser, width=1360):
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.requests: list[str] = []
        self.page.on(
            "console", lambda m: self.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
        )
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url} {r.failure}"))
        self.page.on("request", lambda r: self.requests.append(r.url))

    def open(self, path: Path):
        self.page.goto(path.as_uri(), wait_until="load")
        self.page.wait_for_function("window.__charts !== undefined && document.querySelector('#lineage') !== null")
        self.page.wait_for_timeout(300)  # ECharts draws on the next animation frame
        return self.page

    def close(self):
        self.context.close()


# Every visible table against its wrapper and its card (or the footer): widths in CSS pixels, 1 px of rounding.
OVERFLOW_JS = """() => Array.from(document.querySelectorAll('table')).filter(t => t.offsetParent !== null).map(t => {
  const box = t.closest('.card') || t.closest('footer');
  const wrap = t.parentElement;
  return {table: t.id || t.className, width: t.scrollWidth, wrap: wrap.clientWidth,
          box: box.scrollWidth, boxClient: box.clientWidth};
}).filter(x => x.width > x.wrap + 1 || x.box > x.boxClient + 1)"""


# The uncertainty charts (rank intervals, Sobol indices) inside their card, their drawing inside the chart box.
NEW_CHARTS = ("rank-intervals", "sobol", "county-map")
CHART_OVERFLOW_JS = """(ids) => ids.map(id => document.getElementById(id)).filter(el => el && el.offsetParent !== null).map(el => {
  const card = el.closest('.card').getBoundingClientRect(), box = el.getBoundingClientRect();
  const drawn = el.querySelector('canvas, svg');
  const d = drawn ? drawn.getBoundingClientRect() : {left: box.left, right: box.right, width: 0};
  return {chart: el.id, left: box.left, right: box.right, card: [card.left, card.right], drawn: [d.left, d.right, d.width],
          inside: box.left >= card.left - 1 && box.right <= card.right + 1 && d.left >= box.left - 1 && d.right <= box.right + 1
                  && d.width > 0 && el.scrollWidth <= el.clientWidth + 1};
}).filter(x => !x.inside)"""


@contextmanager
def watched_page(browser, path: Path):
    """The page at path in a fresh PageWatch; on leaving, the watch closes and must have seen no problem."""
    watch = PageWatch(browser)
    yield watch.open(path)
    watch.close()
    assert watch.problems == []


def _csv_rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _download(page, selector: str) -> Path:
    """The CSV a table's download link points at, as a file of the site."""
    href = page.eval_on_selector(selector, "a => a.href")
    return Path(unquote(urlparse(href).path))


WIDTHS = (1400, 1024)


def test_every_page_in_both_languages_at_1024_and_1400_renders_without_errors_and_no_table_overflows(
    site, browser, tmp_path
):
    # Each page is opened once and then resized and switched language in place (the toggle redraws every chart
    # and table, as a reader's click does): four layouts per page at the cost of one load.
    out, index, release = site
    data = _data(out)
    # every 盟市 page, and two county pages (one in a 盟市 of three counties, one in a large one) of the 103
    counties = sorted((out / "county").glob("*.html"))
    assert len(counties) == 103
    sample = [out / "county" / f"{registry().children(c, levels=('county',))[0].code}.html" for c in (150300, 150700)]
    pages = (
        [index, out / "indicators.html", out / "disparity.html", out / "methodology.html"]
        + sorted((out / "league").glob("*.html"))
        + sample
    )
    assert len(pages) == 18
    watch = PageWatch(browser, width=WIDTHS[0])
    overflow = {}
    watch.open(index).evaluate("localStorage.setItem('dei-lang', 'zh')")
    for path in pages:
        page = watch.open(path)
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")  # folded tables too
        for lang in ("zh", "en"):
            if lang == "en":
                page.click("#lang-toggle")
            assert page.evaluate("document.documentElement.lang") == ("en" if lang == "en" else "zh-CN")
            assert release["id"] in page.inner_text("#lineage"), path.name
            assert ("Beijing time (UTC+8)" if lang == "en" else "北京时间") in page.inner_text("#lineage")
            widths = WIDTHS if lang == "zh" else WIDTHS[::-1]
            for width in widths:
                page.set_viewport_size({"width": width, "height": 900})
                bad = page.evaluate(OVERFLOW_JS)  # tables reflow at once; only the charts wait for the resize event
                page.wait_for_timeout(60)
                bad += page.evaluate(CHART_OVERFLOW_JS, list(NEW_CHARTS))
                if bad:
                    overflow[f"{lang} {width} {path.name}"] = bad
                name = f"{lang}_{width}_" + path.relative_to(out).as_posix().replace("/", "_") + ".png"
                # The three main pages at both widths (in full at 1400 px); league and county pages once per language.
                if path.parent == out or (lang, width) in (("zh", 1400), ("en", 1024)):
                    page.wait_for_timeout(120)  # ECharts redraws on the window's resize event
                    page.screenshot(path=str(tmp_path / name), full_page=path.parent == out and width == 1400)
            if path.parent.name == "league" and lang == "zh":
                _check_league_lists(page, data, int(path.stem))
            _check_uncertainty(page, data, path, lang)
        page.evaluate("localStorage.setItem('dei-lang', 'zh')")
    watch.close()
    assert overflow == {}
    assert watch.problems == []
    assert all(url.startswith("file://") for url in watch.requests), [
        u for u in watch.requests if not u.startswith("file://")
    ]
    assert len(list(tmp_path.glob("*.png"))) == 4 * 4 + 12 * 2 + 2 * 2
    fewer = sum(len(data["strengths"][str(c)][k]) < 3 for c in league_codes() for k in ("best", "worst"))
    assert fewer > 0, "the sample release has a league with fewer than three strengths or weaknesses"


def _check_league_lists(page, data: dict, code: int) -> None:
    """Strengths above the mean, weaknesses below, at most three; tables, downloads and counts agree."""
    for table, key, sign in (("strengths", "best", 1), ("weaknesses", "worst", -1)):
        expected = data["strengths"][str(code)][key]
        assert all(sign * r["gap"] > 0 for r in expected)
        gaps = page.eval_on_selector_all(f"#{table} tbody tr", "rs => rs.map(r => r.cells[4].innerText.trim())")
        assert len(gaps) == len(expected) <= 3
        assert all(sign * float(g) > 0 for g in gaps), (code, table, gaps)
        assert page.is_visible(f"#{table}-empty") == (not expected)
        rows = _csv_rows(_download(page, f".card:has(#{table}) .dl-csv"))[1:]
        shown = page.eval_on_selector_all(f"#{table} tbody tr", "rs => rs.map(r => r.cells[0].innerText.trim())")
        assert [r[0] for r in rows] == shown
    counts = data["target_counts"][str(code)]
    rows = _csv_rows(_download(page, ".card:has(#targets-table) .dl-csv"))[1:]
    assert len(rows) == page.locator("#targets-table tbody tr").count() == counts["total"]
    assert f"{counts['on']}/{counts['judged']}" in page.inner_text("#targets-counts")
    dims = _csv_rows(_download(page, ".card:has(#dimensions) .dl-csv"))[1:]
    assert [r[0] for r in dims[1:]] == page.eval_on_selector_all(
        "#dimensions tbody tr", "rs => rs.slice(1).map(r => r.cells[0].innerText.trim())"
    )


def _check_uncertainty(page, data: dict, path: Path, lang: str) -> None:
    """The new charts and tables are drawn, in the page's language, from the release's analysis."""
    u = data["uncertainty"]
    words = "plausible method choices" if lang == "en" else "合理方法选择"
    if path.name == "index.html":
        option = page.evaluate("window.__charts.rankIntervals.getOption()")
        dots = next(s for s in option["series"] if s["type"] == "scatter")["data"]
        assert [d[0] for d in dots] == sorted(d[0] for d in dots) and len(dots) == 12  # ranking order, top first
        lines = page.eval_on_selector_all("#interval-lines li", "ls => ls.map(l => l.innerText)")
        assert len(lines) == 12 and all(words in line for line in lines), lines
    elif path.name == "methodology.html":
        bars = page.evaluate(
            "window.__charts.sobol.getOption().series.filter(s => s.type === 'bar').map(s => s.data.length)"
        )
        assert bars == [len(u["sobol"]["rows"])] * 2
        assert page.is_visible("#sobol-sentence")
    elif path.parent.name == "league":
        rows = page.locator("#rank-intervals-table tbody tr").count()
        assert rows == 1 + len(data["dims"])
        assert words in page.inner_text("#league-interval-line")
    elif path.parent.name == "county":  # the 旗县 build's own intervals: ranks among all 旗县
        rows = page.locator("#rank-intervals-table tbody tr").count()
        assert rows == 1 + len(data["dims"])
        assert words in page.inner_text("#league-interval-line")
        code = int(path.stem)
        shown = page.eval_on_selector_all(
            "#rank-intervals-table tbody tr", "rs => rs.map(r => r.cells[1].innerText.trim())"
        )
        nominal = [
            u["county_ranks"].get(node, {}).get(str(code), {}).get(str(data["latest"]), [None])[0]
            for node in [data["root"], *data["dims"]]
        ]
        assert shown == [str(n) if n is not None else "—" for n in nominal]


def test_rank_intervals_follow_the_year_and_their_download_holds_the_rows(site, browser):
    out, index, _ = site
    data = _data(out)
    with watched_page(browser, index) as page:
        for year in (data["years"][0], data["latest"]):
            page.select_option("#year-select", str(year))
            page.wait_for_timeout(200)
            assert page.inner_text("#interval-year") == str(year)
            series = page.evaluate("window.__charts.rankIntervals.getOption().series")
            bars = next(s for s in series if s["type"] == "custom")["data"]
            names = page.evaluate("window.__charts.rankIntervals.getOption().yAxis[0].data")
            cells = data["uncertainty"]["ranks"][data["root"]]
            by_name = {l["zh"]: cells[str(l["code"])][str(year)] for l in data["leagues"]}
            assert [[b[0], b[1]] for b in bars] == [by_name[n][1:3] for n in names]
            rows = _csv_rows(_download(page, "#dl-intervals .dl-csv"))[1:]
            assert _download(page, "#dl-intervals .dl-csv").name == f"intervals_{year}.csv"
            assert [r[1] for r in rows] == names


def test_map_shows_the_12_leagues_coloured_by_score(site, browser):
    out, index, _ = site
    with watched_page(browser, index) as page:
        features = page.evaluate("echarts.getMap('nmg').geoJSON.features.map(f => f.properties.name)")
        assert sorted(int(code) for code in features) == league_codes()
        option = page.evaluate("window.__charts.map.getOption().series[0]")
        assert len(option["data"]) == 12
        assert sorted(int(d["name"]) for d in option["data"]) == league_codes()
        assert all(isinstance(d["value"], (int, float)) for d in option["data"])
        # Picking an earlier year redraws the map and the ranking with that year's scores.
        latest = page.evaluate("window.__charts.map.getOption().series[0].data.map(d => d.value)")
        page.select_option("#year-select", "2019")
        page.wait_for_timeout(200)
        earlier = page.evaluate("window.__charts.map.getOption().series[0].data.map(d => d.value)")
        assert len(earlier) == 12 and sorted(earlier) != sorted(latest)
        assert page.inner_text("#ranking-year") == "2019"
        assert page.locator("#ranking tbody tr").count() == 12
        # The download follows the year and holds the table's rows, in the table's order.
        rows = _csv_rows(_download(page, "#dl-ranking .dl-csv"))[1:]
        assert _download(page, "#dl-ranking .dl-csv").name == "ranking_2019.csv"
        shown = page.eval_on_selector_all("#ranking tbody tr", "rs => rs.map(r => r.cells[1].innerText.trim())")
        assert [r[1] for r in rows] == shown


def test_map_colours_span_one_year_by_default_and_all_years_on_request(site, browser):
    out, index, _ = site
    data = _data(out)
    with watched_page(browser, index) as page:
        year = str(data["latest"])
        leagues = [data["scores"][data["root"]][str(c)] for c in league_codes()]  # the map is of the 12 盟市
        latest = [v[year][0] for v in leagues if year in v]
        pooled = [cell[0] for v in leagues for cell in v.values()]
        vm = page.evaluate("window.__charts.map.getOption().visualMap[0]")
        assert (vm["min"], vm["max"]) == (int(min(latest) // 1), -int(-max(latest) // 1))
        page.check("#scale-pooled")
        page.wait_for_timeout(200)
        vm = page.evaluate("window.__charts.map.getOption().visualMap[0]")
        assert (vm["min"], vm["max"]) == (int(min(pooled) // 1), -int(-max(pooled) // 1))
        # No two league labels overlap (the map is drawn as SVG, so its labels are text elements), at either width.
        for width in (1024, 1400):
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_timeout(400)
            boxes = page.evaluate("""Array.from(document.querySelectorAll('#map svg text')).map(t => {
                const r = t.getBoundingClientRect(); return [t.textContent, r.left, r.top, r.right, r.bottom]; })""")
            names = {l["zh"] for l in data["leagues"]}
            labels = [b for b in boxes if b[0] in names]
            assert len(labels) == 12, [b[0] for b in boxes]
            clashes = [
                (a[0], b[0])
                for i, a in enumerate(labels)
                for b in labels[i + 1 :]
                if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]
            ]
            assert clashes == [], (width, clashes)


def _data(out: Path) -> dict:
    text = (out / "assets" / "data.js").read_text(encoding="utf-8")
    return json.loads(text[len("window.DEI_DATA = ") :].rstrip().rstrip(";"))


def test_dimensions_follow_the_framework_order_in_ranking_radar_trend_and_explorer(site, browser, repo):
    from index.framework import load_framework

    out, index, _ = site
    framework = load_framework(repo / "sql" / "framework" / "dei_framework.sql")
    dims = framework[framework["parent_id"] == "DEI"]
    zh = dims["name_zh"].tolist()
    assert zh == ["数字基础设施", "数字产业化", "产业数字化", "治理数字化", "数据要素", "发展环境与创新"]
    watch = PageWatch(browser)
    page = watch.open(index)
    header = page.eval_on_selector_all("#ranking thead th", "hs => hs.map(h => h.innerText.trim())")
    assert [h for h in header if h in zh] == zh
    legend = page.evaluate("window.__charts.regionTrend.getOption().series.map(s => s.name)")
    assert legend[1:] == zh
    league = watch.open(out / "league" / f"{league_codes()[0]}.html")
    radar = league.evaluate("window.__charts.radar.getOption().radar[0]")
    assert [i["name"] for i in radar["indicator"]] == zh and radar["clockwise"] is True
    rows = league.eval_on_selector_all("#dimensions tbody tr", "rs => rs.map(r => r.cells[0].innerText.trim())")
    assert rows[1:] == zh
    explorer = watch.open(out / "indicators.html")
    groups = explorer.eval_on_selector_all("#indicator-select optgroup", "gs => gs.map(g => g.label)")
    assert groups == zh
    ids = explorer.eval_on_selector_all("#indicator-select option", "os => os.map(o => o.value)")
    indicators = framework[framework["node_type"] == "Indicator"]["node_id"].tolist()
    assert ids == [i for i in indicators if i in ids]
    watch.close()
    assert watch.problems == []


def test_language_toggle_switches_labels(site, browser):
    out, index, _ = site
    watch = PageWatch(browser)
    page = watch.open(index)
    assert page.inner_text("#nav-overview") == "总览"
    header = page.inner_text("#ranking thead")
    page.click("#lang-toggle")
    assert page.inner_text("#nav-overview") == "Overview"
    assert page.evaluate("document.documentElement.lang") == "en"
    assert "League" in page.inner_text("#ranking thead") and page.inner_text("#ranking thead") != header
    # The choice carries over to the next page (a league page) ...
    league = watch.open(out / "league" / f"{league_codes()[0]}.html")
    assert league.inner_text("#nav-overview") == "Overview"
    radar = league.evaluate("window.__charts.radar.getOption().radar[0].indicator.map(i => i.name)")
    assert len(radar) == 6 and all(name.isascii() for name in radar)
    # ... and back.
    league.click("#lang-toggle")
    assert league.inner_text("#nav-overview") == "总览"
    watch.close()
    assert watch.problems == []


def test_league_page_and_explorer_draw_their_charts(site, browser):
    out, _, _ = site
    watch = PageWatch(browser)
    page = watch.open(out / "league" / f"{league_codes()[-1]}.html")
    assert len(page.evaluate("window.__charts.trend.getOption().xAxis[0].data")) >= 6  # 2019 onwards
    assert page.locator("#targets-table tbody tr").count() > 0
    page = watch.open(out / "indicators.html")
    series = page.evaluate("window.__charts.explorer.getOption().series")
    assert len(series) >= 12
    options = page.evaluate("Array.from(document.querySelectorAll('#indicator-select option')).map(o => o.value)")
    assert len(options) > 30
    page.select_option("#indicator-select", options[-1])
    page.wait_for_timeout(200)
    name = page.evaluate(f"DEI_DATA.nodes.find(n => n.node_id === '{options[-1]}').name_zh")
    assert name in page.inner_text("#indicator-info")
    assert _download(page, "#dl-explorer .dl-csv").name == f"explorer_{options[-1]}_value.csv"
    # An indicator with imputed cells shows them as hollow markers and starred table cells.
    imputed = page.evaluate("""Object.keys(DEI_DATA.values).find(id => Object.values(DEI_DATA.values[id])
        .some(byYear => Object.values(byYear).some(cell => cell[3] === 1)))""")
    assert imputed, "the sample release has imputed cells"
    page.select_option("#indicator-select", imputed)
    page.select_option("#measure-select", "normalised")
    page.wait_for_timeout(200)
    marked = page.evaluate("""window.__charts.explorer.getOption().series
        .flatMap(s => s.data).filter(d => d && d.symbol === 'emptyCircle').length""")
    assert marked >= 1 and page.locator("#explorer-table .imputed").count() == marked
    rows = _csv_rows(_download(page, "#dl-explorer .dl-csv"))[1:]
    assert _download(page, "#dl-explorer .dl-csv").name == f"explorer_{imputed}_normalised.csv"
    assert len(rows) == page.locator("#explorer-table tbody tr").count()
    assert sum(len(r[-1].split(", ")) for r in rows if r[-1]) == marked  # the imputed years, cell for cell
    watch.close()
    assert watch.problems == []


def _click_region(page, chart: str, element: str, geo: str, code: int) -> None:
    """A real mouse click on a map region: the mean of its outer ring's points, in the page's pixels."""
    page.evaluate(f"document.getElementById('{element}').scrollIntoView()")
    page.wait_for_timeout(200)
    x, y = page.evaluate(
        """([chart, element, geo, code]) => {
        const f = window[geo].features.find(f => String(f.properties.code) === String(code));
        const ring = f.geometry.coordinates[0][0];
        const c = ring.reduce((a, p) => [a[0] + p[0] / ring.length, a[1] + p[1] / ring.length], [0, 0]);
        const px = window.__charts[chart].convertToPixel({seriesIndex: 0}, c);
        const box = document.getElementById(element).getBoundingClientRect();
        return [px[0] + box.left, px[1] + box.top]; }""",
        [chart, element, geo, code],
    )
    with page.expect_navigation():
        page.mouse.click(x, y)


@pytest.mark.parametrize("league", [150100, 150300])
def test_league_page_maps_and_ranks_its_counties_and_a_click_opens_the_county(site, browser, league):
    out, _, _ = site
    data = _data(out)
    kids = registry().children(league, levels=("county",))
    with watched_page(browser, out / "league" / f"{league}.html") as page:
        # the map: one region per county of the 盟市 in the registry, each coloured by a score
        features = page.evaluate(f"echarts.getMap('nmg-{league}').geoJSON.features.map(f => f.properties.code)")
        assert sorted(features) == sorted(u.code for u in kids)
        series = page.evaluate("window.__charts.countyMap.getOption().series[0].data")
        assert len(series) == len(kids) and sorted(int(d["name"]) for d in series) == sorted(u.code for u in kids)
        assert all(isinstance(d["value"], (int, float)) for d in series)
        assert page.locator("#county-map svg path").count() >= len(kids)
        # the ranking: rank in the 盟市, name, score, region-wide rank, change; rows link to the county pages
        rows = data["county_rankings"][str(league)]
        cells = page.eval_on_selector_all(
            "#county-ranking tbody tr", "rs => rs.map(r => Array.from(r.cells).map(c => c.innerText.trim()))"
        )
        assert [c[0] for c in cells] == [str(r["rank_in_parent"]) for r in rows]
        assert [c[3].split(" / ")[0] for c in cells] == [str(r["rank"]) for r in rows]
        names = {c["code"]: c["zh"] for c in data["counties"]}
        assert [c[1] for c in cells] == [names[r["code"]] for r in rows]
        links = page.eval_on_selector_all("#county-ranking tbody a", "as => as.map(a => a.getAttribute('href'))")
        assert links == [f"../county/{r['code']}.html" for r in rows]
        downloaded = _csv_rows(_download(page, ".card:has(#county-ranking) .dl-csv"))[1:]
        assert [r[1] for r in downloaded] == [c[1] for c in cells]
        first = rows[0]["code"]
        _click_region(page, "countyMap", "county-map", "NMG_COUNTY_GEO", first)
        assert page.url.endswith(f"/county/{first}.html")


def test_county_page_compares_the_county_with_the_counties(site, browser):
    out, _, _ = site
    data = _data(out)
    county = data["counties"][0]
    with watched_page(browser, out / "county" / f"{county['code']}.html") as page:
        crumbs = page.eval_on_selector_all("#breadcrumb a", "as => as.map(a => a.getAttribute('href'))")
        assert crumbs == ["../index.html", f"../league/{county['parent']}.html"]
        assert "旗县市区只与旗县市区比较" in page.inner_text("#county-basis")
        radar = page.evaluate("window.__charts.radar.getOption().series[0].data.map(d => d.name)")
        assert radar == [county["zh"], "旗县市区均值"]
        trend = page.evaluate("window.__charts.trend.getOption()")
        assert len(trend["xAxis"][0]["data"]) == len(data["years"]) and trend["yAxis"][1]["max"] == 103
        gaps = page.eval_on_selector_all("#strengths tbody tr", "rs => rs.map(r => r.cells[5].innerText.trim())")
        assert all(g.endswith(" / 103") for g in gaps) and len(gaps) == len(
            data["strengths"][str(county["code"])]["best"]
        )
        assert page.locator("#obstacles tbody tr").count() == len(
            (data["obstacles"] or {}).get(str(county["code"]), [])
        )
        assert page.locator("#targets-table tbody tr").count() == len(data["targets"].get(str(county["code"]), []))
        page.click("#lang-toggle")
        radar = page.evaluate("window.__charts.radar.getOption().series[0].data.map(d => d.name)")
        assert radar == [county["en"], "County mean"]
        assert "Counties are compared with counties" in page.inner_text("#county-basis")


def test_clicking_a_league_on_the_overview_map_opens_its_page(site, browser):
    out, index, _ = site
    with watched_page(browser, index) as page:
        _click_region(page, "map", "map", "NMG_GEO", 150900)  # 乌兰察布市, a compact shape
        assert page.url.endswith("/league/150900.html")


def test_disparity_page_draws_its_charts_from_the_release_analysis(site, browser):
    out, _, _ = site
    data = _data(out)
    view = data["disparity_page"]
    assert view["available"], "a fresh release publishes the regional analysis tables"
    with watched_page(browser, out / "disparity.html") as page:
        drawn = page.evaluate("Object.keys(window.__charts)")
        assert {"dagum", "groupGini", "pairGini", "density", "coupling", "sigma"} <= set(drawn)
        for chart in ("dagum", "group-gini", "pair-gini", "density", "coupling", "sigma"):
            assert page.locator(f"#{chart} canvas").count() >= 1, chart
        # the stacked bars of the index under 蒙东 / 蒙西 are the disparity table's parts
        series = page.evaluate("window.__charts.dagum.getOption().series")
        rows = {r["year"]: r for r in view["decomposition"]["region_group"][data["root"]]}
        within = next(s for s in series if s.get("stack") == "gini")["data"]
        assert within == [rows[y]["gini_within"] if y in rows else None for y in data["years"]]
        assert sum(s["type"] == "bar" for s in series) == 3 and any(s["type"] == "line" for s in series)
        assert page.locator("#dagum-table tbody tr").count() == len(rows)
        # one ridge per year of the distribution table
        ridges = page.evaluate("window.__charts.density.getOption().series.length")
        assert ridges == len(view["distribution"][data["root"]])
        # the heat map: the 12 盟市 × the years, the class in the tooltip's data
        cells = page.evaluate("window.__charts.coupling.getOption().series[0].data")
        assert len(cells) == 12 * len(data["years"])
        assert page.locator("#coupling-classes li").count() == 10
        assert page.inner_text("#beta-line").startswith("β = ")
        # the other grouping and a dimension redraw the charts and re-point the downloads
        page.select_option("#grouping-select", "core_group")
        page.select_option("#node-select", data["dims"][0])
        page.wait_for_timeout(200)
        assert _download(page, "#dl-dagum .dl-csv").name == f"dagum_core_group_{data['dims'][0]}.csv"
        groups = page.evaluate("window.__charts.groupGini.getOption().series.map(s => s.name)")
        assert sorted(groups) == sorted(view["groups"]["core_group"][data["dims"][0]])
        page.click("#lang-toggle")
        assert page.inner_text("#nav-disparity") == "Disparity"
        assert "Inner Mongolia · 12 leagues · 103 counties" in page.inner_text("#site-sub")
