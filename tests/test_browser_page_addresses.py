"""A real browser: an admin makes a page from its title alone, renames its address and
follows the old link, deletes it (confirmed) and undoes that; the menu keeps marking the
page the admin is on while its head is edited in place."""

import pytest

from tests.test_browser_acceptance import log_in
from tests.test_browser_pages import admin_site  # noqa: F401 (a fixture)


@pytest.fixture
def admin(admin_site, page):  # noqa: F811
    log_in(page, admin_site.url)
    return page, admin_site.url


def current_in_nav(pg) -> list[str]:
    return pg.eval_on_selector_all(
        "#site-nav a[aria-current=page]", "els => els.map(e => e.textContent.trim())"
    )


def make_lab_page(pg, url):
    pg.click(".edit-nav")
    pg.locator(".new-page input[name=title]").fill("Lab Page")
    assert pg.locator(".new-page input[name=slug]").input_value() == ""
    pg.click(".new-page button[type=submit]")
    pg.wait_for_url(url + "/lab-page")
    assert pg.inner_text("#page-head h1") == "Lab Page"


def test_a_page_made_from_its_title_renamed_then_reached_by_its_old_link(admin):
    pg, url = admin
    make_lab_page(pg, url)
    assert current_in_nav(pg) == ["Lab Page"]

    # Rename the address in place: the page moves, the menu follows.
    pg.click(".page-settings")
    pg.locator("#page-head input[name=slug]").fill("Lab Notes")
    with pg.expect_request(lambda r: r.resource_type == "document") as loaded:
        pg.click("#page-head button[type=submit]")
    # The answer sends the browser on, once: the rename's live event, which may come
    # before the answer, leaves the address to it.
    assert loaded.value.url == url + "/lab-notes"
    pg.wait_for_url(url + "/lab-notes")
    assert current_in_nav(pg) == ["Lab Page"]

    # The old link still works, query and all.
    pg.goto(url + "/lab-page?from=old-link")
    assert pg.url == url + "/lab-notes?from=old-link"
    assert pg.inner_text("#page-head h1") == "Lab Page"


def test_a_field_clicked_as_the_editor_opens_keeps_the_focus(admin):
    pg, url = admin
    make_lab_page(pg, url)
    # The user's click lands between the editor's swap and htmx's settling of it, when
    # the editor gives its first field the focus.
    pg.evaluate("""() => document.addEventListener("htmx:afterSwap", () => {
        document.querySelector("#page-head.editing input[name=slug]")?.focus();
    })""")
    pg.click(".page-settings")
    pg.locator("#page-head.editing[data-editor-ready]").wait_for()
    assert pg.evaluate("document.activeElement.name") == "slug"


def test_the_menu_keeps_the_current_page_marked_after_editing_its_head(admin):
    pg, url = admin
    make_lab_page(pg, url)
    pg.click(".page-settings")
    pg.locator("#page-head input[name=title]").fill("Lab Bench")
    with pg.expect_response(lambda r: r.url.endswith("/settings") and r.status == 200):
        pg.click("#page-head button[type=submit]")
    pg.locator("#site-nav a", has_text="Lab Bench").wait_for()
    assert current_in_nav(pg) == ["Lab Bench"]
    # Editing the menu and leaving it ("Done") keeps the mark too.
    pg.click(".edit-nav")
    pg.locator(".nav-editor").wait_for()
    pg.click(".nav-editor a.button:text('Done')")
    pg.locator("#site-nav:not(.nav-editor)").wait_for()
    assert current_in_nav(pg) == ["Lab Bench"]
    pg.wait_for_timeout(500)  # any live refresh of the menu after the save came and went
    assert current_in_nav(pg) == ["Lab Bench"]


def test_delete_a_page_confirmed_then_undo(admin, browser):
    pg, url = admin
    make_lab_page(pg, url)
    pg.click(".page-settings")
    pg.click("#page-head .delete-page")
    pg.wait_for_url(url + "/pages/lab-page/delete")
    assert "Delete the page “Lab Page”?" in pg.inner_text("h1")
    pg.click("button.danger")
    pg.wait_for_url(url + "/")
    notice = pg.locator(".page-deleted")
    assert "Deleted “Lab Page”" in notice.inner_text()
    assert pg.locator("#site-nav a", has_text="Lab Page").count() == 0
    assert pg.goto(url + "/lab-page").status == 404

    pg.go_back()
    pg.goto(url + "/")  # the notice was said once; the menu editor still offers the undo
    assert pg.locator(".page-deleted").count() == 0
    pg.click(".edit-nav")
    pg.locator(".deleted-pages button:text('Undo')").click()
    pg.wait_for_url(url + "/lab-page")
    assert pg.inner_text("#page-head h1") == "Lab Page"
    assert pg.locator("#site-nav a", has_text="Lab Page").count() == 1


def test_undo_right_after_the_delete(admin):
    pg, url = admin
    make_lab_page(pg, url)
    pg.goto(url + "/pages/lab-page/delete")
    pg.click("button.danger")
    pg.wait_for_url(url + "/")
    pg.locator(".page-deleted button:text('Undo')").click()
    pg.wait_for_url(url + "/lab-page")
    assert current_in_nav(pg) == ["Lab Page"]
