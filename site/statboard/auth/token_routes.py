"""The token panel: GET /tokens (page, or the _tokens.html partial for htmx),
POST /tokens to create one (its plain value shown once), POST /tokens/<id>/revoke.
Users manage their own tokens; admins everybody's."""

from flask import abort, make_response, redirect, render_template, url_for
from flask_login import current_user
from wtforms import SelectChoice

from statboard.auth import bp
from statboard.auth.access import login_required
from statboard.auth.forms import TokenForm
from statboard.auth.models import ApiToken, User
from statboard.auth.scopes import scopes_for
from statboard.auth.tokens import (
    TokenError,
    can_manage_token,
    issue_token,
    revoke_token,
    tokens_for,
)
from statboard.extensions import db
from statboard.htmx import is_htmx, vary_on_htmx


def _form(blank: bool = False) -> TokenForm:
    form = TokenForm(formdata=None) if blank else TokenForm()
    me = current_user._get_current_object()
    # Only the scopes the viewer may use are offered (admin-only ones to admins).
    form.scopes.choices = [
        SelectChoice(name, f"{name} — {text}") for name, text in scopes_for(me).items()
    ]
    users = db.session.scalars(db.select(User).order_by(User.username)) if me.is_admin else [me]
    form.owner.choices = [SelectChoice(u.id, u.username) for u in users]
    if not form.owner.data:
        form.owner.data = me.id
    return form


def _panel(form=None, new_token=None, status=200):
    context = {
        "form": form or _form(blank=True),
        "tokens": tokens_for(current_user),
        "new_token": new_token,
    }
    template = "auth/_tokens.html" if is_htmx() else "auth/tokens.html"
    return vary_on_htmx(make_response(render_template(template, **context), status))


@bp.get("/tokens")
@login_required
def tokens():
    return _panel()


@bp.post("/tokens")
@login_required
def create_token():
    form = _form()
    if not form.validate_on_submit():
        return _panel(form, status=422)
    owner = db.session.get(User, form.owner.data)
    try:
        token, plain = issue_token(owner, form.name.data, form.scopes.data)
    except TokenError as error:
        field = form[error.field]
        field.errors = [*field.errors, str(error)]
        return _panel(form, status=422)
    db.session.commit()
    return _panel(
        new_token={"name": token.name, "owner": owner.username, "plain": plain}, status=201
    )


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id):
    token = db.session.get(ApiToken, token_id)
    if token is None:
        abort(404, "There is no such token; reload the token list.")
    if not can_manage_token(current_user, token):
        abort(403, "This token belongs to another user: only they or an admin can revoke it.")
    revoke_token(token)
    db.session.commit()
    if not is_htmx():
        return redirect(url_for("auth.tokens"), 303)
    return _panel()
