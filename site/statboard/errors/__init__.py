"""Error pages for people, JSON errors for machines."""

from flask import Blueprint, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from statboard.errors.too_large import too_large
from statboard.extensions import db
from statboard.htmx import is_htmx
from statboard.negotiation import wants_json

bp = Blueprint("errors", __name__)


def json_error() -> bool:
    """JSON for machines (and always under /api/); the error page for browsers, and its
    fragment for htmx, which sends Accept: */* like curl does, unless it asks for JSON."""
    if request.path.startswith("/api/"):
        return True
    return wants_json(request.headers.get("Accept"), default=not is_htmx())


KEPT_HEADERS = ("WWW-Authenticate", "Retry-After")  # what the client needs to try again


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    headers = [(name, value) for name, value in error.get_headers() if name in KEPT_HEADERS]
    if json_error():
        return jsonify(message=error.description), error.code, headers
    template = "errors/_error.html" if is_htmx() else "errors/error.html"
    return render_template(template, error=error), error.code, headers


@bp.app_errorhandler(413)
def request_too_large(error):
    return http_error(too_large())


@bp.app_errorhandler(500)
def internal_error(error):
    db.session.rollback()
    if json_error():
        return jsonify(message="Something went wrong on the server; please try again."), 500
    return render_template("errors/error.html", error=error), 500


def init_app(app):
    app.register_blueprint(bp)
