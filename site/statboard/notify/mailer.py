"""Sending mail through one of two mailers, chosen by STATBOARD_MAIL_URL.

    smtp://host:25                      plain SMTP (notify/smtp.py)
    smtp://user:pw@host:587?starttls=true
    smtps://user:pw@host:465            SMTP over TLS
    (unset)                             .eml files in the outbox folder (notify/outbox.py)

Messages are built with email.message.EmailMessage, which refuses line breaks in
header values, so a subject or an address can never add headers of its own.
Callers run on the task runner (the mail job, notify/jobs.py), never on the request
thread.
"""

from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol

from flask import current_app


class Mailer(Protocol):
    def send(self, messages: list[EmailMessage]) -> None:
        """Deliver the messages in order (to the addresses in their To headers)."""


def from_url(url: str | None, *, outbox: Path, timeout: float = 10.0) -> Mailer:
    """The mailer of a STATBOARD_MAIL_URL; ValueError saying what to fix when it is wrong."""
    if not url:
        from statboard.notify.outbox import OutboxMailer

        return OutboxMailer(outbox)
    from statboard.notify.smtp import SmtpMailer, parse_mail_url

    return SmtpMailer(parse_mail_url(url), timeout)


def for_app(app) -> Mailer:
    """The mailer of an app's settings: MAIL_URL, OUTBOX_DIR, MAIL_TIMEOUT."""
    config = app.config
    outbox = config.get("OUTBOX_DIR") or Path(app.instance_path) / "outbox"
    return from_url(config.get("MAIL_URL"), outbox=Path(outbox), timeout=config["MAIL_TIMEOUT"])


def build_message(
    subject: str,
    body: str,
    to: list[str],
    *,
    html: str | None = None,
    related: list[tuple[str, str, bytes]] = (),
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A message with a plain-text body and, given `html`, an HTML alternative
    (multipart/alternative) whose inline images `related` ([(cid, content type,
    bytes)]) travel with it (multipart/related) and are named as src="cid:<cid>"."""
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = ", ".join(to)
    msg["Subject"] = " ".join(subject.split())  # one line, whatever it was given
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=mail_domain())
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
        html_part = msg.get_payload()[-1]
        for cid, content_type, data in related:
            maintype, subtype = content_type.split("/", 1)
            html_part.add_related(data, maintype, subtype, cid=f"<{cid}>")
    return msg


def mail_domain() -> str | None:
    """The domain of MAIL_FROM: Message-IDs and thread ids are made in it."""
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_FROM"]
    return msg["From"].addresses[0].domain or None


def send_built(messages: list[EmailMessage]) -> int:
    """Send messages made by build_message, in order, over one connection."""
    if messages:
        for_app(current_app).send(messages)
    return len(messages)


def send_mail(subject: str, body: str, to) -> int:
    """Send one message to `to` (an address or a list); returns how many were sent."""
    return send_messages([(subject, body)], to)


def send_messages(messages: list[tuple[str, str]], to) -> int:
    """Send several messages in order, over one SMTP connection."""
    recipients = [to] if isinstance(to, str) else [address for address in to if address]
    if not recipients or not messages:
        return 0
    built = [build_message(subject, body, recipients) for subject, body in messages]
    for_app(current_app).send(built)
    return len(built)
