"""Live pages in a real browser, on the real site: what one window saves shows in the
other at once, over the page's event stream, without a reload; an open editor is
never overwritten; a visitor gets no events of a private page; a refused stream falls
back to polling; the page reconnects and catches up after the site restarts."""

import json
import threading
import time

import httpx
import pytest

from tests.fixtures.servers import free_port, make_admin, start_site, stop
from tests.test_browser_pages import block_order, open_text_editor

WITHIN_MS = (
    1_500  # "at once": under the 2 s of the counter blocks' polling, with slack for a busy machine
)


@pytest.fixture
def site(tmp_path):
    site = start_site(tmp_path)
    make_admin(site)
    yield site
    stop(site.proc)


def log_in(browser, url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    pg.goto(url + "/login")
    pg.fill("input[name=username]", "boss")
    pg.fill("input[name=password]", "boss-password")
    pg.click("button[type=submit]")
    pg.wait_for_url(url + "/")
    return pg


def visit(browser, url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    pg.goto(url)
    return pg


def wait_live(pg):
    pg.wait_for_selector("#live-status[data-state=live]")


def send(pg, method, path, **form):
    """What the admin's htmx would send: an htmx request with the page's CSRF token."""
    return pg.evaluate(
        """async ([method, path, form]) => {
            const body = method === "GET" ? undefined : new URLSearchParams(form);
            const response = await fetch(path, {method, body,
              headers: {"X-CSRFToken": window.Statboard.csrfToken(), "HX-Request": "true"}});
            return [response.status, await response.text()];
        }""",
        [method, path, form],
    )


def save_text(pg, block_id, html):
    """Save a text block from the version the site has now (this window's may lag)."""
    _, fragment = send(pg, "GET", f"/blocks/{block_id}")
    version = fragment.split('data-version="', 1)[1].split('"', 1)[0]
    status, _ = send(pg, "PUT", f"/blocks/{block_id}", version=version, html=html)
    assert status == 200


def text_block_id(pg) -> str:
    return pg.get_attribute("#blocks > .block--text", "data-block-id")


def test_a_visitor_sees_edits_new_and_moved_blocks_and_counts_at_once(site, browser):
    admin = log_in(browser, site.url)
    visitor = visit(browser, site.url + "/")
    wait_live(visitor)
    wait_live(admin)
    text_id = text_block_id(visitor)
    visitor.evaluate("() => { window.notReloaded = true; }")

    save_text(admin, text_id, "<h2>Pushed to every window</h2>")
    visitor.wait_for_function(
        "id => document.querySelector(`#block-${id} h2`).textContent === 'Pushed to every window'",
        arg=text_id,
        timeout=WITHIN_MS,
    )

    before = block_order(visitor)
    status, grid = send(admin, "POST", "/pages/home/blocks", kind="text", position="0")
    assert status == 200
    # A new block is a draft: the visitor sees it once it is saved with content.
    new_id = grid.split('<form id="block-', 1)[1].split('"', 1)[0]
    save_text(admin, new_id, "<p>Fresh news</p>")
    visitor.wait_for_function(
        "before => { const first = document.querySelector('#blocks > .block');"
        " return first && !before.includes(first.id); }",
        arg=before,
        timeout=WITHIN_MS,
    )
    assert block_order(visitor)[1:] == before
    assert visitor.locator(".block-tools, .adder").count() == 0  # the visitor's own rights

    moved = block_order(visitor)[1]
    move_url = f"/blocks/{moved.removeprefix('block-')}/move"
    status, _ = send(admin, "POST", move_url, direction="down")
    assert status == 200
    for window in (visitor, admin):  # the admin's own window follows its event too
        window.wait_for_function(
            "id => document.querySelectorAll('#blocks > .block')[2].id === id",
            arg=moved,
            timeout=WITHIN_MS,
        )
    assert block_order(visitor) == block_order(admin)

    counter = visitor.locator(".counter-values[data-counter-key='song/1'] .counter-value data")
    start = int(counter.get_attribute("value"))
    assert httpx.post(site.url + "/counters/song/1").status_code < 300
    visitor.wait_for_function(
        "n => document.querySelector(\".counter-values[data-counter-key='song/1'] data\").value"
        " === String(n)",
        arg=start + 1,
        timeout=WITHIN_MS,
    )
    assert visitor.evaluate("() => window.notReloaded") is True
    assert visitor.get_attribute("#live-status", "role") == "status"

    # A new page in the navigation shows in it; renaming the page one is on follows.
    status, _ = send(admin, "POST", "/pages", title="News", slug="news", is_public="y", in_nav="y")
    assert status == 201
    visitor.locator("#site-nav a[href='/news']").wait_for(timeout=WITHIN_MS)
    visitor.click("#site-nav a[href='/news']")
    wait_live(visitor)
    visitor.evaluate("() => { window.notReloaded = true; }")
    form = {"title": "Updates", "slug": "updates", "is_public": "y", "in_nav": "y"}
    status, _ = send(admin, "PUT", "/pages/news/settings", **form)
    assert status == 200
    visitor.wait_for_function(
        "() => location.pathname === '/updates' && document.title.startsWith('Updates')"
        " && document.querySelector('#page-head h1').textContent.trim() === 'Updates'",
        timeout=WITHIN_MS,
    )
    assert visitor.inner_text("#site-nav a[aria-current=page]").strip() == "Updates"
    assert visitor.evaluate("() => window.notReloaded") is True


def test_an_open_editor_is_not_overwritten_and_says_why_saving_would_fail(site, browser):
    editor = log_in(browser, site.url)
    other = editor.context.new_page()
    other.goto(site.url + "/")
    wait_live(editor)
    text_id = text_block_id(editor)

    area = open_text_editor(editor, f"block-{text_id}")
    editor.keyboard.type(" typed here")

    save_text(other, text_id, "<h2>Saved in the other window</h2>")
    notice = editor.locator(f"form#block-{text_id} [data-live-notice]")
    notice.wait_for(timeout=WITHIN_MS)
    assert "saved elsewhere" in notice.inner_text()
    assert "typed here" in area.inner_text()
    assert editor.locator(f"form#block-{text_id}.editing").count() == 1

    # The autosave that follows is refused, as the notice said, and shows both versions.
    with editor.expect_response(lambda r: r.status == 409):
        pass
    conflict = editor.locator(f"form#block-{text_id} .conflict")
    conflict.wait_for()
    assert "typed here" in conflict.locator("details").text_content()
    assert "Saved in the other window" in area.inner_text()

    # Saved elsewhere once more, with nothing typed: the notice offers the new version.
    save_text(other, text_id, "<h2>Saved again</h2>")
    notice.get_by_role("button", name="Reload it").click()
    editor.wait_for_selector(f"article#block-{text_id}")
    assert editor.inner_text(f"#block-{text_id} h2") == "Saved again"


def test_an_open_panel_keeps_what_was_typed_in_it_until_it_is_closed(site, browser):
    editor = log_in(browser, site.url)
    other = editor.context.new_page()
    other.goto(site.url + "/")
    wait_live(editor)
    block_id = editor.get_attribute("#blocks > .block--remote_hosts", "data-block-id")
    block = f"#block-{block_id}"
    editor.hover(block)
    editor.click(f"{block} .block-tools button:has-text('Manage…')")
    panel = editor.locator(f"{block} .block-panel:popover-open")
    panel.locator("input[name=name]").fill("typed here")
    panel.locator(".block-panel-title").click()  # the focus leaves the field

    _, fragment = send(other, "GET", f"/blocks/{block_id}")
    version = fragment.split('data-version="', 1)[1].split('"', 1)[0]
    status, _ = send(other, "PUT", f"/blocks/{block_id}", version=version, title="Renamed")
    assert status == 200
    editor.wait_for_timeout(1500)  # the event has come: the block waits for the panel
    assert panel.locator("input[name=name]").input_value() == "typed here"
    assert "Renamed" not in editor.inner_text(f"{block} .block-body")

    editor.keyboard.press("Escape")  # closed: the new version is shown
    editor.wait_for_function(
        "s => document.querySelector(s)?.innerText.includes('Renamed')", arg=f"{block} .block-body"
    )


def read_stream(url, events, stop_at):
    """Every event a stream sends until stop_at, as (type, data)."""
    kind = None
    timeout = httpx.Timeout(5, read=stop_at - time.monotonic())
    try:
        with httpx.stream("GET", url, timeout=timeout) as response:
            for line in response.iter_lines():
                if line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:"):
                    events.append((kind, json.loads(line[5:])))
                if time.monotonic() > stop_at:
                    return
    except httpx.ReadTimeout:
        return  # quiet until the end


def test_a_visitor_never_receives_events_of_a_private_page(site, browser):
    admin = log_in(browser, site.url)
    status, _ = send(admin, "POST", "/pages", title="Secret", slug="secret", is_public="")
    assert status == 201
    status, _ = send(admin, "POST", "/pages/secret/blocks", kind="text", position="0")
    assert status == 200
    admin.goto(site.url + "/secret")
    secret_id = text_block_id(admin)
    secret_page = admin.evaluate(
        "() => document.body.dataset.liveChannels.split(' ').find(c => c.startsWith('page:'))"
    )

    visitor = visit(browser, site.url + "/")
    wait_live(visitor)
    assert secret_page not in visitor.get_attribute("body", "data-live-channels").split()
    visitor.evaluate(
        "() => { window.heard = [];"
        " document.addEventListener('statboard:live', (e) => window.heard.push(e.detail)); }"
    )
    raw = []
    src = visitor.get_attribute("body", "data-live-src")
    reader = threading.Thread(target=read_stream, args=(src, raw, time.monotonic() + 4))
    reader.start()
    time.sleep(0.5)

    save_text(admin, secret_id, "<p>Only for those logged in</p>")
    admin.goto(site.url + "/")
    public_id = text_block_id(admin)
    save_text(admin, public_id, "<h2>Public news</h2>")  # the stream works: this arrives
    visitor.wait_for_function(
        "id => document.querySelector(`#block-${id} h2`).textContent === 'Public news'",
        arg=public_id,
    )
    reader.join(10)

    heard = visitor.evaluate("() => window.heard")
    assert [h for h in heard if h["data"].get("block") == int(public_id)]
    assert not [h for h in heard if h["data"].get("channel") == secret_page]
    assert [data for kind, data in raw if data.get("block") == int(public_id)]
    assert not [data for kind, data in raw if data.get("channel") == secret_page]
    assert not [data for kind, data in raw if data.get("block") == int(secret_id)]


def test_a_refused_stream_falls_back_to_polling(site, browser):
    context = browser.new_context()
    visitor = context.new_page()
    visitor.set_default_timeout(10_000)

    def tamper(route):
        response = route.fetch()
        body = response.text().replace("token=", "token=x", 1)
        route.fulfill(response=response, body=body)

    # The page, and the fresh copy it fetches to renew its token, both carry a bad one.
    visitor.route(site.url + "/", tamper)
    visitor.goto(site.url + "/")
    src = visitor.get_attribute("body", "data-live-src")
    refused = httpx.get(src)
    assert refused.status_code == 403
    assert "reload the page" in refused.text
    status = visitor.locator("#live-status[data-state=offline]")
    status.wait_for()
    assert "refreshing" in status.inner_text()

    start = int(visitor.get_attribute(".counter-values[data-counter-key='song/1'] data", "value"))
    assert httpx.post(site.url + "/counters/song/1").status_code < 300
    visitor.wait_for_function(
        "n => document.querySelector(\".counter-values[data-counter-key='song/1'] data\").value"
        " === String(n)",
        arg=start + 1,
        timeout=6_000,  # the counter block polls every 2 s
    )
    context.close()


def test_the_page_reconnects_and_catches_up_after_a_restart(tmp_path, browser):
    port, live_port = free_port(), free_port()
    env = {"STATBOARD_LIVE_PORT": str(live_port)}
    site = start_site(tmp_path, port=port, env=env)
    try:
        make_admin(site)
        admin = log_in(browser, site.url)
        visitor = visit(browser, site.url + "/")
        wait_live(visitor)
        text_id = text_block_id(visitor)

        stop(site.proc)
        visitor.wait_for_selector("#live-status[data-state=reconnecting]")
        assert visitor.inner_text("#live-status") == "Reconnecting…"

        site = start_site(tmp_path, port=port, env=env)
        # Saved before the visitor's page is back: it learns of it when it reconnects.
        save_text(admin, text_id, "<h2>Saved while you were away</h2>")
        visitor.wait_for_function(
            "id => document.querySelector(`#block-${id} h2`).textContent"
            " === 'Saved while you were away'",
            arg=text_id,
            timeout=20_000,
        )
        wait_live(visitor)
        save_text(admin, text_id, "<h2>And live again</h2>")
        visitor.wait_for_function(
            "id => document.querySelector(`#block-${id} h2`).textContent === 'And live again'",
            arg=text_id,
            timeout=WITHIN_MS,
        )
    finally:
        stop(site.proc)


def test_tokens_are_renewed_with_the_viewers_rights_of_the_moment(tmp_path, browser):
    site = start_site(tmp_path, env={"STATBOARD_LIVE_TOKEN_SECONDS": "2"})
    try:
        make_admin(site)
        admin = log_in(browser, site.url)
        status, _ = send(admin, "POST", "/pages", title="Secret", slug="secret", is_public="")
        assert status == 201
        status, _ = send(admin, "POST", "/pages/secret/blocks", kind="text", position="0")
        assert status == 200
        secret = admin.context.new_page()
        secret.goto(site.url + "/secret")
        visitor = visit(browser, site.url + "/")
        wait_live(visitor)
        wait_live(secret)
        first = visitor.get_attribute("body", "data-live-src")

        time.sleep(3)  # past the tokens' age: both pages took fresh ones and stayed live
        assert visitor.get_attribute("body", "data-live-src") != first
        text_id = text_block_id(visitor)
        save_text(admin, text_id, "<h2>After the renewal</h2>")
        visitor.wait_for_function(
            "id => document.querySelector(`#block-${id} h2`).textContent === 'After the renewal'",
            arg=text_id,
            timeout=WITHIN_MS,
        )
        # Live again with its fresh token (a renewal reconnects, briefly "reconnecting").
        secret.wait_for_selector("#live-status[data-state=live]", timeout=5_000)

        # Logged out: the private page's next renewal is refused, and it stops reading.
        status, _ = send(admin, "POST", "/logout")
        assert status in (200, 302, 303)
        secret.wait_for_selector("#live-status[data-state=offline]", timeout=6_000)
    finally:
        stop(site.proc)


def test_a_list_that_polls_follows_its_channel_instead(site, browser):
    """The other-hosts rows poll only without the stream; with it, a host an admin adds
    shows in the visitor's list at once, fetched for the event and not taken for a poll."""
    admin = log_in(browser, site.url)
    visitor = visit(browser, site.url + "/")
    wait_live(visitor)
    block_id = visitor.get_attribute("#blocks > .block--remote_hosts", "data-block-id")
    requests = []
    visitor.on("request", lambda r: requests.append(r.url) if "part=rows" in r.url else None)
    status, _ = send(
        admin, "POST", f"/blocks/{block_id}/hosts", url="http://127.0.0.1:9/", name="Nine"
    )
    assert status < 300
    visitor.locator(f"#block-{block_id}", has_text="Nine").wait_for(timeout=WITHIN_MS * 2)
    polls_before = len(requests)
    visitor.wait_for_timeout(6_000)  # longer than the rows' poll interval
    assert len(requests) == polls_before  # no poll while the stream is open


def test_the_host_tile_follows_this_hosts_samples_instead_of_polling(tmp_path, browser):
    """Sampled every 3 s, polled every 1 s without the stream: with it, the tile is
    fetched once per sample."""
    env = {"STATBOARD_HOST_SAMPLE_SECONDS": "3", "STATBOARD_HOST_REFRESH_SECONDS": "1"}
    site = start_site(tmp_path, env=env)
    try:
        visitor = visit(browser, site.url + "/")
        wait_live(visitor)
        fetched = []
        visitor.on("request", lambda r: fetched.append(r.url) if "/tile?" in r.url else None)
        visitor.wait_for_timeout(7_000)
        tiles = [url for url in fetched if "part=rows" not in url]
        assert 1 <= len(tiles) <= 4, tiles  # about one per sample; polling makes 7
    finally:
        stop(site.proc)


def test_a_stale_copy_of_the_page_never_takes_a_block_back(site, browser):
    """A layout change makes the page fetch itself; a copy made before a save that the
    page already shows must not put the old block back."""
    admin = log_in(browser, site.url)
    wait_live(admin)
    text_id = text_block_id(admin)
    _, stale = send(admin, "GET", "/")
    save_text(admin, text_id, "<h2>Newer than the copy</h2>")
    heading = admin.locator(f"#block-{text_id} h2")
    heading.filter(has_text="Newer than the copy").wait_for(timeout=WITHIN_MS * 2)

    def stale_page(route):
        if route.request.resource_type == "fetch":
            return route.fulfill(status=200, content_type="text/html", body=stale)
        return route.continue_()

    admin.route(site.url + "/", stale_page)
    status, _ = send(admin, "POST", "/pages/home/blocks", kind="text", position="0")
    assert status == 200
    admin.wait_for_timeout(1_500)  # the layout event came, and the stale copy with it
    assert heading.inner_text() == "Newer than the copy"
