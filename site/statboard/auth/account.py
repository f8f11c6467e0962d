"""The account page: who you are and, for admins, which change mail you get (and
their other notification channels: auth/channel_routes.py).

GET  /account                          the page (or the notifications panel for htmx)
POST /account/notifications            saves the choice in place (htmx), 422 if wrong
GET  /account/notifications/unsubscribe/<token>   a button to stop change mail
POST /account/notifications/unsubscribe/<token>   stops it: the one-click link of
     List-Unsubscribe (RFC 8058), signed per admin, so it needs no login or CSRF
"""

from flask import abort, make_response, redirect, render_template, url_for
from flask_login import current_user
from wtforms import SelectChoice

from statboard.auth import bp
from statboard.auth.access import admin_required, login_required
from statboard.auth.channel_routes import channels_context
from statboard.auth.forms import NotifyForm
from statboard.auth.models import User
from statboard.extensions import csrf, db
from statboard.htmx import is_htmx, vary_on_htmx
from statboard.notify import choices


def _form(blank: bool) -> NotifyForm:
    me = current_user._get_current_object()
    choice = choices.choice_for(me)
    if blank:
        form = NotifyForm(
            formdata=None,
            mode=choice.mode,
            daily_hour=choice.daily_hour,
            scope="all" if choice.pages is None else "chosen",
            pages=choice.pages or [],
        )
    else:
        form = NotifyForm()
    form.pages.choices = [SelectChoice(page_id, title) for page_id, title in choices.known_pages()]
    return form


def _panel(form=None, saved=False, status=200):
    context = {
        "form": form or (_form(blank=True) if current_user.is_admin else None),
        "saved": saved,
    }
    if not is_htmx() and current_user.is_admin:
        context.update(channels_context())
    template = "auth/_notifications.html" if is_htmx() else "auth/account.html"
    return vary_on_htmx(make_response(render_template(template, **context), status))


@bp.get("/account")
@login_required
def account():
    return _panel()


@bp.post("/account/notifications")
@admin_required
def save_notifications():
    form = _form(blank=False)
    if not form.validate_on_submit():
        return _panel(form, status=422)
    pages = form.pages.data if form.scope.data == "chosen" else None
    choices.set_choice(current_user, form.mode.data, form.daily_hour.data, pages)
    db.session.commit()
    if not is_htmx():
        return redirect(url_for("auth.account", _anchor="notifications"), 303)
    return _panel(saved=True)


def _unsubscriber(token: str) -> User:
    user_id = choices.user_of_token(token)
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None:
        abort(404, "This unsubscribe link is not valid; change your mail on your account page.")
    return user


@bp.get("/account/notifications/unsubscribe/<token>")
def confirm_unsubscribe(token):
    """A link followed by hand gets a button: only a POST stops the mail."""
    return render_template("auth/unsubscribe.html", user=_unsubscriber(token), done=False)


@bp.post("/account/notifications/unsubscribe/<token>")
@csrf.exempt  # the signed token is the proof; mail clients post without a session
def unsubscribe(token):
    user = _unsubscriber(token)
    choices.turn_off(user.id)
    db.session.commit()
    return render_template("auth/unsubscribe.html", user=user, done=True)
