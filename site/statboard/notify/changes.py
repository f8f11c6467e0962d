"""What a change announces: one log line and a change record for the admins' mail.

A record says who (username and full name), what, where (page, block), when, the
link, and the facets that changed (notify/facets.py). The records of all changes
committed together go to the task runner as one task, which stores them as one
batch (notify/delivery.py) and mails them in order; a hand-over that fails (the
database is locked, the broker is down) is tried again later on a timer thread: the
change is committed, so its mail is never dropped.
"""

import base64
import logging
import threading
import uuid

from flask import current_app

from statboard import tasks
from statboard.models_base import utcnow
from statboard.notify.batches import stage
from statboard.notify.facets import ITEMS, item_changes
from statboard.notify.models import CHANGES
from statboard.notify.queue import after_commit, batch

log = logging.getLogger("statboard.changes")

RETRY_SECONDS = (0.5, 1, 2, 5, 10, 30)  # then every 60 s until the runner takes it
MAIL_TASK = "mail.admins"
INLINE_MAX_BYTES = 200_000  # a larger thumbnail is linked, not carried in the mail
INLINE_MAX_COUNT = 12  # thumbnails carried by one change; the others are linked


def site_link(path: str | None) -> str | None:
    if not path:
        return None
    if path.startswith(("http://", "https://")):
        return path
    return current_app.config["SITE_URL"].rstrip("/") + path


def queue_change(
    actor,
    action,
    subject,
    page=None,
    url=None,
    *,
    block=None,
    facets=None,
    session=False,
    kind=CHANGES,
) -> None:
    who = getattr(actor, "username", None) or current_app.config["SITE_NAME"]
    where = f" on page {page.title!r}" if page is not None else ""
    line = " ".join(f"{who} {action} {subject}{where}".split())  # one line, always
    link = site_link(url)
    after_commit(log.info, "%s%s", line, f" ({link})" if link else "")
    username = getattr(actor, "username", None)
    record = {
        "line": line,
        "who": {"username": username, "fullname": actor.fullname or ""} if username else None,
        "action": action,
        "subject": subject,
        "page": {"id": page.id, "title": page.title, "slug": page.slug} if page else None,
        "block": block,
        "url": link,
        "at": utcnow().isoformat(timespec="seconds"),
        "facets": [_carry_thumbnails(f) for f in facets or []],
        "kind": kind,
        "session": f"edit:{actor.id}:block:{block['id']}" if session and username else None,
    }
    batch("admin mail", _hand_over_changes, before_commit=True).append(record)


def _hand_over_changes(records: list) -> None:
    """Just before the commit: the transaction's records become one batch.

    An edit session (every record one admin's content edit of one block) shares its
    group with that admin's other edits of the block, and is mailed once quiet by the
    periodic job: its batch is staged in the save's own transaction, so that a save
    is one write. Any other batch is a group alone, mailed at once: it goes to the
    mail task after the commit, which stores and sends it.
    """
    batch_id = str(uuid.uuid4())
    sessions = {record["session"] for record in records}
    group = sessions.pop() if len(sessions) == 1 and None not in sessions else batch_id
    committed = utcnow().isoformat()  # to the microsecond: the order of commits
    if group != batch_id:
        stage(batch_id, group, list(records), committed)
        return
    args = {"changes": list(records), "batch": batch_id, "group": group, "committed": committed}
    after_commit(hand_over, current_app._get_current_object(), args)


def _carry_thumbnails(facet: dict) -> dict:
    """An items facet carries the thumbnails of what it added, removed or changed:
    the mail is sent after the commit, when a removed image's files are gone."""
    if facet["type"] != ITEMS:
        return facet
    wanted = item_changes(facet)
    keys = {i["key"] for group in wanted.values() if isinstance(group, list) for i in group}
    budget = [INLINE_MAX_COUNT]

    def carried(item: dict) -> dict:
        thumb = item.get("thumb")
        if not thumb:
            return item
        item = {k: v for k, v in item.items() if k != "thumb"}
        if item["key"] in keys and budget[0] > 0:
            data = _read_thumbnail(thumb)
            if data is not None and len(data) <= INLINE_MAX_BYTES:
                budget[0] -= 1
                item["inline"] = {"type": thumb["type"], "data": base64.b64encode(data).decode()}
        item["link"] = site_link(thumb.get("url"))
        return item

    return {
        **facet,
        "before": [carried(i) for i in facet["before"]],
        "after": [carried(i) for i in facet["after"]],
    }


def _read_thumbnail(thumb: dict) -> bytes | None:
    # Imported here: storage imports notify for its own transaction hooks.
    from statboard.storage import storage_for

    try:
        return storage_for(thumb["storage"]).read(thumb["object"])
    except Exception as error:  # a missing object never stops the change
        log.warning("thumbnail %s not read for the change mail: %s", thumb.get("object"), error)
        return None


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
