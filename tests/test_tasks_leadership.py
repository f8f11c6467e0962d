"""One leader per cluster for the periodic jobs: each leadership engine against its real
server, the choice of engine, and the claim that keeps a run from happening twice."""

import time

import psycopg
import pytest
from sqlalchemy.engine import make_url
from statboard.tasks import leadership, schedule
from statboard.tasks.models import ScheduledRun


def wait_until(check, timeout=10.0) -> bool:
    """True once check() is (called no more after that: it may be an acquire)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture(params=["file", "postgres", "redis"])
def url(request, tmp_path):
    if request.param == "file":
        return str(tmp_path / "scheduler.lock")
    if request.param == "postgres":
        return request.getfixturevalue("postgres_url")
    return request.getfixturevalue("redis_url")


def test_one_leader_at_a_time_and_the_next_one_after_a_release(url):
    first = leadership.from_url(url, lease=5)
    second = leadership.from_url(url, lease=5)
    try:
        assert first.acquire()
        assert not second.acquire()
        assert first.renew()
        first.release()
        assert second.acquire()
        assert not first.acquire()
    finally:
        first.release()
        second.release()


def test_a_redis_leader_that_stops_renewing_loses_the_lead_after_its_lease(redis_url):
    first = leadership.from_url(redis_url, lease=0.5)
    second = leadership.from_url(redis_url, lease=0.5)
    try:
        assert first.acquire()
        assert not second.acquire()
        assert wait_until(second.acquire, 3)
        assert not first.renew()  # the key names the new leader: the old one steps down
        first.release()  # and does not delete the new leader's key
        assert second.renew()
    finally:
        second.release()


def test_clusters_sharing_a_redis_each_have_their_leader(redis_url):
    ours = leadership.cluster_of({"DATABASE_URL": "postgresql://u:pw@db-a/sb"})
    assert ours == leadership.cluster_of({"DATABASE_URL": "postgresql://u:other@db-a/sb"})
    theirs = leadership.cluster_of({"DATABASE_URL": "sqlite:////srv/other/statboard.db"})
    first = leadership.from_url(redis_url, lease=5, cluster=ours)
    second = leadership.from_url(redis_url, lease=5, cluster=ours)
    other = leadership.from_url(redis_url, lease=5, cluster=theirs)
    try:
        assert first.acquire() and not second.acquire()
        assert other.acquire()
    finally:
        for each in (first, second, other):
            each.release()


def test_a_postgres_leader_whose_session_ends_loses_the_lead(postgres_url):
    first = leadership.from_url(postgres_url, lease=5)
    second = leadership.from_url(postgres_url, lease=5)
    dsn = make_url(postgres_url).set(drivername="postgresql").render_as_string(False)
    try:
        assert first.acquire()
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = 'statboard scheduler' AND pid <> pg_backend_pid()"
            )
        assert second.acquire()
        assert not first.renew()
    finally:
        first.release()
        second.release()


def test_a_frozen_postgres_leader_is_cut_off_by_the_server_after_its_lease(postgres_url):
    first = leadership.from_url(postgres_url, lease=1)
    second = leadership.from_url(postgres_url, lease=1)
    try:
        assert first.acquire()
        assert not second.acquire()
        # `first` does not renew, as if its process were stopped: idle_session_timeout
        # ends its session, and its lock with it.
        assert wait_until(second.acquire, 5)
        assert not first.renew()
    finally:
        first.release()
        second.release()


@pytest.mark.parametrize(
    ("settings_", "chosen"),
    [
        ({}, "/i/scheduler.lock"),
        ({"TASKS_URL": "redis://r:6379/1"}, "redis://r:6379/1"),
        ({"BROKER_URL": "redis://b:6379/2"}, "redis://b:6379/2"),
        (
            {"DATABASE_URL": "postgresql+psycopg://pg/sb", "TASKS_URL": "redis://r:6379/1"},
            "postgresql+psycopg://pg/sb",
        ),
        (
            {"LEADERSHIP_URL": "redis://x:1/0", "DATABASE_URL": "postgresql://pg/sb"},
            "redis://x:1/0",
        ),
    ],
)
def test_the_engine_follows_the_engines_in_use(settings_, chosen):
    config = {
        "DATABASE_URL": None,
        "TASKS_URL": "threads://",
        "BROKER_URL": "memory://",
        "SCHEDULER_LOCK": "/i/scheduler.lock",
        **settings_,
    }
    config["SQLALCHEMY_DATABASE_URI"] = config["DATABASE_URL"] or "sqlite:////i/statboard.db"
    assert leadership.url_for(config) == chosen


def test_an_unknown_leadership_url_is_refused_with_what_to_use():
    with pytest.raises(ValueError, match="PostgreSQL database URL, a redis://"):
        leadership.from_url("zookeeper://zk:2181")


def test_a_run_is_claimed_once_even_by_two_schedulers_that_both_lead(app):
    with app.app_context():
        assert schedule.claim("test.job", None)[:2] == (True, 1)
        won, runs, _ = schedule.claim("test.job", None)  # a second leader, not knowing
        assert (won, runs) == (False, 1)
        assert schedule.claim("test.job", 1)[:2] == (True, 2)
        assert schedule.claim("test.job", 1)[:2] == (False, 2)  # the same run, again
        row = app.extensions["sqlalchemy"].session.get(ScheduledRun, "test.job")
        assert row.runs == 2


def test_a_new_leader_carries_on_the_schedule_of_the_last_one(app, tmp_path):
    """A daily job the last leader ran yesterday, at its time, runs at once when the
    new leader takes over after today's time passed in the handover."""
    app.config.update(COLLECT_TEST_AT="00:00", SCHEDULER_LEASE_SECONDS=0.3)
    app.config["SCHEDULER_LOCK"] = str(tmp_path / "scheduler.lock")
    runs = []
    job = schedule.Job("test.daily", lambda: runs.append(1), daily_setting="COLLECT_TEST_AT")
    with app.app_context():
        yesterday = time.time() - 86400 - 60
        session = app.extensions["sqlalchemy"].session
        session.add(ScheduledRun(name="test.daily", last_run=yesterday, runs=7, runner="gone"))
        session.commit()
    scheduler = schedule.Scheduler(app, [job]).start()
    try:
        assert wait_until(lambda: runs == [1], 5)
    finally:
        scheduler.stop()
    with app.app_context():
        assert app.extensions["sqlalchemy"].session.get(ScheduledRun, "test.daily").runs == 8


