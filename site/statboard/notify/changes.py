"""What a change announces: one log line and one email to every admin."""

import logging

from flask import current_app

from statboard.notify.queue import after_commit

log = logging.getLogger("statboard.changes")


def queue_change(actor, action, subject, page=None, url=None) -> None:
    who = getattr(actor, "username", None) or current_app.config["SITE_NAME"]
    where = f" on page {page.title!r}" if page is not None else ""
    line = " ".join(f"{who} {action} {subject}{where}".split())  # one line, always
    link = current_app.config["SITE_URL"].rstrip("/") + url if url else None
    after_commit(log.info, "%s%s", line, f" ({link})" if link else "")
    after_commit(_mail_admins, line, link)


def _mail_admins(line: str, link: str | None) -> None:
    from statboard import tasks

    body = line + (f"\n\n{link}\n" if link else "\n")
    tasks.submit("mail.admins", subject=f"[{current_app.config['SITE_NAME']}] {line}", body=body)
