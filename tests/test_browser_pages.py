"""A real browser on the real site: an admin edits a text block in place and reorders
blocks; a visitor then sees the result and no edit controls."""

import pytest

from tests.fixtures.servers import make_admin


@pytest.fixture
def admin_site(live_site):
    """The live site with an admin 'boss' made in its own database."""
    make_admin(live_site)
    return live_site


def open_text_editor(pg, block_id: str):
    """Click the text where it stands; returns its rich-text area, caret at the heading's end."""
    pg.click(f"#{block_id} .block-body h2")
    area = pg.locator(f"form#{block_id} .rt-area")
    area.wait_for()
    area.locator("h2").click()
    pg.keyboard.press("End")
    return area


def block_order(pg):
    return pg.eval_on_selector_all("#blocks > .block", "els => els.map(e => e.id)")


def test_admin_edits_in_place_and_visitor_sees_it(admin_site, page, browser):
    url = admin_site.url
    page.goto(url + "/login")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", "boss-password")
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")

    # Click the text where it stands: the editor opens in its place.
    text_id = page.get_attribute(".block--text", "id")
    open_text_editor(page, text_id)
    page.keyboard.type(" and welcome back")
    page.keyboard.press("Control+Enter")
    shown = page.locator(f"article#{text_id} h2")
    shown.wait_for()
    assert shown.inner_text() == "Welcome to Statboard and welcome back"

    # Drag the block after the text above the text by its handle.
    before = block_order(page)
    at = before.index(text_id)
    second = before[at + 1]
    page.hover(f"#{second}")
    with page.expect_response(lambda r: r.url.endswith("/move") and r.status == 200):
        page.drag_and_drop(
            f"#{second} .drag-handle", f"#{text_id}", target_position={"x": 20, "y": 10}
        )
    page.wait_for_function(
        "([id, at]) => document.querySelectorAll('#blocks > .block')[at]?.id === id",
        arg=[second, at],
    )
    assert block_order(page)[at : at + 2] == [second, text_id]

    # A visitor in a fresh browser context: the new text, the new order, no edit controls.
    visitor = browser.new_context()
    try:
        vp = visitor.new_page()
        vp.goto(url + "/")
        assert "Welcome to Statboard and welcome back" in vp.inner_text(f"#{text_id} h2")
        assert block_order(vp)[at : at + 2] == [second, text_id]
        assert vp.locator(".block-tools, .edit-nav, .page-settings, .adder").count() == 0
        scripts = vp.eval_on_selector_all("script[src]", "els => els.map(e => e.src)")
        assert not [s for s in scripts if "editor" in s or "richtext" in s]
        vp.click(f"#{text_id} h2")
        assert vp.locator("form.editing").count() == 0
    finally:
        visitor.close()
