from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statboard.extensions import db
from statboard.models_base import utcnow


class Page(db.Model):
    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    is_public: Mapped[bool] = mapped_column(default=True)
    # Place in the navigation; None keeps the page out of it.
    nav_position: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Set when an admin deletes the page: hidden at once, restorable (pages.deletion)
    # until PAGE_UNDO_SECONDS have passed, then removed with its blocks and aliases.
    deleted_at: Mapped[datetime | None] = mapped_column(index=True)

    # The blocks on the page; a deleted block waiting for its undo window to pass
    # (Block.deleted_at) is no longer among them.
    blocks: Mapped[list["Block"]] = relationship(
        back_populates="page",
        order_by="Block.position",
        cascade="all, delete-orphan",
        primaryjoin="and_(Page.id == Block.page_id, Block.deleted_at.is_(None))",
    )
    aliases: Mapped[list["PageAlias"]] = relationship(
        back_populates="page", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_home(self) -> bool:
        return self.slug == HOME

    def __repr__(self) -> str:
        return f"<Page {self.slug}>"


HOME = "home"  # the slug of the page at /: it keeps it, and cannot be deleted


class PageAlias(db.Model):
    """An earlier address of a page, answered with a redirect to its current one.

    Aliases name the page, not the address it moved to, so a chain of renames is one
    hop; a real page's address always wins over an alias (pages.addresses)."""

    __tablename__ = "page_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    page: Mapped[Page] = relationship(back_populates="aliases")

    def __repr__(self) -> str:
        return f"<PageAlias {self.slug} -> {self.page_id}>"


class Block(db.Model):
    """One block on a page. `data` holds the kind's own fields (see pages.registry)."""

    __tablename__ = "blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(default=0)
    span: Mapped[int] = mapped_column(default=1)  # grid columns: 1 to 4 (fewer on narrow screens)
    rows: Mapped[int] = mapped_column(default=1)  # grid rows: 1 or 2
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Optimistic concurrency: a save names the version it edited; a stale one gets 409.
    # Only content edits raise it (services.save_block); moving or resizing a block
    # leaves an editor open on it valid. Every UPDATE still checks it in its WHERE.
    version: Mapped[int] = mapped_column(default=1)
    # A new block is a draft, seen by admins only, until its first content change.
    draft: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Deleted, and may still be undone (pages.services.UNDO); purged after that.
    deleted_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    page: Mapped[Page] = relationship(back_populates="blocks")
    history: Mapped[list["BlockVersion"]] = relationship(
        back_populates="block",
        order_by="BlockVersion.version.desc()",
        cascade="all, delete-orphan",
    )

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    def __repr__(self) -> str:
        return f"<Block {self.id} {self.kind}>"


class BlockVersion(db.Model):
    """One saved version of a block's content, kept for its history (the newest
    pages.services.HISTORY of each block): what it held, who saved it and when."""

    __tablename__ = "block_versions"
    __table_args__ = (UniqueConstraint("block_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    block_id: Mapped[int] = mapped_column(ForeignKey("blocks.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A draft's version (a new block's first): restored, the block is a draft again.
    draft: Mapped[bool] = mapped_column(default=False, server_default=false())
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The author's name as it was: kept when the user is gone.
    author: Mapped[str] = mapped_column(String(80), default="")
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)

    block: Mapped[Block] = relationship(back_populates="history")

    def __repr__(self) -> str:
        return f"<BlockVersion {self.block_id} v{self.version}>"
