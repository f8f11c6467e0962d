"""Live pages: events after commit, signed channels, the event stream to the browser.

    publish(channel, type, **data)      after the current transaction commits, in order
    publish_now(channel, type, **data)  at once, for changes outside a transaction
    stream_for(channels) -> dict        what a page embeds: its stream URL and last event id

Channels name what changed, never more than every reader of the channel may see:
    page:<id>      block <id> changed ({"block", "version"}), layout, page (renamed),
                   alert (an alert of block {"alerts"} fired or cleared)
    page:<id>:drafts  layout, when only drafts changed place (admins' pages read it)
    nav            the navigation changed
    user:<id>      the user's tasks progressed ({"task", "state"})
    counter:<key>  a counter's value ({"key", "value"}), a few times a second at most
    host:local     this host was sampled;  hosts:<block id>  a remote host changed state
    account:<id>   new follower samples of a tracked account
Events that concern private data carry ids only: the page fetches the fragment with
the viewer's own rights. See server.py for the stream, brokers/ for the engines.
"""

import logging
import threading
import time
from urllib.parse import urlencode, urlsplit

from flask import current_app, request

from statboard.live import brokers, tokens
from statboard.notify.queue import after_commit

log = logging.getLogger(__name__)


class Live:
    """The live feature of one app: its broker, and its event server once started."""

    def __init__(self, app):
        self.config = app.config
        self.broker = brokers.from_url(app.config["BROKER_URL"])
        self.server = None
        self._minute: tuple[int, str] | None = None  # (minute, the id pages embed in it)
        self._lock = threading.Lock()

    def minute_id(self, exact: str) -> str:
        """The id pages rendered in this minute embed: the last event's id when the
        first of them was rendered (by this process), unless the broker started anew."""
        minute = int(time.time() // 60)
        with self._lock:
            held = self._minute
            if held and held[0] == minute and _epoch(held[1]) == _epoch(exact):
                return held[1]
            self._minute = (minute, exact)
            return exact

    def publish(self, channel: str, type: str, data: dict) -> None:
        try:
            self.broker.publish(channel, type, data)
        except Exception:  # a broker that is down must not fail the change it follows
            log.exception("The live event %s on %s could not be published", type, channel)

    def start_server(self, app) -> None:
        from statboard.live import server  # only served sites load the event server (uvloop)

        if self.server is None and self.config["LIVE_PORT"]:
            self.server = server.start(app, self.broker)


def _live() -> Live:
    return current_app.extensions["live"]


def publish(channel: str, type: str, **data) -> None:
    """Publish once the current transaction commits (never, if it rolls back)."""
    after_commit(_live().publish, channel, type, data)


def publish_now(channel: str, type: str, **data) -> None:
    _live().publish(channel, type, data)


def stream_url() -> str | None:
    """Where this request's page opens its stream, or None where there is no server."""
    config = current_app.config
    if config["LIVE_URL"]:
        return config["LIVE_URL"]
    if not config["LIVE_PORT"]:
        return None
    host = urlsplit(f"//{request.host}").hostname or "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    return f"{request.scheme}://{host}:{config['LIVE_PORT']}/events"


def stream_for(channels) -> dict:
    """{"src", "last"} for a page reading `channels`: the signed stream URL and the id
    of the last event published, so the stream starts where the page's render did."""
    url = stream_url()
    if url is None:
        return {}
    config = current_app.config
    token = tokens.sign(config["SECRET_KEY"], list(channels), config["LIVE_TOKEN_SECONDS"])
    return {"src": f"{url}?{urlencode({'token': token})}", "last": page_last_id()}


def last_id() -> str:
    """The id of the last event published: a fragment rendered now is as of this id
    (templates: `live_last()`), so a page can tell the events it has not seen yet."""
    try:
        return _live().broker.last_id()
    except Exception:
        log.exception("The live broker did not answer; the page will resynchronise")
        return ""


def page_last_id() -> str:
    """The event id a page (or a fragment of it) is rendered as of (templates:
    `live_last()`): the last event's id as of this process's first page of the current
    minute, so that a page shown again within the minute is the same page (its ETag
    holds) however many events other pages had. Never newer than what the page shows:
    its stream replays the events since, which the page takes as they come (a block
    already at that version stays, a counter ends at its latest value)."""
    exact = last_id()
    return _live().minute_id(exact) if exact else exact


def _epoch(event_id: str) -> str:
    return event_id.rsplit("-", 1)[0]


def init_app(app):
    from statboard.live.routes import bp

    app.extensions["live"] = Live(app)
    app.add_template_global(page_last_id, "live_last")
    app.register_blueprint(bp)
