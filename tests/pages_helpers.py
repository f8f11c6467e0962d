"""Helpers that build pages and blocks, so tests read as the behaviour they check."""

import re

from statboard.extensions import db
from statboard.pages.models import Block, Page

from tests.conftest import csrf_token

HX = {"HX-Request": "true"}


def gen_page(app, slug="home", title=None, public=True, nav=0, blocks=()) -> int:
    """A page with blocks given as (kind, data) pairs; returns the page id."""
    with app.app_context():
        page = Page(slug=slug, title=title or slug.title(), is_public=public, nav_position=nav)
        for position, (kind, data) in enumerate(blocks):
            page.blocks.append(Block(kind=kind, position=position, data=data, version=1))
        db.session.add(page)
        db.session.commit()
        return page.id


def page_row(app, slug) -> Page | None:
    """The page at `slug`, deleted or not, detached from the session."""
    with app.app_context():
        page = db.session.scalar(db.select(Page).where(Page.slug == slug))
        if page is not None:
            db.session.expunge(page)
        return page


def block_ids(app, slug="home") -> list[int]:
    with app.app_context():
        page = db.session.scalar(db.select(Page).where(Page.slug == slug))
        return [b.id for b in page.blocks]


def get_block(app, block_id) -> Block | None:
    with app.app_context():
        block = db.session.get(Block, block_id)
        if block is not None:
            db.session.expunge(block)
        return block


def root_tag(html: str) -> str:
    """The first element of a fragment, e.g. 'article id="block-1"'."""
    match = re.search(r"<(\w+)([^>]*)>", html)
    assert match, f"no element in {html[:200]!r}"
    return match.group(1) + " " + match.group(2)


def assert_fragment(response, tag: str, element_id: str | None = None):
    html = response.get_data(as_text=True)
    assert "<html" not in html, "an htmx request got a whole page"
    assert "HX-Request" in response.headers.get("Vary", "")
    first = root_tag(html.strip())
    assert first.startswith(tag + " "), first
    if element_id:
        assert f'id="{element_id}"' in first, first
    return html


TEXT = ("text", {"html": "<p>Hello <strong>world</strong></p>"})
EVENT = (
    "event",
    {
        "title": "Launch",
        "start": "2999-01-01T10:00",
        "end": "",
        "tz": "Europe/Berlin",
        "location": "Hall",
        "location_url": "",
        "description": "Cake.",
    },
)


def csrf(client) -> dict:
    """The htmx CSRF header of the client's session."""
    return {"X-CSRFToken": csrf_token(client)}
