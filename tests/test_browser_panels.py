"""Logged in, a page looks like the page until a block is touched: in a real browser on
the demo home page, management forms (a chart's accounts, collect and import; a
gallery's uploads; the hosts an "Other hosts" block checks) wait in a panel that opens
from the block's tools, over the page, and work from there, with the keyboard and
without JavaScript. A click on a gallery picture opens that picture's editor in its
place; a click on a host metric leaves the tile alone."""

import re
from datetime import timedelta

import pytest
from statboard.series.samples import now_utc

from tests.fixtures.servers import make_admin, start_site, stop
from tests.test_browser_acceptance import log_in

WIDE = {"width": 1440, "height": 900}
FORMS = ".series-add, .series-accounts, .series-actions, .gallery-add, .remote-add, .remote-manage"


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    """The demo home page of a fresh site, an admin 'boss'; this host sampled and other
    hosts checked every second; the platforms at a closed port of this machine, so that
    collecting fails at once."""
    closed = "http://127.0.0.1:9"
    env = {
        "STATBOARD_HOST_CHECK_SECONDS": "1",
        "STATBOARD_HOST_SAMPLE_SECONDS": "1",
        "STATBOARD_LOG_LEVEL": "WARNING",
        "STATBOARD_SERIES_GITHUB_URL": closed,
        "STATBOARD_SERIES_MASTODON_URL": closed,
        "STATBOARD_SERIES_HTTP_RETRIES": "0",
    }
    site = start_site(tmp_path_factory.mktemp("panels"), env=env)
    try:
        make_admin(site)
        yield site
    finally:
        stop(site.proc)


@pytest.fixture
def admin(browser, demo_site):
    context = browser.new_context(viewport=WIDE)
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    log_in(pg, demo_site.url)
    yield pg
    context.close()


def block_of(pg, kind: str) -> str:
    return pg.get_attribute(f"#blocks > article.block--{kind}", "id")


def open_panel(pg, block_id: str):
    """Open a block's panel by keyboard: focus shows the tools, Enter on Manage…"""
    manage = pg.locator(f"#{block_id} .block-tools button", has_text="Manage…")
    manage.focus()
    pg.keyboard.press("Enter")
    panel = pg.locator(f"#{block_id} .block-panel:popover-open")
    panel.wait_for()
    return panel


def settled(pg, selector: str) -> None:
    """Wait until `selector` is on the page and htmx has settled what brought it."""
    pg.wait_for_function(
        "s => { const el = document.querySelector(s); return el && !el.closest('.htmx-added'); }",
        arg=selector,
    )


def height(pg, selector: str) -> float:
    return pg.locator(selector).bounding_box()["height"]


def test_logged_in_the_blocks_look_as_a_visitor_sees_them(admin, browser, demo_site):
    visitor = browser.new_context(viewport=WIDE)
    try:
        vp = visitor.new_page()
        vp.goto(demo_site.url + "/")
        chart = block_of(admin, "chart")
        for pg in (admin, vp):
            pg.locator(f"#{chart} .chart-canvas.chart-drawn").wait_for()
        for kind in ("chart", "gallery", "remote_hosts"):
            block = f"#{block_of(admin, kind)}"
            shown, seen = height(admin, block), height(vp, block)
            assert abs(shown - seen) <= 60, f"{kind}: {shown}px logged in, {seen}px to visitors"
    finally:
        visitor.close()

    # No management form shows before the panel is opened, and the tools only on hover.
    assert admin.locator(FORMS).filter(visible=True).count() == 0
    assert not admin.get_by_text("is not configured").is_visible()
    admin.mouse.move(0, 0)
    tools = admin.locator(f"#{chart} > .block-tools")
    assert tools.evaluate("el => getComputedStyle(el).opacity") == "0"
    admin.hover(f"#{chart} .chart-title")
    admin.wait_for_function(
        "el => getComputedStyle(el).opacity === '1'", arg=tools.element_handle()
    )

    # Open, the panel lies over the page: the block keeps its size.
    before = height(admin, f"#{chart}")
    panel = open_panel(admin, chart)
    assert panel.locator(".series-add").is_visible()
    assert height(admin, f"#{chart}") == before
    admin.keyboard.press("Escape")
    panel.wait_for(state="hidden")


