"""/v3/: the v2 host API behind HTTP Basic auth with Statboard's users, plus users.

Errors answer `{"message": ...}`; field errors `{"message": {"<field>": "..."}}`.
"""

from flask import Blueprint, abort, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from statboard.auth.models import User
from statboard.extensions import db
from statboard.hosts.api_common import cancel_task, find_task, links, start_iostat, task_body
from statboard.hosts.metrics import uptime_line

bp = Blueprint("hosts_v3", __name__, url_prefix="/v3")


@bp.errorhandler(HTTPException)
def api_error(error: HTTPException):
    if error.code >= 500:
        db.session.rollback()
    response = jsonify(message=error.description)
    response.status_code = error.code
    if error.code == 401:
        realm = current_app.config["SITE_NAME"].replace('"', "")
        response.headers["WWW-Authenticate"] = f'Basic realm="{realm}"'
    return response


@bp.before_request
def authenticate():
    """Every /v3 request names a user and password with HTTP Basic auth."""
    credentials = request.authorization
    user = None
    if credentials is not None and credentials.type == "basic" and credentials.username:
        user = db.session.scalar(db.select(User).where(User.username == credentials.username))
        if user is not None and not user.check_password(credentials.password or ""):
            user = None
    if user is None:
        abort(401, "Send a valid username and password with HTTP Basic auth.")
    g.api_user = user


def require_api_admin() -> None:
    if not g.api_user.is_admin:
        abort(403, "Only admins can change users.")


@bp.get("/")
def index():
    return links(("uptime", "/v3/uptime/"), ("iostat", "/v3/iostat/"), ("users", "/v3/users/"))


@bp.get("/uptime/")
def uptime():
    return {"uptime": uptime_line()}


@bp.route("/iostat/", methods=["GET", "POST"])
def iostat():
    return start_iostat("/v3", owner=g.api_user)


@bp.get("/task/<task_id>")
def task_status(task_id):
    return task_body(find_task(task_id, owner_id=g.api_user.id), "/v3")


@bp.delete("/task/<task_id>")
def task_cancel(task_id):
    return cancel_task(find_task(task_id, owner_id=g.api_user.id))


from statboard.hosts import api_users  # noqa: E402, F401  the /v3/users/ routes
