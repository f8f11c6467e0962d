"""The site's own requests, counted and timed by route kind (the Flask endpoint, or
"counters.api" for the pure-WSGI counter API), never by raw path.

A WSGI middleware around the counter API and the site, so both are counted. Each
request adds to a tally in plain memory; a thread folds the tally into
prometheus-client's values once per FOLD_SECONDS, and so does a scrape in this
process before it reads, and the process's exit. Under several worker processes
prometheus-client keeps each process's values in files of the folder
PROMETHEUS_MULTIPROC_DIR (serve.py makes one per run) and the scrape adds them up, so
another worker's last requests reach a scrape at most FOLD_SECONDS late; without it
the values live in this process, in REGISTRY.

Why a tally: a count and a timing written straight into prometheus-client's
multiprocess values cost ~4 µs a request (each a locked write to a mapped file), more
than the whole of a counter API request; the tally costs a tenth of it.
"""

import os
import threading
import time
from bisect import bisect_left

from flask import request
from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics

from statboard.counters.flusher import Flusher

ROUTE_KEY = "statboard.route"  # the environ entry where the Flask hook names the route
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
FOLD_SECONDS = 1.0

# The same series in one process as across workers (multiprocess mode has no _created).
disable_created_metrics()
REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "statboard_http_requests",
    "HTTP requests answered, by route kind, method and status code.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "statboard_http_request_duration_seconds",
    "Time to answer an HTTP request (until the response starts), by route kind.",
    ["route"],
    buckets=BUCKETS,
    registry=REGISTRY,
)


def route_of_path(path: str) -> str:
    """The route kind of a request that Flask did not name (the counter API, or none)."""
    if path == "/counters" or path.startswith("/counters/"):
        return "counters.api"
    return "unmatched"


class Tally:
    """Requests counted and timed in plain memory, until fold() adds them to
    REQUESTS and LATENCY."""

    def __init__(self):
        self._lock = threading.Lock()
        # (route, method, status) -> [count, seconds, count per bucket (the last: +Inf)]
        self._pending: dict[tuple[str, str, str], list] = {}
        self._folder = Flusher(self.fold, FOLD_SECONDS, name="metrics-fold")
        os.register_at_fork(after_in_child=self._after_fork)

    def add(self, labels: tuple[str, str, str], seconds: float) -> None:
        if not self._folder.running:
            self._folder.start()
        with self._lock:
            entry = self._pending.get(labels)
            if entry is None:
                entry = self._pending[labels] = [0, 0.0, [0] * (len(BUCKETS) + 1)]
            entry[0] += 1
            entry[1] += seconds
            entry[2][bisect_left(BUCKETS, seconds)] += 1

    def fold(self) -> None:
        """Add what was tallied to prometheus-client's values."""
        with self._lock:
            pending, self._pending = self._pending, {}
        for (route, method, status), (count, seconds, buckets) in pending.items():
            known = method if method in METHODS else "other"
            REQUESTS.labels(route, known, status).inc(count)
            latency = LATENCY.labels(route)
            # Histogram.observe() one value at a time, in bulk: its sum and the bucket
            # each value falls in (prometheus-client keeps buckets uncumulated).
            latency._sum.inc(seconds)
            for bucket, n in zip(latency._buckets, buckets, strict=True):
                if n:
                    bucket.inc(n)

    def _after_fork(self) -> None:
        """A forked child counts its own requests (and the parent's fold thread is not
        here)."""
        self._lock = threading.Lock()
        self._pending = {}
        self._folder.forget_after_fork()


TALLY = Tally()


class RequestMetrics:
    """WSGI middleware: one count and one timing per request."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        status = "500"

        def start(line, headers, exc_info=None):
            nonlocal status
            status = line[:3]
            return start_response(line, headers, exc_info)

        try:
            return self.app(environ, start)
        finally:
            route = environ.get(ROUTE_KEY) or route_of_path(environ.get("PATH_INFO", ""))
            labels = (route, environ.get("REQUEST_METHOD", ""), status)
            TALLY.add(labels, time.perf_counter() - started)


def name_route(response):
    """after_request: tell the middleware which route answered (its endpoint)."""
    rule = request.url_rule
    request.environ[ROUTE_KEY] = rule.endpoint if rule is not None else "unmatched"
    return response
