"""A real browser on the real site: an admin adds an image block and a gallery to a
page, uploads, edits and replaces the image, fills, reorders and trims the gallery;
a visitor then sees the result, with no edit controls and no editing scripts."""

import base64

import pytest

from tests.fixtures.images import picture
from tests.fixtures.servers import make_admin

DATA_TRANSFER = """([name, b64]) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], name, { type: "image/png" }));
    return transfer;
}"""


@pytest.fixture
def site(live_site):
    make_admin(live_site)
    return live_site


def png(color, size=(640, 420)) -> dict:
    return {
        "name": f"{color}.png",
        "mimeType": "image/png",
        "buffer": picture(size=size, color=color),
    }


def add_block(pg, kind: str) -> str:
    """Add a block of `kind` at the end of the page; its editor opens: returns its id."""
    known = set(pg.eval_on_selector_all("#blocks > .block", "els => els.map(e => e.id)"))
    tile = pg.locator(".adder-tile")
    tile.locator("select[name=kind]").select_option(kind)
    tile.locator("button").click()
    pg.wait_for_function(
        "n => document.querySelectorAll('#blocks > .block').length === n", arg=len(known) + 1
    )
    ids = pg.eval_on_selector_all("#blocks > .block", "els => els.map(e => e.id)")
    [new] = [i for i in ids if i not in known]
    return new


def item_titles(pg, block_id: str) -> list[str]:
    return pg.eval_on_selector_all(
        f"#{block_id} .gallery-item", "els => els.map(e => e.querySelector('img').alt)"
    )


def wait_loaded(pg, selector: str) -> None:
    pg.locator(selector).scroll_into_view_if_needed()
    pg.wait_for_function(
        "s => { const img = document.querySelector(s); return img?.naturalWidth > 0 }",
        arg=selector,
    )


def item_control(pg, item_id: str, control: str) -> None:
    """Click one of an item's controls, which show when the pointer is over the item."""
    pg.hover(f"#{item_id}", position={"x": 4, "y": 4})
    pg.click(f"#{item_id} {control}")


def open_panel(pg, block_id: str):
    """Open a block's panel with "Manage…" in its tools (shown on hover); returns it."""
    pg.hover(f"#{block_id}", position={"x": 8, "y": 8})
    pg.click(f"#{block_id} .block-tools button:text('Manage…')")
    panel = pg.locator(f"#{block_id} .block-panel:popover-open")
    panel.wait_for()
    return panel


# The first point of an element, on a grid over it, where a click reaches the element.
UNCOVERED = """el => {
  const box = el.getBoundingClientRect();
  for (let y = 0.1; y < 1; y += 0.1) for (let x = 0.1; x < 1; x += 0.1) {
    const at = [box.left + box.width * x, box.top + box.height * y];
    if (document.elementFromPoint(...at) === el) return at;
  }
  return null;
}"""


def click_uncovered(pg, selector: str) -> None:
    """Click `selector` where no tool shown under the pointer covers it (in a one-column
    block, a picture's upload control and the block's tools cover much of it)."""
    pg.hover(selector, force=True)  # shows what hovering shows, whatever is on top
    point = pg.eval_on_selector(selector, UNCOVERED)
    assert point, f"the tools shown over {selector} cover all of it"
    pg.mouse.click(*point)


def drag(pg, source: str, target: str) -> None:
    """Drag with the mouse, dropping just inside the target's left edge (so: before it)."""
    pg.locator(source).scroll_into_view_if_needed()
    start, end = pg.locator(source).bounding_box(), pg.locator(target).bounding_box()
    pg.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] - 10)
    pg.mouse.down()
    pg.mouse.move(end["x"] + 10, end["y"] + end["height"] - 10, steps=8)
    pg.mouse.up()


def screenshots(pg, tmp_path, who: str) -> None:
    """Phone and desktop screenshots (kept in tmp) with no sideways scrolling on either."""
    for width in (390, 1280):
        pg.set_viewport_size({"width": width, "height": 900})
        overflow = pg.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{who} page scrolls sideways by {overflow}px at {width}px"
        pg.screenshot(path=str(tmp_path / f"{who}-{width}.png"), full_page=True)


