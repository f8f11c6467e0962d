"""Forms for pages themselves: title, address, visibility, place in the navigation."""

from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from statboard.forms import Form
from statboard.pages import addresses
from statboard.pages.models import HOME


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
        description="Left empty, it is made from the title: “Team news” becomes team-news.",
        validators=[Length(max=200, message="Keep the address under 80 characters.")],
    )
    is_public = BooleanField("Visible to visitors (public)", default=True)
    in_nav = BooleanField("Shown in the navigation", default=True)

    def __init__(self, *args, page=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.page = page

    def validate_slug(self, field):
        typed = (field.data or "").strip()
        if self.page is not None and self.page.is_home:
            if typed and addresses.slugify(typed) != HOME:
                raise ValidationError("The home page keeps the address home (it is shown at /).")
            field.data = HOME
            return
        if not typed:  # made from the title; a taken one gets -2, -3 …
            field.data = addresses.free_slug(addresses.slugify(self.title.data or ""), self.page)
            return
        slug = addresses.slugify(typed)
        if not slug:
            raise ValidationError("Use letters or digits in the address, e.g. team-news.")
        if len(slug) > addresses.MAX_LENGTH:
            raise ValidationError("Keep the address under 80 characters.")
        field.data = slug
        if addresses.reserved(slug):
            raise ValidationError(f"The site already uses /{slug}; pick another address.")
        if addresses.slug_taken(slug, self.page):
            free = addresses.free_slug(slug, self.page)
            if addresses.holder(slug).deleted_at is not None:
                raise ValidationError(
                    f"A deleted page keeps /{slug} while it can be restored; "
                    f"pick another address, e.g. {free}."
                )
            taken = f"Another page has the address /{slug}; pick another, e.g. {free}."
            raise ValidationError(taken)

    def values(self) -> dict:
        return {
            "title": self.title.data.strip(),
            "slug": self.slug.data,
            "is_public": self.is_public.data,
            "in_nav": self.in_nav.data,
        }
