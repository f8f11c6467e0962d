"""What a newcomer does, in a real browser against the real site with its demo home page.

One site serves the whole module. An admin edits every non-image block kind in place,
adds, deletes and reorders blocks, swaps chart ranges, watches the host tiles and a
counter update themselves; a visitor then sees the result and no editing at all.
The last test is the README's first steps without a browser: `python run.py` on a
fresh database prints an admin password once, and that password logs in.
"""

import re
import threading
import time

import httpx
import pytest

from tests.fixtures.servers import make_admin, start_site, stop

KINDS = ["text", "event", "chart", "host", "remote_hosts", "counter"]
MARKER = "window.__sameDocument"


class Output:
    """Reads a server's output in a thread, so that a full pipe never stalls it."""

    def __init__(self, proc):
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(proc.stdout,), daemon=True)
        self._thread.start()

    def _read(self, stream):
        for line in stream:
            self.lines.append(line)

    def wait_for(self, pattern: str, timeout: float = 20.0) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if found := re.search(pattern, line):
                    return found
            time.sleep(0.05)
        raise AssertionError(f"no line matched {pattern!r} in:\n{''.join(self.lines)}")


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    """The site as `python run.py` serves it on first start, plus an admin 'boss'.
    Host tiles refresh and remote hosts are checked every second to keep waits short."""
    env = {
        "STATBOARD_HOST_REFRESH_SECONDS": "1",
        "STATBOARD_HOST_SAMPLE_SECONDS": "1",
        "STATBOARD_HOST_CHECK_SECONDS": "1",
        "STATBOARD_COUNTER_BLOCK_POLL_SECONDS": "1",
        "STATBOARD_LOG_LEVEL": "WARNING",
    }
    site = start_site(tmp_path_factory.mktemp("acceptance"), env=env)
    site.output = Output(site.proc)
    make_admin(site)
    yield site
    stop(site.proc)


def log_in(pg, url):
    pg.goto(url + "/login")
    pg.fill("input[name=username]", "boss")
    pg.fill("input[name=password]", "boss-password")
    pg.click("button[type=submit]")
    pg.wait_for_url(url + "/")


@pytest.fixture
def admin(browser, demo_site):
    """A logged-in admin's page on the home page, with a marker that a reload would lose."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    log_in(pg, demo_site.url)
    pg.evaluate(f"{MARKER} = true")
    yield pg
    context.close()


def no_reload(pg) -> bool:
    return pg.evaluate(MARKER) is True


def block_ids(pg) -> list[str]:
    return pg.eval_on_selector_all("#blocks > .block", "els => els.map(e => e.id)")


def first_block(pg, kind: str) -> str:
    return pg.get_attribute(f"#blocks > article.block--{kind}", "id")


def open_editor(pg, block_id: str):
    """Open a block's editor from its tools, reached by keyboard focus (as by Tab)."""
    edit = pg.locator(f"article#{block_id} .block-tools a.tool", has_text="Edit")
    edit.focus()
    # Focus shows the tools (they fade in).
    pg.wait_for_function(
        "el => getComputedStyle(el.closest('.block-tools')).opacity === '1'",
        arg=edit.element_handle(),
        timeout=2_000,
    )
    pg.keyboard.press("Enter")
    return editor_ready(pg, block_id)


def settled(pg, selector: str) -> None:
    """Wait until `selector` is on the page and htmx has settled it: a swap marks what it
    brings .htmx-added until its controls work (before, a click is a plain link's)."""
    pg.wait_for_function(
        "s => { const el = document.querySelector(s); return el && !el.closest('.htmx-added'); }",
        arg=selector,
    )


def editor_ready(pg, block_id: str, kind: str = ""):
    """A block's editor once keys reach it: htmx has settled it and its first field has
    the focus. Its form shows a moment earlier (longer on a busy machine), and an Esc
    pressed then goes to the page, not to the editor."""
    form = pg.locator(f"form#{block_id}.editing" + (f".block--{kind}" if kind else ""))
    form.wait_for()
    pg.wait_for_function(
        "id => document.getElementById(id)?.contains(document.activeElement)", arg=block_id
    )
    return form


def save(pg, form, how: str):
    if how == "ctrl+enter":
        form.locator("input:not([type=hidden]), textarea, .rt-area").first.focus()
        pg.keyboard.press("Control+Enter")
    else:
        form.get_by_role("button", name="Save").click()


# --- 1. every kind edits in place ---------------------------------------------------

