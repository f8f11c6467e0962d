"""Forms of the image and gallery blocks (the generic block editor uses the first two)."""

from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from statboard.forms import Form

ALT_HELP = "Describe the image for people who cannot see it (alt text)."


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ImageBlockForm(Form):
    alt = StringField(
        "Alt text",
        filters=[_strip],
        validators=[
            DataRequired(ALT_HELP),
            Length(max=300, message="Keep the alt text under 300 characters."),
        ],
    )
    caption = TextAreaField(
        "Caption",
        filters=[_strip],
        validators=[Length(max=1000, message="Keep the caption under 1000 characters.")],
    )

    def to_data(self, old: dict) -> dict:
        return {**old, "alt": self.alt.data, "caption": self.caption.data or ""}


class GalleryBlockForm(Form):
    title = StringField(
        "Gallery title",
        filters=[_strip],
        validators=[Length(max=200, message="Keep the title under 200 characters.")],
    )

    def to_data(self, old: dict) -> dict:
        return {**old, "title": self.title.data or ""}


class GalleryItemForm(Form):
    title = StringField(
        "Title",
        filters=[_strip],
        validators=[Length(max=200, message="Keep the title under 200 characters.")],
    )
    caption = TextAreaField(
        "Caption",
        filters=[_strip],
        validators=[Length(max=1000, message="Keep the caption under 1000 characters.")],
    )
