"""Notifications: transaction hooks, the change log line and the admins' email.

after_commit(func, *args)      after the current transaction commits (notify/queue.py)
after_rollback(func, *args)    if it does not commit
batch(name, flush) -> list     one list per transaction, flushed after its commit
announce(actor, action, subject, page=None, url=None)
mail_admins(subject, body)     one email of its own to the admins, after the commit
"""

from statboard.extensions import db
from statboard.notify import mailer
from statboard.notify.changes import mail_admins, queue_change
from statboard.notify.queue import after_commit, after_rollback, batch, init_queue

__all__ = ["after_commit", "after_rollback", "announce", "batch", "init_app", "mail_admins"]


def announce(actor, action: str, subject: str, page=None, url: str | None = None) -> None:
    """Queue the log line and the admins' email for a change (fires after commit).

    announce(current_user, "edited", "text block 12", page=page, url="/about#block-12")
    """
    queue_change(actor, action, subject, page=page, url=url)


def init_app(app):
    from statboard.notify import jobs  # noqa: F401  the mail job

    mailer.for_app(app)  # a wrong STATBOARD_MAIL_URL stops the start, saying why
    init_queue(app, db.session)