# kind -> (fields to fill: name -> value, how to save, what the re-rendered block shows)
EDITS = {
    "event": (
        {"title": "Meet-up, moved", "tz": "America/New_York"},
        "ctrl+enter",
        ["Meet-up, moved", "(America/New_York)"],
    ),
    "chart": ({"title": "Followers, renamed"}, "button", ["Followers, renamed"]),
    "host": ({"title": "The box", "range": "24h"}, "ctrl+enter", ["The box"]),
    "remote_hosts": ({"title": "Neighbours", "range": "24h"}, "button", ["Neighbours"]),
    "counter": ({"key": "song/2", "title": "Plays of song 2"}, "ctrl+enter", ["Plays of song 2"]),
}


def fill(form, values: dict):
    for name, value in values.items():
        field = form.locator(f"[name={name}]")
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def test_text_edits_where_it_stands_and_esc_cancels(admin):
    text_id = first_block(admin, "text")
    # Clicking the text itself opens the rich-text editor in its place.
    admin.click(f"article#{text_id} .rich-text p")
    area = admin.locator(f"form#{text_id} .rt-area")
    area.wait_for()
    area.locator("p").first.click()
    admin.keyboard.press("End")
    admin.keyboard.type(" Edited in place.")
    admin.keyboard.press("Control+Enter")
    shown = admin.locator(f"article#{text_id} .rich-text")
    shown.wait_for()
    assert "Edited in place." in shown.inner_text()

    # Esc throws away what was typed and shows the saved text again.
    admin.click(f"article#{text_id} .rich-text p")
    area.wait_for()
    area.locator("p").first.click()
    admin.keyboard.type("DISCARD ME")
    admin.keyboard.press("Escape")
    shown.wait_for()
    assert "DISCARD ME" not in shown.inner_text()
    assert "Edited in place." in shown.inner_text()
    assert no_reload(admin)


@pytest.mark.parametrize("kind", list(EDITS))
def test_a_block_edits_in_place(admin, demo_site, kind):
    values, how, expected = EDITS[kind]
    block_id = first_block(admin, kind)
    before = admin.inner_text(f"article#{block_id}")

    # Esc cancels: nothing typed reaches the block.
    form = open_editor(admin, block_id)
    fill(form, {name: "Not saved" for name in values if name == "title"})
    form.locator("input:not([type=hidden])").first.focus()
    admin.keyboard.press("Escape")
    admin.locator(f"article#{block_id}").wait_for()
    assert "Not saved" not in admin.inner_text(f"article#{block_id}")

    # The engine's wrapper brings one form, its token, the version and the buttons.
    form = open_editor(admin, block_id)
    assert form.locator("form").count() == 0, "a kind's fields must not bring their own form"
    assert form.locator("input[name=csrf_token]").count() == 1
    assert form.locator("input[name=version]").count() == 1
    assert form.get_by_role("button", name="Save").count() == 1
    fill(form, values)
    save(admin, form, how)

    article = admin.locator(f"article#{block_id}")
    article.wait_for()
    for text in expected:
        admin.wait_for_function(
            "([id, text]) => document.getElementById(id)?.innerText.includes(text)",
            arg=[block_id, text],
        )
    assert article.inner_text() != before
    if "range" in values:
        current = article.locator(".host-ranges a[aria-current]")
        assert current.first.inner_text() == values["range"]
    if kind == "counter":
        assert article.locator(".counter-key").inner_text() == "POST /counters/song/2"
        # Back to the demo's key with the Save button, for the live counter test.
        form = open_editor(admin, block_id)
        fill(form, {"key": "song/1", "title": "Plays of song 1"})
        save(admin, form, "button")
        admin.wait_for_function(
            "id => document.querySelector(`#${id} .counter-key`)?.innerText.endsWith('/song/1')",
            arg=block_id,
        )
    assert no_reload(admin)


# --- 2. add, delete, reorder -----------------------------------------------------------


