"""Prometheus metrics: GET /metrics in the text format (prometheus-client).

- requests.py: the site's own requests by route kind (a WSGI middleware), summed
  over worker processes by prometheus-client's multiprocess mode
- collector.py: counters, followers, this host, remote hosts, task queues and mail
  jobs, read at scrape time from what every worker shares
- routes.py: the endpoint, for a token with the "metrics" scope or METRICS_NETWORKS
"""

from flask import Blueprint

from statboard.networks import Networks

bp = Blueprint("metrics", __name__)


def init_app(app):
    """Call after counters: the middleware goes around the counter API too (which
    answers in front of the site's middleware, so it is wrapped there as well)."""
    from statboard.metrics import routes  # noqa: F401
    from statboard.metrics.requests import RequestMetrics, name_route

    app.extensions["metrics_networks"] = Networks(
        app.config["METRICS_NETWORKS"], "METRICS_NETWORKS"
    )
    app.after_request(name_route)
    app.wsgi_app = RequestMetrics(app.wsgi_app)
    app.extensions["counters"].wrap(RequestMetrics)
    app.register_blueprint(bp)
