"""The demo home page a fresh install shows: one block of each registered kind.

It leads with the live numbers (this host, the chart, a counter, other hosts), then
the content blocks. The sizes are chosen so that the page packs without holes at
every column count the grid has (1 to 6, see static/css/site.css): at 4 and 6
columns every row is full, at the others only the last row may be short.
"""

from statboard.extensions import db
from statboard.pages import registry
from statboard.pages.models import Block, Page

# kind name -> (columns wide, rows tall), in the order the demo shows them. Kinds not
# named here (say, a feature added later) follow, at their own width.
LAYOUT = {
    "host": (2, 1),
    "chart": (4, 2),
    "counter": (2, 1),
    "remote_hosts": (2, 1),
    "text": (3, 1),
    "gallery": (4, 1),
    "image": (1, 2),
    "event": (1, 1),
}


def _in_order(kinds: list) -> list:
    named = list(LAYOUT)
    return sorted(kinds, key=lambda kind: named.index(kind.name) if kind.name in LAYOUT else 99)


def seed_demo() -> Page | None:
    """Create the home page with one block of each kind, if the site has no pages yet."""
    if db.session.scalar(db.select(Page).limit(1)) is not None:
        return None
    home = Page(slug="home", title="Home", is_public=True, nav_position=0)
    kinds = _in_order([kind for kind in registry.all_kinds() if kind.demo])
    for position, kind in enumerate(kinds):
        span, rows = LAYOUT.get(kind.name, (kind.span, 1))
        home.blocks.append(
            Block(kind=kind.name, position=position, span=span, rows=rows, data=kind.demo())
        )
    db.session.add(home)
    db.session.flush()
    for block, kind in zip(home.blocks, kinds, strict=True):
        if kind.after_demo is not None:
            kind.after_demo(block)
    db.session.commit()
    return home