def test_add_delete_and_reorder_blocks(admin):
    # As on a busy machine: a new editor shows well before htmx settles it.
    admin.evaluate("htmx.config.defaultSettleDelay = 500")
    for kind in KINDS:
        before = block_ids(admin)
        first = before[0]
        admin.hover(f"#{first}")
        admin.click(f"#{first} .add-after summary")
        adder = admin.locator(f"#{first} .add-after form.adder")
        adder.locator("select[name=kind]").select_option(kind)
        adder.get_by_role("button", name="Add").click()
        # The new block opens for editing between the first block and the one after it.
        admin.wait_for_function(
            "n => document.querySelectorAll('#blocks > .block').length === n", arg=len(before) + 1
        )
        after = block_ids(admin)
        new_id = after[1]
        assert new_id not in before and after[0] == first and after[2] == before[1]
        editor_ready(admin, new_id, kind)
        admin.keyboard.press("Escape")
        settled(admin, f"article#{new_id}.block--{kind}")

    # Delete asks nothing: the block makes way for "Deleted · Undo", and Undo brings
    # it back in its place.
    victim = block_ids(admin)[1]
    order = block_ids(admin)
    admin.hover(f"#{victim}")
    admin.click(f"#{victim} .block-tools a:text('Delete')")
    admin.wait_for_selector(f"#{victim}", state="detached")
    note_id = f"#undo-{victim.removeprefix('block-')}"
    settled(admin, f"{note_id} button")
    note = admin.locator(note_id)
    assert "Deleted" in note.inner_text()
    note.get_by_role("button", name="Undo").click()
    settled(admin, f"#{victim} .block-tools a")
    assert block_ids(admin) == order
    admin.hover(f"#{victim}")
    admin.click(f"#{victim} .block-tools a:text('Delete')")
    admin.wait_for_selector(f"#{victim}", state="detached")

    # Reorder with the keyboard: focus the down button, press Enter, then up again.
    order = block_ids(admin)
    settled(admin, f"#{order[0]} button[aria-label='Move block down']")
    down = admin.locator(f"#{order[0]} button[aria-label='Move block down']")
    down.focus()
    admin.keyboard.press("Enter")
    admin.wait_for_function(
        "id => document.querySelectorAll('#blocks > .block')[1]?.id === id", arg=order[0]
    )
    assert block_ids(admin)[:2] == [order[1], order[0]]
    settled(admin, f"#{order[0]} button[aria-label='Move block up']")
    up = admin.locator(f"#{order[0]} button[aria-label='Move block up']")
    up.focus()
    admin.keyboard.press("Enter")
    admin.wait_for_function(
        "id => document.querySelector('#blocks > .block')?.id === id", arg=order[0]
    )
    assert block_ids(admin) == order
    assert no_reload(admin)


# --- 3. the chart ---------------------------------------------------------------------


def test_chart_ranges_swap_in_place_with_hover_values(admin):
    # The demo's chart (an empty one may have been added between the blocks).
    chart = admin.locator("#blocks > article.block--chart", has=admin.locator(".chart-stats"))
    for label in ["7 days", "30 days", "1 year", "All"]:
        chart.locator(".chart-ranges a", has_text=label).click()
        chart.locator(f".chart-ranges a[aria-current='true']:text-is('{label}')").wait_for()
        chart.locator(".chart-canvas.chart-drawn canvas").wait_for()
        latest = chart.locator(".chart-latest").first.inner_text()
        assert re.fullmatch(r"[\d,]+", latest), latest
        assert f"over {label.lower()}" in chart.locator(".chart-change").first.inner_text()

        value = chart.locator(".u-legend .u-series").nth(1).locator(".u-value")
        assert value.inner_text() == "–"
        box = chart.locator(".u-over").bounding_box()
        admin.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + box["height"] / 2)
        admin.wait_for_function(
            "el => /\\d/.test(el.textContent)", arg=value.element_handle(), timeout=5_000
        )
        admin.mouse.move(0, 0)
    assert no_reload(admin)


# --- 4. host tiles ----------------------------------------------------------------------


def test_host_tiles_show_this_host_and_the_demo_host_up(admin):
    tile = admin.locator("#blocks > article.block--host .host-tile").first
    tile_url = f"/blocks/{tile.get_attribute('id').removeprefix('host-tile-')}/tile?"
    terms = [t.upper() for t in tile.locator(".host-metric dt").all_inner_texts()]
    for metric in ["CPU", "MEMORY", "LOAD", "DISK READ", "DISK WRITE"]:
        assert any(t.startswith(metric) for t in terms), terms
    assert tile.locator(".host-uptime").inner_text().startswith("up ")
    assert tile.locator(".host-disks li").count() >= 1

    count = len(block_ids(admin))
    for _ in range(2):  # it refreshes itself, in place, inside its block
        with admin.expect_response(lambda r: tile_url in r.url, timeout=5_000):
            pass
    admin.wait_for_timeout(1500)
    assert len(block_ids(admin)) == count
    assert admin.locator("#blocks > article.block--host > .block-body > .host-tile").count() >= 1

    # The demo's block: hosts belong to the block they were added on, and an earlier
    # test added an empty "Other hosts" block above it.
    remote = admin.locator("#blocks > article.block--remote_hosts", has_text="this site").first
    remote.locator(".remote-up .remote-title:text('this site')").wait_for(timeout=15_000)
    assert "up ·" in remote.locator(".remote-up small").first.inner_text()
    assert no_reload(admin)


