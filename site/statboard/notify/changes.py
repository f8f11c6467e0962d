"""What a change announces: one log line and one email to every admin.

The emails of all changes committed together go to the task runner as one task,
which sends them in the order the changes were made. A hand-over that fails (the
database is locked, the broker is down) is tried again later on a timer thread:
the change is committed, so its mail is never dropped.
"""

import logging
import threading

from flask import current_app

from statboard import tasks
from statboard.notify.queue import after_commit, batch

log = logging.getLogger("statboard.changes")

RETRY_SECONDS = (0.5, 1, 2, 5, 10, 30)  # then every 60 s until the runner takes it
MAIL_TASK = "mail.admins"


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
    hand_over(current_app._get_current_object(), {"messages": list(messages)})


def mail_admins(subject: str, body: str) -> None:
    """Queue one email of its own to the admins (a digest, say), sent after the commit."""
    after_commit(hand_over, current_app._get_current_object(), {"subject": subject, "body": body})


def _submit(args: dict) -> None:
    task_id = tasks.submit(MAIL_TASK, **args)
    task = tasks.get(task_id)
    if task is not None and task.state == tasks.FAILURE and task.attempts == 0:
        raise RuntimeError(task.error)  # the queue was down: the record says so, try again


def hand_over(app, args: dict, attempt: int = 0) -> None:
    """Submit the mail task now; if that fails, try again later until it is taken."""
    try:
        if attempt:  # on a timer thread: no app context of its own
            with app.app_context():
                _submit(args)
        else:
            _submit(args)
    except Exception as error:
        delay = RETRY_SECONDS[attempt] if attempt < len(RETRY_SECONDS) else 60.0
        log.warning(
            "The admins' email could not be handed to the task runner (%s); trying again in %s s.",
            error,
            delay,
        )
        timer = threading.Timer(delay, hand_over, (app, args, attempt + 1))
        timer.daemon = True
        timer.start()
