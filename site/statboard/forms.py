"""The base of every form: Flask-WTF's, with a JSON body checked before it reaches the
fields. Flask-WTF hands a JSON body to the fields as it is, and a field takes text:
`false`, a list or a nested object would raise, a 500 instead of a sentence."""

from flask import abort, request
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto  # Flask-WTF's "read the request" default
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
