"""Task functions by name, so that any engine (threads, Celery) can run them.

@task("reports.build", retries=3)
def build_report(ctx, report_id):
    ctx.progress(0.5, "halfway")
    if ctx.cancelled(): raise TaskCancelled
    return {"rows": 120}        # JSON-able result
"""

from collections.abc import Callable
from dataclasses import dataclass


class TaskCancelled(Exception):
    """Raised inside a task function to stop it; the task ends REVOKED."""


@dataclass(frozen=True)
class TaskKind:
    name: str
    func: Callable
    retries: int = 0


_kinds: dict[str, TaskKind] = {}


def task(name: str, retries: int = 0):
    def register(func):
        _kinds[name] = TaskKind(name, func, retries)
        return func

    return register


def get_kind(name: str) -> TaskKind:
    try:
        return _kinds[name]
    except KeyError:
        raise KeyError(
            f"No task kind is named {name!r}: register it with @task({name!r}) in a module "
            "that the site imports (or list the module in STATBOARD_TASK_IMPORTS)."
        ) from None
