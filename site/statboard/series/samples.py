"""Writing and reading samples, and who may read which account."""

import logging
from datetime import UTC, datetime

from sqlalchemy import select

from statboard import live
from statboard.extensions import db
from statboard.notify import after_commit, batch
from statboard.series.models import Account, AccountGrant, Sample

log = logging.getLogger("statboard.series")

MAX_COUNT = 2**63 - 1  # the samples' 64-bit count column


def naive_utc(moment: datetime) -> datetime:
    """Naive UTC at whole seconds, as every sample is stored."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def existing_times(account_id: int) -> set[datetime]:
    rows = db.session.scalars(select(Sample.taken_at).where(Sample.account_id == account_id))
    return set(rows)


def add_samples(account: Account, rows: list[tuple[datetime, int]], known=None) -> int:
    """Add (taken_at, count) rows not stored yet; returns how many were new.

    Commit is the caller's; the log line and the live event (account:<id>, the
    account's id and how many samples are new) wait for it in the after-commit queue."""
    known = existing_times(account.id) if known is None else known
    new = []
    for taken_at, count in rows:
        taken_at = naive_utc(taken_at)
        if taken_at not in known:
            known.add(taken_at)
            new.append({"account_id": account.id, "taken_at": taken_at, "count": count})
    if new:
        db.session.execute(Sample.__table__.insert(), new)
        account.samples_version = (account.samples_version or 0) + 1
        after_commit(log.info, "series %s: %d new samples", account.label, len(new))
        batch("live.samples", _publish_samples).append((account.id, len(new)))
    return len(new)


def _publish_samples(added: list[tuple[int, int]]) -> None:
    """One event per account per transaction, however many batches it took."""
    totals: dict[int, int] = {}
    for account_id, count in added:
        totals[account_id] = totals.get(account_id, 0) + count
    for account_id, count in totals.items():  # after the commit already: at once
        live.publish_now(f"account:{account_id}", "samples", account=account_id, added=count)


def latest_counts(account_ids) -> dict[int, tuple[datetime, int]]:
    """The newest (taken_at, count) of each account."""
    newest = (
        select(Sample.account_id, db.func.max(Sample.taken_at).label("at"))
        .where(Sample.account_id.in_(list(account_ids)))
        .group_by(Sample.account_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Sample.account_id, Sample.taken_at, Sample.count).join(
            newest, (Sample.account_id == newest.c.account_id) & (Sample.taken_at == newest.c.at)
        )
    )
    return {account_id: (at, count) for account_id, at, count in rows}


def is_granted(user, account: Account) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(
            select(AccountGrant.id).where(
                AccountGrant.account_id == account.id, AccountGrant.user_id == user.id
            )
        )
        is not None
    )


def can_read(user, account: Account) -> bool:
    if account.is_public:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_admin) or is_granted(user, account)


def readable_ids(user, account_ids) -> set[int]:
    """Which of account_ids the user may see."""
    ids = list(account_ids)
    if not ids:
        return set()
    if user is not None and getattr(user, "is_authenticated", False) and user.is_admin:
        return set(db.session.scalars(select(Account.id).where(Account.id.in_(ids))))
    public = set(
        db.session.scalars(select(Account.id).where(Account.id.in_(ids), Account.is_public))
    )
    if user is not None and getattr(user, "is_authenticated", False):
        public |= set(
            db.session.scalars(
                select(AccountGrant.account_id).where(
                    AccountGrant.account_id.in_(ids), AccountGrant.user_id == user.id
                )
            )
        )
    return public


def find_by_handle(handle: str) -> Account | None:
    """The account a /twitstats/<handle> URL means: X first, then any platform."""
    candidates = db.session.scalars(
        select(Account).where(db.func.lower(Account.handle) == handle.lower().lstrip("@"))
    ).all()
    candidates.sort(key=lambda a: (a.platform != "x", a.handle != handle, a.id))
    return candidates[0] if candidates else None


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
