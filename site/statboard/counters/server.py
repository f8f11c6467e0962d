"""`python run.py counters --port N`: only the counter API, for dedicated counter servers.

The Flask app is made for its settings, database and token checks; it serves no
route here: /counters/... and the play-counter protocol at the root (/song/<id>, GET /
and DELETE /) are served, and /healthz and /readyz; every other path answers 404.

Served on granian's RSGI interface, one event loop per worker. The counter API's hot
path (a plain-text read or increment of a known key) is answered on the loop, with no
hand-over to a thread: from memory (CounterApp.answer_at_once), or with the Redis
store by awaiting its pipelined reply (answer_awaited, stores/resp_loop.py). Every other
request (a key not yet in memory, JSON, PUT and DELETE, the play protocol, the health
checks) is answered by the WSGI counter app in COUNTER_SERVER_THREADS threads
(rsgi_bridge), exactly as before.
"""

import logging

from statboard import create_app
from statboard.counters.api import TEXT
from statboard.counters.flusher import flush_on_signals
from statboard.counters.keys import ApiError
from statboard.counters.stores import ValueTooLarge
from statboard.health import Health
from statboard.rsgi_bridge import WsgiInThreads

BASE = "/counters/"
UNAVAILABLE = b"The counter store did not answer: try again in a moment.\n"

log = logging.getLogger(__name__)


class CounterServer:
    """The RSGI app: the counter API's hot path on the loop, the rest in threads."""

    def __init__(self, counter_app, wsgi_app, threads: int):
        self.counters = counter_app
        self.rest = WsgiInThreads(wsgi_app, threads)
        self.awaits = counter_app.store.awaits
        self.text_headers = [list(headers) for headers in counter_app.text_headers]
        self.unavailable = [TEXT, ("Retry-After", "1"), *counter_app.after]

    async def __rsgi__(self, scope, proto) -> None:
        path = scope.path
        if path.startswith(BASE):
            request = (scope.method, path[len(BASE) :], scope.query_string)
            accept = scope.headers.get("accept")
            if not self.awaits:
                body = self.counters.answer_at_once(*request, accept)
            else:
                try:
                    value = self.counters.answer_awaited(*request, accept)
                    body = None if value is None else b"%d" % await value
                except (ApiError, ValueTooLarge) as error:
                    status, headers, body = self.counters.refusal(error)
                    proto.response_bytes(int(status[:3]), headers, body)
                    return
                except Exception as error:  # nothing is sent twice: the client may retry
                    log.warning("The counter store did not answer: %r", error)
                    proto.response_bytes(503, self.unavailable, UNAVAILABLE)
                    return
            if body is not None:
                proto.response_bytes(200, self.text_headers[len(body)], body)
                return
        await self.rest(scope, proto)

    def __rsgi_del__(self, loop) -> None:
        """After granian's graceful stop: the threads end, and what is pending is written."""
        self.rest.close()
        self.counters.store.close()


flask_app = create_app()
counter_app = flask_app.extensions["counters"]  # the CounterApp create_app mounted
flush_on_signals(counter_app.store.close)  # when served by something other than run.py
# /healthz and /readyz answer here too (the counter server keeps no uploads); any
# other path, the counter API's 404 (with its security headers).
wsgi_app = counter_app.serve_alone(Health(counter_app.not_found, flask_app, storage=False))
app = CounterServer(counter_app, wsgi_app, int(flask_app.config["COUNTER_SERVER_THREADS"]))
