"""Admins' email after each change: a real SMTP server on loopback, or the outbox."""

import logging
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from statboard import create_app
from statboard.auth.models import User
from statboard.extensions import db
from statboard.notify import announce
from statboard.notify.mailer import send_mail
from statboard.notify.smtp import parse_mail_url
from statboard.tasks import Task
from statboard.tasks.runner import wait_for

from tests.conftest import gen_user, make_settings
from tests.fixtures.servers import Inbox, free_port


def mail_tasks(app) -> list[Task]:
    with app.app_context():
        return list(db.session.scalars(db.select(Task).where(Task.kind == "mail.admins")))


def wait_for_mail_tasks(app, count: int, timeout: float = 15.0) -> list[Task]:
    deadline = time.monotonic() + timeout
    while len(found := mail_tasks(app)) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(found) == count, f"{len(found)} mail tasks, expected {count}"
    with app.app_context():
        return [wait_for(task.id, timeout=timeout) for task in found]


def change(app, *subjects, commit=True):
    """Rename users, announcing each as a change, in one transaction."""
    with app.test_request_context():
        for subject in subjects:
            user = db.session.scalar(db.select(User).where(User.username == "bob"))
            user.fullname = subject
            announce(None, "renamed", subject, url="/users/bob")
        db.session.commit() if commit else db.session.rollback()


@pytest.fixture
def people(app):
    gen_user(app, "admin", "admin-pw", admin=True, email="admin@example.test")
    gen_user(app, "root", "admin-pw", admin=True, email="root@example.test")
    gen_user(app, "mute", "admin-pw", admin=True, email="")  # an admin with no address
    gen_user(app, "bob", email="bob@example.test")  # not an admin


@pytest.fixture
def settings(settings, smtp_server):
    settings["MAIL_URL"] = smtp_server[0]
    return settings


def test_mail_reaches_every_admin_after_the_commit(app, people, smtp_server):
    _, inbox = smtp_server
    change(app, "block 7")
    [task] = wait_for_mail_tasks(app, 1)
    assert task.state == "SUCCESS" and task.owner_id is None
    received = inbox.wait_for(2)
    # One message per admin: each carries that admin's own unsubscribe link.
    assert sorted(r for recipients, _ in received for r in recipients) == [
        "admin@example.test",
        "root@example.test",
    ]
    for _, msg in received:
        assert msg["Subject"] == "[Statboard] Statboard renamed block 7"
        assert msg["From"] == "statboard@test.invalid"
        assert "http://statboard.test/users/bob" in msg.get_body(("plain",)).get_content()


def test_no_mail_after_a_rollback(app, people, smtp_server):
    _, inbox = smtp_server
    change(app, "lost change", commit=False)
    change(app, "kept change")
    wait_for_mail_tasks(app, 1)
    subjects = [msg["Subject"] for _, msg in inbox.wait_for(2)]
    assert subjects == ["[Statboard] Statboard renamed kept change"] * 2


def test_changes_committed_together_arrive_in_order(app, people, smtp_server):
    _, inbox = smtp_server
    change(app, "first", "second", "third", "fourth")
    wait_for_mail_tasks(app, 1)
    received = inbox.wait_for(2)
    assert len(received) == 2  # one mail each for the two admins with an address
    for _, msg in received:
        assert msg["Subject"] == "[Statboard] 4 changes"
        text = msg.get_body(("plain",)).get_content()
        places = [text.index(f"renamed {word}") for word in ("first", "second", "third", "fourth")]
        assert places == sorted(places)


@pytest.fixture
def closed_port_app(tmp_path):
    settings = make_settings(
        tmp_path, MAIL_URL=f"smtp://127.0.0.1:{free_port()}", TASK_RETRY_BACKOFF=0.01
    )
    app = create_app(settings)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_with_the_smtp_server_down_the_change_stands_and_the_task_fails_after_retries(
    closed_port_app, caplog
):
    app = closed_port_app
    gen_user(app, "admin", "admin-pw", admin=True, email="admin@example.test")
    gen_user(app, "bob")
    caplog.set_level(logging.WARNING, logger="statboard.tasks.runner")
    started = time.monotonic()
    change(app, "while mail is down")
    assert time.monotonic() - started < 2  # the request did not wait for SMTP
    with app.app_context():
        assert db.session.scalar(db.select(User.fullname).where(User.username == "bob")) == (
            "while mail is down"
        )
    [task] = wait_for_mail_tasks(app, 1)
    assert task.state == "FAILURE"
    assert task.attempts == 5  # mail.admins retries 4 times
    assert task.error.startswith("ConnectionRefusedError")
    retries = [r for r in caplog.records if "retrying in" in r.getMessage()]
    final = [r for r in caplog.records if r.levelname == "ERROR" and task.id in r.getMessage()]
    assert len(retries) == 4 and len(final) == 1
    assert (
        "mail.admins" in final[0].getMessage() and "ConnectionRefusedError" in final[0].getMessage()
    )


def test_the_smtp_server_sees_one_header_per_field(app, people, smtp_server):
    _, inbox = smtp_server
    with app.app_context():
        send_mail("Hello\r\nBcc: eve@example.test", "body\n", ["admin@example.test"])
    [(recipients, msg)] = inbox.wait_for(1)
    assert recipients == ["admin@example.test"]
    assert msg["Bcc"] is None
    assert msg["Subject"] == "Hello Bcc: eve@example.test"


@pytest.mark.parametrize(
    "address", ["admin@example.test\r\nBcc: eve@example.test", "a@b.test\nSubject: x"]
)
def test_an_address_with_a_line_break_is_refused(app, address):
    with app.app_context(), pytest.raises(ValueError):
        send_mail("hi", "body", [address])


class PasswordCheck:
    def __init__(self):
        self.seen = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        self.seen.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"p@ss:word")


def test_smtp_login_uses_the_url_credentials(tmp_path):
    inbox, check = Inbox(), PasswordCheck()
    server = Controller(
        inbox, hostname="127.0.0.1", port=free_port(), authenticator=check, auth_require_tls=False
    )
    server.start()
    try:
        url = f"smtp://mailer:p%40ss%3Aword@127.0.0.1:{server.port}"
        app = create_app(make_settings(tmp_path, MAIL_URL=url))
        with app.app_context():
            send_mail("hello", "body", "admin@example.test")
        assert inbox.wait_for(1) and check.seen == [("mailer", "p@ss:word")]
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("url", "host", "port", "tls", "starttls", "user", "password"),
    [
        ("smtp://mail.example.test", "mail.example.test", 25, False, False, None, None),
        ("smtp://u:pw@127.0.0.1:2525?starttls=true", "127.0.0.1", 2525, False, True, "u", "pw"),
        ("smtps://me%40x.test:a%2Fb@mail.example.test", "mail.example.test", 465, True, False,
         "me@x.test", "a/b"),
    ],
)  # fmt: skip
def test_mail_urls(url, host, port, tls, starttls, user, password):
    server = parse_mail_url(url)
    assert (server.host, server.port, server.ssl, server.starttls) == (host, port, tls, starttls)
    assert (server.user, server.password) == (user, password)


@pytest.mark.parametrize("url", ["http://mail.example.test", "smtp://", "mail.example.test:25"])
def test_a_wrong_mail_url_stops_the_start_with_a_sentence(tmp_path, url):
    with pytest.raises(ValueError, match="STATBOARD_MAIL_URL .* use smtp://host:port"):
        create_app(make_settings(tmp_path, MAIL_URL=url))
