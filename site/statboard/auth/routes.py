from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from statboard.auth import bp
from statboard.auth.forms import LoginForm
from statboard.auth.models import User
from statboard.extensions import db


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(db.select(User).where(User.username == form.username.data))
        if user is not None and user.check_password(form.password.data):
            login_user(user)
            return redirect(_safe_next(request.args.get("next")), 303)
        flash("Wrong username or password; check both and try again.", "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("auth.login"), 303)
