"""The HTML report in a real browser: every chart draws, with no script error and no network.

The report of a 600-member synthetic run is opened from a file:// URL in headless Chromium
(Debian's package; the ``chromium_path`` fixture in conftest.py skips, or fails when
``PROVIDER_ATTRIBUTION_REQUIRE`` names ``browser``, where it is missing). The test passes only
when

* the page's own bookkeeping agrees: ``data-charts-rendered`` equals ``data-charts-expected``
  (at least one chart), with no ``data-chart-errors``;
* each ``div.chart`` holds an ``<svg>`` of non-zero size with drawn data marks (children of
  Vega's ``role-mark`` groups: bars, points, lines, areas, text; axes and legends do not count),
  or a canvas with painted pixels;
* nothing was logged as a console error and no uncaught page error was raised;
* no network request was attempted: every http(s) request is aborted by the route, and any
  request or WebSocket to a non-local URL fails the test.

The full-page screenshot and the HTML are kept as ``artifacts/report.png`` and
``artifacts/report.html`` (repo root, gitignored), written before the assertions so a failing
run leaves them to look at. The hand-written pages at the bottom check the checker: a page that
breaks each rule must be caught.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, ConsoleMessage, Error, Request, Route, sync_playwright

from provider_attribution.analysis.report_html import write_report
from provider_attribution.synthetic.claims import SyntheticSpec, demo_inputs, generate
from provider_attribution.warehouse.run import attribute

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
# Seconds the page may take to embed every chart (the inlined Vega bundle is parsed first; CI
# machines are small and may be busy).
RENDER_TIMEOUT_S = 90
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")

# Drawn data: the items of Vega's data-mark groups (`g.role-mark`), not axes, grids or legends.
_MARK_ITEMS = "svg g.role-mark > :is(path, line, rect, text, image, circle)"

_INSPECT = """(markItems) => {
  const data = document.body.dataset;
  const charts = Array.from(document.querySelectorAll('div.chart'), (div) => {
    const svg = div.querySelector('svg');
    const box = svg ? svg.getBoundingClientRect() : null;
    const canvas = div.querySelector('canvas');
    let ink = false;
    if (canvas && canvas.width > 0 && canvas.height > 0) {
      const ctx = canvas.getContext('2d');
      const pixels = ctx ? ctx.getImageData(0, 0, canvas.width, canvas.height).data : [];
      for (let i = 3; i < pixels.length; i += 4) {
        if (pixels[i] !== 0) { ink = true; break; }
      }
    }
    return {
      id: div.id,
      svg: box !== null && box.width > 0 && box.height > 0,
      marks: div.querySelectorAll(markItems).length,
      canvas: ink,
    };
  });
  return {
    expected: data.chartsExpected ?? null,
    rendered: data.chartsRendered ?? null,
    errors: data.chartErrors ?? '',
    charts,
  };
}"""

# Settled: every embed resolved, or one reported a failure (then there is no point waiting).
_SETTLED = """() => document.body !== null
  && (document.body.dataset.chartsRendered !== undefined
      || (document.body.dataset.chartErrors ?? '') !== '')"""


@dataclass
class Chart:
    id: str
    svg: bool
    marks: int
    canvas: bool

    @property
    def drawn(self) -> bool:
        return (self.svg and self.marks > 0) or self.canvas


@dataclass
class Rendered:
    """What the browser saw: the page's chart bookkeeping, each chart, every error."""

    expected: str | None = None
    rendered: str | None = None
    chart_errors: str = ""
    charts: list[Chart] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    network: list[str] = field(default_factory=list)
    timed_out: bool = False

    def problems(self) -> list[str]:
        """Every broken rule, one line each (empty when the report is good)."""
        found = []
        if self.timed_out:
            found.append(f"charts not settled within {RENDER_TIMEOUT_S}s")
        if self.expected is None or not self.expected.isdigit() or int(self.expected) < 1:
            found.append(f"data-charts-expected is {self.expected!r}, not a positive count")
        if self.rendered != self.expected:
            found.append(f"data-charts-rendered {self.rendered!r} != expected {self.expected!r}")
        if self.chart_errors:
            found.append(f"data-chart-errors: {self.chart_errors}")
        if self.expected is not None and str(len(self.charts)) != self.expected:
            found.append(f"{len(self.charts)} div.chart elements, {self.expected} expected")
        found += [
            f"chart {c.id!r} not drawn (svg sized: {c.svg}, data marks: {c.marks}, "
            f"painted canvas: {c.canvas})"
            for c in self.charts
            if not c.drawn
        ]
        found += [f"console error: {m}" for m in self.console_errors]
        found += [f"page error: {m}" for m in self.page_errors]
        found += [f"network request attempted: {u}" for u in self.network]
        return found


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Browser]:
    """Headless Chromium (no sandbox: CI runs as root); each page gets a fresh context."""
    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=chromium_path, headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


