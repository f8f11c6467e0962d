"""The page at every width, in a real browser against the real site with its demo home page.

At 390 px (a phone), 1440 px (a desk) and 2560 px (a wall screen), as a visitor and as
an admin: the grid has the expected columns, no cell is left empty before the last
row (every block fills the cells it spans), nothing scrolls sideways. The kiosk view
shows the page alone with a clock and cycles through the pages. A block is made two
rows tall from its tools with the mouse, with the keyboard and without JavaScript.
"""

import re
import subprocess
import sys
from contextlib import contextmanager

import pytest

from tests.fixtures.servers import MAKE_ADMIN, ROOT, start_site, stop
from tests.test_browser_acceptance import log_in

COLUMNS = {390: 1, 1440: 4, 2560: 6}
HEIGHTS = {390: 844, 1440: 900, 2560: 1440}

# A second page in the navigation, for the kiosk's cycle and the resizing tests.
MAKE_ABOUT = """
from statboard import create_app
from statboard.extensions import db
from statboard.pages.models import Block, Page
app = create_app()
with app.app_context():
    page = Page(slug="about", title="About", is_public=True, nav_position=1)
    for position, words in enumerate(["First words", "Second words", "Third words"]):
        html = f"<h2>{words}</h2><p>Some text.</p>"
        page.blocks.append(Block(kind="text", position=position, data={"html": html}))
    db.session.add(page)
    db.session.commit()
"""

# The grid's tracks and each item's box, relative to the grid, in one look.
MEASURE = """() => {
  const grid = document.getElementById("blocks");
  const style = getComputedStyle(grid);
  const box = grid.getBoundingClientRect();
  const html = document.documentElement;
  return {
    cols: style.gridTemplateColumns.split(" ").map(parseFloat),
    rows: style.gridTemplateRows.split(" ").map(parseFloat),
    colGap: parseFloat(style.columnGap),
    rowGap: parseFloat(style.rowGap),
    items: Array.from(grid.children).map((el) => {
      const r = el.getBoundingClientRect();
      return { id: el.id || el.className, x: r.left - box.left, y: r.top - box.top,
               w: r.width, h: r.height };
    }),
    scrollWidth: html.scrollWidth,
    clientWidth: html.clientWidth,
  };
}"""


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    """The site as it starts the first time (its demo home page), an admin and a
    second page."""
    env = {"STATBOARD_LOG_LEVEL": "WARNING"}
    site = start_site(tmp_path_factory.mktemp("layout"), env=env)
    try:
        for script in (MAKE_ADMIN, MAKE_ABOUT):
            subprocess.run([sys.executable, "-c", script], env=site.env, cwd=ROOT, check=True)
        yield site
    finally:
        stop(site.proc)


@contextmanager
def opened(browser, width, height=None, admin_of=None, **options):
    """A page in a fresh context of that size (logged in as the admin of `admin_of`);
    fails on any console error."""
    context = browser.new_context(viewport={"width": width, "height": height or 900}, **options)
    errors = []
    try:
        pg = context.new_page()
        pg.set_default_timeout(10_000)
        pg.on("console", lambda m: m.type == "error" and errors.append(m.text))
        if admin_of:
            log_in(pg, admin_of)
        yield pg
    finally:
        context.close()
    assert not errors, errors


def lines(sizes: list[float], gap: float) -> list[tuple[float, float]]:
    """The (start, end) of each track."""
    out, at = [], 0.0
    for size in sizes:
        out.append((at, at + size))
        at += size + gap
    return out


def track_range(tracks, start: float, end: float, what: str) -> range:
    """The tracks an item spans: it must start on one track's start and end on one's end."""
    first = [i for i, (a, _b) in enumerate(tracks) if abs(a - start) < 1.5]
    last = [i for i, (_a, b) in enumerate(tracks) if abs(b - end) < 1.5]
    assert first and last, f"{what} does not fill its cells: {start:.1f}–{end:.1f} in {tracks}"
    return range(first[0], last[0] + 1)


def covered_cells(layout) -> tuple[set, int, int]:
    """The cells the grid's items cover, and the grid's columns and rows."""
    cols = lines(layout["cols"], layout["colGap"])
    rows = lines(layout["rows"], layout["rowGap"])
    cells = set()
    for item in layout["items"]:
        across = track_range(cols, item["x"], item["x"] + item["w"], item["id"])
        down = track_range(rows, item["y"], item["y"] + item["h"], item["id"])
        mine = {(r, c) for r in down for c in across}
        assert not mine & cells, f"{item['id']} overlaps another block"
        cells |= mine
    return cells, len(cols), len(rows)


