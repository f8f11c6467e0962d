"""Periodic jobs while the site runs, in exactly one process per host.

    @every("HOST_SAMPLE_SECONDS", name="hosts.sample")   # seconds, from a setting
    def sample_hosts(): ...

    @daily("COLLECT_AT", name="series.collect")           # "HH:MM" UTC, from a setting
    def collect(): tasks.submit("series.collect")

Jobs run in an app context on the scheduler's thread; a long job should submit a
task instead of doing the work itself. The served site starts the scheduler
(statboard.wsgi); the CLI and the tests do not, and call job functions directly.
Of several server processes on one host, the one holding instance/scheduler.lock
runs the jobs; if it dies, another takes the lock within LOCK_RETRY seconds.
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


def start_scheduler(app) -> threading.Thread | None:
    if not app.config.get("SCHEDULER", True) or not _jobs:
        return None
    thread = threading.Thread(target=_loop, args=(app,), name="scheduler", daemon=True)
    thread.start()
    return thread


def _hold_lock(path: Path):
    handle = path.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return handle  # kept open (and so locked) for the life of the process
    except OSError:
        handle.close()
        return None


def _loop(app) -> None:
    lock_path = Path(app.instance_path) / "scheduler.lock"
    while _hold_lock(lock_path) is None:
        time.sleep(LOCK_RETRY)
    log.info("scheduler running %s", ", ".join(job.name for job in _jobs))
    now = time.time()
    due = {job.name: job.next_run(app.config, now) if job.daily_setting else now for job in _jobs}
    while True:
        now = time.time()
        for job in _jobs:
            if now >= due[job.name]:
                with app.app_context():
                    try:
                        job.func()
                    except Exception:
                        log.exception("scheduled job %s failed", job.name)
                due[job.name] = job.next_run(app.config, time.time())
        time.sleep(max(0.05, min(1.0, min(due.values()) - time.time())))
