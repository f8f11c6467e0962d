"""From committed change records to mails: batches wait in the database until sent.

    store(batch, group, records)   the mail task stores a transaction's records once
    send_due(now, group=None)      sends every group that is due (a batch at once, an
                                   edit session once quiet for NOTIFY_SESSION_SECONDS)
                                   to the channels (notify/channels.py), then by mail
    due_groups(closed, now)        the query of the groups due and not yet sent one way
    send_digests(now)              the hourly and daily digests whose period has ended
    send_job()                     both, every NOTIFY_SEND_SECONDS (tasks.schedule)

Each group and each digest is claimed with one conditional UPDATE before it is sent,
so that of several processes or machines running the job exactly one sends it; a
send that fails gives the claim back and is tried again by the next run. Mail and
channels each claim with marks of their own (sent_at, digest_until; channels_at,
channels_until): a failing mail server never holds the channels back, nor the other
way round.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from statboard.auth.models import User
from statboard.extensions import db
from statboard.models_base import utcnow
from statboard.notify import channels, compose
from statboard.notify.batches import stage
from statboard.notify.choices import period_end
from statboard.notify.facets import merge
from statboard.notify.mailer import send_built
from statboard.notify.models import (
    DAILY,
    EVERY,
    HOURLY,
    ChangeBatch,
    NotifyChannel,
    NotifyChoice,
)
from statboard.tasks.schedule import every

log = logging.getLogger(__name__)
KEEP = timedelta(days=2)  # sent batches are kept this long for the digests


def store(batch: str, group: str, records: list[dict], committed: str = "") -> None:
    """Keep a committed transaction's records (once, however often the task runs)."""
    if db.session.scalar(select(ChangeBatch.id).where(ChangeBatch.batch == batch)):
        return
    stage(batch, group, records, committed)
    try:
        db.session.commit()
    except IntegrityError:  # the same batch stored meanwhile by a retry elsewhere
        db.session.rollback()


@dataclass(frozen=True)
class _Way:
    """A way notifications go out: mail, or the channels. Each keeps its own marks, so
    that one that fails (the SMTP server is down) never holds the other back."""

    name: str
    closed: Any  # the ChangeBatch column set once a group went out this way
    until: Any  # the NotifyChoice column: the end of the last digest period sent
    reach: Any  # which admins it can reach (a condition on User)
    now: Callable[[list[dict]], int]  # a closed group's records -> how many sent
    digest: Callable[..., int]  # (user, records, since, until) -> how many sent


def send_due(now: datetime | None = None, group: str | None = None) -> int:
    """Send every group due by `now` (only `group`, if named) to the channels, then
    mail it; returns the mails sent. A failure of the channels' hand-over is logged
    and left to the next run: it never stops the mail."""
    now = now or utcnow()
    _apart(_send_due, CHANNELS, now, group)
    return _send_due(MAIL, now, group)


def _apart(step, way: "_Way", *args) -> None:
    """Run a step of the channels so that its failure never stops the mail's."""
    try:
        step(way, *args)
    except Exception:
        db.session.rollback()
        log.exception("notify: %s (%s) failed; the next run tries again", step.__name__, way.name)


def due_groups(closed, now: datetime):
    """The groups not yet sent the way marked by the column `closed` whose latest batch
    is due by `now` (an edit session's newest save says when it is quiet)."""
    query = select(ChangeBatch.group).where(closed.is_(None)).group_by(ChangeBatch.group)
    return query.having(func.max(ChangeBatch.due_at) <= now)


def _send_due(way: _Way, now: datetime, group: str | None) -> int:
    query = due_groups(way.closed, now)
    if group is not None:
        query = query.where(ChangeBatch.group == group)
    return sum(_send_group(way, name, now) for name in db.session.scalars(query).all())


def _send_group(way: _Way, group: str, now: datetime) -> int:
    rows = db.session.scalars(
        select(ChangeBatch)
        .where(ChangeBatch.group == group, way.closed.is_(None))
        .order_by(ChangeBatch.committed_at, ChangeBatch.id)
    ).all()
    if not rows or any(row.due_at > now for row in rows):
        return 0  # a save came in meanwhile: the session goes on
    ids = [row.id for row in rows]
    claim = update(ChangeBatch).where(ChangeBatch.id.in_(ids), way.closed.is_(None))
    if not _claim(claim.values({way.closed: now}), len(ids)):
        return 0  # another process sends it
    records = _records(rows)
    if not records:
        return 0  # a session that changed nothing in the end (a delete undone)
    try:
        return way.now(records)
    except Exception:
        db.session.execute(
            update(ChangeBatch).where(ChangeBatch.id.in_(ids)).values({way.closed: None})
        )
        db.session.commit()
        raise


