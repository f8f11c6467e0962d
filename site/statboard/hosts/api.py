"""The host API, wire-compatible with its original clients: /, /v1/ and /v2/.

Errors answer `{"msg": ...}` as those clients expect; v3 (api_v3.py) says `message`.
"""

from flask import Blueprint, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from statboard.extensions import db
from statboard.hosts.api_common import (
    cancel_task,
    find_task,
    iostat_params,
    links,
    request_values,
    start_iostat,
    task_body,
)
from statboard.hosts.metrics import iostat_report, uptime_line
from statboard.htmx import is_htmx

bp = Blueprint("hosts_api", __name__)

ROOT_LINKS = links(("v1", "/v1/"), ("v2", "/v2/"), ("v3", "/v3/"))
API_PREFIXES = ("/v1/", "/v2/", "/v3/")
HTML_TYPES = ("text/html", "application/xhtml+xml")


def prefers_html() -> bool:
    """True for browsers: text/html named outright, ranked no lower than JSON.

    curl and scripts send `*/*` (or nothing, or application/json) and get JSON.
    """
    if is_htmx():
        return True
    accept = request.accept_mimetypes
    named = [quality for value, quality in accept if value in HTML_TYPES and quality > 0]
    return bool(named) and max(named) >= accept["application/json"]


@bp.before_app_request
def answer_machines_at_root():
    if request.path == "/" and request.method in ("GET", "HEAD") and not prefers_html():
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


@bp.after_app_request
def vary_root_on_accept(response):
    if request.path == "/":
        response.vary.add("Accept")
    return response


@bp.errorhandler(HTTPException)
def api_error(error: HTTPException):
    if error.code >= 500:
        db.session.rollback()
    return jsonify(msg=error.description), error.code


@bp.get("/v1/")
def v1_index():
    return links(("uptime", "/v1/uptime/"), ("iostat", "/v1/iostat/"))


@bp.get("/v2/")
def v2_index():
    return links(("uptime", "/v2/uptime/"), ("iostat", "/v2/iostat/"))


@bp.get("/v1/uptime/")
@bp.get("/v2/uptime/")
def uptime():
    return {"uptime": uptime_line()}


@bp.get("/v1/iostat/")
def v1_iostat():
    count, wait = iostat_params(request_values())
    return {"iostat": iostat_report(count, wait)}


@bp.route("/v2/iostat/", methods=["GET", "POST"])
def v2_iostat():
    return start_iostat("/v2")


@bp.get("/v2/task/<task_id>")
def v2_task(task_id):
    return task_body(find_task(task_id, owner_id=None), "/v2")


@bp.delete("/v2/task/<task_id>")
def v2_cancel(task_id):
    return cancel_task(find_task(task_id, owner_id=None))