def test_from_the_panel_an_admin_adds_an_account_imports_and_collects(admin):
    chart = block_of(admin, "chart")
    panel = open_panel(admin, chart)

    # A refused handle: the answer's error shows in the panel, which stays open.
    panel.locator("select[name=platform]").select_option("github")
    panel.locator("input[name=handle]").fill("not a handle!")
    panel.get_by_role("button", name="Add account").click()
    panel.locator(".form-error").wait_for()
    assert admin.locator(f"#{chart} .block-panel:popover-open").count() == 1
    admin.wait_for_function(
        "() => document.activeElement?.matches('.block-panel input[name=handle]')"
    )

    # A good one: its row in the panel, its series on the chart.
    version = admin.get_attribute(f"#{chart}", "data-version")
    panel.locator("input[name=handle]").fill("octo-panel")
    panel.get_by_role("button", name="Add account").click()
    panel.locator(".series-account", has_text="octo-panel").wait_for()
    admin.locator(f"#{chart} .chart-stats .chart-label", has_text="octo-panel").wait_for()
    # The page hears of the block's new version and fetches the block again: the panel
    # comes back open.
    admin.wait_for_selector(f"article#{chart}:not([data-version='{version}'])")
    settled(admin, f"#{chart} .block-panel:popover-open .series-actions")

    # Import a CSV of that account: the task's result shows in the panel, the chart follows.
    csv = f"{(now_utc() - timedelta(hours=1)).isoformat()},4321\n".encode()
    importer = panel.locator(".series-actions form")
    importer.locator("input[type=file]").set_input_files(
        {"name": "octo-panel-followers.csv", "mimeType": "text/csv", "buffer": csv}
    )
    importer.get_by_role("button", name="Import", exact=True).click()
    panel.locator(".task-progress[data-state=SUCCESS]").wait_for(timeout=30_000)

    # Collect now: its progress and its end show in the panel too.
    panel.get_by_role("button", name="Collect now").click()
    panel.locator(".task-progress[data-state]").wait_for()
    admin.wait_for_function(
        "id => /SUCCESS|FAILURE/.test(document.querySelector("
        "`#series-tasks-${id} .task-progress`)?.dataset.state || '')",
        arg=chart.removeprefix("block-"),
        timeout=60_000,
    )
    assert admin.locator(f"#{chart} .block-panel:popover-open").count() == 1


def test_a_click_on_a_gallery_picture_opens_its_editor_where_it_stands(admin):
    gallery = block_of(admin, "gallery")
    item = admin.locator(f"#{gallery} .gallery-item").first
    item_id = item.get_attribute("id")
    item.scroll_into_view_if_needed()
    admin.locator(f"#{item_id} img").evaluate("img => img.decode()")
    scroll = admin.evaluate("window.scrollY")
    box = admin.locator(f"#{gallery}").bounding_box()
    item_box = item.bounding_box()

    admin.click(f"#{item_id} img")
    admin.wait_for_function(
        "id => document.activeElement?.matches(`#${id}.is-editing input[name=title]`)",
        arg=item_id,
    )
    assert admin.locator(f"form#{gallery}.editing").count() == 0  # not the gallery's editor
    assert admin.evaluate("window.scrollY") == scroll
    after = admin.locator(f"#{gallery}").bounding_box()
    assert abs(after["y"] - box["y"]) <= 1 and abs(after["height"] - box["height"]) <= 2, (
        box,
        after,
    )
    editing = admin.locator(f"#{item_id}").bounding_box()
    assert abs(editing["height"] - item_box["height"]) <= 2, (item_box, editing)

    # Esc puts the picture back.
    admin.keyboard.press("Escape")
    admin.locator(f"#{item_id}:not(.is-editing) img").wait_for()

    # The gallery's own settings (its title) keep the block's size too.
    admin.click(f"#{gallery} .gallery-title")
    admin.wait_for_function(
        "id => document.activeElement?.matches(`form#${id}.editing input[name=title]`)",
        arg=gallery,
    )
    assert admin.evaluate("window.scrollY") == scroll
    editor = admin.locator(f"form#{gallery}").bounding_box()
    assert abs(editor["height"] - box["height"]) <= 2, (box, editor)
    admin.keyboard.press("Escape")
    admin.locator(f"article#{gallery}").wait_for()


def test_a_click_on_a_host_metric_keeps_the_tile(admin):
    host = block_of(admin, "host")
    # Until its second sample the tile says that history fills in: measure it after.
    admin.locator(f"#{host} .host-note").wait_for(state="detached")
    before = admin.locator(f"#{host}").bounding_box()
    admin.click(f"#{host} .host-metric >> nth=0")
    admin.wait_for_timeout(800)
    assert admin.locator(f"form#{host}.editing").count() == 0
    assert admin.locator(f"article#{host} .host-tile .host-metric").count() >= 5
    assert admin.locator(f"#{host}").bounding_box()["height"] == pytest.approx(
        before["height"], abs=2
    )


