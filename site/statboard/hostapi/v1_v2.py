"""The host API, wire-compatible with its original clients: /v1/ and /v2/.

Errors answer `{"msg": ...}` as those clients expect; v3 (v3.py) says `message`.
"""

from flask import Blueprint, jsonify
from werkzeug.exceptions import HTTPException

from statboard.extensions import db
from statboard.hostapi.common import (
    anonymous_iostat_params,
    cancel_task,
    find_task,
    links,
    start_iostat,
    task_body,
)
from statboard.hosts.metrics import iostat_report, snapshots

bp = Blueprint("hostapi", __name__)


@bp.errorhandler(HTTPException)
def api_error(error: HTTPException):
    if error.code >= 500:
        db.session.rollback()
    retry = [(name, value) for name, value in error.get_headers() if name == "Retry-After"]
    return jsonify(msg=error.description), error.code, retry


@bp.get("/v1/")
def v1_index():
    return links(("uptime", "/v1/uptime/"), ("iostat", "/v1/iostat/"))


@bp.get("/v2/")
def v2_index():
    return links(("uptime", "/v2/uptime/"), ("iostat", "/v2/iostat/"))


@bp.get("/v1/uptime/")
@bp.get("/v2/uptime/")
def uptime():
    return {"uptime": snapshots.get().uptime}


@bp.get("/v1/iostat/")
def v1_iostat():
    count, wait = anonymous_iostat_params()
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
