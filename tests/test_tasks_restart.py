"""A task whose process stopped is marked as interrupted, not left STARTED for ever."""

import os
import signal
import socket
import subprocess
import sys
import textwrap
import uuid

import pytest
from statboard import tasks
from statboard.extensions import db
from statboard.models_base import utcnow
from statboard.tasks import Task
from statboard.tasks.runner import INTERRUPTED
from statboard.tasks.workers import boot_id, worker_id

from tests.conftest import make_settings
from tests.fixtures.servers import ROOT
from tests.fixtures.tasks import TASK_IMPORTS


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path, TASK_IMPORTS=TASK_IMPORTS)


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def add_started(app, worker: str) -> str:
    with app.app_context():
        task = Task(id=str(uuid.uuid4()), kind="test.count", state="STARTED", worker=worker)
        task.started_at = utcnow()
        db.session.add(task)
        db.session.commit()
        return task.id


def test_the_first_request_marks_tasks_of_dead_processes_of_this_host(app, client):
    host = socket.gethostname()
    dead = add_started(app, f"{host}:{dead_pid()}:{boot_id()}")
    before_reboot = add_started(app, f"{host}:{os.getpid()}:an-earlier-boot")
    alive = add_started(app, worker_id())
    elsewhere = add_started(app, f"another-host.example:{dead_pid()}:{boot_id()}")

    client.get("/login")

    with app.app_context():
        assert tasks.get(dead).state == "FAILURE"
        assert tasks.get(dead).error == INTERRUPTED
        assert tasks.get(dead).finished_at is not None
        assert tasks.get(before_reboot).state == "FAILURE"
        assert tasks.get(alive).state == "STARTED"  # this very process still runs it
        assert tasks.get(elsewhere).state == "STARTED"  # only that host can tell


def test_a_site_killed_while_running_a_task_leaves_it_interrupted(app, settings, client):
    """A real process runs a task on the threads engine and is killed mid-way."""
    script = textwrap.dedent(
        f"""
        import os, signal, time
        from statboard import create_app, tasks
        app = create_app({settings!r})
        with app.app_context():
            task_id = tasks.submit("test.count", steps=1000, pause=0.05)
            while tasks.get(task_id).progress == 0:
                time.sleep(0.02)
            print(task_id, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == -signal.SIGKILL, run.stderr
    task_id = run.stdout.strip()
    with app.app_context():
        assert tasks.get(task_id).state == "STARTED"

    client.get("/login")  # the restarted site's first request

    with app.app_context():
        task = tasks.get(task_id)
    assert task.state == "FAILURE"
    assert task.error == "interrupted by a restart of the site"
    assert 0 < task.progress < 1
