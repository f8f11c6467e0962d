"""Counters: a pure-WSGI counter API beside the site, its stores, and the counter block.

in_front mounts the counter API in front of the site, after every other middleware
(create_app calls it last): /counters and /counters/... (and the play-counter
protocol's /song/...) go to CounterApp, every other path to the site's stack (health
probes, security headers, request metrics, Flask), in the same process.
"""

from flask import Blueprint, current_app
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

bp = Blueprint("counters", __name__)
STORE_CONNECTIONS = 2  # the store's own pool (as many again on a burst): short reads, a flush


def build_counter_app(app):
    """The counter API for `app`'s settings and database."""
    from statboard.counters import stores
    from statboard.counters.access import WriteAccess
    from statboard.counters.api import CounterApp
    from statboard.counters.live import PushedStore
    from statboard.counters.ratelimit import IncrementLimit
    from statboard.extensions import side_engine

    config = app.config
    url = config["COUNTERS_URL"]
    store = stores.from_url(
        url,
        # Its own small pool: a counter block reads the store while its request holds a
        # connection of the site's pool, and the flusher writes while requests wait.
        side_engine(app, STORE_CONNECTIONS),
        namespace=config["COUNTER_REDIS_NAMESPACE"],
        interval=float(config["COUNTER_FLUSH_SECONDS"]),
    )
    limit = config["COUNTER_RATE_LIMIT"]
    live = app.extensions["live"]
    store = PushedStore(store, live.publish, float(config["LIVE_COUNTER_SECONDS"]))
    return CounterApp(
        store,
        WriteAccess(app, config["COUNTER_TRUSTED_NETWORKS"]),
        max_by=int(config["COUNTER_MAX_BY"]),
        limit=IncrementLimit(limit, url) if limit else None,
        private_prefixes=config["COUNTER_PRIVATE_PREFIXES"],
        play_namespace=config["COUNTER_PLAY_NAMESPACE"],
    )


def check_play_namespace(app) -> None:
    """Refuse a COUNTER_PLAY_NAMESPACE that would hide the site's own routes."""
    namespace = app.config["COUNTER_PLAY_NAMESPACE"]
    if not namespace:
        return
    try:
        app.url_map.bind("localhost").match(f"/{namespace}/1", method="GET")
    except NotFound:
        return
    except (MethodNotAllowed, RequestRedirect):
        pass  # a route there all the same
    raise ValueError(
        f"COUNTER_PLAY_NAMESPACE {namespace!r} would hide the site's /{namespace}/... "
        "pages: choose another, like song."
    )


def store():
    """The counter store of the current app (for the block and the CLI)."""
    return current_app.extensions["counters"].store


def in_front(app) -> None:
    """Mount the counter API in front of the app's outermost WSGI callable: call it after
    every other middleware, so that a counter request passes none of it (the API adds
    the security headers itself, and its own middleware, the metrics, is wrapped on
    it with CounterApp.wrap)."""
    app.wsgi_app = app.extensions["counters"].in_front(app.wsgi_app, app.config)


def init_app(app):
    from statboard.counters import blocks, models  # noqa: F401

    check_play_namespace(app)  # counters come last in FEATURES: every route is known
    app.extensions["counters"] = build_counter_app(app)
    blocks.register_kind()
    app.register_blueprint(bp)