def render(html: Path, browser: Browser, screenshot: Path | None = None) -> Rendered:
    """Open ``html`` from its file:// URL and record what happens."""
    seen = Rendered()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    def on_request(request: Request) -> None:
        if not request.url.startswith(LOCAL_SCHEMES):
            seen.network.append(request.url)

    def block(route: Route) -> None:
        if route.request.url.startswith(LOCAL_SCHEMES):
            route.continue_()
        else:
            route.abort()

    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    try:
        page = context.new_page()
        page.on("console", on_console)
        page.on("pageerror", lambda error: seen.page_errors.append(str(error)))
        page.on("request", on_request)
        page.on("websocket", lambda socket: seen.network.append(socket.url))
        page.route("**/*", block)
        page.goto(html.resolve().as_uri(), wait_until="load")
        try:
            page.wait_for_function(_SETTLED, timeout=RENDER_TIMEOUT_S * 1000)
        except Error:
            seen.timed_out = True
        # Two animation frames: late errors (timers, promise rejections) surface first.
        page.evaluate(
            "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        state = page.evaluate(_INSPECT, _MARK_ITEMS)
        seen.expected = state["expected"]
        seen.rendered = state["rendered"]
        seen.chart_errors = state["errors"]
        seen.charts = [Chart(**chart) for chart in state["charts"]]
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
    finally:
        context.close()
    return seen


def test_report_charts_draw_in_a_browser(tmp_path: Path, browser: Browser) -> None:
    engine = sa.create_engine(f"duckdb:///{tmp_path / 'report.duckdb'}")
    try:
        spec = SyntheticSpec(members=600, seed=1)
        generate(engine, spec)
        attribute(engine, demo_inputs(), as_of=spec.last_day, target_schema="provider_attribution")
        html = write_report(engine, tmp_path / "report.html", "provider_attribution")
    finally:
        engine.dispose()

    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copyfile(html, ARTIFACTS / "report.html")
    problems = render(html, browser, screenshot=ARTIFACTS / "report.png").problems()
    assert not problems, "\n".join(problems)


# --- the checker's own controls: hand-written pages following the report's contract ---------

_FIXTURE = """<!doctype html>
<html><head><meta charset="utf-8"><title>fixture</title></head>
<body>
<div class="chart" id="chart-bars"></div>
<div class="chart" id="chart-points"></div>
<script>
const body = document.body;
body.dataset.chartsExpected = "2";
const NS = "http://www.w3.org/2000/svg";
function draw(id, kind, marks) {
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("width", "200"); svg.setAttribute("height", "100");
  const group = document.createElementNS(NS, "g");
  group.setAttribute("class", "mark-" + kind + " role-mark");
  for (let i = 0; i < marks; i++) {
    const path = document.createElementNS(NS, "path");
    path.setAttribute("d", "M" + (10 + 30 * i) + ",90h20v-" + (20 + 10 * i) + "h-20Z");
    group.appendChild(path);
  }
  svg.appendChild(group);
  document.getElementById(id).appendChild(svg);
}
draw("chart-bars", "rect", 4);
draw("chart-points", "symbol", __POINTS__);
__EXTRA__
body.dataset.chartsRendered = "2";
</script>
</body></html>
"""


def _fixture(tmp_path: Path, points: int = 3, extra: str = "") -> Path:
    path = tmp_path / f"fixture-{len(list(tmp_path.glob('fixture-*.html')))}.html"
    path.write_text(_FIXTURE.replace("__POINTS__", str(points)).replace("__EXTRA__", extra))
    return path


def test_the_checker_catches_each_broken_rule(tmp_path: Path, browser: Browser) -> None:
    """The good hand-written page passes; each way of breaking it is reported."""
    assert render(_fixture(tmp_path), browser).problems() == []
    cases = [
        (0, "", "chart 'chart-points' not drawn"),
        (3, 'console.error("boom");', "console error: boom"),
        (3, 'setTimeout(() => { throw new Error("late"); });', "page error: late"),
        (
            3,
            'fetch("https://example.invalid/x").catch(() => {});',
            "network request attempted: https://example.invalid/x",
        ),
        (
            3,
            'body.dataset.chartErrors = "chart-bars: bad spec";',
            "data-chart-errors: chart-bars: bad spec",
        ),
    ]
    for points, extra, expected in cases:
        problems = render(_fixture(tmp_path, points, extra), browser).problems()
        assert any(p.startswith(expected) for p in problems), (expected, problems)
