"""What blocks were: their earlier versions, and deleted blocks that may come back.

    record(block, actor)          keep the block's version as it now is (change_content)
    entries(block) -> list        its versions kept, the newest first
    entry_or_404(block, id)       one of them, or a 404 that says why
    undo_window() -> timedelta    how long a delete can be undone (BLOCK_UNDO_SECONDS)
    purge(now=None) -> int        deleted blocks whose undo time is over go for good

Each block keeps its last BLOCK_HISTORY versions (block_versions, one row a version:
its data, its kind, who saved it and when). A block deleted is only marked
(Block.deleted_at) until its undo time is over; then it is purged with what belongs
to it (its kind's on_delete: its files, its hosts), by the next delete anywhere or by
the periodic job `blocks.purge`.
"""

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import abort, current_app
from sqlalchemy import select

from statboard.extensions import db
from statboard.models_base import utcnow
from statboard.pages import registry
from statboard.pages.models import Block, BlockVersion
from statboard.tasks.schedule import every

log = logging.getLogger(__name__)


def _kept() -> int:
    return max(1, int(current_app.config["BLOCK_HISTORY"]))


def _has(block: Block, version: int) -> bool:
    with db.session.no_autoflush:
        return entry_id(block.id, version) is not None


def record(block: Block, actor, at: datetime | None = None) -> None:
    """Keep the block's current version in its history, as `actor` saved it."""
    username = getattr(actor, "username", None) or ""
    db.session.add(
        BlockVersion(
            block_id=block.id,
            version=block.version,
            kind=block.kind,
            data=dict(block.data or {}),
            draft=block.draft,
            author_id=getattr(actor, "id", None) if username else None,
            author=username,
            saved_at=at or utcnow(),
        )
    )


def before_change(block: Block) -> None:
    """Before the block's content changes: its version as it is now is in its history
    (a block made before there was one, or by the demo, has no row for it yet)."""
    if block.id is not None and not _has(block, block.version):
        record(block, None, at=block.updated_at)


def after_change(block: Block, actor) -> None:
    """The new version goes into the history, and the oldest beyond BLOCK_HISTORY out."""
    record(block, actor)
    oldest_kept = block.version - _kept() + 1
    query = select(BlockVersion).where(
        BlockVersion.block_id == block.id, BlockVersion.version < oldest_kept
    )
    # Only read here: the rows go at the flush, with the block's (a write now would
    # hold the database for the rest of the request).
    with db.session.no_autoflush:
        for old in db.session.scalars(query).all():
            db.session.delete(old)


def entries(block: Block) -> list[BlockVersion]:
    query = select(BlockVersion).where(BlockVersion.block_id == block.id)
    return list(db.session.scalars(query.order_by(BlockVersion.version.desc())))


def entry_id(block_id: int, version: int) -> int | None:
    """The id of the block's kept `version`, if it is kept."""
    query = select(BlockVersion.id).where(
        BlockVersion.block_id == block_id, BlockVersion.version == version
    )
    return db.session.scalar(query)


def entry_or_404(block: Block, entry_id: int) -> BlockVersion:
    """One kept version of this block; another block's version is refused."""
    entry = db.session.get(BlockVersion, entry_id)
    if entry is None or entry.block_id != block.id:
        abort(
            404,
            f"Block {block.id} has no such earlier version; open its history and pick one "
            f"listed there (it keeps the last {_kept()}).",
        )
    if entry.kind != block.kind:
        abort(409, "That version is of another kind of block; it cannot be restored here.")
    return entry


# --- deleted blocks ------------------------------------------------------------------


def saved_when(entry: BlockVersion) -> str:
    """When a version was saved, in the site's time zone (TIME_ZONE)."""
    zone = ZoneInfo(current_app.config["TIME_ZONE"])
    moment = entry.saved_at.replace(tzinfo=UTC).astimezone(zone)
    return f"{moment.strftime('%a %-d %b %Y, %H:%M:%S')} ({zone.key})"


def undo_window() -> timedelta:
    return timedelta(seconds=float(current_app.config["BLOCK_UNDO_SECONDS"]))


def undo_until(block: Block) -> datetime | None:
    return block.deleted_at + undo_window() if block.deleted_at else None


def undoable(page, now: datetime | None = None) -> list[Block]:
    """The page's deleted blocks whose delete may still be undone, the oldest first."""
    since = (now or utcnow()) - undo_window()
    query = select(Block).where(Block.page_id == page.id, Block.deleted_at > since)
    return list(db.session.scalars(query.order_by(Block.deleted_at)))


def purge(now: datetime | None = None) -> int:
    """Delete for good the blocks whose undo time is over; the caller commits."""
    limit = (now or utcnow()) - undo_window()
    query = select(Block).where(Block.deleted_at.is_not(None), Block.deleted_at <= limit)
    gone = 0
    for block in db.session.scalars(query).all():
        kind = registry.find(block.kind)
        if kind is not None and kind.on_delete is not None:
            kind.on_delete(block)  # e.g. let go of the block's files, in this transaction
        registry.deleting(block)  # and other features' rows about it (alert rules)
        db.session.delete(block)
        gone += 1
    return gone


@every("BLOCK_PURGE_SECONDS", name="blocks.purge", at_start=True)
def purge_job() -> None:
    gone = purge()
    db.session.commit()
    if gone:
        log.info("purged %s deleted block(s) whose undo time was over", gone)
