import math

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.security import check_password_hash

from statboard.auth import bp
from statboard.auth.forms import LoginForm
from statboard.auth.models import User
from statboard.auth.throttle import login_throttle
from statboard.extensions import db

# Checked when the username is unknown, so that a wrong name takes as long as a
# wrong password and does not tell which usernames exist.
_DUMMY_HASH = "scrypt:32768:8:1$statboard$" + "0" * 128


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def _too_many(form, wait: int):
    minutes = f"{math.ceil(wait / 60)} minutes" if wait > 90 else f"{wait} seconds"
    message = f"Too many failed logins: wait {minutes}, then try again."
    response = make_response(render_template("auth/login.html", form=form, error=message), 429)
    response.headers["Retry-After"] = str(wait)
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        throttle = login_throttle()
        wait = throttle.retry_after(form.username.data)
        if wait:
            return _too_many(form, wait)
        user = db.session.scalar(db.select(User).where(User.username == form.username.data))
        if user is None:
            check_password_hash(_DUMMY_HASH, form.password.data)
        elif user.check_password(form.password.data):
            login_user(user)
            return redirect(_safe_next(request.args.get("next")), 303)
        throttle.failed(form.username.data)
        flash("Wrong username or password; check both and try again.", "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


@bp.get("/logout")
def confirm_logout():
    """A link or a typed URL gets a button: logging out is a POST, so no page can do it."""
    return render_template("auth/logout.html")


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("auth.login"), 303)
