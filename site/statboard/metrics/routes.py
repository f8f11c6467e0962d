"""GET /metrics: for a bearer token with the "metrics" scope, or any client whose
address is in METRICS_NETWORKS; 404 while METRICS_ENABLED is off."""

import os

from flask import Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from statboard.auth.credentials import CredentialError, bearer_token, token_owner
from statboard.metrics import bp
from statboard.metrics.collector import SiteCollector
from statboard.metrics.requests import REGISTRY, TALLY

SCOPE = "metrics"


def refused(error: CredentialError) -> Response:
    message = error.message + (
        " Or scrape from an address in METRICS_NETWORKS." if error.status == 401 else ""
    )
    response = Response(message + "\n", status=error.status, mimetype="text/plain")
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


def registry() -> CollectorRegistry:
    """This scrape's registry: the requests of every worker (or of this process alone),
    and what the collector reads now."""
    TALLY.fold()  # this process's requests up to now; other workers' fold each second
    scrape = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(scrape)
    else:
        scrape.register(_Local())
    scrape.register(SiteCollector())
    return scrape


class _Local:
    """The in-process request metrics, registered in each scrape's registry."""

    def collect(self):
        yield from REGISTRY.collect()


@bp.get("/metrics")
def scrape():
    config = current_app.config
    if not config["METRICS_ENABLED"]:
        abort(404, "Metrics are off here: set STATBOARD_METRICS_ENABLED=true to serve them.")
    if request.remote_addr not in current_app.extensions["metrics_networks"]:
        try:
            token_owner(bearer_token(request.headers.get("Authorization")), SCOPE)
        except CredentialError as error:
            return refused(error)
    response = Response(generate_latest(registry()), mimetype=None)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    response.headers["Cache-Control"] = "no-store"
    return response
