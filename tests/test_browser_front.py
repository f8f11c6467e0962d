"""The shared front end (static/js/site.js and what it drives) in a real browser on the
real site: the editing keys in the gallery item editor, an autosave that meets a newer
version, errors told in the toast, and the series-changed event that refreshes only
the charts showing the series a finished task changed."""

import base64
import html
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from statboard import create_app, tasks
from statboard.auth.users import find_user
from statboard.extensions import db
from statboard.pages.models import Block, Page
from statboard.series.samples import now_utc
from statboard.tasks.runner import wait_for

from tests.fixtures.images import picture
from tests.fixtures.servers import make_admin, start_site, stop
from tests.fixtures.tasks import TASK_IMPORTS
from tests.series_helpers import gen_account
from tests.test_browser_acceptance import log_in
from tests.test_browser_images import DATA_TRANSFER, add_block, item_control, open_panel
from tests.test_browser_pages import open_text_editor

UNREACHABLE = "Could not reach the site; check your connection and try again."


@pytest.fixture
def site(tmp_path, redis_url):
    """The site with an admin 'boss'; it knows the test task kinds. Its live events go
    through Redis, so that those of tasks this process runs reach its pages."""
    env = {"STATBOARD_TASK_IMPORTS": '["tests.fixtures.tasks"]', "STATBOARD_BROKER_URL": redis_url}
    site = start_site(tmp_path, env=env)
    make_admin(site)
    yield site
    stop(site.proc)


def server_sentence(response) -> str:
    """The sentence of an error answer: JSON's message, or errors/_error.html's text."""
    if "json" in response.headers.get("content-type", ""):
        return response.json()["message"]
    found = re.search(r'class="error-message"[^>]*>(.*?)</div>', response.text(), re.S)
    assert found, response.text()
    return html.unescape(found.group(1)).strip()


# --- the editing keys -------------------------------------------------------------


def test_esc_and_ctrl_enter_in_the_gallery_item_editor(site, page):
    log_in(page, site.url)
    gallery = add_block(page, "gallery")
    page.click(f"form#{gallery} button[type=submit]")
    page.locator(f"article#{gallery}").wait_for()
    # A picture dropped on the gallery goes in through the gallery's own add form, by htmx.
    # The new pictures are never shown dimmed as busy, not even while htmx settles them.
    page.evaluate(
        """() => {
            document.body.addEventListener('htmx:beforeRequest', (e) => {
                if (e.detail.elt.matches('.gallery-add')) window.sentByHtmx = true
            })
            window.dimmedPictures = false
            new MutationObserver(() => {
                if (document.querySelector('.gallery-block.is-busy .gallery-item')) {
                    window.dimmedPictures = true
                }
            }).observe(document.body, {subtree: true, childList: true, attributes: true})
        }"""
    )
    transfer = page.evaluate_handle(
        DATA_TRANSFER, ["red.png", base64.b64encode(picture(color="red")).decode()]
    )
    page.dispatch_event(f"#{gallery} .gallery-block", "dragover", {"dataTransfer": transfer})
    page.dispatch_event(f"#{gallery} .gallery-block", "drop", {"dataTransfer": transfer})
    page.wait_for_selector(f"#{gallery} .gallery-item")
    assert page.evaluate("window.sentByHtmx") is True
    assert page.evaluate("window.dimmedPictures") is False
    assert page.locator(f"#{gallery} .is-drop-target").count() == 0
    item = page.get_attribute(f"#{gallery} .gallery-item", "id")
    version = page.get_attribute(f"#{gallery} .gallery-block", "data-version")

    def open_item_editor():
        item_control(page, item, ".gallery-controls a")
        page.wait_for_function(
            "id => document.activeElement?.matches(`#${id} input[name=title]`)", arg=item
        )

    # Esc cancels: the item comes back as it was, and the gallery keeps its version.
    open_item_editor()
    page.keyboard.type("Not kept")
    page.keyboard.press("Escape")
    page.wait_for_selector(f"li#{item}:not(.is-editing) .gallery-controls")
    assert page.get_attribute(f"#{item} img", "alt") == "Untitled image"
    assert page.get_attribute(f"#{gallery} .gallery-block", "data-version") == version

    # Ctrl+Enter saves: the gallery comes back at its next version with the title.
    open_item_editor()
    page.keyboard.type("Kept")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(f"#{gallery} .gallery-block[data-version='{int(version) + 1}']")
    assert page.get_attribute(f"#{item} img", "alt") == "Kept"
    scripts = page.eval_on_selector_all("script[src]", "els => els.map(e => e.src)")
    assert [s for s in scripts if urlsplit(s).path.endswith("/js/site.js")]


