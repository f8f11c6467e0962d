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
from statboard.models_base import utcnow
from statboard.pages import addresses, history, registry
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
    return describe_data(block.kind, block.data or {}, block.id)


def describe_data(kind_name: str, data: dict, block_id=None) -> list[dict]:
    """What data of a kind holds, as the kind describes it (a block's, or a version's
    kept in its history); without a describe, each plain value is a field."""
    kind = registry.find(kind_name)
    if kind is not None and kind.describe is not None:
        try:
            with db.session.no_autoflush:
                return kind.describe(data)
        except Exception:  # the mail shows less; the change itself never fails for it
            log.exception("the %s kind could not describe block %s", kind_name, block_id)
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
    block: Block,
    data: dict,
    version: int | None,
    actor,
    action="edited",
    announce=True,
    *,
    draft=False,
) -> bool:
    """Stage new content for the block, made from `version`: the one way content changes.

    The version goes up once, goes into the block's history, and the change is
    announced as `actor` `action` (say, "added 2 images to") the block, unless
    announce=False (a change that is part of another one, announced by it); the caller
    commits with commit_block(). A draft is published by its first change (unless
    draft=True: a restore of a draft's version). Unchanged data (say, Save right after
    an autosave) makes no new version and no announcement: returns False.
    """
    check_version(block, version)
    if data == block.data:
        return False
    before = snapshot(block) if announce else None
    history.before_change(block)
    block.data = data
    block.version = block.version + 1
    was_draft, block.draft = block.draft, draft
    history.after_change(block, actor)
    channel = f"page:{block.page_id}:drafts" if draft else f"page:{block.page_id}"
    live.publish(channel, "block", block=block.id, version=block.version)
    if was_draft != draft:  # visitors see it from now on, or no longer
        live.publish(f"page:{block.page_id}", "layout")
    if announce:
        facets = notify.changed(before, snapshot(block))
        _announce_block(actor, action, block, facets, session=True)
    return True


def restore_version(block: Block, entry, version: int | None, actor) -> bool:
    """Make an earlier version of the block its content again: a new version, announced
    like any edit (back to a draft's content, as Esc after the first autosave of a new
    block does, the block is a draft again). False when it already holds just that."""
    action = f"restored version {entry.version} of"
    return change_content(block, dict(entry.data), version, actor, action, draft=entry.draft)


def _renumber(blocks: list[Block]) -> None:
    for position, block in enumerate(blocks):
        if block.position != position:
            block.position = position


def add_block(page: Page, kind_name: str, position: int, actor) -> Block:
    """A new block of the kind at `position`: a draft, which visitors see once its
    first content change publishes it (change_content)."""
    kind = registry.get(kind_name)
    blocks = list(page.blocks)
    if not 0 <= position <= len(blocks):
        abort(400, f"Position must be between 0 and {len(blocks)}; pick a place on the page.")
    block = Block(kind=kind.name, span=kind.span, data=kind.defaults(), version=1, draft=True)
    blocks.insert(position, block)
    page.blocks.append(block)
    _renumber(blocks)
    db.session.flush()
    history.record(block, actor)
    where = notify.field("Place", _place(blocks, block))
    _announce_block(actor, "added", block, notify.changed([], [where, *snapshot(block)]))
    _layout_changed(page, block)
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
    _layout_changed(block.page, block)
    return block


MAX_SPAN = 4  # grid columns a block may span (the grid clamps it on narrow screens)
MAX_ROWS = 2  # grid rows a block may be tall


def set_span(block: Block, span: int, actor) -> Block:
    if not 1 <= span <= MAX_SPAN:
        abort(400, f"A block spans 1 to {MAX_SPAN} columns; choose one of those.")
    return _resize(block, "span", span, "Width", "column", actor)


def set_rows(block: Block, rows: int, actor) -> Block:
    if not 1 <= rows <= MAX_ROWS:
        abort(400, f"A block is 1 to {MAX_ROWS} rows tall; choose one of those.")
    return _resize(block, "rows", rows, "Height", "row", actor)


def _resize(block: Block, attr: str, value: int, label: str, unit: str, actor) -> Block:
    def words(n: int) -> str:
        return f"1 {unit}" if n == 1 else f"{n} {unit}s"

    was = words(getattr(block, attr))
    setattr(block, attr, value)
    facets = notify.changed([notify.field(label, was)], [notify.field(label, words(value))])
    _announce_block(actor, "resized", block, facets)
    _layout_changed(block.page, block)
    return block


def delete_block(block: Block, actor) -> Page:
    """Take the block off its page; undelete_block brings it back within
    BLOCK_UNDO_SECONDS, after which history.purge deletes it for good (with its files).
    The deletion is part of the admin's edit session of the block: undone in time,
    the session's mail does not claim it (notify.facets.merge)."""
    page = block.page
    history.purge()  # blocks whose undo time is over go first
    held = notify.changed(snapshot(block), [])
    url = url_for("pages.show", slug=page.slug)
    _announce_block(actor, "deleted", block, held, url=url, session=True)
    block.deleted_at = utcnow()
    _renumber([other for other in page.blocks if other is not block])  # its own place kept
    _settle(page)
    _layout_changed(page, block)
    return page


def undelete_block(block: Block, actor) -> Page:
    """Undo a delete within BLOCK_UNDO_SECONDS: the block back in its place, as it was."""
    if block.deleted_at is None:
        abort(409, "This block is not deleted; there is nothing to undo.")
    if utcnow() > history.undo_until(block):
        seconds = round(history.undo_window().total_seconds())
        abort(410, f"Too late to undo: a delete can be undone for {seconds} seconds only.")
    page = block.page
    blocks = list(page.blocks)
    position = max(0, min(block.position, len(blocks)))
    block.deleted_at = None
    blocks.insert(position, block)
    _renumber(blocks)
    _settle(page)
    facets = notify.changed([], snapshot(block))
    _announce_block(actor, "restored", block, facets, session=True)
    _layout_changed(page, block)
    return page


def _settle(page: Page) -> None:
    """Write the deletion marks, then read the page's blocks anew (those not deleted)."""
    db.session.flush()
    db.session.expire(page, ["blocks"])


def _layout_changed(page: Page, block: Block | None = None) -> None:
    """Open pages redraw their grid: a block added, moved, resized or deleted. Only
    admins' pages hear of a draft (they read the page's drafts channel)."""
    quiet = block is not None and block.draft
    live.publish(f"page:{page.id}:drafts" if quiet else f"page:{page.id}", "layout")


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
