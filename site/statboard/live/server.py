"""The event server: GET /events?token=...&last=<id>, a server-sent event stream.

It runs in each site process on one thread of its own: an asyncio loop serving a
small ASGI app with uvicorn, so that an open page costs a queue and a socket, not
a thread. It shares the site's port number plus one (LIVE_PORT) with the site's
other worker processes (SO_REUSEPORT); /events on the site's own port sends
browsers here. It reads no database: the token says which channels a page reads.

What a page receives, in order:
    retry: <ms>                   how long the browser waits before reconnecting
    the events it missed since `last` (or Last-Event-ID), or one `resync` event
    then each event on its channels as it is published, `: ping` comments while idle,
    and `renew` when its token expires (the page fetches a fresh one and reconnects).
"""

import asyncio
import logging
import socket
import threading
import time
from urllib.parse import parse_qs

import uvicorn

from statboard.live import tokens
from statboard.live.hub import PING, RENEW, RESYNC, Hub, parse_id

log = logging.getLogger(__name__)
PING_SECONDS = 15.0
RETRY_MS = 2000
STREAM_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"x-accel-buffering", b"no"),  # nginx: send each event at once
    (b"access-control-allow-origin", b"*"),  # the token, not a cookie, is the credential
    (b"x-content-type-options", b"nosniff"),
]


class EventApp:
    """The ASGI app. `hub` is the switchboard of this process's loop."""

    def __init__(self, hub: Hub, secret_key: str, token_seconds: float):
        self.hub, self.secret_key, self.token_seconds = hub, secret_key, token_seconds

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        if scope["path"] != "/events":
            return await _text(send, 404, "Only the event stream is served here: GET /events.")
        if scope["method"] not in ("GET", "HEAD"):
            return await _text(send, 405, "The event stream is read with GET /events.")
        query = {k: v[-1] for k, v in parse_qs(scope["query_string"].decode("latin-1")).items()}
        try:
            channels, signed_at = tokens.channels_of(
                self.secret_key, query.get("token", ""), self.token_seconds
            )
        except tokens.TokenRefused as refused:
            return await _text(send, 403, str(refused))
        headers = dict(scope["headers"])
        since = headers.get(b"last-event-id", b"").decode("latin-1") or query.get("last")
        expires = signed_at + self.token_seconds
        await self.stream(send, receive, channels, since, expires)

    async def stream(self, send, receive, channels, since, expires):
        hub = self.hub
        stream = hub.open(channels)
        missed = hub.missed(since, stream.channels)  # after open: nothing falls between
        watcher = asyncio.ensure_future(_disconnect(receive, stream))
        loop = asyncio.get_running_loop()
        renewal = loop.call_at(loop.time() + expires - time.time(), stream.put, RENEW)
        try:
            await send({"type": "http.response.start", "status": 200, "headers": STREAM_HEADERS})
            first = [b"retry: %d\n\n" % RETRY_MS]
            if missed is None:
                first.append(RESYNC)
            else:
                first += [event.sse() for event in missed]
            await _chunk(send, b"".join(first))
            # With Redis, a page may know of an id this process has yet to hear: skip to it.
            floor = parse_id(since)[1] if missed is not None else 0
            while not stream.overflowed:
                # No timer per wait: the hub pings, the renewal is one timer per stream.
                items = [await stream.queue.get()]
                while not stream.queue.empty():  # a burst goes out as one chunk
                    items.append(stream.queue.get_nowait())
                body, renew = _body(items, floor)
                if body is None:  # the page went away
                    return
                if body:
                    await _chunk(send, body)
                if renew:
                    break
            await send({"type": "http.response.body", "body": b""})
        except OSError:
            pass  # the connection broke: nothing to tell
        finally:
            hub.close(stream)
            renewal.cancel()
            watcher.cancel()


def _body(items, floor: int) -> tuple[bytes | None, bool]:
    """What to send for the items taken from a stream's queue, and whether the stream
    ends after it (its token expired); None when the page has gone."""
    parts = []
    for item in items:
        if item is None:
            return None, False
        if item is RENEW:
            parts.append(RENEW)
            return b"".join(parts), True
        if item is PING:
            if not parts:
                parts.append(PING)
        elif item is RESYNC:
            parts.append(RESYNC)
        elif item[0] > floor:
            parts.append(item[1])
    return b"".join(parts), False


async def _disconnect(receive, stream) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    stream.put(None)


async def _chunk(send, body: bytes) -> None:
    await send({"type": "http.response.body", "body": body, "more_body": True})


async def _text(send, status: int, message: str) -> None:
    body = (message + "\n").encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"access-control-allow-origin", b"*"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def listening_socket(host: str, port: int) -> socket.socket:
    """The event port, shared with the site's other workers (each accepts its share)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def start(app, broker) -> threading.Thread:
    """Serve the event stream of `app` on HOST:LIVE_PORT, on a daemon thread."""
    config = app.config
    sock = listening_socket(config["LIVE_HOST"] or config["HOST"], int(config["LIVE_PORT"]))
    hub = Hub(broker, int(config["LIVE_REPLAY"]))
    event_app = EventApp(hub, config["SECRET_KEY"], float(config["LIVE_TOKEN_SECONDS"]))
    server = uvicorn.Server(
        uvicorn.Config(
            event_app,
            lifespan="off",
            access_log=False,
            log_level="warning",
            timeout_keep_alive=30,
            server_header=False,
            backlog=2048,
        )
    )

    async def ping():
        while True:
            await asyncio.sleep(PING_SECONDS)
            hub.ping()

    async def serve():
        hub.listen(asyncio.get_running_loop())
        pinger = asyncio.ensure_future(ping())
        try:
            await server.serve(sockets=[sock])
        finally:
            pinger.cancel()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), name="live-events", daemon=True)
    thread.start()
    return thread
