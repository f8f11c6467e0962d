"""The mail job: sending runs off the request thread, with retries and backoff."""

from statboard.auth.models import User
from statboard.extensions import db
from statboard.notify.mailer import send_messages
from statboard.tasks import task


@task("mail.admins", retries=4)
def mail_admins(ctx, messages: list | None = None, subject: str = "", body: str = ""):
    """Send `messages` ([{"subject", "body"}], in order), or one subject and body."""
    pairs = [(m["subject"], m["body"]) for m in messages or []] or [(subject, body)]
    admins = db.session.scalars(db.select(User.email).where(User.is_admin, User.email != "")).all()
    sent = send_messages(pairs, admins)
    return {"recipients": len(admins), "messages": sent}
