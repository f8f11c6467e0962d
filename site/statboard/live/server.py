"""The event server: GET /events?token=...&last=<id>, a server-sent event stream.

It runs in each site process on one thread of its own: an asyncio loop (uvloop) that
holds every open page as a socket and a few hundred bytes, not a thread. It shares
the site's port number plus one (LIVE_PORT) with the site's other worker processes
(SO_REUSEPORT); /events on the site's own port sends browsers here. It reads no
database: the token says which channels a page reads.

It speaks just enough HTTP/1.1 for one GET and writes each event straight to the
sockets of the pages that read it. An ASGI server costs a coroutine switch and its
protocol's send per page per event: at 1,000 pages and a few counter pushes a second
that took a third of the counter API's speed in the same process (see the README).

What a page receives, in order:
    retry: <ms>                   how long the browser waits before reconnecting
    the events it missed since `last` (or Last-Event-ID), or one `resync` event
    then each event on its channels as it is published, `: ping` comments while idle,
    and `renew` when its token expires (the page fetches a fresh one and reconnects).
"""

import asyncio
import socket
import threading
import time
from urllib.parse import parse_qs, urlsplit

import uvloop

from statboard.live import tokens
from statboard.live.hub import RENEW, RESYNC, Hub, parse_id

PING_SECONDS = 15.0
RETRY_MS = 2000
HEAD_BYTES = 16384  # the most a request's line and headers may take
HEAD_SECONDS = 10.0  # ... and the longest they may take to arrive
BACKLOG_BYTES = 1 << 20  # unsent bytes of a page that stopped reading: past this, cut it
STREAM_HEADERS = (
    "Content-Type: text/event-stream; charset=utf-8\r\n"
    "Cache-Control: no-store\r\n"
    "X-Accel-Buffering: no\r\n"  # nginx: send each event at once
    "Access-Control-Allow-Origin: *\r\n"  # the token, not a cookie, is the credential
    "X-Content-Type-Options: nosniff\r\n"
)
REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found"}
REASONS |= {405: "Method Not Allowed", 431: "Request Header Fields Too Large"}


class Request:
    def __init__(self, head: bytes):
        lines = head.decode("latin-1").split("\r\n")
        self.method, self.target, self.version = (lines[0].split(" ") + ["", ""])[:3]
        self.headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        parts = urlsplit(self.target)
        self.path = parts.path
        self.query = {k: v[-1] for k, v in parse_qs(parts.query).items()}


class Page(asyncio.Protocol):
    """One connection: reads one request, then is a reader of the hub until it closes."""

    def __init__(self, server: "EventServer"):
        self.server, self.head, self.transport = server, b"", None
        self.channels, self.floor, self.chunked, self.timer = frozenset(), 0, True, None

    def connection_made(self, transport):
        self.transport = transport
        self.timer = self.server.loop.call_later(HEAD_SECONDS, transport.abort)

    def data_received(self, data: bytes):
        if self.channels or self.head is None:
            return  # a stream reads nothing more from the page
        self.head += data
        end = self.head.find(b"\r\n\r\n")
        if (end if end >= 0 else len(self.head)) > HEAD_BYTES:
            self.head = None
            return self.answer(431, "The request's headers are too large.")
        if end < 0:
            return
        self.timer.cancel()
        head, self.head = self.head[:end], None
        try:
            request = Request(head)
        except ValueError:
            return self.answer(400, "The request could not be read; use GET /events?token=...")
        self.server.serve(self, request)

    def answer(self, status: int, message: str) -> None:
        body = (message + "\n").encode()
        self.transport.write(
            f"HTTP/1.1 {status} {REASONS[status]}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Access-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        self.transport.close()

    def begin(self, request: Request, channels, first: bytes, floor: int, expires: float):
        self.chunked = request.version == "HTTP/1.1"
        framing = "Transfer-Encoding: chunked\r\n" if self.chunked else "Connection: close\r\n"
        head = f"HTTP/1.1 200 OK\r\n{STREAM_HEADERS}{framing}\r\n".encode()
        if request.method == "HEAD":
            self.transport.write(head)
            return self.transport.close()
        self.transport.write(head)
        self.send(first)
        self.channels, self.floor = frozenset(channels), floor
        self.server.hub.open(self)
        self.timer = self.server.loop.call_later(expires - time.time(), self.put, RENEW)

    def put(self, item) -> None:
        """From the hub: an event as (seq, bytes), or PING, RESYNC; RENEW ends it."""
        if self.transport.is_closing():
            return
        if isinstance(item, tuple):
            if item[0] <= self.floor:  # a page may know of an id this process has yet to hear
                return
            item = item[1]
        self.send(item)
        if item is RENEW:
            if self.chunked:
                self.transport.write(b"0\r\n\r\n")
            self.transport.close()
        elif self.transport.get_write_buffer_size() > BACKLOG_BYTES:
            self.transport.abort()  # it reconnects and catches up from its last id

    def send(self, body: bytes) -> None:
        if self.chunked:
            body = b"%x\r\n%s\r\n" % (len(body), body)
        self.transport.write(body)

    def connection_lost(self, exc):
        if self.timer is not None:
            self.timer.cancel()
        if self.channels:
            self.server.hub.close(self)


class EventServer:
    def __init__(self, hub: Hub, secret_key: str, token_seconds: float, loop):
        self.hub, self.secret_key, self.token_seconds = hub, secret_key, token_seconds
        self.loop = loop

    def serve(self, page: Page, request: Request) -> None:
        if request.path != "/events":
            return page.answer(404, "Only the event stream is served here: GET /events.")
        if request.method not in ("GET", "HEAD"):
            return page.answer(405, "The event stream is read with GET /events.")
        try:
            channels, signed_at = tokens.channels_of(
                self.secret_key, request.query.get("token", ""), self.token_seconds
            )
        except tokens.TokenRefused as refused:
            return page.answer(403, str(refused))
        since = request.headers.get("last-event-id") or request.query.get("last")
        missed = self.hub.missed(since, frozenset(channels))
        first = [b"retry: %d\n\n" % RETRY_MS]
        first += [RESYNC] if missed is None else [event.sse() for event in missed]
        # With Redis, a page may know of an id this process has yet to hear: skip to it.
        floor = parse_id(since)[1] if missed is not None else 0
        expires = signed_at + self.token_seconds
        page.begin(request, channels, b"".join(first), floor, expires)


def listening_socket(host: str, port: int) -> socket.socket:
    """The event port, shared with the site's other workers (each accepts its share)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def start(app, broker) -> threading.Thread:
    """Serve the event stream of `app` on HOST:LIVE_PORT, on a daemon thread."""
    config = app.config
    sock = listening_socket(config["LIVE_HOST"] or config["HOST"], int(config["LIVE_PORT"]))
    hub = Hub(broker, int(config["LIVE_REPLAY"]))

    async def serve():
        loop = asyncio.get_running_loop()
        server = EventServer(hub, config["SECRET_KEY"], float(config["LIVE_TOKEN_SECONDS"]), loop)
        hub.listen(loop)
        await loop.create_server(lambda: Page(server), sock=sock)
        while True:
            await asyncio.sleep(PING_SECONDS)
            hub.ping()

    def run():
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(serve())

    thread = threading.Thread(target=run, name="live-events", daemon=True)
    thread.start()
    return thread
