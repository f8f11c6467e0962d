"""Issue 9: work that anyone may start runs in a bounded lane of its own, and the mail
of a committed change reaches the runner even when the first hand-over fails."""

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from statboard import tasks
from statboard.extensions import db
from statboard.notify import announce, changes
from statboard.pages.models import Page
from statboard.tasks.runner import Runner, wait_for

from tests.conftest import gen_user, make_settings

release = threading.Event()


@tasks.task("test.anonymous_wait")
def anonymous_wait(ctx):
    release.wait(10)
    return {"released": release.is_set()}


tasks.anonymous_kind("test.anonymous_wait")


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path, TASK_THREADS=1, TASK_ANONYMOUS_THREADS=1, TASK_ANONYMOUS_QUEUE=2)


def test_anonymous_work_waits_in_its_own_bounded_lane(app):
    release.clear()
    gen_user(app, "admin", "admin-pw", admin=True, email="admin@example.test")
    try:
        with app.app_context():
            running = tasks.submit("test.anonymous_wait")
            # The lane's one thread must hold it before the queue is filled: a lane counts
            # what waits, not what runs.
            deadline = time.monotonic() + 10
            while tasks.get(running).state != "STARTED" and time.monotonic() < deadline:
                time.sleep(0.02)
            anonymous = [running] + [tasks.submit("test.anonymous_wait") for _ in range(2)]
            with pytest.raises(tasks.LaneFull):
                tasks.submit("test.anonymous_wait")
            assert db.session.scalar(db.select(db.func.count(tasks.Task.id))) == 3
            started = time.monotonic()
            mail = tasks.submit("mail.admins", subject="Digest", body="All is well.")
            assert wait_for(mail, timeout=5).state == "SUCCESS"
            assert time.monotonic() - started < 3
            assert {tasks.get(t).state for t in anonymous[1:]} == {"QUEUED"}
    finally:
        release.set()
    with app.app_context():
        for task_id in anonymous:
            assert wait_for(task_id, timeout=10).state == "SUCCESS"


def test_the_mail_of_a_change_is_handed_over_again_until_the_runner_takes_it(
    app, settings, monkeypatch
):
    gen_user(app, "admin", "admin-pw", admin=True, email="admin@example.test")
    monkeypatch.setattr(changes, "RETRY_SECONDS", (0.05, 0.1))
    submit, failures = Runner.submit, []

    def locked_twice(self, *args, **kwargs):
        if len(failures) < 2:
            failures.append(1)
            raise OperationalError("INSERT INTO tasks", {}, Exception("database is locked"))
        return submit(self, *args, **kwargs)

    monkeypatch.setattr(Runner, "submit", locked_twice)
    with app.test_request_context():
        db.session.add(Page(slug="about", title="About"))
        announce(None, "created", "page about")
        db.session.commit()
    outbox = Path(settings["OUTBOX_DIR"])
    deadline = time.monotonic() + 10
    while not list(outbox.glob("*.eml")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(failures) == 2
    assert len(list(outbox.glob("*.eml"))) == 1
