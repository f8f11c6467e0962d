"""Periodic jobs while the site runs, in exactly one process of the cluster.

    @every("HOST_SAMPLE_SECONDS", name="hosts.sample")   # seconds, from a setting
    def sample_hosts(): ...

    @every("SWEEP_SECONDS", name="storage.sweep", at_start=True)  # and when a leader starts
    def sweep_job(): ...

    @daily("COLLECT_AT", name="series.collect")           # "HH:MM" UTC, from a setting
    def collect(): tasks.submit("series.collect")

Jobs run in an app context on the scheduler's jobs thread; a long job should submit a
task instead of doing the work itself. The served site starts the scheduler
(statboard.wsgi); the CLI and the tests do not, and call job functions directly.

Of all the server processes of a cluster, the leader runs the jobs (tasks.leadership:
a PostgreSQL advisory lock, a Redis key with an expiry, or with the embedded engines
instance/scheduler.lock, chosen by the engines in use). The others try to lead every
third of SCHEDULER_LEASE_SECONDS, and the leader renews its lease as often; if it dies,
another takes over within the lease and a third. Each run is claimed in the database
(ScheduledRun): a job runs at most once per period in the cluster, even while two
processes believe they lead, and a new leader carries on the schedule where the last
one left it (a daily job missed during the handover runs at once); a job marked
at_start also runs as soon as a process takes the lead.
"""

import atexit
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from statboard.extensions import db
from statboard.tasks import leadership as leaderships
from statboard.tasks.models import ScheduledRun
from statboard.tasks.workers import worker_id

log = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    func: Callable[[], object]
    every_setting: str | None = None
    daily_setting: str | None = None
    at_start: bool = False  # also once when a leader takes over (a sweep after a crash)

    def next_run(self, config, now: float) -> float:
        if self.every_setting:
            return now + float(config[self.every_setting])
        hour, minute = (int(part) for part in str(config[self.daily_setting]).split(":"))
        today = datetime.fromtimestamp(now, UTC).replace(
            hour=hour, minute=minute, second=0, microsecond=0
        )
        if today.timestamp() <= now:
            today += timedelta(days=1)
        return today.timestamp()


_jobs: list[Job] = []


def _register(job: Job) -> None:
    """A job's name keys its schedule and its claims (scheduled_runs): two jobs of one
    name would share them, and one would run on the other's schedule."""
    if any(known.name == job.name for known in _jobs):
        raise ValueError(f"A periodic job named {job.name!r} exists already: name it apart.")
    _jobs.append(job)


def every(setting: str, name: str, at_start: bool = False):
    """Run every `setting` seconds in the cluster; with at_start, also as soon as a
    process takes the lead (the embedded engines: as each start of the site)."""

    def register(func):
        _register(Job(name, func, every_setting=setting, at_start=at_start))
        return func

    return register


def daily(setting: str, name: str):
    def register(func):
        _register(Job(name, func, daily_setting=setting))
        return func

    return register


