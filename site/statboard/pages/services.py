"""What admins do to pages and blocks: each change checks itself, stages and announces.

Views call these and stay thin, then commit (commit_block for block changes, which
turns a raced save into Conflict). notify.announce() queues the log line and the
admins' email, which go out only once the view's commit has saved the change; the
live events that open pages follow (see statboard.live) go out the same way.
"""

import logging

from flask import abort, url_for
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import Conflict as HTTPConflict

from statboard import live, notify
from statboard.extensions import db
from statboard.pages import addresses, registry
from statboard.pages.kinds.text import plain_text
from statboard.pages.models import Block, Page

log = logging.getLogger(__name__)


class Conflict(HTTPConflict):
    """A save named a block version that is no longer the current one: a 409 wherever
    it is raised. A blueprint may answer it with the block as saved (`.block`)."""

    description = "Someone changed this block meanwhile; reload the page and try again."

    def __init__(self, block: Block):
        super().__init__()
        self.block = block


def raced(block_id: int) -> Conflict:
    """After a StaleDataError (another save won the race, at a commit or at any flush):
    roll back and return the Conflict carrying the block as saved now."""
    db.session.rollback()
    db.session.expire_all()
    block = db.session.get(Block, block_id)
    if block is None:
        abort(404, "This block was deleted meanwhile; reload the page.")
    return Conflict(block)


def get_page_or_404(slug: str) -> Page:
    """The page at `slug` (not a deleted one); see find_page for earlier addresses."""
    query = db.select(Page).where(Page.slug == slug, Page.deleted_at.is_(None))
    return db.first_or_404(query, description="There is no page at this address.")


def nav_pages(include_private: bool) -> list[Page]:
    query = db.select(Page).where(Page.nav_position.is_not(None), Page.deleted_at.is_(None))
    query = query.order_by(Page.nav_position)
    if not include_private:
        query = query.where(Page.is_public)
    return list(db.session.scalars(query))


def all_pages() -> list[Page]:
    order = (Page.nav_position.is_(None), Page.nav_position, Page.title)
    query = db.select(Page).where(Page.deleted_at.is_(None)).order_by(*order)
    return list(db.session.scalars(query))


def block_url(block: Block) -> str:
    return url_for("pages.show", slug=block.page.slug, _anchor=f"block-{block.id}")


def _describe(block: Block) -> str:
    return f"{registry.get(block.kind).label.lower()} block {block.id}"


def block_title(block: Block) -> str:
    """A few words that name the block in a mail: its title, else its first words."""
    data = block.data or {}
    title = data.get("title") or ""
    if not title and data.get("html"):
        title = plain_text(data["html"]).strip().split("\n")[0]
    return title if len(title) <= 60 else title[:59].rstrip() + "\u2026"


def snapshot(block: Block) -> list[dict]:
    """What the block holds, as its kind describes it for change mails. What a kind
    reads to say so (its files, its accounts) does not flush the change being made:
    the block's row is written when it was before, at the commit or the next read."""
    kind = registry.find(block.kind)
    data = block.data or {}
    if kind is not None and kind.describe is not None:
        try:
            with db.session.no_autoflush:
                return kind.describe(data)
        except Exception:  # the mail shows less; the change itself never fails for it
            log.exception("the %s kind could not describe block %s", block.kind, block.id)
            return []
    return [
        notify.field(key.replace("_", " ").capitalize(), _shown(value))
        for key, value in data.items()
        if isinstance(value, str | int | float | bool | list) or value is None
    ]


def _shown(value) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def block_info(block: Block) -> dict:
    kind = registry.find(block.kind)
    label = kind.label if kind is not None else block.kind
    return {"id": block.id, "kind": block.kind, "label": label, "title": block_title(block)}


def _announce_block(actor, action, block, facets, url=None, session=False) -> None:
    notify.announce(
        actor,
        action,
        _describe(block),
        page=block.page,
        url=url or block_url(block),
        block=block_info(block),
        facets=facets,
        session=session,
    )


