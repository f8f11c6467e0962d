"""`/` for machines: the links to the API versions, where browsers get the home page.

Also: a path under an API prefix that no route matches answers a JSON error in
that version's own words, not the site's error page.
"""

from flask import jsonify, request
from werkzeug.routing import RequestRedirect

from statboard.hostapi.common import links
from statboard.htmx import is_htmx
from statboard.negotiation import wants_json

ROOT_LINKS = links(("v1", "/v1/"), ("v2", "/v2/"), ("v3", "/v3/"))
API_PREFIXES = ("/v1/", "/v2/", "/v3/")


def answer_machines_at_root():
    """Before every request: curl and scripts asking for `/` get the version links."""
    if (
        request.path == "/"
        and request.method in ("GET", "HEAD")
        and not is_htmx()
        and wants_json(request.headers.get("Accept"), default=True)
    ):
        return jsonify(ROOT_LINKS)
    error = request.routing_exception
    if (
        error is not None
        and not isinstance(error, RequestRedirect)
        and request.path.startswith(API_PREFIXES)
    ):
        # No route matched under an API prefix: still a JSON error in the API's own words.
        key = "message" if request.path.startswith("/v3/") else "msg"
        return jsonify({key: error.description}), error.code
    return None


def vary_root_on_accept(response):
    if request.path == "/":
        response.vary.add("Accept")
    return response
