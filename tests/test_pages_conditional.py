"""Conditional GET on pages, against a served site: a page seen again is a 304 with no
body while it is the same; after an edit it is a 200 with the new content. What a page
carries per request (its CSRF token, its live stream's token, the event id it is
rendered as of) is signed or taken to the minute, and the tokens' age is still checked."""

import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from flask import before_render_template
from statboard.extensions import db
from statboard.live import tokens
from statboard.pages import visitor_pages
from statboard.pages.models import Block, Page

from tests.conftest import CSRF_RE
from tests.fixtures.hosts import ADMIN, serve_with_users
from tests.fixtures.servers import stop

HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    live = serve_with_users(tmp_path_factory.mktemp("conditional"))
    with live.app.app_context():
        page = Page(slug="notes", title="Notes", is_public=True, nav_position=None)
        page.blocks.append(Block(kind="text", position=0, data={"html": "<p>First words</p>"}))
        page.blocks.append(Block(kind="event", position=1, data={"title": "Meeting"}))
        db.session.add(page)
        db.session.commit()
        live.block_id = page.blocks[0].id
    yield live
    stop(live.proc)


def early_in_a_minute(seconds_left: float = 15) -> None:
    """Wait (at most a minute) until the current minute has `seconds_left` to go: what
    is signed to the minute stays the same meanwhile."""
    deadline = time.monotonic() + 61
    while 60 - time.time() % 60 < seconds_left and time.monotonic() < deadline:
        time.sleep(0.5)


@pytest.mark.parametrize("encoding", ["identity", "gzip", "br"])
def test_a_page_seen_again_is_a_304_without_a_body(site, encoding):
    headers = {**HTML, "Accept-Encoding": encoding}
    with httpx.Client(base_url=site.url, timeout=15, headers=headers) as visitor:
        early_in_a_minute()
        first = visitor.get("/notes")
        assert first.status_code == 200 and "First words" in first.text
        assert first.headers.get("Content-Encoding", "identity") == encoding
        tag = first.headers["ETag"]
        assert not tag.startswith("W/")  # strong: the same bytes
        assert "private" in first.headers["Cache-Control"]
        time.sleep(1.1)  # another second: what is signed is signed to the minute
        again = visitor.get("/notes", headers={"If-None-Match": tag})
        assert again.status_code == 304, again.text[:300]
        assert again.content == b"" and again.headers["ETag"] == tag
        other = visitor.get("/notes", headers={"If-None-Match": '"another"'})
        assert other.status_code == 200 and other.text == first.text


def log_in(client: httpx.Client, username: str, password: str) -> str:
    token = CSRF_RE.search(client.get("/login").text).group(1)
    answer = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    assert answer.status_code == 303, answer.text
    return CSRF_RE.search(client.get("/notes").text).group(1)


def test_after_an_edit_the_page_is_a_200_with_the_new_content(site):
    with (
        httpx.Client(base_url=site.url, timeout=15, headers=HTML) as visitor,
        httpx.Client(base_url=site.url, timeout=15, headers=HTML) as admin,
    ):
        early_in_a_minute(seconds_left=25)
        first = visitor.get("/notes")
        tag = first.headers["ETag"]
        assert visitor.get("/notes", headers={"If-None-Match": tag}).status_code == 304
        token = log_in(admin, *ADMIN)  # the page's token, signed to the minute: accepted
        saved = admin.put(
            f"/blocks/{site.block_id}",
            data={"html": "<p>Second words</p>", "version": "1"},
            headers={"HX-Request": "true", "X-CSRFToken": token},
        )
        assert saved.status_code == 200, saved.text[:300]
        after = visitor.get("/notes", headers={"If-None-Match": tag})
        assert after.status_code == 200
        assert "Second words" in after.text and "First words" not in after.text
        assert after.headers["ETag"] != tag


def test_the_tokens_a_page_carries_are_the_same_within_a_minute(site):
    with (
        httpx.Client(base_url=site.url, timeout=15, headers=HTML) as visitor,
        httpx.Client(base_url=site.url, timeout=15, headers=HTML) as admin,
    ):
        log_in(admin, *ADMIN)
        early_in_a_minute()
        pages = [admin.get("/notes").text, visitor.get("/notes").text]
        time.sleep(1.1)
        pages += [admin.get("/notes").text, visitor.get("/notes").text]
    csrf = [CSRF_RE.search(page).group(1) for page in pages[::2]]
    live = [re.search(r'data-live-src="([^"]+)"', page).group(1) for page in pages]
    assert csrf[0] == csrf[1] and live[0] == live[2] and live[1] == live[3]


def test_a_visitors_page_carries_no_csrf_token_and_sets_no_cookie(site):
    """Visitors change nothing: their page is the same for all of them."""
    with httpx.Client(base_url=site.url, timeout=15, headers=HTML) as visitor:
        page = visitor.get("/notes")
    assert page.status_code == 200 and "Notes" in page.text
    assert CSRF_RE.search(page.text) is None
    assert "set-cookie" not in page.headers


