"""Engines carry task ids to a worker that calls `Runner.run(id)`.

An engine has three methods:
    start(runner)             once per process, before the first task
    enqueue(task_id, delay)   run the task (after `delay` seconds, for retries)
    revoke(task_id)           a queued task was cancelled: do not bother running it
"""

from urllib.parse import urlsplit


def engine_for(app):
    """The engine STATBOARD_TASKS_URL names: threads:// or redis://... (Celery)."""
    url = app.config["TASKS_URL"]
    scheme = urlsplit(url).scheme
    if scheme == "threads":
        from statboard.tasks.engines.threads import ThreadEngine

        return ThreadEngine(int(app.config["TASK_THREADS"]))
    if scheme in ("redis", "rediss"):
        from statboard.tasks.engines.celery import CeleryEngine

        return CeleryEngine(app, url)
    raise ValueError(
        f"STATBOARD_TASKS_URL {url!r} is not understood: use threads:// for worker threads "
        "inside the site, or redis://host:port/db for Celery workers with a Redis broker."
    )
