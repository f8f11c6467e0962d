from urllib.parse import urlsplit

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from statboard.auth import bp
from statboard.auth.forms import LoginForm
from statboard.auth.loaders import end_session, start_session
from statboard.auth.throttle import login_throttle, too_many_message
from statboard.auth.users import authenticate
from statboard.extensions import db


def safe_next(target: str | None) -> str:
    """`target` when it is a path on this site, else "/".

    Browsers drop tabs and newlines inside a URL and read a backslash as a slash, so
    next=/%09/evil.example/ or next=/%5Cevil.example would leave the site: any control
    character or backslash refuses the target outright.
    """
    if not target or any(ord(c) < 0x20 or c in "\x7f\\" for c in target):
        return "/"
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc:
        return "/"
    return target


def _too_many(form, wait: int):
    message = too_many_message(wait)
    response = make_response(render_template("auth/login.html", form=form, error=message), 429)
    response.headers["Retry-After"] = str(wait)
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        throttle = login_throttle()
        wait = throttle.retry_after(form.username.data)
        if wait:
            return _too_many(form, wait)
        user = authenticate(form.username.data, form.password.data)
        if user is not None:
            start_session(user)
            db.session.commit()
            login_user(user)
            return redirect(safe_next(request.args.get("next")), 303)
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
    if current_user.is_authenticated:
        end_session(current_user)
        db.session.commit()
    logout_user()
    return redirect(url_for("auth.login"), 303)
