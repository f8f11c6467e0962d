"""Whole pages kept for visitors, so that a page seen again is answered from memory.

A visitor's page is the same for every visitor: it carries no CSRF token and no
session (base.html gives those to logged-in users only). So the answer to a visitor's
plain GET of a page is kept, in each process, keyed by what it depends on:

    the address (path and query), the host and scheme it was asked by (the live stream's
    URL names them), the last live event's id, and this process's count of commits

Every change that shows on a page either commits (in this process: the count moves)
or publishes a live event (from any process, with a shared broker: the id moves; a
counter's new value and a host's sample are events too). A kept page is also renewed
after PAGE_CACHE_SECONDS, for what changes with neither. A page shown from memory is
a page rendered at most that long ago; its live stream replays the events since its
render, as it does for a page the browser kept, so an open page still ends current.

A page is rendered once however many visitors ask for it at once: while it is rendered
anew, they get the page kept before (as if they had asked a moment earlier), unless
this process committed since, when they wait for the render. Each kept page keeps its
body compressed per encoding, once, the first time a visitor asks for it.

While a page is rendered, a thread that waits for the GIL takes it after 0.2 ms instead
of Python's 5 (`first_in_turn`). A render takes some 8 ms alone, but it gives the GIL
up about 250 times (Python 3.11's sqlite3 lets it go for each row it reads and for each
column of that row), and under load each time it waited for its turn again behind the
threads answering kept pages, up to the switch interval: with 8 clients, renders took
0.5 to 4 s, and the visitors who waited for them as long. Outside renders the interval
stays as it was: set lower for good (1 ms), it cost the short requests of the full
site's counter API a fifth or more of their req/s (see README, Performance).
"""

import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import contextmanager

from flask import Response, current_app, request, session
from flask_login import current_user
from sqlalchemy import event

from statboard.assets import ENCODINGS, FAST, encode
from statboard.extensions import db
from statboard.live import last_id

KEPT_HEADERS = ("Content-Type", "Cache-Control")
RENDER_WAIT = 10.0  # seconds a visitor waits for another's render of the same page
RENDER_SWITCH_SECONDS = 0.0002  # the GIL's switch interval while a page is rendered

_renders = 0  # renders under way in this process
_renders_lock = threading.Lock()
_switch_before = sys.getswitchinterval()


@contextmanager
def first_in_turn():
    """While the block runs (a render), threads hand the GIL on after
    RENDER_SWITCH_SECONDS; after the last render under way, at the interval before."""
    global _renders, _switch_before
    with _renders_lock:
        if _renders == 0:
            _switch_before = sys.getswitchinterval()
            sys.setswitchinterval(min(_switch_before, RENDER_SWITCH_SECONDS))
        _renders += 1
    try:
        yield
    finally:
        with _renders_lock:
            _renders -= 1
            if _renders == 0:
                sys.setswitchinterval(_switch_before)


class _Kept:
    """One page as rendered: its body, the headers it was sent with, its ETag, and its
    body in each encoding asked for so far."""

    def __init__(self, response: Response, tag: str, until: float):
        self.body = response.get_data()
        self.headers = [(name, response.headers[name]) for name in KEPT_HEADERS]
        self.tag, self.until = tag, until
        self.encoded: dict[str, bytes] = {}

    def body_in(self, encoding: str | None) -> bytes:
        if encoding is None:
            return self.body
        if encoding not in self.encoded:
            self.encoded[encoding] = encode(self.body, encoding, FAST)
        return self.encoded[encoding]


