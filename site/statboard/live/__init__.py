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
    token = tokens.sign(current_app.config["SECRET_KEY"], list(channels))
    return {"src": f"{url}?{urlencode({'token': token})}", "last": last_id()}


def last_id() -> str:
    """The id of the last event published: a fragment rendered now is as of this id
    (templates: `live_last()`), so a page can tell the events it has not seen yet."""
    try:
        return _live().broker.last_id()
    except Exception:
        log.exception("The live broker did not answer; the page will resynchronise")
        return ""


def init_app(app):
    from statboard.live.routes import bp

    app.extensions["live"] = Live(app)
    app.add_template_global(last_id, "live_last")
    app.register_blueprint(bp)
