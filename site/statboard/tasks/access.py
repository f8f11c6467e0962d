"""Who may see and cancel a task: its owner, or an admin."""

from flask import abort
from flask_login import current_user

from statboard.auth.access import require_login
from statboard.tasks.models import Task


def can_manage(task: Task, user=None) -> bool:
    user = current_user if user is None else user
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_admin) or (task.owner_id is not None and task.owner_id == user.id)


def task_or_abort(task_id: str) -> Task:
    """The task, for its owner or an admin; 401/403/404 for anybody else."""
    from statboard import tasks

    require_login()
    task = tasks.get(task_id)
    if task is None:
        abort(404, "There is no such task; check the link.")
    if not can_manage(task):
        abort(403, "This task belongs to another user: only its owner or an admin can see it.")
    return task
