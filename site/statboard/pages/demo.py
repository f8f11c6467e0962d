"""The demo home page a fresh install shows: one block of each registered kind."""

from statboard.extensions import db
from statboard.pages import registry
from statboard.pages.models import Block, Page


def seed_demo() -> Page | None:
    """Create the home page with one block of each kind, if the site has no pages yet."""
    if db.session.scalar(db.select(Page).limit(1)) is not None:
        return None
    home = Page(slug="home", title="Home", is_public=True, nav_position=0)
    kinds = [kind for kind in registry.all_kinds() if kind.demo]
    for position, kind in enumerate(kinds):
        home.blocks.append(
            Block(kind=kind.name, position=position, span=kind.span, data=kind.demo())
        )
    db.session.add(home)
    db.session.flush()
    for block, kind in zip(home.blocks, kinds, strict=True):
        if kind.after_demo is not None:
            kind.after_demo(block)
    db.session.commit()
    return home
