"""An admin's notification channels on the account page, edited in place (htmx).

POST /account/channels                 adds one (an Apprise URL and its kinds), 422 if wrong
POST /account/channels/<id>            sets the kinds it gets
POST /account/channels/<id>/delete     removes it
The URLs may hold secrets: once saved they are only ever shown masked.
"""

from flask import abort, make_response, redirect, render_template, url_for
from flask_login import current_user

from statboard.auth import bp
from statboard.auth.access import admin_required
from statboard.auth.forms import ChannelForm, ChannelKindsForm
from statboard.extensions import db
from statboard.htmx import is_htmx, vary_on_htmx
from statboard.notify import channels
from statboard.notify.models import KINDS, NotifyChannel


def channels_context(form=None, failed=None) -> dict:
    """What templates/auth/_channels.html needs (the account page includes it);
    `failed`: the kinds form of a channel that was not saved, with its errors."""
    rows = []
    for channel in channels.channels_of(current_user):
        prefix = f"c{channel.id}"
        if failed is not None and failed.channel_id == channel.id:
            kinds_form = failed
        else:
            kinds_form = ChannelKindsForm(formdata=None, kinds=channel.kinds, prefix=prefix)
        masked = channels.masked(channel.url)
        rows.append({"channel": channel, "masked": masked, "form": kinds_form})
    return {
        "channel_form": form or ChannelForm(formdata=None, kinds=list(KINDS)),
        "channel_rows": rows,
        "site_channels": [channels.masked(url) for url in channels.site_urls()],
    }


def _answer(form=None, failed=None):
    """The channels panel for htmx (422 with a form that failed); else back to the page,
    or a 422 page that says what to fix."""
    wrong = form if form is not None and form.errors else failed
    if not is_htmx():
        if wrong is not None:
            abort(422, " ".join(e for errors in wrong.errors.values() for e in errors))
        return redirect(url_for("auth.account", _anchor="channels"), 303)
    html = render_template("auth/_channels.html", **channels_context(form, failed))
    return vary_on_htmx(make_response(html, 422 if wrong is not None else 200))


def _mine(channel_id: int) -> NotifyChannel:
    channel = db.session.get(NotifyChannel, channel_id)
    if channel is None or channel.user_id != current_user.id:
        abort(404, "No such channel of yours; reload your account page.")
    return channel


@bp.post("/account/channels")
@admin_required
def add_channel():
    form = ChannelForm()
    if not form.validate_on_submit():
        return _answer(form)
    channels.add(current_user, form.url.data, form.kinds.data)
    db.session.commit()
    return _answer()


@bp.post("/account/channels/<int:channel_id>")
@admin_required
def set_channel_kinds(channel_id):
    channel = _mine(channel_id)
    form = ChannelKindsForm(prefix=f"c{channel.id}")
    if not form.validate_on_submit():
        form.channel_id = channel.id
        return _answer(failed=form)
    channels.set_kinds(channel, form.kinds.data)
    db.session.commit()
    return _answer()


@bp.post("/account/channels/<int:channel_id>/delete")
@admin_required
def remove_channel(channel_id):
    db.session.delete(_mine(channel_id))
    db.session.commit()
    return _answer()
