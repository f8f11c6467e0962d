"""The site's own requests, counted and timed by route kind (the Flask endpoint, or
"counters.api" for the pure-WSGI counter API), never by raw path.

A WSGI middleware around the counter API and the site, so both are counted. Each
request adds to its thread's tally in plain memory, without a lock; a thread folds the
tallies into prometheus-client's values once per FOLD_SECONDS, and so does a scrape in
this process before it reads, and the process's exit. Under several worker processes
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
from bisect import bisect_left
from functools import partial
from threading import get_ident
from time import perf_counter_ns

from flask import request
from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics

from statboard.counters.flusher import Flusher

ROUTE_KEY = "statboard.route"  # the environ entry where the Flask hook names the route
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BOUNDS_NS = tuple(round(bound * 1e9) for bound in BUCKETS)  # the same, in nanoseconds
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
    """Requests counted and timed in plain memory, until fold() adds them to REQUESTS and
    LATENCY.

    Each thread keeps its own cumulative counts, which only that thread writes: no lock
    on the request path (a shared one had the request threads wait for each other when
    the GIL passed from one to another while it was held). A thread's counts are
    registered once, by its id; fold() walks them and adds what grew since it last
    looked, so nothing is lost or counted twice, and what a thread adds while a fold
    reads reaches the next one. A thread that ends leaves its counts to the next thread
    given its id (ids are reused): still one writer at a time.
    """

    def __init__(self):
        # thread id -> (route, method, status) -> [nanoseconds, count per bucket (the
        # last: +Inf)], all cumulative
        self._threads: dict[int, dict[tuple[str, str, str], list[int]]] = {}
        self._folded: dict[int, dict] = {}  # the same, as the last fold saw them
        self._fold_lock = threading.Lock()
        self._folder = Flusher(self.fold, FOLD_SECONDS, name="metrics-fold")
        os.register_at_fork(after_in_child=self._after_fork)

    def add(self, labels: tuple[str, str, str], nanoseconds: int) -> None:
        """Count a request (its method one of METHODS or "other") that took `nanoseconds`."""
        counts = self._threads.get(get_ident())
        if counts is None:
            counts = self._register()
        entry = counts.get(labels)
        if entry is None:
            entry = counts[labels] = [0] * (len(BOUNDS_NS) + 2)
        entry[0] += nanoseconds
        entry[bisect_left(BOUNDS_NS, nanoseconds) + 1] += 1

    def _register(self) -> dict:
        counts = self._threads[get_ident()] = {}
        if not self._folder.running:
            self._folder.start()
        return counts

    def fold(self) -> None:
        """Add what was tallied since the last fold to prometheus-client's values."""
        with self._fold_lock:
            grown: dict[tuple[str, str, str], list[int]] = {}
            # Copies (atomic under the GIL): the owners go on counting meanwhile.
            for ident, counts in self._threads.copy().items():
                folded = self._folded.setdefault(ident, {})
                for labels, entry in counts.copy().items():
                    now, before = entry.copy(), folded.get(labels)
                    folded[labels] = now
                    delta = grown.setdefault(labels, [0] * len(now))
                    for i, value in enumerate(now):
                        delta[i] += value - (before[i] if before else 0)
        for (route, method, status), (nanoseconds, *buckets) in grown.items():
            count = sum(buckets)
            if not count and not nanoseconds:
                continue
            REQUESTS.labels(route, method, status).inc(count)
            latency = LATENCY.labels(route)
            # Histogram.observe() one value at a time, in bulk: its sum and the bucket
            # each value falls in (prometheus-client keeps buckets uncumulated).
            latency._sum.inc(nanoseconds / 1e9)
            for bucket, n in zip(latency._buckets, buckets, strict=True):
                if n:
                    bucket.inc(n)

    def _after_fork(self) -> None:
        """A forked child counts its own requests (and the parent's fold thread is not
        here)."""
        self._threads, self._folded = {}, {}
        self._fold_lock = threading.Lock()
        self._folder.forget_after_fork()


TALLY = Tally()


class RequestMetrics:
    """WSGI middleware: one count and one timing per request."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        started = perf_counter_ns()
        status = "500"

        def start(line, headers, exc_info=None):
            nonlocal status
            status = line[:3]
            return start_response(line, headers, exc_info)

        try:
            return self.app(environ, start)
        finally:
            TALLY.add(labels(environ, status), perf_counter_ns() - started)

    @staticmethod
    def counter(environ, status: str):
        """What the middleware does with a request like this one answered with `status`
        (its first 3 characters): a function of the request's nanoseconds, for an app
        that answers some requests without the middleware (CounterApp.wrap)."""
        return partial(TALLY.add, labels(environ, status))


def labels(environ, status: str) -> tuple[str, str, str]:
    """A request's labels: its route kind, its method and its status."""
    route = environ.get(ROUTE_KEY) or route_of_path(environ.get("PATH_INFO", ""))
    method = environ.get("REQUEST_METHOD", "")
    if method not in METHODS:
        method = "other"  # a made-up method is no series of its own
    return route, method, status


def name_route(response):
    """after_request: tell the middleware which route answered (its endpoint)."""
    rule = request.url_rule
    request.environ[ROUTE_KEY] = rule.endpoint if rule is not None else "unmatched"
    return response
