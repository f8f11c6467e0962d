"""The mail job: sending runs off the request thread, with retries and backoff."""

from sqlalchemy import select

from statboard.auth.models import User
from statboard.extensions import db
from statboard.notify import delivery
from statboard.notify.mailer import send_messages
from statboard.tasks import task


@task("mail.admins", retries=4)
def mail_admins(
    ctx,
    changes: list | None = None,
    batch: str = "",
    group: str = "",
    committed: str = "",
    messages: list | None = None,
    subject: str = "",
    body: str = "",
):
    """A committed transaction's change records (`changes`, its `batch` id, mail
    `group` and when it `committed`): stored, then mailed at once unless they are
    part of an edit session. Or a mail of its own: `messages` ([{"subject", "body"}],
    in order), or one subject and body, to every admin with an address."""
    if changes is not None:
        delivery.store(batch, group, changes, committed)
        sent = delivery.send_due(group=group) if group == batch else 0
        return {"stored": len(changes), "messages": sent}
    pairs = [(m["subject"], m["body"]) for m in messages or []] or [(subject, body)]
    admins = db.session.scalars(select(User.email).where(User.is_admin, User.email != "")).all()
    sent = send_messages(pairs, admins)
    return {"recipients": len(admins), "messages": sent}
