"""Access checks that answer each kind of client properly.

Browsers asking for a page are sent to the login page; every write, htmx request,
JSON or event-stream client gets a plain 401/403 instead, with nothing changed.
"""

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user

from statboard.htmx import is_htmx
from statboard.negotiation import wants_json


def _wants_redirect() -> bool:
    """Only a browser loading a page (it ranks HTML above JSON) is sent to log in."""
    if request.method not in ("GET", "HEAD") or is_htmx():
        return False
    return not wants_json(request.headers.get("Accept"), default=True)


def require_login():
    """Abort unless someone is logged in."""
    if current_user.is_authenticated:
        return
    if _wants_redirect():
        abort(redirect(url_for("auth.login", next=request.full_path.rstrip("?"))))
    abort(401, "Log in to do this.")


def require_admin():
    """Abort unless an admin is logged in."""
    require_login()
    if not current_user.is_admin:
        abort(403, "Only admins can do this.")


def login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        require_login()
        return view(*args, **kwargs)

    return wrapped


def admin_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        require_admin()
        return view(*args, **kwargs)

    return wrapped
