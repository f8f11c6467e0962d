"""What change mails are made of, kept until they are sent and digested.

ChangeBatch: the change records of one committed transaction (notify.announce), in
order. Batches with the same `group` (one admin's content edits of one block) are one
edit session: they go out as one mail once the group has been quiet for
NOTIFY_SESSION_SECONDS, that is when its newest batch is due (`due_at`). `sent_at` is
when the group was closed and mailed to the admins who want every change; digests read
the batches closed in their period.

NotifyChoice: how often an admin wants change mail, and about which pages.

NotifyChannel: an Apprise URL an admin added on their account page (ntfy, Slack,
Matrix, a webhook …) and the kinds of notification it gets. The choice above (how
often, which pages) counts for their channels too. `channels_at` and
`channels_until` are the channels' own marks beside `sent_at` and `digest_until`:
mail and channels are sent apart, so that neither waits for the other.
"""

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from statboard.auth.sealed import seal, unseal
from statboard.extensions import db
from statboard.models_base import utcnow

EVERY, HOURLY, DAILY, NONE = "every", "hourly", "daily", "none"
MODES = {
    EVERY: "Every change",
    HOURLY: "An hourly digest",
    DAILY: "A daily digest",
    NONE: "None",
}
# the kinds of notification (a record's "kind")
CHANGES, HOSTS, ALERTS = "changes", "hosts", "alerts"
KINDS = {
    CHANGES: "Changes to the site",
    HOSTS: "Host alerts (down, back up, host metrics)",
    ALERTS: "Counter and follower alerts",
}


class ChangeBatch(db.Model):
    __tablename__ = "change_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Made when the transaction committed: a retried hand-over never stores it twice.
    batch: Mapped[str] = mapped_column(String(36), unique=True)
    group: Mapped[str] = mapped_column(String(120), index=True)
    records: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the transaction committed (to the microsecond): batches are mailed in this
    # order, which the mail tasks, running side by side, may not store them in.
    committed_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    # When the group went to the channels (notify/channels.py); mailing is apart.
    channels_at: Mapped[datetime | None] = mapped_column(index=True)


class NotifyChoice(db.Model):
    """One admin's choice; an admin without a row gets every change about every page."""

    __tablename__ = "notify_choices"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    mode: Mapped[str] = mapped_column(String(16), default=EVERY)
    daily_hour: Mapped[int] = mapped_column(default=8)  # in the site's time zone
    # The ids of the pages they care about; None: every page. Changes that are on no
    # page (hosts, accounts, users) always come.
    pages: Mapped[list[int] | None] = mapped_column(JSON)
    # The end of the last period a digest was sent for (naive UTC).
    digest_until: Mapped[datetime] = mapped_column(default=utcnow)
    # The same for the digests to their channels.
    channels_until: Mapped[datetime] = mapped_column(default=utcnow)

    def wants_page(self, page_id: int | None) -> bool:
        return page_id is None or self.pages is None or page_id in self.pages


class NotifyChannel(db.Model):
    """One admin's Apprise URL. It may hold a secret (a token, a password): it is kept
    sealed (auth/sealed.py), shown masked (notify.channels.masked) and never leaves the
    server again. `url` is None when the site's SECRET_KEY changed since it was added."""

    __tablename__ = "notify_channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sealed_url: Mapped[str] = mapped_column("url", Text)
    kinds: Mapped[list[str]] = mapped_column(JSON, default=lambda: [CHANGES, HOSTS, ALERTS])
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def url(self) -> str | None:
        return unseal(self.sealed_url, current_app.config["SECRET_KEY"])

    @url.setter
    def url(self, url: str) -> None:
        self.sealed_url = seal(url, current_app.config["SECRET_KEY"])

    def wants(self, record: dict) -> bool:
        return record.get("kind", CHANGES) in self.kinds