def test_a_leader_whose_lease_is_taken_stops_running_the_jobs(app, redis_url):
    """Its renewal finds the key in other hands (it expired while the process was
    stuck, say): it steps down at once, and the jobs wait for the next leader."""
    import redis

    app.config.update(TICK_SECONDS=0.05, SCHEDULER_LEASE_SECONDS=0.6, LEADERSHIP_URL=redis_url)
    runs = []
    job = schedule.Job("test.tick", lambda: runs.append(time.monotonic()), "TICK_SECONDS")
    scheduler = schedule.Scheduler(app, [job]).start()
    server = redis.Redis.from_url(redis_url)
    try:
        assert scheduler.holds_lock.wait(5)
        assert wait_until(lambda: len(runs) >= 3, 5)
        server.set(scheduler.leadership.key, "another process", px=60_000)
        assert wait_until(lambda: not scheduler.holds_lock.is_set(), 2)
        time.sleep(0.2)  # a job in progress as it stepped down has ended by now
        stopped = len(runs)
        time.sleep(0.5)
        assert len(runs) == stopped  # no leader, no runs
        server.delete(scheduler.leadership.key)  # the other process went away
        assert scheduler.holds_lock.wait(5)
        assert wait_until(lambda: len(runs) > stopped, 5)
    finally:
        scheduler.stop()
        server.close()
