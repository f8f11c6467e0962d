"""Drafts, undo, history and the editing keys in a real browser, on the real site.

A new block stays out of visitors' sight until it is saved with content; a delete
shows "Deleted · Undo" (and says when it is too late); an earlier version comes back
from the block's history; Esc after an autosave puts back what the editor opened on;
leaving with unsaved changes asks first; ↑/↓ keep the focus; a refused autosave marks
its field."""

import time
import urllib.request

import pytest

from tests.fixtures.servers import make_admin, start_site, stop
from tests.test_browser_acceptance import log_in
from tests.test_browser_pages import block_order, open_text_editor

UNDO_SECONDS = 6  # the site's BLOCK_UNDO_SECONDS here: long enough to undo in time


@pytest.fixture
def site(tmp_path):
    site = start_site(tmp_path, env={"STATBOARD_BLOCK_UNDO_SECONDS": str(UNDO_SECONDS)})
    try:
        make_admin(site)
        yield site
    finally:
        stop(site.proc)


@pytest.fixture
def admin(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    log_in(pg, site.url)
    pg.wait_for_selector("#live-status[data-state=live]")
    yield pg
    context.close()


def plain_get(url: str) -> str:
    request = urllib.request.Request(url, headers={"Accept": "text/html"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def text_id(pg) -> str:
    return pg.get_attribute("#blocks > .block--text", "id")


def add_block(pg, kind: str) -> str:
    """Add a block of `kind` at the end of the page; its editor opens. Returns its id."""
    adder = pg.locator(".adder-tile form.adder")
    adder.locator("select[name=kind]").select_option(kind)
    before = set(block_order(pg))
    adder.get_by_role("button", name="Add").click()
    pg.wait_for_selector("form.block.editing")
    new = pg.get_attribute("form.block.editing", "id")
    assert new not in before
    return new


def test_a_draft_is_seen_by_admins_only_until_saved_with_content(site, admin, browser):
    visitor_context = browser.new_context()
    try:
        visitor = visitor_context.new_page()
        visitor.goto(site.url + "/")
        visitor.wait_for_selector("#live-status[data-state=live]")
        new = add_block(admin, "text")
        admin.keyboard.press("Escape")  # nothing typed: the draft stays as it was
        admin.wait_for_selector(f"article#{new}.draft .draft-mark")
        assert admin.text_content(f"#{new} .draft-mark") == "Draft"

        # Neither a visitor's open page, nor a fresh one, nor a plain GET shows it.
        visitor.wait_for_timeout(500)
        assert visitor.locator(f"#{new}").count() == 0
        visitor.reload()
        assert visitor.locator(f"#{new}").count() == 0
        html = plain_get(site.url + "/")
        assert f'id="{new}"' not in html and "New text. Click to edit." not in html

        # Saved with content of its own, it shows to the visitor at once, unmarked.
        admin.click(f"#{new} .block-body")
        area = admin.locator(f"form#{new} .rt-area")
        area.wait_for()
        area.fill("Opening hours: 9 to 5")
        admin.keyboard.press("Control+Enter")
        admin.wait_for_selector(f"article#{new}:not(.draft)")
        visitor.wait_for_selector(f"#{new}")
        assert "Opening hours" in visitor.inner_text(f"#{new}")
        assert visitor.locator(f"#{new} .draft-mark").count() == 0
        assert "Opening hours" in plain_get(site.url + "/")
    finally:
        visitor_context.close()


def test_a_delete_can_be_undone_in_time_and_says_when_too_late(site, admin):
    order = block_order(admin)
    victim = order[1]
    number = victim.removeprefix("block-")
    admin.hover(f"#{victim}")
    admin.click(f"#{victim} .block-tools a:text('Delete')")
    note = admin.locator(f"#undo-{number}")
    note.wait_for()
    assert "Deleted" in note.inner_text()
    assert victim not in plain_get(site.url + "/")
    note.get_by_role("button", name="Undo").click()
    admin.wait_for_selector(f"article#{victim}")
    assert block_order(admin) == order
    assert f'id="{victim}"' in plain_get(site.url + "/")

    # Too late: the note is still there, and says so when pressed.
    admin.hover(f"#{victim}")
    admin.click(f"#{victim} .block-tools a:text('Delete')")
    note.wait_for()
    time.sleep(UNDO_SECONDS + 1)
    note.get_by_role("button", name="Undo").click()
    admin.wait_for_function(
        "n => document.querySelector(`#undo-${n} [data-status]`).textContent.includes('Too late')",
        arg=number,
    )
    assert victim not in block_order(admin)


def test_an_earlier_version_is_restored_from_the_history(site, admin):
    block = text_id(admin)
    for words in (" one", " two"):
        open_text_editor(admin, block)
        admin.keyboard.type(words)
        admin.keyboard.press("Control+Enter")
        admin.wait_for_selector(f"article#{block}")
    assert admin.inner_text(f"#{block} h2") == "Welcome to Statboard one two"

    admin.hover(f"#{block}")
    admin.click(f"#{block} .block-tools a:text('History')")
    panel = admin.locator(f"section#{block}.history-panel")
    panel.wait_for()
    assert "Version 3" in panel.inner_text() and "boss" in panel.inner_text()
    panel.get_by_role("button", name="Restore version 2").click()
    admin.wait_for_selector(f"article#{block}")
    assert admin.inner_text(f"#{block} h2") == "Welcome to Statboard one"
    assert "Welcome to Statboard one</h2>" in plain_get(site.url + "/")

    # The restore is a version of its own, listed in the history.
    admin.hover(f"#{block}")
    admin.click(f"#{block} .block-tools a:text('History')")
    panel.wait_for()
    assert "Version 4" in panel.inner_text()


def test_esc_after_an_autosave_puts_back_what_the_editor_opened_on(site, admin):
    block = text_id(admin)
    open_text_editor(admin, block)
    admin.keyboard.type(" and more")
    admin.wait_for_selector(f"form#{block} [data-save-state][data-state=saved]")
    assert "and more" in plain_get(site.url + "/")  # the autosave is on the page
    admin.keyboard.press("Escape")
    admin.wait_for_selector(f"article#{block}")
    assert admin.inner_text(f"#{block} h2") == "Welcome to Statboard"
    assert "and more" not in plain_get(site.url + "/")


def test_leaving_with_unsaved_changes_asks_first(site, admin):
    dialogs = []

    def stay(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    admin.on("dialog", stay)
    block = text_id(admin)
    open_text_editor(admin, block)
    admin.keyboard.type(" unsaved")
    admin.click("a.brand", no_wait_after=True)  # before the autosave
    deadline = time.monotonic() + 5
    while not dialogs and time.monotonic() < deadline:
        admin.wait_for_timeout(100)
    assert dialogs == ["beforeunload"]
    assert admin.locator(f"form#{block}.editing").count() == 1  # still here, still editing

    # Once saved, leaving asks nothing.
    admin.wait_for_selector(f"form#{block} [data-save-state][data-state=saved]")
    admin.click("a.brand")
    admin.wait_for_selector(f"article#{block}")
    assert dialogs == ["beforeunload"]


def test_moves_by_keyboard_keep_the_focus(site, admin):
    order = block_order(admin)
    first = order[0].removeprefix("block-")
    admin.focus(f"#move-down-{first}")
    for place in (1, 2):
        admin.keyboard.press("Enter")
        admin.wait_for_function(
            "([id, i]) => document.querySelectorAll('#blocks > .block')[i]?.id === id",
            arg=[order[0], place],
        )
        admin.wait_for_function(
            "id => document.activeElement && document.activeElement.id === id",
            arg=f"move-down-{first}",
        )
    assert block_order(admin)[:3] == [order[1], order[2], order[0]]

    # The navigation editor: two more pages, then Home goes down twice by Enter.
    for title in ("Second", "Third"):
        admin.goto(site.url + "/nav/edit")
        admin.fill(".new-page input[name=title]", title)
        admin.fill(".new-page input[name=slug]", title.lower())
        admin.click(".new-page button[type=submit]")
        admin.wait_for_url(f"{site.url}/{title.lower()}")
    admin.goto(site.url + "/nav/edit")
    down = "button[aria-label='Move Home down in the menu']"
    admin.focus(down)
    for place in (1, 2):
        admin.keyboard.press("Enter")
        admin.wait_for_function(
            "([i]) => document.querySelectorAll('.nav-row > a')[i]?.textContent === 'Home'",
            arg=[place],
        )
        admin.wait_for_function(
            "() => document.activeElement?.getAttribute('aria-label') === "
            "'Move Home down in the menu'"
        )


def test_a_refused_autosave_marks_the_field_it_names(site, admin):
    new = add_block(admin, "event")
    form = admin.locator(f"form#{new}")

    def marked(name: str) -> str:
        field = form.locator(f"[name={name}]")
        form.locator("[data-save-state][data-state=failed]").wait_for()
        assert field.get_attribute("aria-invalid") == "true"
        return admin.text_content(f"#{field.get_attribute('aria-describedby')}")

    # Refused by the browser (a required field left empty) ...
    form.locator("input[name=title]").fill("")
    assert marked("title")
    form.locator("input[name=title]").fill("Team lunch")
    form.locator("[data-save-state][data-state=saved]").wait_for()
    assert form.locator("input[name=title]").get_attribute("aria-invalid") is None

    # ... and by the server, which names the field and says what to fix.
    form.locator("input[name=tz]").fill("Mars/Olympus")
    assert "time zone" in marked("tz")
    form.locator("input[name=tz]").fill("Europe/Berlin")
    form.locator("[data-save-state][data-state=saved]").wait_for()
    assert form.locator("[aria-invalid=true]").count() == 0
