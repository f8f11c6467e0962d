"""/v3/: the v2 host API behind HTTP Basic auth with Statboard's users.

Anyone may read /v3/ itself (its links); everything under it needs a user.

The /v3/users/ routes live in v3_users.py, on this module's blueprint.

Errors answer `{"message": ...}`; field errors `{"message": {"<field>": "..."}}`.
"""

from functools import wraps

from flask import Blueprint, abort, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from statboard.auth.credentials import basic_user
from statboard.extensions import db
from statboard.hostapi.common import cancel_task, find_task, links, start_iostat, task_body
from statboard.hosts.metrics import snapshots

bp = Blueprint("hostapi_v3", __name__, url_prefix="/v3")


@bp.errorhandler(HTTPException)
def api_error(error: HTTPException):
    if error.code >= 500:
        db.session.rollback()
    response = jsonify(message=error.description)
    response.status_code = error.code
    if error.code == 401:
        realm = current_app.config["SITE_NAME"].replace('"', "")
        response.headers["WWW-Authenticate"] = f'Basic realm="{realm}"'
    if getattr(error, "retry_after", None) is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


OPEN_ENDPOINTS = {"hostapi_v3.index"}  # the link list, as the original API served it


@bp.before_request
def require_basic_auth():
    """Every /v3 request but the link list names a user and password with HTTP Basic
    auth (throttled like the login form); the views find that user in g.api_user."""
    if request.endpoint in OPEN_ENDPOINTS:
        return
    g.api_user = basic_user()


def api_admin_required(view):
    """Only admins may do this (403 before the body is even read)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not g.api_user.is_admin:
            abort(403, "Only admins can change users.")
        return view(*args, **kwargs)

    return wrapped


@bp.get("/")
def index():
    return links(("uptime", "/v3/uptime/"), ("iostat", "/v3/iostat/"), ("users", "/v3/users/"))


@bp.get("/uptime/")
def uptime():
    return {"uptime": snapshots.get().uptime}


@bp.route("/iostat/", methods=["GET", "POST"])
def iostat():
    return start_iostat("/v3", owner=g.api_user)


@bp.get("/task/<task_id>")
def task_status(task_id):
    return task_body(find_task(task_id, owner_id=g.api_user.id), "/v3")


@bp.delete("/task/<task_id>")
def task_cancel(task_id):
    return cancel_task(find_task(task_id, owner_id=g.api_user.id))
