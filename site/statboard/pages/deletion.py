"""Deleting a page, undoably: a soft delete, restorable for PAGE_UNDO_SECONDS.

An admin's delete hides the page at once (its address, its earlier addresses, its
blocks and its place in the navigation answer as if it were gone) but keeps every
row: "Deleted · Undo" restores it as it was. Once the window has passed the periodic
job `pages.purge` removes it for good, with its blocks (each kind lets go of its own
rows and files, as for a deleted block) and its aliases; until then it keeps its
address, so that the undo can always put it back. The home page cannot be deleted.
"""

from datetime import datetime, timedelta

from flask import abort, current_app, url_for
from sqlalchemy import select

from statboard import live, notify
from statboard.extensions import db
from statboard.models_base import utcnow
from statboard.pages import registry
from statboard.pages.models import HOME, Page
from statboard.pages.services import page_snapshot
from statboard.tasks.schedule import every


def undo_window() -> timedelta:
    return timedelta(seconds=float(current_app.config["PAGE_UNDO_SECONDS"]))


def undo_until(page: Page) -> datetime | None:
    return page.deleted_at + undo_window() if page.deleted_at else None


def check_deletable(page: Page) -> None:
    if page.is_home:
        abort(400, "The home page cannot be deleted; delete its blocks instead.")


def delete_page(page: Page, actor) -> None:
    """Hide the page and its blocks, restorable until undo_until(page). Stages."""
    check_deletable(page)
    if page.deleted_at is not None:
        return
    before = page_snapshot(page)
    page.deleted_at = utcnow()
    url = url_for("pages.show", slug=HOME)
    facets = notify.changed(before, [])
    notify.announce(actor, "deleted", f"page {page.title!r}", page=page, url=url, facets=facets)
    _published(page)


def deleted_page_or_404(page_id: int) -> Page:
    """A deleted page that can still be restored."""
    page = db.session.get(Page, page_id)
    if page is None or page.deleted_at is None:
        abort(404, "There is no deleted page to restore here; it may be back already.")
    if undo_until(page) <= utcnow():
        abort(410, "This page was deleted too long ago to be restored.")
    return page


def restore_page(page: Page, actor) -> None:
    """Put a deleted page back as it was: address, blocks, place in the navigation."""
    page.deleted_at = None
    url = url_for("pages.show", slug=page.slug)
    facets = notify.changed([], page_snapshot(page))
    notify.announce(actor, "restored", f"page {page.title!r}", page=page, url=url, facets=facets)
    _published(page)


def _published(page: Page) -> None:
    """Open pages follow: the navigation, and the page itself (gone, or back)."""
    live.publish(f"page:{page.id}", "page", slug=page.slug)
    live.publish("nav", "nav")


def recently_deleted() -> list[Page]:
    """Deleted pages that can still be restored, the latest first."""
    since = utcnow() - undo_window()
    query = select(Page).where(Page.deleted_at > since).order_by(Page.deleted_at.desc())
    return list(db.session.scalars(query))


def purge(now: datetime | None = None) -> int:
    """Stage the removal for good of pages deleted longer ago than the undo window,
    with their blocks and aliases; returns how many."""
    cutoff = (now or utcnow()) - undo_window()
    expired = db.session.scalars(select(Page).where(Page.deleted_at <= cutoff)).all()
    for page in expired:
        for block in list(page.blocks):
            kind = registry.find(block.kind)
            if kind is not None and kind.on_delete is not None:
                kind.on_delete(block)  # e.g. let go of the block's files
            registry.deleting(block)  # and other features' rows about it
        db.session.delete(page)
    db.session.flush()
    return len(expired)


@every("PAGE_PURGE_SECONDS", name="pages.purge", at_start=True)
def purge_job() -> None:
    purge()
    db.session.commit()