def test_hosts_are_added_and_removed_from_the_panel_by_keyboard(admin):
    remote = block_of(admin, "remote_hosts")
    panel = open_panel(admin, remote)
    admin.keyboard.press("Tab")  # from the panel to its first control, then to the URL
    url = panel.locator("input[name=url]")
    url.focus()
    admin.keyboard.type("http://127.0.0.1:9/v1/uptime/")
    admin.keyboard.press("Tab")
    admin.keyboard.type("by keyboard")
    admin.keyboard.press("Enter")
    panel.locator(".remote-manage li", has_text="by keyboard").wait_for()
    admin.locator(f"#{remote} .remote-list .remote-title", has_text="by keyboard").wait_for()
    assert admin.locator(f"#{remote} .block-panel:popover-open").count() == 1

    admin.once("dialog", lambda dialog: dialog.accept())
    panel.get_by_role("button", name="Remove by keyboard").focus()
    admin.keyboard.press("Enter")
    panel.locator(".remote-manage li", has_text="by keyboard").wait_for(state="detached")
    settled(admin, f"#{remote} .block-panel:popover-open")
    assert (
        admin.locator(f"#{remote} .remote-list .remote-title", has_text="by keyboard").count() == 0
    )
    admin.keyboard.press("Escape")  # closes the panel; the focus goes back to Manage…
    admin.locator(f"#{remote} .block-panel").wait_for(state="hidden")
    admin.wait_for_function(
        "id => document.activeElement?.matches(`#${id} .block-tools [popovertarget]`)",
        arg=remote,
    )


def test_a_panel_closed_while_the_host_list_refreshes_stays_closed(admin):
    remote = block_of(admin, "remote_hosts")
    open_panel(admin, remote)
    # The user closes the panel as a refresh of the list beside it is being swapped in.
    admin.evaluate(
        """id => {
            const block = document.getElementById(id);
            document.addEventListener("htmx:beforeSwap", function close(event) {
                const target = event.detail.target;
                if (!target.matches(".remote-rows") || !block.contains(target)) return;
                document.removeEventListener("htmx:beforeSwap", close);
                block.querySelector(".block-panel:popover-open").hidePopover();
                window.closedDuringSwap = true;
            });
            const rows = block.querySelector(".remote-rows");
            const url = rows.getAttribute("hx-get");
            htmx.ajax("GET", url, { source: rows, target: rows, swap: "outerHTML" });
        }""",
        remote,
    )
    admin.wait_for_function("() => window.closedDuringSwap")
    admin.wait_for_timeout(500)  # a reopening follows the swap's settling at once
    assert admin.locator(f"#{remote} .block-panel:popover-open").count() == 0


def test_without_javascript_the_panels_open_and_their_forms_work(browser, demo_site):
    context = browser.new_context(viewport=WIDE, java_script_enabled=False)
    try:
        pg = context.new_page()
        pg.set_default_timeout(10_000)
        log_in(pg, demo_site.url)
        remote = block_of(pg, "remote_hosts")
        assert pg.locator(FORMS).filter(visible=True).count() == 0

        # The popover opens natively; its form posts and comes back to the page.
        pg.hover(f"#{remote}", position={"x": 8, "y": 8})
        pg.click(f"#{remote} .block-tools button:text('Manage…')")
        panel = pg.locator(f"#{remote} .block-panel")
        panel.locator("input[name=url]").fill("http://127.0.0.1:9/v1/uptime/")
        panel.locator("input[name=name]").fill("no script")
        panel.get_by_role("button", name="Add host").click()
        pg.wait_for_url(re.compile(r"/(#.*)?$"))
        pg.locator(f"#{remote} .remote-title", has_text="no script").wait_for()

        # A refused account comes back alone on a page, with its panel open and the reason.
        chart = block_of(pg, "chart")
        panel = open_panel(pg, chart)  # by keyboard this time
        panel.locator("select[name=platform]").select_option("github")
        panel.locator("input[name=handle]").fill("not a handle!")
        panel.get_by_role("button", name="Add account").click()
        pg.locator(".block-alone .block-panel .form-error").wait_for()
        form = pg.locator(".block-alone .block-panel .series-add")
        assert form.is_visible()
        form.locator("input[name=handle]").fill("octo-noscript")
        form.get_by_role("button", name="Add account").click()
        pg.locator(f"#{chart} .chart-label", has_text="octo-noscript").wait_for()
    finally:
        context.close()
