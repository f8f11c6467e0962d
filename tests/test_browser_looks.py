"""How the live blocks look in a real browser on the real site: a chart keeps its height
under the mouse, says when its last sample was, and draws a missing day as one line;
"Other hosts" reads whole on a phone, says the overall state and the availability over
the range shown."""

import time
from datetime import timedelta

import pytest
from statboard import create_app
from statboard.extensions import db
from statboard.hosts.models import DOWN, UP, RemoteCheck, RemoteHost
from statboard.models_base import utcnow
from statboard.pages.models import Block, Page
from statboard.series.samples import now_utc
from statboard.tasks.models import ScheduledRun

from tests.fixtures.servers import start_site, stop
from tests.series_helpers import daily, gen_account

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1440, "height": 900}
REFUSED = "connection refused or host unreachable"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site, with no remote check of its own during the test (its hosts' states and
    checks are the ones made here)."""
    env = {"STATBOARD_HOST_CHECK_SECONDS": "3600", "STATBOARD_LOG_LEVEL": "WARNING"}
    site = start_site(tmp_path_factory.mktemp("looks"), env=env)
    yield site
    stop(site.proc)


@pytest.fixture(scope="module")
def looks(site):
    """A public page 'looks': a chart of two accounts (one day missing), a chart whose
    only samples are older than its week, and four other hosts, one of them down with
    long names; returns the block ids."""
    app = create_app({"DATABASE_URL": site.env["STATBOARD_DATABASE_URL"]})
    start = now_utc() - timedelta(days=29)
    rows = [row for day, row in enumerate(daily(30, start=start)) if day != 12]
    alpha = gen_account(app, "github", "alpha-with-a-long-name", public=True, samples=rows)
    beta = gen_account(app, "github", "beta-with-a-long-name", public=True, samples=rows)
    old = [(now_utc() - timedelta(days=d), 1000 + d) for d in (40, 20, 9)]
    quiet = gen_account(app, "github", "quiet", public=True, samples=old)
    with app.app_context():
        # A fresh site checks its other hosts once as it first leads: after that run,
        # not during the test, or it would check the hosts made here (at a closed port).
        ran = db.select(ScheduledRun.runs).where(ScheduledRun.name == "hosts.check")
        deadline = time.monotonic() + 60
        while not db.session.scalar(ran):
            assert time.monotonic() < deadline, "the site never ran its first host check"
            db.session.rollback()
            time.sleep(0.1)
        time.sleep(1)  # claimed, then run: a check of no host at all ends at once
        page = Page(slug="looks", title="Looks", is_public=True)
        chart = Block(kind="chart", span=2, data={"accounts": [alpha, beta], "range": "30d"})
        empty = Block(kind="chart", position=1, data={"accounts": [quiet], "range": "7d"})
        hosts = Block(kind="remote_hosts", position=2, data={"title": "Other hosts"})
        page.blocks.extend([chart, empty, hosts])
        db.session.add(page)
        db.session.flush()
        now = utcnow()
        for name, state in [
            ("site on 6th floor rack", UP),
            ("database primary in the basement", DOWN),
            ("backup", UP),
            ("mail relay", UP),
        ]:
            host = RemoteHost(block_id=hosts.id, name=name, url="http://127.0.0.1:9/")
            host.state, host.checked_at = state, now
            host.latency_ms, host.last_error = (12.0, "") if state == UP else (None, REFUSED)
            db.session.add(host)
            db.session.flush()
            # Down for a while three hours ago, up every five minutes for the last hour.
            db.session.add_all(
                RemoteCheck(host_id=host.id, at=now - timedelta(hours=3, minutes=m), up=False)
                for m in range(10)
            )
            db.session.add_all(
                RemoteCheck(host_id=host.id, at=now - timedelta(minutes=5 * m + 1), up=True)
                for m in range(10)
            )
        db.session.commit()
        ids = {"chart": chart.id, "empty": empty.id, "hosts": hosts.id}
        db.session.remove()
        db.engine.dispose()
    app.extensions["counters"].store.close()
    return ids


def open_looks(browser, site, viewport, color_scheme="light"):
    context = browser.new_context(viewport=viewport, color_scheme=color_scheme)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(site.url + "/looks")
    page.locator(".chart-canvas.chart-drawn").first.wait_for()
    return context, page


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["390", "1440"])
def test_hovering_a_chart_never_changes_its_height(browser, site, looks, viewport):
    context, page = open_looks(browser, site, viewport)
    try:
        block = page.locator(f"#block-{looks['chart']}")
        before = block.bounding_box()
        over = page.locator(f"#block-{looks['chart']} .u-over").bounding_box()
        heights = []
        for step in range(1, 10):
            page.mouse.move(over["x"] + over["width"] * step / 10, over["y"] + over["height"] / 2)
            page.wait_for_timeout(30)
            heights.append(block.bounding_box()["height"])
        # The legend shows the values under the mouse (so the mouse was over the plot).
        legend = page.inner_text(f"#block-{looks['chart']} .u-legend")
        assert "alpha-with-a-long-name" in legend and any(c.isdigit() for c in legend)
        page.mouse.move(0, 0)
        heights.append(block.bounding_box()["height"])
        assert max(abs(h - before["height"]) for h in heights) < 0.5, (before, heights)
    finally:
        context.close()


def test_a_range_without_samples_says_when_the_last_was(browser, site, looks):
    context, page = open_looks(browser, site, DESK)
    try:
        block = page.locator(f"#block-{looks['empty']}")
        last = (now_utc() - timedelta(days=9)).date()
        said = f"No samples in the last 7 days; the last was on {last.day} {last:%B %Y} (1,009)."
        assert block.locator(".chart-nodata").inner_text() == said
        assert block.locator("[data-chart], canvas").count() == 0  # no empty plot
        block.get_by_role("link", name="30 days").click()
        block.locator(".chart-canvas.chart-drawn").wait_for()
        assert block.locator(".chart-nodata").count() == 0
    finally:
        context.close()


def test_a_daily_series_with_a_missing_day_is_one_line(browser, site, looks):
    context, page = open_looks(browser, site, DESK)
    try:
        drawn = page.evaluate(
            """(id) => {
                const el = document.querySelector(`#block-${id} [data-chart]`);
                const plot = window.StatboardCharts.plotOf(el);
                return plot.data.slice(1).map((ys, i) => ({
                    points: ys.filter((y) => y != null).length,
                    nulls: ys.filter((y) => y === null).length,
                    spanGaps: plot.series[i + 1].spanGaps,
                }));
            }""",
            looks["chart"],
        )
        # 29 days drawn, and nothing between them to break the line.
        assert drawn == [{"points": 29, "nulls": 0, "spanGaps": False}] * 2
    finally:
        context.close()


def test_other_hosts_read_whole_on_a_phone_with_the_overall_state(browser, site, looks):
    context, page = open_looks(browser, site, PHONE)
    try:
        block = page.locator(f"#block-{looks['hosts']}")
        assert block.locator(".remote-summary").inner_text().strip() == "1 of 4 down"
        texts = block.locator(".remote-title, .remote-state")
        assert texts.count() == 8
        clipped = texts.evaluate_all(
            """(els) => els.filter((el) => el.scrollWidth > el.clientWidth + 1
                || getComputedStyle(el).textOverflow === 'ellipsis')
                .map((el) => el.textContent.trim())"""
        )
        assert clipped == []
        shown = block.inner_text()
        assert "database primary in the basement" in shown and REFUSED in shown
        # Nothing of the block reaches past the screen's edge either.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()


def test_the_availability_follows_the_range_shown(browser, site, looks):
    context, page = open_looks(browser, site, DESK)
    try:
        block = page.locator(f"#block-{looks['hosts']}")
        avail = block.locator(".remote-avail")
        block.get_by_role("link", name="1h").click()
        page.wait_for_selector(f"#block-{looks['hosts']} .host-ranges a[aria-current]:text('1h')")
        assert avail.first.inner_text().split() == ["100", "%", "1", "h"]
        block.get_by_role("link", name="24h").click()
        page.wait_for_selector(f"#block-{looks['hosts']} .host-ranges a[aria-current]:text('24h')")
        # Ten checks down three hours ago and ten up since: half of the day's checks.
        assert avail.first.inner_text().split() == ["50", "%", "24", "h"]
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1440, 2560])
def test_the_host_tiles_metrics_fill_their_rows(browser, site, width):
    """The demo home page's host tile: each row of its five metrics spans the tile's
    width (no metric alone beside a hole, such as the fifth on a row of its own)."""
    context = browser.new_context(viewport={"width": width, "height": 1000})
    try:
        page = context.new_page()
        page.goto(site.url + "/")
        rows = page.eval_on_selector(
            ".host-metrics",
            """(dl) => {
                const box = dl.getBoundingClientRect(), rows = {};
                for (const m of dl.querySelectorAll('.host-metric')) {
                    const r = m.getBoundingClientRect(), y = Math.round(r.top);
                    rows[y] = rows[y] || {left: r.left, right: r.right, count: 0};
                    rows[y].left = Math.min(rows[y].left, r.left);
                    rows[y].right = Math.max(rows[y].right, r.right);
                    rows[y].count += 1;
                }
                return Object.values(rows).map((row) => ({
                    count: row.count, hole: box.right - row.right + row.left - box.left,
                }));
            }""",
        )
        assert sum(row["count"] for row in rows) == 5
        assert all(row["hole"] < 2 for row in rows), rows
    finally:
        context.close()
