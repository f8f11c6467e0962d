"""Task engines carry task ids to a worker that calls `Runner.run(id)`.

    engine = from_url("threads://", app)              worker threads inside this process
    engine = from_url("redis://localhost:6379/0", app)  Celery workers, a Redis broker

Everything else (records, states, progress, cancel, retries) is the Runner's, so
both engines behave alike. Each task runs in a lane (tasks.registry.lane_of): the
default one, or the anonymous one for work that anyone may start, which has threads
(or, with Celery, a queue) of its own, so that mail and admin tasks never wait
behind it.
"""

from typing import Protocol
from urllib.parse import urlsplit


class LaneFull(Exception):
    """The lane has as many tasks waiting as it may hold: refuse new work for now."""


class TaskEngine(Protocol):
    def start(self, runner) -> None:
        """Once per process, before the first task."""

    def enqueue(self, task_id: str, delay: float = 0.0, lane: str = "default") -> None:
        """Have a worker of `lane` run the task (after `delay` seconds, for retries).

        LaneFull when a new task (no delay) finds its bounded lane full."""

    def revoke(self, task_id: str) -> None:
        """A task was cancelled (its record already says REVOKED): do not bother
        running it if it is still queued."""


def from_url(url: str, app, *, threads: int = 4, lanes: dict | None = None) -> TaskEngine:
    """The engine a STATBOARD_TASKS_URL names; ValueError saying what to use otherwise.

    lanes: {name: (threads, most waiting)} of the threads:// engine besides the default
    lane, whose `threads` take an unbounded queue."""
    scheme = urlsplit(url).scheme
    if scheme == "threads":
        from statboard.tasks.engines.threads import ThreadEngine

        return ThreadEngine(threads, lanes)
    if scheme in ("redis", "rediss"):
        from statboard.tasks.engines.celery import CeleryEngine  # Celery stays optional

        return CeleryEngine(app, url)
    raise ValueError(
        f"STATBOARD_TASKS_URL {url!r} is not understood: use threads:// for worker threads "
        "inside the site, or redis://host:port/db for Celery workers with a Redis broker."
    )
