"""Helpers for the live tests: a site with an admin, and a server-sent event client.

The client reads one stream on a thread of its own (httpx streaming) and hands the
parsed events to the test through a queue, so that every wait has a timeout.
"""

import contextlib
import json
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from html import unescape

import httpx

from tests.conftest import CSRF_RE
from tests.fixtures.servers import ROOT

LIVE_SRC = re.compile(r'data-live-src="([^"]+)" data-live-last="([^"]*)"')

# An admin and a private page with one text block, made in the site's own database.
PREPARE = """
from statboard import create_app
from statboard.auth.models import User
from statboard.extensions import db
from statboard.pages.models import Block, Page
app = create_app()
with app.app_context():
    if db.session.scalar(db.select(User).where(User.username == "boss")) is None:
        user = User(username="boss", fullname="The Boss", email="boss@example.test", is_admin=True)
        user.set_password("boss-password")
        desk = Page(slug="desk", title="Desk", is_public=False, nav_position=9)
        desk.blocks.append(Block(kind="text", position=0, data={"html": "<p>secret</p>"}))
        db.session.add_all([user, desk])
        db.session.commit()
"""


def prepare(site) -> None:
    subprocess.run([sys.executable, "-c", PREPARE], env=site.env, cwd=ROOT, check=True)


@dataclass
class Event:
    id: str | None
    type: str
    data: dict = field(default_factory=dict)

    @property
    def seq(self) -> int:
        return int(self.id.rpartition("-")[2])


def stream_src(html: str) -> tuple[str, str]:
    """A page's stream URL (with its token) and the id of the last event it knows of."""
    match = LIVE_SRC.search(html)
    assert match, "the page embeds no live stream"
    return unescape(match.group(1)), match.group(2)


def token_of(src: str) -> str:
    return httpx.URL(src).params["token"]


class Admin:
    """An admin logged in to the site over HTTP, saving text blocks as htmx does."""

    def __init__(self, url: str):
        self.http = httpx.Client(base_url=url, timeout=15, headers={"Accept": "text/html"})
        csrf = CSRF_RE.search(self.http.get("/login").text).group(1)
        form = {"username": "boss", "password": "boss-password", "csrf_token": csrf}
        assert self.http.post("/login", data=form).status_code == 303
        self.http.headers["X-CSRFToken"] = CSRF_RE.search(self.http.get("/").text).group(1)

    def text_blocks(self, slug: str = "") -> list[int]:
        html = self.http.get(f"/{slug}").text
        return [int(n) for n in re.findall(r'<article id="block-(\d+)"[^>]*block--text', html)]

    def save(self, block_id: int, html: str, version: int) -> httpx.Response:
        return self.http.put(
            f"/blocks/{block_id}",
            data={"html": html, "version": str(version)},
            headers={"HX-Request": "true"},
        )

    def close(self) -> None:
        self.http.close()


class Stream:
    """One open event stream. `next(timeout)` is the next event (None past the timeout);
    the `retry:` field is kept in `retry`, comments (pings) in `comments`."""

    def __init__(self, url: str, last_event_id: str | None = None, params: dict | None = None):
        self.events: queue.Queue = queue.Queue()
        self.retry: int | None = None
        self.status: int | None = None
        self.body = ""
        self.comments: list[str] = []
        self.ended = threading.Event()
        self._opened = threading.Event()
        self._socket: socket.socket | None = None
        if params:  # beside the token already in the URL
            url = str(httpx.URL(url).copy_merge_params(params))
        headers = {"Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        self._thread = threading.Thread(target=self._read, args=(url, headers), daemon=True)
        self._thread.start()
        assert self._opened.wait(10), f"the stream {url} did not answer within 10 s"

    def _read(self, url, headers) -> None:
        timeout = httpx.Timeout(5, read=40)  # pings come every 15 s
        try:
            with httpx.stream(
                "GET", url, headers=headers, timeout=timeout, follow_redirects=True
            ) as r:
                self.status = r.status_code
                if r.status_code != 200:
                    self.body = r.read().decode()
                    return
                stream = r.extensions.get("network_stream")
                self._socket = stream.get_extra_info("socket") if stream else None
                self._opened.set()
                self._parse(r.iter_lines())
        except httpx.HTTPError as error:
            self.error = error
        finally:
            self._opened.set()
            self.ended.set()

    def _parse(self, lines) -> None:
        fields: dict[str, str] = {}
        for line in lines:
            if line == "":
                if "retry" in fields:
                    self.retry = int(fields.pop("retry"))
                if "event" in fields or "data" in fields:
                    data = json.loads(fields.get("data") or "{}")
                    self.events.put(Event(fields.get("id"), fields.get("event", "message"), data))
                fields = {}
            elif line.startswith(":"):
                self.comments.append(line)
            else:
                name, _, value = line.partition(":")
                fields[name] = value[1:] if value.startswith(" ") else value

    def next(self, timeout: float = 10.0) -> Event | None:
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    def take(self, count: int, timeout: float = 10.0) -> list[Event]:
        deadline = time.monotonic() + timeout
        got = []
        while len(got) < count and (left := deadline - time.monotonic()) > 0:
            event = self.next(left)
            if event is not None:
                got.append(event)
        return got

    def close(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.shutdown(socket.SHUT_RDWR)  # wakes the reading thread
        self._thread.join(10)


class Listener:
    """A stand-in for the event server's loop: hears every event the broker sends, at
    once, and notes what a fresh database connection sees at that moment."""

    def __init__(self, app, probe=None):
        self.events, self.seen, self.probe = [], [], probe
        app.extensions["live"].broker.subscribe(self, self.deliver, self.restart)

    def call_soon_threadsafe(self, func, *args):
        func(*args)

    def is_closed(self) -> bool:
        return False

    def restart(self, last_id: str) -> None:
        pass  # one process, one subscription: nothing is ever missed

    def deliver(self, event) -> None:
        if self.probe:
            self.seen.append(self.probe())
        self.events.append(event)

    def heard(self, prefix: str = "") -> list[tuple]:
        return [(e.channel, e.type, e.data) for e in self.events if e.channel.startswith(prefix)]

    def wait_for(self, predicate, timeout: float = 15.0) -> list[tuple]:
        """Events from other threads (tasks) arrive just after their commit."""
        deadline = time.monotonic() + timeout
        while not predicate(self.heard()):
            assert time.monotonic() < deadline, f"never heard it; heard {self.heard()}"
            time.sleep(0.02)
        return self.heard()