def commit_block(block: Block) -> None:
    """Commit changes made to the block; a save that raced another one raises Conflict."""
    block_id = block.id  # a failed flush expires the block: its id would need a query
    try:
        db.session.commit()
    except StaleDataError:
        # Someone saved between our read and our write: show them the current block.
        raise raced(block_id) from None


# --- blocks -------------------------------------------------------------------


def check_version(block: Block, version: int | None) -> None:
    """Raise Conflict unless `version` is the block's current one."""
    if version != block.version:
        raise Conflict(block)


def change_content(
    block: Block, data: dict, version: int | None, actor, action="edited", announce=True
) -> bool:
    """Stage new content for the block, made from `version`: the one way content changes.

    The version goes up once and the change is announced as `actor` `action` (say,
    "added 2 images to") the block, unless announce=False (a change that is part of
    another one, announced by it); the caller commits with commit_block(). Unchanged
    data (say, Save right after an autosave) makes no new version and no announcement:
    returns False.
    """
    check_version(block, version)
    if data == block.data:
        return False
    before = snapshot(block) if announce else None
    block.data = data
    block.version = block.version + 1
    live.publish(f"page:{block.page_id}", "block", block=block.id, version=block.version)
    if announce:
        facets = notify.changed(before, snapshot(block))
        _announce_block(actor, action, block, facets, session=True)
    return True


def _renumber(blocks: list[Block]) -> None:
    for position, block in enumerate(blocks):
        if block.position != position:
            block.position = position


def add_block(page: Page, kind_name: str, position: int, actor) -> Block:
    kind = registry.get(kind_name)
    blocks = list(page.blocks)
    if not 0 <= position <= len(blocks):
        abort(400, f"Position must be between 0 and {len(blocks)}; pick a place on the page.")
    block = Block(kind=kind.name, span=kind.span, data=kind.defaults(), version=1)
    blocks.insert(position, block)
    page.blocks.append(block)
    _renumber(blocks)
    db.session.flush()
    where = notify.field("Place", _place(blocks, block))
    _announce_block(actor, "added", block, notify.changed([], [where, *snapshot(block)]))
    _layout_changed(page)
    return block


def _place(blocks: list[Block], block: Block) -> str:
    """Where a block stands among the page's blocks, in words."""
    index = blocks.index(block)
    before = blocks[index - 1] if index else None
    title = block_title(before) if before else ""
    named = f" \u201c{title}\u201d" if title else ""
    after = f", after {_describe(before)}{named}" if before else ", first"
    return f"place {index + 1} of {len(blocks)}{after}"


def move_block(block: Block, position: int, actor) -> Block:
    """Move the block to `position` (0-based, clamped to the page)."""
    was = _place(list(block.page.blocks), block)
    blocks = [b for b in block.page.blocks if b.id != block.id]
    position = max(0, min(position, len(blocks)))
    blocks.insert(position, block)
    _renumber(blocks)
    facets = notify.changed(
        [notify.field("Place", was)], [notify.field("Place", _place(blocks, block))]
    )
    _announce_block(actor, "moved", block, facets)
    _layout_changed(block.page)
    return block


def set_span(block: Block, span: int, actor) -> Block:
    if span not in (1, 2):
        abort(400, "A block spans 1 or 2 columns; choose one of those.")
    was = _width(block.span)
    block.span = span
    facets = notify.changed([notify.field("Width", was)], [notify.field("Width", _width(span))])
    _announce_block(actor, "resized", block, facets)
    _layout_changed(block.page)
    return block


def _width(span: int) -> str:
    return "1 column" if span == 1 else f"{span} columns"


