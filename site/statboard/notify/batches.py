"""Staging a transaction's change records as one batch, which notify/delivery.py sends."""

from datetime import datetime, timedelta

from flask import current_app

from statboard.extensions import db
from statboard.models_base import utcnow
from statboard.notify.models import ChangeBatch


def stage(batch: str, group: str, records: list[dict], committed: str = "") -> None:
    """Stage a batch of records on the session (the caller commits): an edit session's
    saves stage theirs in their own transaction, and the periodic job mails them once
    its latest batch is due (the earlier ones are left as they are: a save writes one
    row, however long the session)."""
    now = utcnow()
    committed_at = datetime.fromisoformat(committed) if committed else now
    session = group != batch  # an edit session: mailed once quiet
    quiet = timedelta(seconds=float(current_app.config["NOTIFY_SESSION_SECONDS"]))
    due = now + quiet if session else now
    db.session.add(
        ChangeBatch(
            batch=batch, group=group, records=records, committed_at=committed_at, due_at=due
        )
    )