def test_a_hundred_visitors_at_once_get_the_same_page_in_each_encoding(site):
    encodings = ["identity", "gzip", "br"] * 34
    barrier = threading.Barrier(len(encodings), timeout=30)

    def visit(encoding):
        with httpx.Client(base_url=site.url, timeout=30, headers=HTML) as visitor:
            barrier.wait()
            return visitor.get("/notes", headers={"Accept-Encoding": encoding})

    early_in_a_minute(seconds_left=30)
    with ThreadPoolExecutor(len(encodings)) as pool:
        answers = list(pool.map(visit, encodings))
    assert [a.status_code for a in answers] == [200] * len(answers)
    for encoding, answer in zip(encodings, answers, strict=True):
        assert answer.headers.get("Content-Encoding", "identity") == encoding
    # httpx decodes gzip and br: every visitor read the same page.
    assert len({a.text for a in answers}) == 1, "visitors got different pages"
    assert len({a.headers["ETag"].strip('"').split(":")[0] for a in answers}) == 1


def test_a_page_made_private_is_refused_to_visitors_at_once(site):
    form = {"title": "Notes", "slug": "notes", "in_nav": "", "csrf_token": ""}
    with (
        httpx.Client(base_url=site.url, timeout=15, headers=HTML) as visitor,
        httpx.Client(base_url=site.url, timeout=15, headers=HTML) as admin,
    ):
        form["csrf_token"] = log_in(admin, *ADMIN)
        assert visitor.get("/notes").status_code == 200
        assert visitor.get("/notes").status_code == 200  # seen again: kept
        saved = admin.post("/pages/notes/settings", data=form)  # is_public left out: off
        assert saved.status_code == 303, saved.text[:300]
        try:
            refused = visitor.get("/notes")
            assert refused.status_code in (302, 401), refused.text[:300]
            assert "First words" not in refused.text and "Second words" not in refused.text
        finally:
            public = admin.post("/pages/notes/settings", data={**form, "is_public": "y"})
            assert public.status_code == 303
        assert visitor.get("/notes").status_code == 200


def test_a_change_written_by_another_process_shows_within_a_second_or_so(site):
    """A write that neither this process commits nor any live event announces (another
    program's, straight to the database) shows once the kept page is renewed."""
    with httpx.Client(base_url=site.url, timeout=15, headers=HTML) as visitor:
        assert visitor.get("/notes").status_code == 200
        with site.app.app_context():
            block = db.session.get(Block, site.block_id)
            block.data = {"html": "<p>Written elsewhere</p>"}
            block.version += 1
            db.session.commit()
        deadline = time.monotonic() + 5
        while "Written elsewhere" not in (text := visitor.get("/notes").text):
            assert time.monotonic() < deadline, text[:300]
            time.sleep(0.2)


def test_a_live_token_is_signed_to_the_minute_and_its_age_still_checked():
    early_in_a_minute()
    token = tokens.sign("secret", ["page:1"], lifetime=600)
    assert tokens.sign("secret", ["page:1"], lifetime=600) == token
    channels, signed_at = tokens.channels_of("secret", token, max_age=600)
    assert channels == ["page:1"]
    assert signed_at % 60 == 0 and time.time() - 60 < signed_at <= time.time()
    with pytest.raises(tokens.TokenRefused, match="expired"):
        tokens.channels_of("secret", token, max_age=-1)
    # A short-lived token is signed to a tenth of its life: it is not born old.
    short = tokens.sign("secret", ["page:1"], lifetime=20)
    _, signed_at = tokens.channels_of("secret", short, max_age=20)
    assert signed_at % 2 == 0 and time.time() - signed_at < 2.5


def test_while_a_visitors_page_is_rendered_the_gil_changes_hands_sooner(app, client, auth):
    """A render gives the GIL up at each row it reads; while it runs, a thread waiting
    for the GIL gets it after 0.2 ms (not 5), and after it the interval is as before.
    Logged-in users' pages, which are not kept, leave it alone."""
    with app.app_context():
        db.session.add(Page(slug="notes", title="Notes", is_public=True, nav_position=None))
        db.session.commit()
    seen = []
    before = sys.getswitchinterval()

    def rendering(sender, template, context, **extra):
        if template.name == "pages/page.html":
            seen.append(sys.getswitchinterval())

    with before_render_template.connected_to(rendering, app):
        assert client.get("/notes", headers=HTML).status_code == 200  # rendered
        assert client.get("/notes", headers=HTML).status_code == 200  # kept: no render
        assert seen == [pytest.approx(visitor_pages.RENDER_SWITCH_SECONDS)]
        assert sys.getswitchinterval() == before
        assert auth.login_user().status_code == 303
        assert client.get("/notes", headers=HTML).status_code == 200
    assert seen == [pytest.approx(visitor_pages.RENDER_SWITCH_SECONDS), before]