# --- autosave ---------------------------------------------------------------------


def test_an_autosave_that_meets_a_newer_version_shows_the_conflict(site, page):
    log_in(page, site.url)
    text_id = page.get_attribute(".block--text", "id")
    form = page.locator(f"form#{text_id}")
    area = open_text_editor(page, text_id)
    version = int(form.locator("input[name=version]").input_value())

    # A pause saves what was typed; the editor stays open with the new version.
    page.keyboard.type(" one")
    state = form.locator("[data-save-state]")
    page.wait_for_function("el => el.dataset.state === 'saved'", arg=state.element_handle())
    assert state.inner_text() == "Saved"
    assert int(form.locator("input[name=version]").input_value()) == version + 1

    # Meanwhile the same admin saves the block from another tab.
    other = page.context.new_page()
    other.goto(site.url + "/")
    open_text_editor(other, text_id)
    other.keyboard.type(" two")
    other.keyboard.press("Control+Enter")
    other.locator(f"article#{text_id}").wait_for()
    other.close()

    # The first tab types on: its autosave names the old version and gets the conflict,
    # showing the other tab's text and keeping its own.
    area.locator("h2").click()
    page.keyboard.press("End")
    with page.expect_response(lambda r: r.status == 409):
        page.keyboard.type(" three")
    conflict = form.locator(".conflict[role=alert]")
    conflict.wait_for()
    assert "one two" in form.locator(".rt-area h2").inner_text()
    assert "three" not in form.locator(".rt-area h2").inner_text()
    assert "one three" in conflict.locator("details").text_content()
    assert int(form.locator("input[name=version]").input_value()) == version + 2


# --- errors -----------------------------------------------------------------------


def test_a_server_error_shows_its_sentence_in_the_toast(site, page):
    # Without its event stream, as when it cannot be opened: this page learns of no change.
    page.route("**/events?*", lambda route: route.abort())
    log_in(page, site.url)
    victim = page.get_attribute(".block--text", "id")
    toast = page.locator("#toast[role=alert]")
    assert toast.inner_text() == ""

    # Another tab deletes the block; this one, not knowing, clicks it to edit it.
    other = page.context.new_page()
    other.goto(site.url + "/")
    other.on("dialog", lambda dialog: dialog.accept())
    other.hover(f"#{victim}")
    other.click(f"#{victim} .block-tools a:text('Delete')")
    other.wait_for_selector(f"#{victim}", state="detached")
    other.close()
    with page.expect_response(lambda r: r.status == 404) as answer:
        page.click(f"#{victim} .block-body h2")
    sentence = server_sentence(answer.value)
    page.wait_for_function("el => el.textContent !== ''", arg=toast.element_handle())
    assert toast.inner_text() == sentence

    # With the site gone, the toast says so.
    stop(site.proc)
    page.click(".chart-ranges a >> nth=0")
    page.wait_for_function(
        "s => document.getElementById('toast').textContent === s", arg=UNREACHABLE
    )


# --- series-changed -----------------------------------------------------------------


