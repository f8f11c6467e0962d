"""Notifications: the after-commit queue, the change log line and the admins' email."""

from statboard.notify.queue import after_commit

__all__ = ["after_commit", "announce", "init_app"]


def announce(actor, action: str, subject: str, page=None, url: str | None = None) -> None:
    """Queue the log line and the admins' email for a change (fires after commit).

    announce(current_user, "edited", "text block 12", page=page, url="/about#block-12")
    """
    from statboard.notify.changes import queue_change

    queue_change(actor, action, subject, page=page, url=url)


def init_app(app):
    from statboard.extensions import db
    from statboard.notify.mailer import parse_mail_url
    from statboard.notify.queue import init_queue

    if app.config.get("MAIL_URL"):
        parse_mail_url(app.config["MAIL_URL"])  # a wrong URL stops the start, saying why
    init_queue(app, db.session)
