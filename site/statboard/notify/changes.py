"""What a change announces: one log line and one email to every admin.

The emails of all changes committed together go to the task runner as one task,
which sends them in the order the changes were made.
"""

import logging

from flask import current_app

from statboard import tasks
from statboard.notify.queue import after_commit, batch

log = logging.getLogger("statboard.changes")


def queue_change(actor, action, subject, page=None, url=None) -> None:
    who = getattr(actor, "username", None) or current_app.config["SITE_NAME"]
    where = f" on page {page.title!r}" if page is not None else ""
    line = " ".join(f"{who} {action} {subject}{where}".split())  # one line, always
    link = current_app.config["SITE_URL"].rstrip("/") + url if url else None
    after_commit(log.info, "%s%s", line, f" ({link})" if link else "")
    body = line + (f"\n\n{link}\n" if link else "\n")
    mail = {"subject": f"[{current_app.config['SITE_NAME']}] {line}", "body": body}
    batch("admin mail", _mail_admins).append(mail)


def _mail_admins(messages: list) -> None:
    tasks.submit("mail.admins", messages=list(messages))


def mail_admins(subject: str, body: str) -> None:
    """Queue one email of its own to the admins (a digest, say), sent after the commit."""
    after_commit(tasks.submit, "mail.admins", subject=subject, body=body)