def delete_block(block: Block, actor) -> Page:
    page = block.page
    held = notify.changed(snapshot(block), [])  # first: on_delete may let go of its files
    _announce_block(actor, "deleted", block, held, url=url_for("pages.show", slug=page.slug))
    kind = registry.find(block.kind)
    if kind is not None and kind.on_delete is not None:
        kind.on_delete(block)  # e.g. let go of the block's files, in this transaction
    registry.deleting(block)  # and other features' rows about it (alert rules)
    page.blocks.remove(block)
    _renumber(list(page.blocks))
    _layout_changed(page)
    return page


def _layout_changed(page: Page) -> None:
    """Open pages redraw their grid: a block added, moved, resized or deleted."""
    live.publish(f"page:{page.id}", "layout")


# --- pages and navigation -----------------------------------------------------


def create_page(title: str, slug: str, is_public: bool, in_nav: bool, actor) -> Page:
    addresses.free_alias(slug)  # a real page wins over an earlier address of another
    page = Page(title=title, slug=slug, is_public=is_public)
    if in_nav:
        page.nav_position = _next_nav_position()
    db.session.add(page)
    db.session.flush()
    url = url_for("pages.show", slug=slug)
    facets = notify.changed([], page_snapshot(page))
    notify.announce(actor, "created", f"page {title!r}", page=page, url=url, facets=facets)
    if in_nav:
        live.publish("nav", "nav")
    return page


def update_page(page: Page, title: str, slug: str, is_public: bool, in_nav: bool, actor) -> Page:
    old_title, before = page.title, page_snapshot(page)
    addresses.take(page, slug)  # the old address redirects to the new one
    page.title, page.is_public = title, is_public
    if in_nav and page.nav_position is None:
        page.nav_position = _next_nav_position()
    elif not in_nav:
        page.nav_position = None
    url = url_for("pages.show", slug=slug)
    facets = notify.changed(before, page_snapshot(page))
    notify.announce(actor, "changed", f"page {old_title!r}", page=page, url=url, facets=facets)
    live.publish(f"page:{page.id}", "page", slug=page.slug)
    live.publish("nav", "nav")
    return page


def page_snapshot(page: Page) -> list[dict]:
    """A page's title, address and standing, as change mails show them."""
    return [
        notify.field("Title", page.title),
        notify.field("Address", url_for("pages.show", slug=page.slug)),
        notify.field("Visible to", "everyone" if page.is_public else "logged-in users"),
        notify.field("In the navigation", "no" if page.nav_position is None else "yes"),
    ]


def _next_nav_position() -> int:
    last = db.session.scalar(db.select(db.func.max(Page.nav_position)))
    return 0 if last is None else last + 1


def move_in_nav(page: Page, direction: str, actor) -> None:
    """Swap the page with its neighbour in the navigation (direction "up" or "down")."""
    if direction not in ("up", "down"):
        abort(400, "Move a page 'up' or 'down' in the navigation.")
    if page.nav_position is None:
        abort(400, "This page is not in the navigation; add it there first.")
    entries = nav_pages(include_private=True)
    index = entries.index(page)
    was = _nav_place(entries, page)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(entries):
        entries[index], entries[other] = entries[other], entries[index]
    for position, entry in enumerate(entries):
        entry.nav_position = position
    url = url_for("pages.show", slug=page.slug)
    now = _nav_place(entries, page)
    facets = notify.changed([notify.field("Navigation", was)], [notify.field("Navigation", now)])
    action = f"moved {direction} in the navigation"
    notify.announce(actor, action, f"page {page.title!r}", page=page, url=url, facets=facets)
    live.publish("nav", "nav")


def _nav_place(entries: list[Page], page: Page) -> str:
    index = entries.index(page)
    after = f", after {entries[index - 1].title!r}" if index else ", first"
    return f"place {index + 1} of {len(entries)}{after}"


def page_url(page: Page) -> str:
    return url_for("pages.show", slug=page.slug)


def edit_url(block: Block) -> str:
    return url_for("pages.edit_block", block_id=block.id)