@pytest.fixture
def charts(site):
    """A page 'charts' with two chart blocks, one per account; returns their block ids
    and account ids, and an app on the site's database (this process runs tasks)."""
    app = create_app(
        {
            "DATABASE_URL": site.env["STATBOARD_DATABASE_URL"],
            "TASK_IMPORTS": TASK_IMPORTS,
            "BROKER_URL": site.env["STATBOARD_BROKER_URL"],
        }
    )
    start = now_utc() - timedelta(days=5)
    samples = [(start + timedelta(days=d), 100 + d) for d in range(5)]
    alpha = gen_account(app, handle="Alpha", public=True, samples=samples)
    beta = gen_account(app, handle="Beta", public=True, samples=samples)
    with app.app_context():
        page = Page(slug="charts", title="Charts", is_public=True)
        blocks = [
            Block(kind="chart", data={"title": title, "accounts": [account], "range": "all"})
            for title, account in (("Alpha", alpha), ("Beta", beta))
        ]
        page.blocks.extend(blocks)
        db.session.add(page)
        db.session.commit()
        ids = [block.id for block in blocks]
    return {"app": app, "blocks": ids, "accounts": [alpha, beta]}


def mark_chart_bodies(pg):
    """Tag each chart body in place: a refetched body comes without the tag."""
    pg.evaluate("document.querySelectorAll('.chart-body').forEach(b => { b.dataset.old = '1' })")


def chart_refreshed(pg, block_id: int, timeout=10_000):
    pg.wait_for_selector(f"#chart-body-{block_id}:not([data-old])", timeout=timeout)


def admin_id(app) -> int:
    with app.app_context():
        return find_user("boss").id


def test_a_finished_task_refreshes_only_the_charts_of_its_series(site, page, charts):
    alpha_block, beta_block = charts["blocks"]
    log_in(page, site.url)
    page.goto(site.url + "/charts")
    for block_id in charts["blocks"]:
        page.locator(f"#chart-{block_id} .chart-canvas.chart-drawn").wait_for()
    assert page.inner_text(f"#chart-{alpha_block} .chart-latest") == "104"
    mark_chart_bodies(page)

    # A task adds a sample to Alpha; its progress shows in the chart's panel while it runs.
    app = charts["app"]
    with app.app_context():
        task_id = tasks.submit(
            "test.add_sample",
            owner=admin_id(app),
            account_id=charts["accounts"][0],
            followers=5000,
            pause=1.0,
        )
    open_panel(page, f"block-{alpha_block}")  # where the block's tasks show
    page.evaluate(
        "([url, target]) => htmx.ajax('GET', url, {target: target, swap: 'innerHTML'})",
        [f"/tasks/{task_id}", f"#series-tasks-{alpha_block}"],
    )
    page.locator(f"#task-{task_id}[data-state=SUCCESS]").wait_for()
    with app.app_context():
        assert wait_for(task_id, timeout=5).state == "SUCCESS"

    chart_refreshed(page, alpha_block)
    assert page.inner_text(f"#chart-{alpha_block} .chart-latest") == "5,000"
    page.locator(f"#chart-{alpha_block} .chart-canvas.chart-drawn").wait_for()
    page.wait_for_timeout(500)
    assert page.locator(f"#chart-body-{beta_block}[data-old]").count() == 1


def test_a_finished_import_refreshes_only_the_charts_of_its_series(site, page, charts):
    alpha_block, beta_block = charts["blocks"]
    log_in(page, site.url)
    page.goto(site.url + "/charts")
    page.locator(f"#chart-{alpha_block} .chart-canvas.chart-drawn").wait_for()
    mark_chart_bodies(page)

    csv = f"{(now_utc() - timedelta(hours=1)).isoformat()},7000\n".encode()
    panel = open_panel(page, f"block-{alpha_block}")  # imports are in the chart's panel
    importer = panel.locator(".series-actions form")
    importer.locator("input[type=file]").set_input_files(
        {"name": "Alpha-followers.csv", "mimeType": "text/csv", "buffer": csv}
    )
    importer.get_by_role("button", name="Import", exact=True).click()
    page.locator(f"#series-tasks-{alpha_block} .task-progress[data-state=SUCCESS]").wait_for()

    chart_refreshed(page, alpha_block, timeout=5_000)
    assert page.inner_text(f"#chart-{alpha_block} .chart-latest") == "7,000"
    page.wait_for_timeout(500)
    assert page.locator(f"#chart-body-{beta_block}[data-old]").count() == 1
