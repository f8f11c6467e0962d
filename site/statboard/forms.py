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


class MinuteSigner(TimestampSigner):
    """Signs with the time floored to the minute: a token made twice within a minute is
    the same token, so that a page shown again is the same page (its ETag holds). Its
    age is still checked, from the start of that minute (never younger than it is)."""

    def get_timestamp(self) -> int:
        return int(time.time()) // 60 * 60


def csrf_token() -> str:
    """Flask-WTF's CSRF token of this session (the template's `csrf_token()`), signed to
    the minute: the same raw token in the session, checked by Flask-WTF as before."""
    config = current_app.config
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if field not in g:
        if not isinstance(session.get(field), str):
            session[field] = hashlib.sha1(os.urandom(64)).hexdigest()
        secret = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
        # Flask-WTF's own salt: its validate_csrf reads the token like one of its own.
        signer = URLSafeTimedSerializer(secret, salt="wtf-csrf-token", signer=MinuteSigner)
        setattr(g, field, signer.dumps(session[field]))
    return generate_csrf()


def init_app(app) -> None:
    """After Flask-WTF's: its global and context processor give way to csrf_token."""
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})
