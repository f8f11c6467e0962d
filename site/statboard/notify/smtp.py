"""The SMTP mailer: every batch of messages over one connection to the server."""

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit


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


class SmtpMailer:
    def __init__(self, server: SmtpServer, timeout: float = 10.0):
        self.server = server
        self.timeout = float(timeout)

    def send(self, messages: list[EmailMessage]) -> None:
        server, context = self.server, ssl.create_default_context()
        if server.ssl:
            smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
        with smtp:
            if server.starttls:
                smtp.starttls(context=context)
            if server.user:
                smtp.login(server.user, server.password or "")
            for msg in messages:
                smtp.send_message(msg)