class Scheduler:
    """Runs `jobs` on a thread of its own while this process leads; stop() ends it."""

    def __init__(self, app, jobs: list[Job] | None = None, leadership=None):
        self.app = app
        self.jobs = list(_jobs if jobs is None else jobs)
        config = app.config
        self.lease = float(config["SCHEDULER_LEASE_SECONDS"])
        self.interval = self.lease / 3  # between two tries to lead, and two renewals
        if leadership is None:
            lock = config.get("SCHEDULER_LOCK") or Path(app.instance_path) / "scheduler.lock"
            url = leaderships.url_for({**config, "SCHEDULER_LOCK": str(lock)})
            cluster = leaderships.cluster_of(config)
            leadership = leaderships.from_url(url, lease=self.lease, cluster=cluster)
        self.leadership = leadership
        self.holds_lock = threading.Event()  # set while this process leads
        self._stop = threading.Event()
        self._valid_until = 0.0
        self.thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)

    def start(self) -> "Scheduler":
        self.thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self.thread.join(timeout)

    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                asked = time.monotonic()  # a lease counts from the question
                if self.leadership.acquire():
                    self._lead(asked)
                self._stop.wait(self.interval)
        finally:
            self.leadership.release()  # a follower's session, too

    def _lead(self, acquired: float) -> None:
        """Renew the leadership while the jobs thread runs the jobs; end the term when a
        renewal fails or the scheduler stops (a job in progress finishes first)."""
        lease = self.leadership.lease
        log.info(
            "this process (%s) leads the periodic jobs: %s",
            worker_id(),
            ", ".join(job.name for job in self.jobs),
        )
        self._valid_until = acquired + lease if lease else math.inf
        term = threading.Event()
        jobs = threading.Thread(target=self._run_jobs, args=(term,), name="scheduler-jobs")
        jobs.daemon = True
        self.holds_lock.set()
        jobs.start()
        try:
            while not self._stop.wait(self.interval):
                asked = time.monotonic()
                if not self.leadership.renew():
                    log.warning("this process no longer leads the periodic jobs")
                    break
                if lease:
                    self._valid_until = asked + lease
        finally:
            self.holds_lock.clear()
            term.set()
            jobs.join()
            self.leadership.release()

    def _leads(self, term: threading.Event) -> bool:
        """Still the leader: the term goes on and the lease has not run out unrenewed."""
        return not term.is_set() and time.monotonic() < self._valid_until

    def _run_jobs(self, term: threading.Event) -> None:
        config = self.app.config
        with self.app.app_context():
            try:
                rows = {row.name: row for row in db.session.scalars(db.select(ScheduledRun))}
            except Exception:
                log.exception("could not read the last runs of the periodic jobs")
                rows = {}
        seen = {name: row.runs for name, row in rows.items()}
        now = time.time()
        due = {}
        for job in self.jobs:
            last = rows.get(job.name)
            if job.at_start:
                due[job.name] = now
            elif last is not None:
                due[job.name] = job.next_run(config, last.last_run)
            else:
                due[job.name] = job.next_run(config, now) if job.daily_setting else now
        while not term.is_set():  # a lease not renewed in time only holds the jobs back
            for job in self.jobs:
                if time.time() >= due[job.name] and self._leads(term):
                    due[job.name] = self._run(job, seen)
            term.wait(max(0.05, min(1.0, min(due.values(), default=60) - time.time())))

    def _run(self, job: Job, seen: dict) -> float:
        """Claim this run of `job` and run it; returns when it is due next."""
        config = self.app.config
        with self.app.app_context():
            try:
                won, seen[job.name], last = claim(job.name, seen.get(job.name))
            except Exception:
                log.exception("could not claim the periodic job %s; trying again", job.name)
                db.session.rollback()
                return time.time() + self.interval
            if not won:  # another process ran it meanwhile: carry on from its run
                return job.next_run(config, last)
            try:
                job.func()
            except Exception:
                log.exception("scheduled job %s failed", job.name)
                db.session.rollback()
        return job.next_run(config, time.time())


def claim(name: str, seen: int | None) -> tuple[bool, int | None, float]:
    """Record a run of the job `name` now, unless its runs moved on from `seen` (None: no
    run recorded yet); returns (won, its runs now, its last run), and commits."""
    now = time.time()
    if seen is None:
        db.session.add(ScheduledRun(name=name, last_run=now, runs=1, runner=worker_id()))
        try:
            db.session.commit()
            return True, 1, now
        except IntegrityError:
            db.session.rollback()
    else:
        moved = db.session.execute(
            db.update(ScheduledRun)
            .where(ScheduledRun.name == name, ScheduledRun.runs == seen)
            .values(runs=seen + 1, last_run=now, runner=worker_id())
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if moved.rowcount == 1:
            return True, seen + 1, now
    row = db.session.get(ScheduledRun, name)
    if row is None:  # deleted meanwhile: the next try records it anew
        return False, None, now
    return False, row.runs, row.last_run


def start_scheduler(app) -> Scheduler | None:
    if not app.config.get("SCHEDULER", True) or not _jobs:
        return None
    scheduler = Scheduler(app).start()
    # A process that exits hands the lead on at once, not after the lease.
    atexit.register(scheduler.stop, 2.0)
    return scheduler
