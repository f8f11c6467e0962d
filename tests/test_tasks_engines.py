"""Both engines, the same behaviour: worker threads in this process, and a real
Celery worker process on a real Redis broker sharing the database file."""

import time

import pytest
from statboard import tasks
from statboard.tasks.runner import wait_for

from tests.conftest import make_settings
from tests.fixtures.tasks import TASK_IMPORTS

SLOTS = 2  # tasks running at once: TASK_THREADS here, `-c 2` for the Celery worker


@pytest.fixture(params=["threads", "celery"])
def settings(request, tmp_path):
    if request.param == "celery":
        return dict(request.getfixturevalue("celery_worker").settings)
    return make_settings(
        tmp_path, TASK_IMPORTS=TASK_IMPORTS, TASK_RETRY_BACKOFF=0.05, TASK_THREADS=SLOTS
    )


def wait_until(check, timeout=15.0, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def test_a_task_reports_progress_then_succeeds(app):
    with app.app_context():
        task_id = tasks.submit("test.count", steps=10, pause=0.1)
        midway = wait_until(
            lambda: (t := tasks.get(task_id)).state == "STARTED" and 0 < t.progress < 1 and t,
            what="progress between 0 and 1",
        )
        assert midway.message.startswith("step ")
        done = wait_for(task_id, timeout=15)
    assert done.state == "SUCCESS"
    assert done.result == {"counted": 10}
    assert done.progress == 1.0 and done.message == "step 10 of 10"
    assert done.attempts == 1 and done.error is None
    assert done.started_at <= done.finished_at
    assert done.worker.count(":") == 2  # host:pid:boot id


def test_a_failing_task_ends_failure_with_its_error(app):
    with app.app_context():
        done = wait_for(tasks.submit("test.fail", message="no space left"), timeout=15)
    assert done.state == "FAILURE"
    assert done.error == "RuntimeError: no space left"
    assert done.attempts == 1


def test_a_flaky_task_is_retried_until_it_succeeds(app):
    with app.app_context():
        done = wait_for(tasks.submit("test.flaky", failures=2), timeout=15)
    assert done.state == "SUCCESS"
    assert done.attempts == 3 and done.result == {"attempts": 3}


def test_retries_stop_at_the_task_limit(app):
    with app.app_context():
        done = wait_for(tasks.submit("test.flaky", failures=9, retries=1), timeout=15)
    assert done.state == "FAILURE"
    assert done.attempts == 2
    assert done.error == "ConnectionError: attempt 2 failed"


def test_cancel_stops_a_running_task(app):
    with app.app_context():
        task_id = tasks.submit("test.count", steps=400, pause=0.05)
        wait_until(lambda: tasks.get(task_id).progress > 0, what="the task to start counting")
        assert tasks.cancel(task_id) is True
        asked = time.monotonic()
        done = wait_for(task_id, timeout=5)
        assert time.monotonic() - asked < 3
        assert tasks.cancel(task_id) is False  # finished: nothing left to cancel
    assert done.state == "REVOKED"
    assert 0 < done.progress < 1
    assert done.result is None


def test_a_cancelled_running_task_reads_revoked_at_once(app):
    """Its function stops only at its next check (here 3 s away); its record does not
    wait for that: nobody who asks after the cancel sees it STARTED."""
    with app.app_context():
        task_id = tasks.submit("test.count", steps=3, pause=3)
        wait_until(lambda: tasks.get(task_id).state == "STARTED", what="the task to start")
        assert tasks.cancel(task_id) is True
        cancelled = tasks.get(task_id)
        assert cancelled.state == "REVOKED" and cancelled.finished_at is not None
        assert tasks.cancel(task_id) is False
        time.sleep(3.3)  # past its next check: it stopped there and is still REVOKED
        done = tasks.get(task_id)
    assert done.state == "REVOKED"
    assert done.progress < 1 and done.result is None


def test_cancel_revokes_a_queued_task_which_then_never_runs(app):
    with app.app_context():
        busy = [tasks.submit("test.count", steps=400, pause=0.05) for _ in range(SLOTS)]
        wait_until(
            lambda: all(tasks.get(t).state == "STARTED" for t in busy), what="every slot busy"
        )
        queued = tasks.submit("test.count", steps=1, pause=0)
        assert tasks.get(queued).state == "QUEUED"
        assert tasks.cancel(queued) is True
        assert tasks.get(queued).state == "REVOKED"
        for task_id in busy:
            tasks.cancel(task_id)
        assert [wait_for(t, timeout=5).state for t in busy] == ["REVOKED"] * SLOTS
        time.sleep(0.3)  # time for a worker to pick the revoked one up, were it to
        revoked = tasks.get(queued)
    assert revoked.state == "REVOKED"
    assert revoked.started_at is None and revoked.attempts == 0


def test_unknown_task_kinds_are_refused_before_anything_is_stored(app):
    from statboard.extensions import db
    from statboard.tasks import Task

    with app.app_context():
        before = db.session.scalar(db.select(db.func.count()).select_from(Task))
        with pytest.raises(KeyError):
            tasks.submit("no.such.kind")
        assert db.session.scalar(db.select(db.func.count()).select_from(Task)) == before


def test_a_broker_that_is_down_fails_the_task_quickly(tmp_path):
    from statboard import create_app
    from statboard.extensions import db

    from tests.fixtures.servers import free_port

    app = create_app(
        make_settings(
            tmp_path, TASKS_URL=f"redis://127.0.0.1:{free_port()}/0", TASK_IMPORTS=TASK_IMPORTS
        )
    )
    with app.app_context():
        db.create_all()
        started = time.monotonic()
        task_id = tasks.submit("test.count", steps=1)
        assert time.monotonic() - started < 10
        task = tasks.get(task_id)
        db.engine.dispose()
    assert task.state == "FAILURE"
    assert task.error.startswith("the task queue could not be reached; try again once it is back")
