"""Forms for pages themselves: title, address, visibility, place in the navigation."""

import re

from flask import current_app
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from statboard.forms import Form
from statboard.pages import services

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def reserved(slug: str) -> bool:
    """Slugs that a site route already answers (login, blocks, static, ...)."""
    for rule in current_app.url_map.iter_rules():
        first = rule.rule.strip("/").split("/")[0]
        if first == slug:
            return True
    return False


class PageForm(Form):
    title = StringField(
        "Title",
        validators=[
            DataRequired("Give the page a title."),
            Length(max=200, message="Keep the title under 200 characters."),
        ],
    )
    slug = StringField(
        "Address",
        description="Lower-case letters, digits and dashes, e.g. team-news",
        validators=[
            DataRequired("Give the page an address, e.g. team-news."),
            Length(max=80, message="Keep the address under 80 characters."),
        ],
    )
    is_public = BooleanField("Visible to visitors (public)", default=True)
    in_nav = BooleanField("Shown in the navigation", default=True)

    def __init__(self, *args, page=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.page = page

    def validate_slug(self, field):
        field.data = (field.data or "").strip().lower()
        if not SLUG_RE.match(field.data):
            raise ValidationError(
                "Use lower-case letters, digits and single dashes only, e.g. team-news."
            )
        if reserved(field.data):
            raise ValidationError(f"The site already uses /{field.data}; pick another address.")
        if services.slug_taken(field.data, self.page):
            raise ValidationError(f"Another page has the address /{field.data}; pick another.")

    def values(self) -> dict:
        return {
            "title": self.title.data.strip(),
            "slug": self.slug.data,
            "is_public": self.is_public.data,
            "in_nav": self.in_nav.data,
        }
