"""Tracked accounts, their follower-count samples, and who may read them."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statboard.extensions import db
from statboard.models_base import utcnow


class Account(db.Model):
    """An account on a platform whose follower count is tracked."""

    __tablename__ = "series_accounts"
    __table_args__ = (UniqueConstraint("platform", "handle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))  # a key of collectors.COLLECTORS
    handle: Mapped[str] = mapped_column(String(200))
    # The platform's stable id (a Bluesky DID, a GitHub user id): handles change, ids do not.
    external_id: Mapped[str | None] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    is_public: Mapped[bool] = mapped_column(default=False)
    last_collected_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    # Bumped by every write of samples: the chart cache keys on it.
    samples_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    samples: Mapped[list["Sample"]] = relationship(
        back_populates="account", cascade="all, delete-orphan", passive_deletes=True
    )
    grants: Mapped[list["AccountGrant"]] = relationship(
        back_populates="account", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def label(self) -> str:
        from statboard.series.collectors import platform_label

        return f"{self.handle} ({platform_label(self.platform)})"

    def __repr__(self) -> str:
        return f"<Account {self.platform}:{self.handle}>"


class Sample(db.Model):
    """One follower count at one time (naive UTC)."""

    __tablename__ = "series_samples"
    # The unique (account, time) index also serves every range query of a chart.
    __table_args__ = (UniqueConstraint("account_id", "taken_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("series_accounts.id", ondelete="CASCADE"))
    taken_at: Mapped[datetime]
    count: Mapped[int] = mapped_column(BigInteger)

    account: Mapped[Account] = relationship(back_populates="samples")


class AccountGrant(db.Model):
    """A non-admin user allowed to read one private account's series."""

    __tablename__ = "series_grants"
    __table_args__ = (UniqueConstraint("account_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("series_accounts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    account: Mapped[Account] = relationship(back_populates="grants")
    user = relationship("User")
