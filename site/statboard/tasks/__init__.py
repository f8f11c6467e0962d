"""One task runner for the whole site: mail, imports, collections, samplings.

    task_id = tasks.submit("series.import", owner=current_user, path="...")
    tasks.cancel(task_id)
    tasks.get(task_id)   # the Task record, or None

The engine is chosen by STATBOARD_TASKS_URL: threads:// (worker threads inside
the site's process, the default) or redis://... (Celery workers, a Redis broker).
"""

from flask import Blueprint, current_app

from statboard.tasks.models import FAILURE, FINISHED, QUEUED, REVOKED, STARTED, SUCCESS, Task
from statboard.tasks.registry import TaskCancelled, task

bp = Blueprint("tasks", __name__)

__all__ = [
    "FAILURE",
    "FINISHED",
    "QUEUED",
    "REVOKED",
    "STARTED",
    "SUCCESS",
    "Task",
    "TaskCancelled",
    "cancel",
    "get",
    "submit",
    "task",
]


def _runner():
    return current_app.extensions["statboard.tasks"]


def submit(kind: str, *, owner=None, retries: int | None = None, **args) -> str:
    """Queue a task of `kind` with JSON-able keyword args; returns its id."""
    return _runner().submit(kind, owner=owner, retries=retries, args=args)


def cancel(task_id: str) -> bool:
    """Ask a task to stop; True if it was not finished yet."""
    return _runner().cancel(task_id)


def get(task_id: str) -> Task | None:
    return _runner().get(task_id)


def init_app(app):
    from statboard.tasks import mail  # noqa: F401  registers the mail tasks
    from statboard.tasks.runner import Runner

    app.extensions["statboard.tasks"] = Runner(app)
    app.register_blueprint(bp)
