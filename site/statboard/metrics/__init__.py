"""Prometheus metrics: GET /metrics in the text format (prometheus-client).

- requests.py: the site's own requests by route kind (a WSGI middleware), summed
  over worker processes by prometheus-client's multiprocess mode
- collector.py: counters, followers, this host, remote hosts, task queues and mail
  jobs, read at scrape time from what every worker shares
- routes.py: the endpoint, for a token with the "metrics" scope or METRICS_NETWORKS
"""

from ipaddress import ip_network

from flask import Blueprint

bp = Blueprint("metrics", __name__)


def init_app(app):
    """Call after counters: the middleware goes around the counter API too."""
    from statboard.metrics import routes  # noqa: F401
    from statboard.metrics.requests import RequestMetrics, name_route

    check_networks(app.config["METRICS_NETWORKS"])
    app.after_request(name_route)
    app.wsgi_app = RequestMetrics(app.wsgi_app)
    app.register_blueprint(bp)


def check_networks(networks) -> None:
    """A wrong METRICS_NETWORKS stops the start, saying why."""
    if not isinstance(networks, list):
        raise ValueError(
            "STATBOARD_METRICS_NETWORKS must be a JSON list of CIDRs, like "
            f'["10.0.0.0/8"], not {networks!r}.'
        )
    for network in networks:
        try:
            ip_network(network, strict=False)
        except (TypeError, ValueError):
            raise ValueError(
                f"STATBOARD_METRICS_NETWORKS: {network!r} is not a network; "
                "write one like 10.0.0.0/8 or 192.168.1.5."
            ) from None
