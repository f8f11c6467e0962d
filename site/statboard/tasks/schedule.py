"""Periodic jobs while the site runs, in exactly one process per host.

    @every("HOST_SAMPLE_SECONDS", name="hosts.sample")   # seconds, from a setting
    def sample_hosts(): ...

    @daily("COLLECT_AT", name="series.collect")           # "HH:MM" UTC, from a setting
    def collect(): tasks.submit("series.collect")

Jobs run in an app context on the scheduler's thread; a long job should submit a
task instead of doing the work itself. The served site starts the scheduler
(statboard.wsgi); the CLI and the tests do not, and call job functions directly.
Of several server processes on one host, the one holding instance/scheduler.lock
(setting SCHEDULER_LOCK) runs the jobs; if it dies, another takes the lock within
LOCK_RETRY seconds.
"""

import fcntl
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

log = logging.getLogger(__name__)
LOCK_RETRY = 15.0


@dataclass
class Job:
    name: str
    func: Callable[[], object]
    every_setting: str | None = None
    daily_setting: str | None = None

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


def every(setting: str, name: str):
    def register(func):
        _jobs.append(Job(name, func, every_setting=setting))
        return func

    return register


def daily(setting: str, name: str):
    def register(func):
        _jobs.append(Job(name, func, daily_setting=setting))
        return func

    return register


class Scheduler:
    """Runs `jobs` on a thread once it holds the instance folder's lock; stop() ends it."""

    def __init__(self, app, jobs: list[Job] | None = None):
        self.app = app
        self.jobs = list(_jobs if jobs is None else jobs)
        configured = app.config.get("SCHEDULER_LOCK")
        self.lock_path = Path(configured or Path(app.instance_path) / "scheduler.lock")
        self.holds_lock = threading.Event()
        self._stop = threading.Event()
        self._lock_handle = None
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
                self._lock_handle = _hold_lock(self.lock_path)
                if self._lock_handle is not None:
                    break
                self._stop.wait(LOCK_RETRY)
            else:
                return
            self.holds_lock.set()
            self._run_jobs()
        finally:
            if self._lock_handle is not None:
                self._lock_handle.close()  # releases the lock for another process

    def _run_jobs(self) -> None:
        log.info("scheduler running %s", ", ".join(job.name for job in self.jobs))
        config, now = self.app.config, time.time()
        due = {
            job.name: job.next_run(config, now) if job.daily_setting else now for job in self.jobs
        }
        while not self._stop.is_set():
            for job in self.jobs:
                if time.time() >= due[job.name]:
                    with self.app.app_context():
                        try:
                            job.func()
                        except Exception:
                            log.exception("scheduled job %s failed", job.name)
                    due[job.name] = job.next_run(config, time.time())
            self._stop.wait(max(0.05, min(1.0, min(due.values()) - time.time())))


def start_scheduler(app) -> Scheduler | None:
    if not app.config.get("SCHEDULER", True) or not _jobs:
        return None
    return Scheduler(app).start()


def _hold_lock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return handle  # kept open (and so locked) while the scheduler runs
    except OSError:
        handle.close()
        return None
