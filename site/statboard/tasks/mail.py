"""Mail tasks: sending runs off the request thread, with retries and backoff."""

from statboard.tasks.registry import task


@task("mail.admins", retries=4)
def mail_admins(ctx, subject: str, body: str):
    from statboard.auth.models import User
    from statboard.extensions import db
    from statboard.notify.mailer import send_mail

    admins = db.session.scalars(db.select(User.email).where(User.is_admin, User.email != "")).all()
    send_mail(subject=subject, body=body, to=admins)
    return {"recipients": len(admins)}
