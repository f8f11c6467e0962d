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
    # What a person reads as the task's name: "Importing followers of @alpha". A string,
    # or a function of the task's arguments (view code: it may read the database).
    title: str | Callable[[dict], str] | None = None


_kinds: dict[str, TaskKind] = {}

DEFAULT_LANE = "default"
ANONYMOUS_LANE = "anonymous"  # work anonymous callers start: threads and a queue of its own
_anonymous_kinds: set[str] = set()


def task(name: str, retries: int = 0, title: str | Callable[[dict], str] | None = None):
    def register(func):
        _kinds[name] = TaskKind(name, func, retries, title)
        return func

    return register


def title_of(kind: str, args: dict | None) -> str:
    """The task's name in words, as its kind says; else made from the kind's name
    ("reports.build" reads "Reports build")."""
    registered = _kinds.get(kind)
    title = registered.title if registered else None
    if callable(title):
        try:
            return title(args or {})
        except Exception:  # a title is never worth a failed page
            title = None
    return title or kind.replace(".", " ").replace("_", " ").capitalize()


def get_kind(name: str) -> TaskKind:
    try:
        return _kinds[name]
    except KeyError:
        raise KeyError(
            f"No task kind is named {name!r}: register it with @task({name!r}) in a module "
            "that the site imports (or list the module in STATBOARD_TASK_IMPORTS)."
        ) from None


def anonymous_kind(name: str) -> None:
    """Ownerless tasks of this kind run in the anonymous lane (anyone may start them)."""
    _anonymous_kinds.add(name)


def lane_of(kind: str, owner_id: int | None) -> str:
    """The lane a task runs in, from its record: so retries and restarts keep it."""
    if owner_id is None and kind in _anonymous_kinds:
        return ANONYMOUS_LANE
    return DEFAULT_LANE
