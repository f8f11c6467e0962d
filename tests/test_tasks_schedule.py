"""Periodic jobs: they repeat, and only one scheduler per instance folder runs them."""

import time

import pytest
from statboard.tasks import schedule


@pytest.fixture
def settings(settings):
    settings["TICK_SECONDS"] = 0.05
    return settings


@pytest.fixture
def instance(app, tmp_path):
    app.instance_path = str(tmp_path / "instance")
    return tmp_path / "instance"


def wait_until(check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not check() and time.monotonic() < deadline:
        time.sleep(0.02)
    return check()


def test_a_registered_job_runs_again_and_again(app, instance, monkeypatch):
    monkeypatch.setattr(schedule, "_jobs", [])
    runs = []

    @schedule.every("TICK_SECONDS", name="test.tick")
    def tick():
        runs.append(time.monotonic())

    scheduler = schedule.start_scheduler(app)
    try:
        assert wait_until(lambda: len(runs) >= 4), f"the job ran {len(runs)} times"
    finally:
        scheduler.stop()
    gaps = [b - a for a, b in zip(runs, runs[1:], strict=False)]
    assert min(gaps) >= 0.04  # every TICK_SECONDS, not in a busy loop
    assert (instance / "scheduler.lock").exists()


def test_a_failing_job_does_not_stop_the_scheduler(app, instance, monkeypatch):
    monkeypatch.setattr(schedule, "_jobs", [])
    runs = []

    @schedule.every("TICK_SECONDS", name="test.broken")
    def broken():
        runs.append(1)
        raise RuntimeError("feed unreachable")

    scheduler = schedule.start_scheduler(app)
    try:
        assert wait_until(lambda: len(runs) >= 3)
    finally:
        scheduler.stop()


def test_a_second_scheduler_waits_for_the_lock_of_the_first(app, instance):
    app.config["SCHEDULER_LEASE_SECONDS"] = 0.3  # tries to lead every 0.1 s
    first_runs, second_runs = [], []
    first = schedule.Scheduler(
        app, [schedule.Job("first", lambda: first_runs.append(1), "TICK_SECONDS")]
    )
    second = schedule.Scheduler(
        app, [schedule.Job("second", lambda: second_runs.append(1), "TICK_SECONDS")]
    )
    first.start()
    try:
        assert first.holds_lock.wait(5)
        second.start()
        assert wait_until(lambda: len(first_runs) >= 5)
        assert second_runs == [] and not second.holds_lock.is_set()
        first.stop()
        assert second.holds_lock.wait(5)  # the lock freed, the second takes over
        assert wait_until(lambda: len(second_runs) >= 2)
    finally:
        first.stop()
        second.stop()


def test_no_scheduler_when_the_setting_is_off(app, instance, monkeypatch):
    monkeypatch.setattr(schedule, "_jobs", [schedule.Job("x", lambda: None, "TICK_SECONDS")])
    app.config["SCHEDULER"] = False
    assert schedule.start_scheduler(app) is None


def test_a_new_leader_runs_at_start_jobs_at_once_and_others_on_their_schedule(app, instance):
    """Both ran a moment ago (say, before a restart): the sweep runs again as the new
    leader starts, the sampling waits for its period."""
    app.config["HOUR_SECONDS"] = 3600
    runs = []
    jobs = [
        schedule.Job("test.sweep", lambda: runs.append("sweep"), "HOUR_SECONDS", at_start=True),
        schedule.Job("test.sample", lambda: runs.append("sample"), "HOUR_SECONDS"),
    ]
    with app.app_context():
        for job in jobs:
            assert schedule.claim(job.name, None)[0]
    scheduler = schedule.Scheduler(app, jobs).start()
    try:
        assert wait_until(lambda: runs == ["sweep"])
        time.sleep(0.3)
        assert runs == ["sweep"]
    finally:
        scheduler.stop()


def test_each_periodic_job_of_the_site_has_a_name_of_its_own(app):
    """A name keys a job's schedule and claims: the purge of deleted blocks and that of
    deleted pages each run on their own setting."""
    names = [job.name for job in schedule._jobs]
    assert len(names) == len(set(names)), names
    settings = {job.name: job.every_setting for job in schedule._jobs}
    assert settings["blocks.purge"] == "BLOCK_PURGE_SECONDS"
    assert settings["pages.purge"] == "PAGE_PURGE_SECONDS"


def test_a_second_job_of_the_same_name_is_refused(monkeypatch):
    monkeypatch.setattr(schedule, "_jobs", [])
    schedule.every("TICK_SECONDS", name="test.twice")(lambda: None)
    with pytest.raises(ValueError, match="'test.twice' exists already"):
        schedule.daily("TICK_TIME", name="test.twice")(lambda: None)
