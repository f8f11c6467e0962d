"""What a change announces: one log line and one email to every admin.

The emails of all changes committed together go to the task runner as one task,
which sends them in the order the changes were made.
"""

import logging

from flask import current_app, g

from statboard.notify.queue import after_commit

log = logging.getLogger("statboard.changes")


def queue_change(actor, action, subject, page=None, url=None) -> None:
    who = getattr(actor, "username", None) or current_app.config["SITE_NAME"]
    where = f" on page {page.title!r}" if page is not None else ""
    line = " ".join(f"{who} {action} {subject}{where}".split())  # one line, always
    link = current_app.config["SITE_URL"].rstrip("/") + url if url else None
    after_commit(log.info, "%s%s", line, f" ({link})" if link else "")
    body = line + (f"\n\n{link}\n" if link else "\n")
    _pending_mail().append({"subject": f"[{current_app.config['SITE_NAME']}] {line}", "body": body})


def _pending_mail() -> list:
    """The mail batch of the current transaction, queued to go after its commit.

    A batch whose call is no longer waiting in the queue has been sent, or dropped
    by a rollback: the next change starts a new one.
    """
    batch = g.get("pending_admin_mail")
    waiting = g.get("after_commit_queue") or ()
    if batch is None or not any(args and args[0] is batch for _, args, _ in waiting):
        batch = []
        g.pending_admin_mail = batch
        after_commit(_mail_admins, batch)
    return batch


def _mail_admins(messages: list) -> None:
    from statboard import tasks

    tasks.submit("mail.admins", messages=list(messages))
