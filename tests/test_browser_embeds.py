"""Embeds in a real browser: a listed site frames a public block, which stays live; an
unlisted site cannot frame it, and no other page of the site can be framed at all."""

import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.fixtures.servers import ROOT, free_port, start_site, stop

# A public page with a counter block and a text block, made in the site's own database.
PREPARE = """
from statboard import create_app
from statboard.extensions import db
from statboard.pages.models import Block, Page
app = create_app()
with app.app_context():
    page = Page(slug="stats", title="Stats", is_public=True, nav_position=3)
    page.blocks.append(Block(kind="counter", position=0, data={"key": "embed/plays"}))
    page.blocks.append(Block(kind="text", position=1, data={"html": "<p>kept home</p>"}))
    db.session.add(page)
    db.session.commit()
    print(page.blocks[0].id)
"""


class HostSite:
    """Another site on loopback, of its own origin, whose one page frames what it is told."""

    def __init__(self):
        host = self
        self.page = b""

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(host.page)))
                self.end_headers()
                self.wfile.write(host.page)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        # "localhost" is another origin (and site) than the Statboard at 127.0.0.1.
        self.url = f"http://localhost:{self.server.server_port}"

    def open(self, browser, frames: list[str]):
        """A browser page on this site's page, which frames `frames`."""
        html = "".join(f'<iframe src="{src}" width="400" height="300"></iframe>' for src in frames)
        self.page = f"<!doctype html><title>blog</title><h1>Blog</h1>{html}".encode()
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        pg = context.new_page()
        pg.set_default_timeout(10_000)
        pg.goto(self.url + "/")
        return pg

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def blog():
    host = HostSite()
    yield host
    host.close()


@pytest.fixture
def site(tmp_path, blog):
    env = {"STATBOARD_EMBED_ORIGINS": f'["{blog.url}"]'}
    site = start_site(tmp_path, env=env)
    try:
        done = subprocess.run(
            [sys.executable, "-c", PREPARE], env=site.env, cwd=ROOT, check=True,
            capture_output=True, text=True,
        )  # fmt: skip
        site.block_id = int(done.stdout.split()[-1])
        yield site
    finally:
        stop(site.proc)


def frame_showing(pg, url_part: str):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for frame in pg.frames:
            if url_part in frame.url:
                return frame
        time.sleep(0.05)
    raise AssertionError(f"no frame loaded {url_part}")


def test_a_listed_site_frames_a_live_block_and_nothing_else(site, blog, browser):
    embed = f"{site.url}/embed/blocks/{site.block_id}"
    pg = blog.open(browser, [embed, f"{site.url}/stats"])
    frame = frame_showing(pg, "/embed/blocks/")
    frame.wait_for_selector(f"#block-{site.block_id} .counter-value")
    frame.wait_for_selector("body[data-live-state=live]")
    assert frame.locator(".site-header").count() == 0  # the block alone
    for _ in range(3):
        assert httpx.post(f"{site.url}/counters/embed/plays").status_code == 200
    started = time.monotonic()
    frame.wait_for_selector(".counter-value data[value='3']", timeout=5_000)
    assert time.monotonic() - started < 1.5  # pushed, not the 2 s poll
    # The site's own page, in the same blog page, stayed refused.
    pg.wait_for_load_state("load")
    assert not [f for f in pg.frames if f.url.endswith("/stats")]
    assert [f for f in pg.frames if f.url.startswith("chrome-error:")]  # refused, not slow
    pg.context.close()


def test_an_unlisted_site_cannot_frame_a_block(site, browser):
    other = HostSite()
    try:
        pg = other.open(browser, [f"{site.url}/embed/blocks/{site.block_id}"])
        pg.wait_for_load_state("load")
        # Refused, not slow: the frame ends on the browser's error page (on a busy
        # machine a moment after the host page's load), never on the block.
        for _ in range(100):
            if [f for f in pg.frames if f.url.startswith("chrome-error:")]:
                break
            pg.wait_for_timeout(100)
        assert [f for f in pg.frames if f.url.startswith("chrome-error:")]
        assert not [f for f in pg.frames if "/embed/blocks/" in f.url]
        pg.context.close()
    finally:
        other.close()