def measured(pg) -> dict:
    pg.locator(".chart-canvas.chart-drawn canvas").first.wait_for()
    pg.locator("#blocks > .block--host .host-metric").first.wait_for()
    return pg.evaluate(MEASURE)


@pytest.mark.parametrize("who", ["visitor", "admin"])
@pytest.mark.parametrize("width", list(COLUMNS))
def test_columns_grow_with_the_screen_and_leave_no_holes(browser, demo_site, width, who):
    admin_of = demo_site.url if who == "admin" else None
    with opened(browser, width, HEIGHTS[width], admin_of=admin_of) as pg:
        pg.goto(demo_site.url + "/")
        layout = measured(pg)
        cells, columns, rows = covered_cells(layout)
        assert columns == COLUMNS[width]
        holes = sorted({(r, c) for r in range(rows) for c in range(columns)} - cells)
        assert not [hole for hole in holes if hole[0] < rows - 1], holes
        if who == "visitor":  # the demo is laid out to fill every row
            assert not holes, holes
        assert layout["scrollWidth"] <= layout["clientWidth"], "the page scrolls sideways"
        # A span wider than the columns there are is clamped: the chart spans 4.
        chart = pg.locator("#blocks > .block--chart").bounding_box()
        grid = pg.locator("#blocks").bounding_box()
        assert chart["width"] <= grid["width"] + 0.5
        if columns == 1:
            assert abs(chart["width"] - grid["width"]) < 1
        # The grid uses the whole width: no centred column with empty sides.
        assert grid["x"] < 60 and width - grid["x"] - grid["width"] < 60, grid
        assert pg.locator("#blocks > .block").count() >= 8


def font_px(pg, selector: str) -> float:
    return pg.eval_on_selector(selector, "el => parseFloat(getComputedStyle(el).fontSize)")


def test_numbers_and_text_grow_on_a_wall_screen(browser, demo_site):
    sizes = {}
    for width in (1440, 2560):
        with opened(browser, width, HEIGHTS[width]) as pg:
            pg.goto(demo_site.url + "/")
            pg.locator(".counter-value").wait_for()
            shown = (".rich-text p", ".counter-value", ".chart-latest", "h1")
            sizes[width] = [font_px(pg, selector) for selector in shown]
            # The live numbers lead: host, chart and counter start above the fold.
            for kind in ("host", "chart", "counter"):
                top = pg.locator(f"#blocks > .block--{kind}").bounding_box()["y"]
                assert top < HEIGHTS[width] * 0.7, (kind, top)
    body, number, figure, heading = sizes[2560]
    assert body >= 22 and number >= 64 and figure >= 30 and heading >= 40, sizes
    assert all(wall > desk for wall, desk in zip(sizes[2560], sizes[1440], strict=True)), sizes


# The chart's plot, its canvas (plot and legend) and its axis font, in one look.
CHART = """() => {
  const canvas = document.querySelector("#blocks > .block--chart .chart-canvas.chart-drawn");
  const plot = StatboardCharts.plotOf(canvas);
  const root = canvas.querySelector(".uplot").getBoundingClientRect();
  const box = canvas.getBoundingClientRect();
  return { canvasBottom: box.bottom, plotBottom: root.bottom, plotHeight: plot.height,
           axisFont: parseFloat(plot.axes[0].font[0]) };
}"""


@pytest.mark.parametrize("width", list(COLUMNS))
def test_a_chart_fills_its_block_and_its_labels_grow_with_the_screen(browser, demo_site, width):
    with opened(browser, width, HEIGHTS[width]) as pg:
        pg.goto(demo_site.url + "/")
        pg.locator(".chart-canvas.chart-drawn canvas").first.wait_for()
        pg.wait_for_timeout(300)  # the resize observer's first answer
        chart = pg.evaluate(CHART)
        # The plot and its legend take the canvas's whole height: no empty band under it.
        assert abs(chart["canvasBottom"] - chart["plotBottom"]) <= 4, chart
        assert chart["plotHeight"] >= 160, chart
        body = font_px(pg, ".rich-text p")
        assert chart["axisFont"] >= 0.75 * body, (chart, body)
        if width == 2560:
            assert chart["axisFont"] >= 18, chart