class VisitorPages:
    """A bounded, thread-safe LRU of visitors' pages, the latest of each address."""

    def __init__(self, size: int, seconds: float):
        self.size, self.seconds = max(0, int(size)), float(seconds)
        self.commits = 0  # of this process; any change will do, so no lock
        # address (path and query, host, scheme) -> (the key it was rendered for, page)
        self._items: OrderedDict[tuple, tuple[tuple, _Kept]] = OrderedDict()
        self._rendering: dict[tuple, threading.Event] = {}  # the keys being rendered now
        self._lock = threading.Lock()

    def key(self) -> tuple | None:
        """This request's key, or None when its answer is not one to keep: not a
        visitor's, or not a plain GET of the page."""
        if not self.size or self.seconds <= 0 or request.method not in ("GET", "HEAD"):
            return None
        if request.headers.get("HX-Request") or current_user.is_authenticated:
            return None
        if "_flashes" in session:  # a message shown once
            return None
        return (request.full_path, request.host, request.scheme, last_id(), self.commits)

    def serve(self, render: Callable[[tuple | None], Response]) -> Response:
        """The kept page, or `render(key)`, which keeps what it renders (keep()).

        While a page is rendered anew, the visitors who ask for it get the page kept
        before, if nothing committed in this process since (a live event or the age
        moved the key); after a commit they wait for the render (RENDER_WAIT seconds
        at most). So a page is rendered once, and visitors do not queue behind it."""
        key = self.key()
        if key is None:
            return render(None)
        for _ in range(2):  # a render that kept nothing (a 404) is not waited for twice
            with self._lock:
                kept, rendering = self._lookup(key)
                leading = kept is None and rendering is None
                if leading:
                    rendering = self._rendering[key] = threading.Event()
            if kept is not None:
                return self._answer(kept)
            if leading:
                try:
                    with first_in_turn():
                        return render(key)
                finally:
                    with self._lock:
                        del self._rendering[key]
                    rendering.set()
            rendering.wait(RENDER_WAIT)
        return render(key)

    def _lookup(self, key: tuple) -> tuple[_Kept | None, threading.Event | None]:
        """The page to answer `key` with, else the render of `key` on its way, if any."""
        held_key, kept = self._items.get(key[:3], (None, None))
        rendering = self._rendering.get(key)
        if kept is None:
            return None, rendering
        self._items.move_to_end(key[:3])
        if held_key == key and kept.until >= time.monotonic():
            return kept, None
        if rendering is not None and held_key[4] == key[4]:  # no commit here since
            return kept, None
        return None, rendering

    def _answer(self, kept: _Kept) -> Response:
        encoding = request.accept_encodings.best_match(ENCODINGS)
        response = Response(kept.body_in(encoding), headers=kept.headers)
        if encoding:
            response.headers["Content-Encoding"] = encoding
        return conditional(response, kept.tag, encoding)

    def keep(self, key: tuple | None, response: Response, tag: str) -> None:
        """Keep the 200 answer `response` (ETag `tag`) for `key`, unless the render
        touched the session (it would carry a cookie of this visitor's)."""
        if key is None or response.status_code != 200 or session.modified:
            return
        kept = _Kept(response, tag, time.monotonic() + self.seconds)
        with self._lock:
            self._items[key[:3]] = (key, kept)
            self._items.move_to_end(key[:3])
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def counted_commit(self, *args) -> None:
        self.commits += 1


def conditional(response: Response, tag: str, encoding: str | None) -> Response:
    """`response` (its body in `encoding`, None: as rendered) with the strong ETag
    "<tag>" or "<tag>:<encoding>", as compression tags it; a 304 without a body when the
    client holds this page in any encoding (the same content)."""
    variants = (tag, *(f"{tag}:{name}" for name in ENCODINGS))
    sent = next((t for t in variants if request.if_none_match.contains_weak(t)), None)
    response.set_etag(sent or (f"{tag}:{encoding}" if encoding else tag))
    return response.make_conditional(request)


def visitor_pages() -> VisitorPages:
    return current_app.extensions["pages.visitor_pages"]


def init_app(app) -> None:
    kept = VisitorPages(app.config["PAGE_CACHE_SIZE"], app.config["PAGE_CACHE_SECONDS"])
    app.extensions["pages.visitor_pages"] = kept
    with app.app_context():  # the site's engine's commits, of the session or not
        event.listen(db.engine, "commit", kept.counted_commit)
