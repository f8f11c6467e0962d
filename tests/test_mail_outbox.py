"""Without STATBOARD_MAIL_URL each message is an .eml file in the outbox folder."""

from email import message_from_bytes, policy
from pathlib import Path

from statboard.extensions import db
from statboard.notify import announce
from statboard.pages.models import Page
from statboard.tasks.runner import wait_for

from tests.conftest import gen_user


def outbox(settings) -> list:
    files = sorted(Path(settings["OUTBOX_DIR"]).glob("*.eml"))
    return [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]


def test_each_change_becomes_an_eml_file_in_order(app, settings):
    gen_user(app, "admin", "admin-pw", admin=True, email="admin@example.test")
    assert app.config["MAIL_URL"] is None
    with app.test_request_context():
        page = Page(slug="about", title="About us")
        db.session.add(page)
        db.session.flush()
        announce(None, "created", "page about", page=page, url="/about")
        announce(None, "edited", "text block 1", page=page, url="/about#block-1")
        db.session.commit()
        from statboard import tasks

        [task_id] = db.session.scalars(db.select(tasks.Task.id)).all()
    with app.app_context():
        assert wait_for(task_id).state == "SUCCESS"
    messages = outbox(settings)
    # Changes committed together are one mail, in the order made.
    [message] = messages
    assert message["Subject"] == "[Statboard] About us: 2 changes by Statboard"
    assert message["To"] == "admin@example.test"
    text = message.get_body(("plain",)).get_content()
    assert text.index("Statboard created page about") < text.index("Statboard edited text block 1")
    assert "http://statboard.test/about#block-1" in text
    assert not list(Path(settings["OUTBOX_DIR"]).glob(".*"))  # no half-written files


def test_without_admin_addresses_nothing_is_written(app, settings):
    gen_user(app, "admin", "admin-pw", admin=True, email="")
    with app.test_request_context():
        db.session.add(Page(slug="x", title="X"))
        announce(None, "created", "page x")
        db.session.commit()
        from statboard import tasks

        [task_id] = db.session.scalars(db.select(tasks.Task.id)).all()
    with app.app_context():
        done = wait_for(task_id)
    assert done.state == "SUCCESS" and done.result == {"stored": 1, "messages": 0}
    assert outbox(settings) == []