# From the page's first script on: how many times a chart's plot is drawn (uPlot clears
# its canvas once per draw), and how many charts were drawn when the page's start-up
# (the deferred scripts and DOMContentLoaded's handlers, htmx's among them) was over.
COUNT_DRAWS = """
window.chartDraws = 0;
const clear = CanvasRenderingContext2D.prototype.clearRect;
CanvasRenderingContext2D.prototype.clearRect = function (...args) {
  if (this.canvas.closest("[data-chart]")) window.chartDraws += 1;
  return clear.apply(this, args);
};
window.addEventListener("DOMContentLoaded", () => {
  window.drawnAtStart = document.querySelectorAll("[data-chart] canvas").length;
});
"""
PLOT_WIDTH = "() => StatboardCharts.plotOf(document.querySelector('[data-chart]')).width"


def test_a_chart_is_drawn_once_after_the_page_started_and_again_when_resized(browser, demo_site):
    """Drawing a chart is a long piece of work on a phone: it gets a task of its own,
    not the one that starts the page, and the resize observer's first report (the size
    the plot was drawn at) does not draw it again."""
    with opened(browser, 390, HEIGHTS[390]) as pg:
        pg.add_init_script(COUNT_DRAWS)
        pg.goto(demo_site.url + "/")
        pg.locator(".chart-canvas.chart-drawn canvas").first.wait_for()
        pg.wait_for_timeout(500)  # the resize observer's first report, and any redraw
        assert pg.evaluate("() => window.drawnAtStart") == 0
        assert pg.evaluate("() => window.chartDraws") == 1
        width = pg.evaluate(PLOT_WIDTH)
        pg.set_viewport_size({"width": 1440, "height": HEIGHTS[1440]})
        pg.wait_for_function(f"(before) => ({PLOT_WIDTH})() > before", arg=width)
        assert pg.evaluate("() => window.chartDraws") >= 2


# Every picture on the page once loaded: what the browser fetched and how wide it shows.
PICTURES = """async () => {
  const shown = [];
  for (const img of document.querySelectorAll("#blocks img")) {
    img.scrollIntoView();
    img.loading = "eager";
    await img.decode().catch(() => null);
    shown.push({ src: img.currentSrc, natural: img.naturalWidth, width: img.clientWidth });
  }
  return { shown, ratio: window.devicePixelRatio };
}"""


@pytest.mark.parametrize("width, scale", [(390, 2), (1440, 1), (2560, 1)])
def test_pictures_come_as_webp_about_the_size_they_are_shown(browser, demo_site, width, scale):
    with opened(browser, width, HEIGHTS[width], device_scale_factor=scale) as pg:
        pg.goto(demo_site.url + "/")
        found = pg.evaluate(PICTURES)
    assert len(found["shown"]) >= 4, found
    for picture in found["shown"]:
        assert picture["src"].endswith(".webp"), picture
        needed = picture["width"] * found["ratio"]
        # The smallest copy that fills it (copies are 480, 960, 1600 px and full size).
        assert picture["natural"] < max(2 * needed, 480 + 1), (picture, found["ratio"])


def test_the_kiosk_shows_the_page_alone_with_a_clock_and_cycles(browser, demo_site):
    with opened(browser, 1440, 900) as pg:
        pg.goto(demo_site.url + "/?kiosk=1&cycle=3")
        assert_kiosk(pg)
        # The next page of the navigation after 3 seconds, in the kiosk view too.
        pg.wait_for_url(re.compile(r"/about\?kiosk=1&cycle=3$"), timeout=15_000)
        assert_kiosk(pg)
        assert "Second words" in pg.inner_text("#blocks")
        pg.wait_for_url(re.compile(r"/\?kiosk=1&cycle=3$"), timeout=15_000)  # and round again
        assert_kiosk(pg)


def test_the_kiosk_shows_an_admin_no_tools(browser, demo_site):
    with opened(browser, 2560, 1440, admin_of=demo_site.url) as pg:
        pg.goto(demo_site.url + "/?kiosk=1")
        assert_kiosk(pg)
        hidden = "#blocks .block-body form, #blocks .chart-admin, #blocks .gallery-controls"
        assert all(not el.is_visible() for el in pg.locator(hidden).all())
        assert pg.locator(".kiosk-bar[data-kiosk-next]").count() == 0  # no cycle asked


