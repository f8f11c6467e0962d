"""Notifications: transaction hooks, the change log line and the admins' email.

after_commit(func, *args)      after the current transaction commits (notify/queue.py)
after_rollback(func, *args)    if it does not commit
batch(name, flush) -> list     one list per transaction, flushed after its commit
announce(actor, action, subject, page=None, url=None, block=, facets=, session=, kind=)
                               a change: the log line and the admins' mail and channel
                               notes after commit (kind: CHANGES, HOSTS, ALERTS)
mail_admins(subject, body)     one email of its own to the admins, after the commit
"""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from statboard.extensions import db
from statboard.notify import mailer
from statboard.notify.changes import mail_admins, queue_change
from statboard.notify.facets import changed, field, items, text
from statboard.notify.models import ALERTS, CHANGES, HOSTS
from statboard.notify.queue import after_commit, after_rollback, batch, init_queue

__all__ = [
    "ALERTS",
    "CHANGES",
    "HOSTS",
    "after_commit",
    "after_rollback",
    "announce",
    "batch",
    "changed",
    "field",
    "init_app",
    "items",
    "mail_admins",
    "text",
]


def announce(
    actor,
    action: str,
    subject: str,
    page=None,
    url: str | None = None,
    *,
    block: dict | None = None,
    facets: list[dict] | None = None,
    session: bool = False,
    kind: str = CHANGES,
) -> None:
    """Queue the log line and the admins' email for a change (fires after commit).

    announce(current_user, "edited", "text block 12", page=page, url="/about#block-12")

    A change that can show itself adds `block` ({"id", "kind", "label", "title"}) and
    `facets` (notify.changed(before, after) of notify.text/field/items descriptions);
    session=True makes it part of the actor's edit session on that block: their saves
    of it within NOTIFY_SESSION_SECONDS of each other are one mail. `kind` says which
    admins' channels want it (notify.CHANGES, notify.HOSTS for a host
    alert, notify.ALERTS for a counter or follower alert).
    """
    queue_change(
        actor, action, subject, page, url, block=block, facets=facets, session=session, kind=kind
    )


def init_app(app):
    from statboard.notify import channels, delivery, jobs  # noqa: F401  tasks, periodic job

    mailer.for_app(app)  # a wrong STATBOARD_MAIL_URL stops the start, saying why
    channels.check_urls(app)  # so does a wrong STATBOARD_NOTIFY_CHANNELS
    try:
        ZoneInfo(str(app.config["TIME_ZONE"]))
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f"STATBOARD_TIME_ZONE {app.config['TIME_ZONE']!r} is not a time zone: use an IANA "
            "name such as Europe/Berlin or UTC."
        ) from error
    init_queue(app, db.session)
