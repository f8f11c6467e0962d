"""The iostat sampling as a task and the periodic jobs, through the public tasks API.

Nothing here assumes an engine: the same tests hold for worker threads and Celery.
"""

import time

import pytest
from statboard import tasks
from statboard.extensions import db
from statboard.hosts import jobs
from statboard.hosts.metrics import IOSTAT_HEADER
from statboard.hosts.models import HostSample
from statboard.tasks.runner import wait_for

from tests.conftest import make_settings


@pytest.fixture(params=["threads", "celery"])
def settings(request, tmp_path):
    """Worker threads in this process, or the real Celery worker sharing the database."""
    if request.param == "celery":
        return dict(request.getfixturevalue("celery_worker").settings)
    return make_settings(tmp_path)


def test_iostat_task_samples_and_reports_progress(app):
    with app.app_context():
        task_id = tasks.submit("hosts.iostat", count=2, wait=1)
        task = wait_for(task_id, timeout=15)
        assert task.state == tasks.SUCCESS
        assert task.result["iostat"].count(IOSTAT_HEADER) == 2
        assert task.progress == 1.0


def test_cancel_stops_a_running_sampling_between_samples(app):
    with app.app_context():
        started = time.monotonic()
        task_id = tasks.submit("hosts.iostat", count=5, wait=1)
        deadline = time.monotonic() + 10
        while tasks.get(task_id).state != tasks.STARTED and time.monotonic() < deadline:
            time.sleep(0.02)
        assert tasks.cancel(task_id) is True
        task = wait_for(task_id, timeout=10)
        assert task.state == tasks.REVOKED
        assert time.monotonic() - started < 3.0  # the whole sampling needs 4 s
        assert task.result is None


def test_sample_job_records_a_reading(app):
    with app.app_context():
        before = len(db.session.scalars(db.select(HostSample)).all())
        jobs.sample_this_host()
        jobs.sample_this_host()
        samples = db.session.scalars(db.select(HostSample)).all()
        assert len(samples) == before + 2
        assert all(0 <= s.cpu <= 100 and 0 < s.mem <= 100 for s in samples)
        jobs.roll_up_and_prune()  # nothing complete to roll up yet, nothing to drop
        assert len(db.session.scalars(db.select(HostSample)).all()) == before + 2