def assert_kiosk(pg):
    clock = pg.locator(".kiosk-clock")
    pg.wait_for_function(
        "el => /\\d\\d?\\D\\d\\d/.test(el.textContent)", arg=clock.element_handle()
    )
    gone = ".site-header, .site-nav, a[href*='/login'], form[action*='/logout'], .block-tools"
    assert pg.locator(gone).count() == 0
    assert pg.locator(".adder, .page-settings, .edit-nav").count() == 0
    style = pg.evaluate(
        "() => [getComputedStyle(document.documentElement).overflow, innerWidth,"
        " document.documentElement.clientWidth, innerHeight, document.documentElement.clientHeight]"
    )
    overflow, inner_w, client_w, inner_h, client_h = style
    assert overflow == "hidden" and (inner_w, inner_h) == (client_w, client_h), style


# --- resizing from a block's tools -------------------------------------------------------


def about_block(pg, index: int) -> str:
    return pg.eval_on_selector_all("#blocks > .block", f"els => els[{index}].id")


def row_count(pg, block_id: str) -> int:
    return pg.eval_on_selector(f"#{block_id}", "el => getComputedStyle(el).gridRowStart")


def wait_for_rows(pg, block_id: str, rows: int):
    pg.wait_for_function(
        "([id, rows]) => document.getElementById(id)?.classList.contains(`rows-${rows}`)",
        arg=[block_id, rows],
    )
    # The block really is taller: it spans two of the grid's rows.
    assert row_count(pg, block_id) == f"span {rows}"


def test_a_block_is_made_two_rows_tall_from_its_tools(browser, demo_site):
    with opened(browser, 1440, 900, admin_of=demo_site.url) as pg:
        pg.goto(demo_site.url + "/about")
        block_id = about_block(pg, 1)
        before = pg.locator(f"#{block_id}").bounding_box()["height"]

        # With the mouse: the Size menu, then "2 rows tall".
        pg.hover(f"#{block_id}")
        pg.click(f"#{block_id} .block-size summary")
        pg.click(f"#{block_id} button[aria-label='2 rows tall']")
        wait_for_rows(pg, block_id, 2)
        after = pg.locator(f"#{block_id}").bounding_box()["height"]
        assert after > before * 1.8, (before, after)
        pressed = pg.locator(f"#{block_id} .size-choices button[aria-pressed=true]")
        assert [(b.get_attribute("name"), b.get_attribute("value")) for b in pressed.all()] == [
            ("span", "1"),
            ("rows", "2"),
        ]

        # With the keyboard: focus the tools' Size, open it, Tab to "1 row tall", Enter.
        pg.wait_for_function(
            "id => !document.getElementById(id).closest('.htmx-added')", arg=block_id
        )
        pg.focus(f"#{block_id} .block-size summary")
        pg.keyboard.press("Enter")
        for _ in range(12):
            pg.keyboard.press("Tab")
            label = pg.evaluate("() => document.activeElement.getAttribute('aria-label')")
            if label == "1 row tall":
                break
        assert label == "1 row tall"
        pg.keyboard.press("Enter")
        wait_for_rows(pg, block_id, 1)


def test_rows_and_width_without_javascript(browser, demo_site):
    with opened(browser, 1440, 900, java_script_enabled=False) as pg:
        log_in(pg, demo_site.url)
        pg.goto(demo_site.url + "/about")
        block_id = about_block(pg, 2)
        pg.click(f"#{block_id} .block-size summary", force=True)  # a <details>: no script
        pg.click(f"#{block_id} button[aria-label='2 rows tall']", force=True)
        pg.wait_for_url(re.compile(rf"/about#{block_id}$"))
        assert "rows-2" in pg.get_attribute(f"#{block_id}", "class").split()
        assert row_count(pg, block_id) == "span 2"
        pg.click(f"#{block_id} .block-size summary", force=True)
        pg.click(f"#{block_id} button[aria-label='3 columns wide']", force=True)
        pg.wait_for_url(re.compile(rf"/about#{block_id}$"))
        width = pg.locator(f"#{block_id}").bounding_box()["width"]
        grid = pg.evaluate(MEASURE)
        column, gap = grid["cols"][0], grid["colGap"]
        assert abs(width - (3 * column + 2 * gap)) < 1.5
