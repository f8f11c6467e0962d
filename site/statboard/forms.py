"""The base of every form: Flask-WTF's, with a JSON body checked before it reaches the
fields. Flask-WTF hands a JSON body to the fields as it is, and a field takes text:
`false`, a list or a nested object would raise, a 500 instead of a sentence."""

import hashlib
import os
import time

from flask import abort, current_app, g, request, session
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from flask_wtf.form import _Auto  # Flask-WTF's "read the request" default
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from werkzeug.datastructures import ImmutableMultiDict

NOT_FIELDS = (
    "Send the form's fields as a form (application/x-www-form-urlencoded) or as one JSON "
    'object of text, numbers and true/false, like {"title": "News"}.'
)


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    abort(400, NOT_FIELDS)


def _json_fields() -> ImmutableMultiDict:
    body = request.get_json()  # malformed JSON: Werkzeug's 400
    if not isinstance(body, dict):
        abort(400, NOT_FIELDS)
    fields = []
    for name, value in body.items():
        values = value if isinstance(value, list) else [value]
        fields += [(name, _text(item)) for item in values if item is not None]
    return ImmutableMultiDict(fields)


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            if (
                formdata is _Auto
                and form.is_submitted()
                and request.is_json
                and not (request.files or request.form)
            ):
                return _json_fields()
            return super().wrap_formdata(form, formdata)


class FlooredSigner(TimestampSigner):
    """Signs with the time floored to `period` seconds: a token made twice within one
    period is the same token, so that a page shown again is the same page (its ETag
    holds). Its age is still checked, from the start of that period (so a token is
    never taken for younger than it is); the period is kept to a tenth of a token's
    life at most (`period_for`), so that it lives nearly as long as before."""

    def __init__(self, *args, period: int = 60, **kwargs):
        super().__init__(*args, **kwargs)
        self.period = max(1, int(period))

    def get_timestamp(self) -> int:
        return int(time.time()) // self.period * self.period


def period_for(lifetime: float | None, most: int = 60) -> int:
    """The period to sign a token living `lifetime` seconds (None: for ever) to."""
    return most if lifetime is None else max(1, min(most, int(lifetime) // 10))


def csrf_token() -> str:
    """Flask-WTF's CSRF token of this session (the template's `csrf_token()`), signed to
    the minute (FlooredSigner): the same raw token in the session, checked by Flask-WTF
    as before (with WTF_CSRF_TIME_LIMIT, to a tenth of it at most)."""
    config = current_app.config
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if field not in g:
        if not isinstance(session.get(field), str):
            session[field] = hashlib.sha1(os.urandom(64)).hexdigest()
        secret = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
        # Flask-WTF's own salt: its validate_csrf reads the token like one of its own.
        period = period_for(config.get("WTF_CSRF_TIME_LIMIT"))
        signer = URLSafeTimedSerializer(
            secret, salt="wtf-csrf-token", signer=FlooredSigner, signer_kwargs={"period": period}
        )
        setattr(g, field, signer.dumps(session[field]))
    return generate_csrf()


def init_app(app) -> None:
    """After Flask-WTF's: its global and context processor give way to csrf_token."""
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})