def _claim(statement, count: int) -> bool:
    """Run a conditional UPDATE; True when it changed all `count` rows (they are ours)."""
    if db.session.execute(statement).rowcount != count:
        db.session.rollback()
        return False
    db.session.commit()
    return True


def _records(rows: list[ChangeBatch]) -> list[dict]:
    """The records of batches in order; an edit session's folded into one."""
    if len(rows) > 1 or (rows and rows[0].group != rows[0].batch):
        merged = merge([record for row in rows for record in row.records])
        return [] if merged.get("void") else [merged]
    return [record for row in rows for record in row.records]


def _admins(modes, reach) -> list[tuple[User, NotifyChoice | None]]:
    query = (
        select(User, NotifyChoice)
        .outerjoin(NotifyChoice, NotifyChoice.user_id == User.id)
        .where(User.is_admin, reach)
        .order_by(User.id)
    )
    found = db.session.execute(query).all()
    return [(user, choice) for user, choice in found if (choice.mode if choice else EVERY) in modes]


def _for(choice: NotifyChoice | None, records: list[dict]) -> list[dict]:
    if choice is None:
        return records
    return [r for r in records if choice.wants_page(r["page"]["id"] if r.get("page") else None)]


def _mail_each(records: list[dict]) -> int:
    messages = []
    for user, choice in _admins({EVERY}, MAIL.reach):
        mine = _for(choice, records)
        if mine:
            messages.append(compose.change_mail(mine, user))
    return send_built(messages)


def _channel_each(records: list[dict]) -> int:
    admins = [(user, _for(choice, records)) for user, choice in _admins({EVERY}, CHANNELS.reach)]
    return channels.dispatch(channels.notes_now(records, admins))


MAIL = _Way(
    "mail",
    ChangeBatch.sent_at,
    NotifyChoice.digest_until,
    User.email != "",
    _mail_each,
    lambda user, records, since, until: send_built(
        [compose.digest_mail(records, user, since, until)]
    ),
)
CHANNELS = _Way(
    "channels",
    ChangeBatch.channels_at,
    NotifyChoice.channels_until,
    User.id.in_(select(NotifyChannel.user_id)),
    _channel_each,
    lambda user, records, since, until: channels.dispatch(
        channels.notes_digest(user, records, since, until)
    ),
)


def send_digests(now: datetime | None = None) -> int:
    """Send every digest whose period has ended, to the channels and by mail; returns
    how many mails were sent."""
    now = now or utcnow()
    _apart(_send_digests, CHANNELS, now)
    return _send_digests(MAIL, now)


def _send_digests(way: _Way, now: datetime) -> int:
    zone = compose.site_zone()
    sent = 0
    for user, choice in _admins({HOURLY, DAILY}, way.reach):
        since, until = getattr(choice, way.until.key), period_end(choice, now, zone)
        if until <= since:
            continue
        mine = update(NotifyChoice).where(NotifyChoice.user_id == user.id)
        if not _claim(mine.where(way.until == since).values({way.until: until}), 1):
            continue
        rows = db.session.scalars(
            select(ChangeBatch)
            .where(way.closed > since, way.closed <= until)
            .order_by(ChangeBatch.committed_at, ChangeBatch.id)
        ).all()
        groups: dict[str, list[ChangeBatch]] = {}
        for row in rows:
            groups.setdefault(row.group, []).append(row)
        records = _for(choice, [r for group in groups.values() for r in _records(group)])
        if not records:
            continue
        try:
            sent += way.digest(user, records, since, until)
        except Exception:
            db.session.execute(mine.values({way.until: since}))
            db.session.commit()
            raise
    return sent


def overdue_digests(now: datetime | None = None) -> int:
    """Admins whose mail digest is overdue: its period ended longer ago than two runs
    of the job, and it was not sent (a sending that failed gives the period back)."""
    runs = 2 * float(current_app.config["NOTIFY_SEND_SECONDS"])
    late = (now or utcnow()) - timedelta(seconds=runs)
    zone = compose.site_zone()
    admins = _admins({HOURLY, DAILY}, MAIL.reach)
    return sum(1 for _, choice in admins if choice.digest_until < period_end(choice, late, zone))


def prune(now: datetime | None = None) -> int:
    """Forget batches sent long enough ago that no digest still needs them."""
    gone = db.session.execute(
        ChangeBatch.__table__.delete().where(
            ChangeBatch.sent_at < (now or utcnow()) - KEEP,
            ChangeBatch.channels_at < (now or utcnow()) - KEEP,
        )
    )
    db.session.commit()
    return gone.rowcount


@every("NOTIFY_SEND_SECONDS", name="notify.send")
def send_job() -> None:
    """Quiet edit sessions, batches whose first sending failed, digests; then pruning."""
    for step in (send_due, send_digests, prune):
        try:
            step()
        except Exception:
            db.session.rollback()
            log.exception("notify.send: %s failed; the next run tries again", step.__name__)
