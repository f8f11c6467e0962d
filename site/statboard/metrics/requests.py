"""The site's own requests, counted and timed by route kind (the Flask endpoint, or
"counters.api" for the pure-WSGI counter API), never by raw path.

A WSGI middleware around the counter API and the site, so both are counted. Under
several worker processes prometheus-client keeps each process's values in files of
the folder PROMETHEUS_MULTIPROC_DIR (serve.py makes one per run) and the scrape adds
them up; without it the values live in this process, in REGISTRY.
"""

import time

from flask import request
from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics

ROUTE_KEY = "statboard.route"  # the environ entry where the Flask hook names the route
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

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


class RequestMetrics:
    """WSGI middleware: one count and one timing per request."""

    def __init__(self, app):
        self.app = app
        # (route, method, status) -> its count and timing: labels() costs more than the
        # count itself, so each label set is looked up once (methods are a known few).
        self._series: dict[tuple[str, str, str], tuple] = {}

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
            series = self._series.get(labels) or self._look_up(labels)
            series[0].inc()
            series[1].observe(time.perf_counter() - started)

    def _look_up(self, labels: tuple[str, str, str]) -> tuple:
        route, method, status = labels
        known = method in METHODS
        series = REQUESTS.labels(route, method if known else "other", status), LATENCY.labels(route)
        if known:  # any other method a client makes up is counted as "other", uncached
            self._series[labels] = series
        return series


def name_route(response):
    """after_request: tell the middleware which route answered (its endpoint)."""
    rule = request.url_rule
    request.environ[ROUTE_KEY] = rule.endpoint if rule is not None else "unmatched"
    return response
