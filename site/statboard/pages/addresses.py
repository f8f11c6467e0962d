"""Page addresses: made from what an admin types, kept working after a rename.

An address is lower-case ASCII letters, digits and single dashes. What is typed is
folded to that (`slugify`): "Lab Page" is lab-page, "Café Crème" is cafe-creme
(accents are folded to their letters, other characters that have no ASCII letter
become dashes), so every address can be typed on any keyboard and read aloud. An
address left empty is made from the title, and one made so that is already taken
gets -2, -3 … (`free_slug`).

A renamed page keeps its earlier addresses as aliases (PageAlias), answered with a
redirect to the current one. Aliases name the page, so a chain of renames is one hop;
a page that takes an address drops the alias of it (a real page always wins); a page
removed for good takes its aliases with it (ON DELETE CASCADE).
"""

import re
import unicodedata

from flask import current_app
from sqlalchemy import delete, select

from statboard.extensions import db
from statboard.pages.models import Page, PageAlias

MAX_LENGTH = 80
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slugify(text: str) -> str:
    """The address `text` reads as: "Lab Page" -> "lab-page"; "" when nothing is left."""
    folded = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def reserved(slug: str) -> bool:
    """Slugs that a site route already answers (login, blocks, static, ...)."""
    for rule in current_app.url_map.iter_rules():
        first = rule.rule.strip("/").split("/")[0]
        if first == slug:
            return True
    return False


def holder(slug: str) -> Page | None:
    """The page that has `slug` as its address, deleted or not."""
    return db.session.scalar(select(Page).where(Page.slug == slug))


def slug_taken(slug: str, page: Page | None = None) -> bool:
    """Whether a page other than `page` holds the address (a deleted page holds it
    while it can be restored)."""
    other = holder(slug)
    return other is not None and other is not page


def free_slug(base: str, page: Page | None = None) -> str:
    """`base`, or base-2, base-3 …: the first that no other page holds and no route
    answers (an alias does not count: the page that takes it wins)."""
    base = base or "page"
    for n in range(1, 1000):
        suffix = "" if n == 1 else f"-{n}"
        slug = base[: MAX_LENGTH - len(suffix)].rstrip("-") + suffix
        if not reserved(slug) and not slug_taken(slug, page):
            return slug
    raise ValueError(f"no free address left for {base!r}")


def alias_target(slug: str) -> Page | None:
    """The page that `slug` was an address of, if it is not deleted."""
    page = db.session.scalar(
        select(Page).join(PageAlias, PageAlias.page_id == Page.id).where(PageAlias.slug == slug)
    )
    return page if page is not None and page.deleted_at is None else None


def free_alias(slug: str) -> None:
    """Drop the alias `slug` of whichever page had it: a page is taking that address."""
    db.session.execute(delete(PageAlias).where(PageAlias.slug == slug))


def take(page: Page, slug: str) -> None:
    """Give `page` the address `slug`, keeping its current one as an alias. Stages;
    flushes so that the unique addresses never collide within the transaction."""
    old = page.slug
    if old == slug:
        return
    free_alias(slug)
    page.slug = slug
    if old:
        db.session.add(PageAlias(slug=old, page=page))
    db.session.flush()
