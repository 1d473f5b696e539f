"""The monitoring site of a real release, opened page by page in headless Chromium from file://.

The release is made in-process from the committed sample landing files (SYNTHETIC except the PKU digital
financial inclusion figures, see data_lake/landing/README.md), as in tests/pipeline/test_end_to_end.py.
Chromium is Debian's /usr/bin/chromium (.ci/install-browser installs it); Playwright only drives it and never
downloads a browser. Screenshots go to the test's tmp dir.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from index import pipeline
from index.config import settings
from index.leagues import league_codes
from index.report import build

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def site(tmp_path_factory, repo):
    root = tmp_path_factory.mktemp("report") / "data_lake"
    shutil.copytree(repo / "data_lake" / "landing", root / "landing")
    mp = pytest.MonkeyPatch()
    mp.setenv("DEI_LAKE", str(root))
    cfg = settings()
    release = pipeline.run_all(cfg=cfg)
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

    def __init__(self, browser):
        self.context = browser.new_context(viewport={"width": 1360, "height": 900})
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
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


def test_every_page_renders_without_errors_or_failed_requests(site, browser, tmp_path):
    out, index, release = site
    pages = [index, out / "indicators.html", out / "methodology.html"] + sorted((out / "league").glob("*.html"))
    assert len(pages) == 15
    watch = PageWatch(browser)
    for path in pages:
        page = watch.open(path)
        assert release["id"] in page.inner_text("#lineage"), path.name
        assert page.title()
        page.screenshot(path=str(tmp_path / (path.relative_to(out).as_posix().replace("/", "_") + ".png")), full_page=True)
    watch.close()
    assert watch.problems == []
    assert all(url.startswith("file://") for url in watch.requests), [u for u in watch.requests if not u.startswith("file://")]
    assert len(list(tmp_path.glob("*.png"))) == 15


def test_map_shows_the_12_leagues_coloured_by_score(site, browser):
    out, index, _ = site
    watch = PageWatch(browser)
    page = watch.open(index)
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
    assert page.locator("#strengths tbody tr").count() == 3 and page.locator("#weaknesses tbody tr").count() == 3
    assert page.locator("#targets-table tbody tr").count() > 0
    page = watch.open(out / "indicators.html")
    series = page.evaluate("window.__charts.explorer.getOption().series")
    assert len(series) >= 12
    options = page.evaluate("Array.from(document.querySelectorAll('#indicator-select option')).map(o => o.value)")
    assert len(options) > 30
    page.select_option("#indicator-select", options[-1])
    page.wait_for_timeout(200)
    assert options[-1] in page.inner_text("#indicator-info")
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
    watch.close()
    assert watch.problems == []
