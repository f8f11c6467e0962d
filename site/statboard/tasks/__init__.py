"""One task runner for the whole site: background jobs that features register with @task.

    task_id = tasks.submit("series.import", owner=current_user.id, storage=url, key=name)
    tasks.cancel(task_id)
    tasks.get(task_id)   # the Task record, or None

The engine is chosen by STATBOARD_TASKS_URL: threads:// (worker threads inside
the site's process, the default) or redis://... (Celery workers, a Redis broker);
see tasks/engines/. The runner knows nothing of what its jobs do.
"""

import importlib

from flask import Blueprint, current_app
from jinja2 import TemplateNotFound

from statboard.tasks.engines import LaneFull
from statboard.tasks.models import FAILURE, FINISHED, QUEUED, REVOKED, STARTED, SUCCESS, Task
from statboard.tasks.registry import (
    ANONYMOUS_LANE,
    TaskCancelled,
    anonymous_kind,
    task,
    title_of,
)

bp = Blueprint("tasks", __name__)

__all__ = [
    "FAILURE",
    "FINISHED",
    "LaneFull",
    "QUEUED",
    "REVOKED",
    "STARTED",
    "SUCCESS",
    "Task",
    "TaskCancelled",
    "anonymous_kind",
    "cancel",
    "get",
    "submit",
    "task",
    "title_of",
    "wait_for",
]


def _runner():
    return current_app.extensions["statboard.tasks"]


def submit(kind: str, *, owner=None, retries: int | None = None, **args) -> str:
    """Queue a task of `kind` with JSON-able keyword args; returns its id.

    LaneFull when the task's bounded lane (anonymous work, see anonymous_kind) is full."""
    return _runner().submit(kind, owner=owner, retries=retries, args=args)


def cancel(task_id: str) -> bool:
    """Revoke a task: it reads REVOKED at once, and a running one stops at its next
    check; True if it was not finished yet."""
    return _runner().cancel(task_id)


def get(task_id: str) -> Task | None:
    return _runner().get(task_id)


def wait_for(task_id: str, timeout: float = 10.0) -> Task:
    """Block until a task has finished (for the CLI and the tests)."""
    from statboard.tasks.runner import wait_for

    return wait_for(task_id, timeout)


def result_view(task) -> str | None:
    """The template that says a finished task's result (templates/tasks/results/), if its
    kind has one."""
    name = f"tasks/results/{task.kind}.html"
    try:
        current_app.jinja_env.get_template(name)
    except TemplateNotFound:
        return None
    return name


def init_app(app):
    from statboard.tasks import engines, prune, routes  # noqa: F401  the routes, the job
    from statboard.tasks.access import can_manage
    from statboard.tasks.runner import Runner

    for module in app.config["TASK_IMPORTS"]:
        importlib.import_module(module)  # more @task functions, e.g. from plugins
    config = app.config
    lanes = {ANONYMOUS_LANE: (config["TASK_ANONYMOUS_THREADS"], config["TASK_ANONYMOUS_QUEUE"])}
    engine = engines.from_url(
        config["TASKS_URL"], app, threads=int(config["TASK_THREADS"]), lanes=lanes
    )
    runner = Runner(app, engine)
    app.extensions["statboard.tasks"] = runner
    app.register_blueprint(bp)
    app.add_template_global(can_manage, "can_manage_task")
    app.add_template_global(lambda task: title_of(task.kind, task.args), "task_title")
    app.add_template_global(result_view, "task_result_view")

    @app.before_request
    def _start_runner():
        # On the site's first request: mark tasks of dead processes, start the workers.
        runner.start()
