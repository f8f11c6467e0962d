"""Sending mail: SMTP when STATBOARD_MAIL_URL is set, .eml files in the outbox otherwise.

    smtp://host:25                      plain SMTP
    smtp://user:pw@host:587?starttls=true
    smtps://user:pw@host:465            SMTP over TLS

Messages are built with email.message.EmailMessage, which refuses line breaks in
header values, so a subject or an address can never add headers of its own.
Callers run on the task runner (tasks/mail.py), never on the request thread.
"""

import itertools
import smtplib
import ssl
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app

_sequence = itertools.count()  # keeps .eml names in sending order within one process


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    ssl: bool
    starttls: bool
    user: str | None
    password: str | None


def parse_mail_url(url: str) -> SmtpServer:
    """The SMTP server of a STATBOARD_MAIL_URL, or ValueError saying what to fix."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError(
            f"STATBOARD_MAIL_URL {url!r} is not understood: use smtp://host:port or "
            "smtps://user:password@host:port (add ?starttls=true for STARTTLS), "
            "or leave it unset to write mail to the outbox folder."
        )
    starttls = parse_qs(parts.query).get("starttls", ["false"])[0].lower()
    return SmtpServer(
        host=parts.hostname,
        port=parts.port or (465 if parts.scheme == "smtps" else 25),
        ssl=parts.scheme == "smtps",
        starttls=starttls in ("1", "true", "yes", "on"),
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def build_message(subject: str, body: str, to: list[str]) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = ", ".join(to)
    msg["Subject"] = " ".join(subject.split())  # one line, whatever it was given
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=msg["From"].addresses[0].domain or None)
    msg.set_content(body)
    return msg


def send_mail(subject: str, body: str, to) -> int:
    """Send one message to `to` (an address or a list); returns how many were sent."""
    return send_messages([(subject, body)], to)


def send_messages(messages: list[tuple[str, str]], to) -> int:
    """Send several messages in order, over one SMTP connection."""
    recipients = [to] if isinstance(to, str) else [address for address in to if address]
    if not recipients or not messages:
        return 0
    built = [build_message(subject, body, recipients) for subject, body in messages]
    url = current_app.config.get("MAIL_URL")
    if url:
        _send_smtp(parse_mail_url(url), built)
    else:
        for msg in built:
            _write_eml(msg)
    return len(built)


def _send_smtp(server: SmtpServer, messages: list[EmailMessage]) -> None:
    timeout = float(current_app.config["MAIL_TIMEOUT"])
    context = ssl.create_default_context()
    if server.ssl:
        smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=timeout)
    with smtp:
        if server.starttls:
            smtp.starttls(context=context)
        if server.user:
            smtp.login(server.user, server.password or "")
        for msg in messages:
            smtp.send_message(msg)


def outbox_dir() -> Path:
    configured = current_app.config.get("OUTBOX_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "outbox"


def _write_eml(msg: EmailMessage) -> Path:
    folder = outbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns()}-{next(_sequence):06d}-{uuid.uuid4().hex[:8]}.eml"
    partial = folder / f".{name}.part"  # readers never see half a message
    partial.write_bytes(msg.as_bytes())
    return partial.rename(folder / name)