# --- 5. the counter ---------------------------------------------------------------------


def test_counter_block_follows_plain_http_posts(admin, demo_site):
    counter = admin.locator("#blocks > article.block--counter", has_text="/counters/song/1")
    counter_id = counter.get_attribute("id")
    start = int(counter.locator(".counter-value data").get_attribute("value"))
    count = len(block_ids(admin))
    with httpx.Client(base_url=demo_site.url, timeout=5) as http:
        answers = [http.post("/counters/song/1") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [int(a.text) for a in answers] == [start + 1, start + 2, start + 3]
    admin.wait_for_function(
        "([id, n]) => document.querySelector(`#${id} .counter-value data`)"
        "?.getAttribute('value') === String(n)",
        arg=[counter_id, start + 3],
        timeout=8_000,
    )
    assert counter.locator(".counter-value").inner_text() == f"{start + 3:,}"
    assert len(block_ids(admin)) == count  # the poll swapped only the values
    assert no_reload(admin)


# --- 6. a visitor ----------------------------------------------------------------------


def test_a_visitor_sees_the_result_and_no_editing(admin, browser, demo_site):
    text_id = first_block(admin, "text")
    admin.click(f"article#{text_id} .rich-text p")
    admin.locator(f"form#{text_id} .rt-area p").first.click()
    admin.keyboard.press("End")
    admin.keyboard.type(" Seen by visitors.")
    admin.keyboard.press("Control+Enter")
    admin.wait_for_selector(f"article#{text_id} .rich-text:has-text('Seen by visitors.')")
    # The blocks added above and never saved with content are drafts: admins' only.
    order = admin.eval_on_selector_all("#blocks > .block:not(.draft)", "els => els.map(e => e.id)")

    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        vp = context.new_page()
        vp.set_default_timeout(10_000)
        vp.goto(demo_site.url + "/")
        assert "Seen by visitors." in vp.inner_text(f"#{text_id}")
        assert block_ids(vp) == order
        edit_controls = ".block-tools, .adder, .edit-nav, .page-settings, .remote-add, .chart-admin"
        assert vp.locator(edit_controls).count() == 0
        scripts = vp.eval_on_selector_all("script[src]", "els => els.map(e => e.src)")
        assert scripts and not [s for s in scripts if re.search(r"editor|richtext|images", s)]
        vp.click(f"#{text_id} .rich-text p")
        vp.wait_for_timeout(300)
        assert vp.locator("form.editing").count() == 0
        # Asking for the editor directly gets a login, not the form.
        edit_url = f"{demo_site.url}/blocks/{text_id.removeprefix('block-')}/edit"
        answer = vp.request.get(edit_url, max_redirects=0)
        assert answer.status in (302, 303, 401, 403)
        assert "/login" in answer.headers.get("location", "/login")
        assert "editing" not in answer.text()
    finally:
        context.close()


# --- the README's newcomer path, over plain HTTP ------------------------------------------

PASSWORD_LINE = r"log in as '(\w+)' with password '([^']+)'"


def test_first_run_prints_an_admin_password_once_and_it_logs_in(tmp_path):
    site = start_site(tmp_path, env={"STATBOARD_LOG_LEVEL": "WARNING"})
    try:
        out = Output(site.proc)
        username, password = out.wait_for(PASSWORD_LINE).groups()
        assert username == "admin"
        with httpx.Client(base_url=site.url, timeout=10) as http:
            form = http.get("/login")
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text)
            assert token, "the login form carries a CSRF token"
            wrong = http.post(
                "/login",
                data={"csrf_token": token[1], "username": "admin", "password": "not-it"},
            )
            assert wrong.status_code == 401
            answer = http.post(
                "/login",
                data={"csrf_token": token[1], "username": username, "password": password},
            )
            assert answer.status_code == 303 and answer.headers["location"] == "/"
            home = http.get("/", headers={"Accept": "text/html"})
            assert home.status_code == 200 and "Log out" in home.text
            assert 'class="block-tools"' in home.text  # an admin sees the edit tools
    finally:
        stop(site.proc)

    # A second start finds the admin: no new password is printed.
    again = start_site(tmp_path, env={"STATBOARD_LOG_LEVEL": "WARNING"}, port=None)
    try:
        out = Output(again.proc)
        out.wait_for(r"Statboard \(site\) on http")
        assert not [line for line in out.lines if "password" in line]
    finally:
        stop(again.proc)