def test_admin_builds_an_image_and_a_gallery_and_a_visitor_sees_them(site, page, browser, tmp_path):
    url = site.url
    page.on("dialog", lambda dialog: dialog.accept())  # the "remove this item?" question
    page.goto(url + "/login")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", "boss-password")
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")

    # An image block: its editor opens at once; give it alt text, then a picture.
    image = add_block(page, "image")
    page.fill(f"form#{image} input[name=alt]", "A blue square")
    page.click(f"form#{image} button[type=submit]")
    page.locator(f"article#{image}").wait_for()
    with page.expect_response(lambda r: r.url.endswith("/image") and r.status == 200):
        page.set_input_files(f"#{image} .image-upload input[type=file]", png("blue"))
    wait_loaded(page, f"#{image} figure > img")
    first_src = page.get_attribute(f"#{image} figure > img", "src")

    # Click the picture where it stands: edit its alt text and caption in place.
    click_uncovered(page, f"#{image} figure > img")
    page.wait_for_function(  # the editor focuses its first field once it is in place
        "id => document.activeElement?.matches(`form#${id} input[name=alt]`)", arg=image
    )
    page.fill(f"form#{image} input[name=alt]", "A green field")
    page.fill(f"form#{image} textarea[name=caption]", "Grass in May.")
    page.keyboard.press("Control+Enter")
    page.locator(f"article#{image} figcaption").wait_for()
    assert page.inner_text(f"#{image} figcaption") == "Grass in May."
    assert page.get_attribute(f"#{image} figure > img", "alt") == "A green field"

    # Drop a new file on the picture: it replaces the old one.
    transfer = page.evaluate_handle(
        DATA_TRANSFER, ["green.png", base64.b64encode(picture(color="green")).decode()]
    )
    with page.expect_response(lambda r: r.url.endswith("/image") and r.status == 200):
        page.dispatch_event(f"#{image} figure", "dragover", {"dataTransfer": transfer})
        page.dispatch_event(f"#{image} figure", "drop", {"dataTransfer": transfer})
    page.wait_for_function(
        "([s, old]) => document.querySelector(s).getAttribute('src') !== old",
        arg=[f"#{image} figure > img", first_src],
    )
    wait_loaded(page, f"#{image} figure > img")

    # A gallery: a title, then three pictures at once.
    gallery = add_block(page, "gallery")
    page.fill(f"form#{gallery} input[name=title]", "Colours")
    page.click(f"form#{gallery} button[type=submit]")
    page.locator(f"article#{gallery}").wait_for()
    # Adding is in the block's panel, opened from its tools.
    open_panel(page, gallery)
    with page.expect_response(lambda r: r.url.endswith("/items") and r.status == 200):
        page.set_input_files(
            f"#{gallery} .gallery-add input[type=file]", [png(c) for c in ("red", "green", "blue")]
        )
    page.keyboard.press("Escape")
    page.wait_for_function(
        "s => document.querySelectorAll(s).length === 3", arg=f"#{gallery} .gallery-item"
    )
    ids = page.eval_on_selector_all(f"#{gallery} .gallery-item", "els => els.map(e => e.id)")

    def saved(action) -> None:
        """Do `action` and wait for the gallery's next version to be swapped in."""
        version = int(page.get_attribute(f"#{gallery} .gallery-block", "data-version"))
        action()
        page.wait_for_selector(f"#{gallery} .gallery-block[data-version='{version + 1}']")

    def edit_item(item_id, field, value):
        item_control(page, item_id, ".gallery-controls a")
        # The form focuses its title once swapped in; typing before that would be lost.
        page.wait_for_function(
            "id => document.activeElement?.matches(`#${id} input[name=title]`)", arg=item_id
        )
        page.fill(f"#{item_id} [name={field}]", value)
        page.click(f"#{item_id} button[type=submit]")

    # Name them, so their order can be read back.
    for item_id, title in zip(ids, ("Red", "Green", "Blue"), strict=True):
        saved(lambda item_id=item_id, title=title: edit_item(item_id, "title", title))
    assert item_titles(page, gallery) == ["Red", "Green", "Blue"]

    # Up and down buttons.
    saved(lambda: item_control(page, ids[0], "button[data-direction=down]"))
    assert item_titles(page, gallery) == ["Green", "Red", "Blue"]
    saved(lambda: item_control(page, ids[2], "button[data-direction=up]"))
    assert item_titles(page, gallery) == ["Green", "Blue", "Red"]

    # Drag and drop: Red in front of Green (the items move while dragging, and the
    # saved order comes back as the next version).
    saved(lambda: drag(page, f"#{ids[0]} img", f"#{ids[1]} img"))
    assert item_titles(page, gallery) == ["Red", "Green", "Blue"]

    # A caption for Green, and Blue removed.
    saved(lambda: edit_item(ids[1], "caption", "Moss after rain."))
    assert page.inner_text(f"#{ids[1]} .gallery-item-caption") == "Moss after rain."
    saved(lambda: item_control(page, ids[2], ".gallery-remove"))
    assert item_titles(page, gallery) == ["Red", "Green"]
    screenshots(page, tmp_path, "admin")

    # A visitor in a fresh browser context.
    visitor = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        vp = visitor.new_page()
        vp.goto(url + "/")
        wait_loaded(vp, f"#{image} figure > img")
        assert vp.get_attribute(f"#{image} figure > img", "alt") == "A green field"
        assert vp.inner_text(f"#{image} figcaption") == "Grass in May."
        assert item_titles(vp, gallery) == ["Red", "Green"]
        captions = vp.eval_on_selector_all(
            f"#{gallery} figcaption", "els => els.map(e => e.innerText.trim())"
        )
        assert captions == ["Red", "Green\nMoss after rain."]
        for index in (1, 2):
            wait_loaded(vp, f"#{gallery} .gallery-item:nth-child({index}) img")
        controls = ".block-tools, .image-upload, .gallery-controls, .gallery-add, [draggable]"
        assert vp.locator(controls).count() == 0
        scripts = vp.eval_on_selector_all("script[src]", "els => els.map(e => e.src)")
        assert not [s for s in scripts if "images.js" in s or "editor.js" in s]
        screenshots(vp, tmp_path, "visitor")
    finally:
        visitor.close()
