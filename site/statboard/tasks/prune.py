"""Removing the records of tasks that finished long ago.

Every change mail, channel note and sampling leaves a task record; once finished it
is kept TASK_RETENTION_HOURS (for its owner's task page and for an admin reading what
failed), then the leader of the periodic jobs deletes it. Unfinished tasks are never
pruned, however old: a queued or running one is still someone's work.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete

from statboard.extensions import db
from statboard.models_base import utcnow
from statboard.tasks.models import FINISHED, Task
from statboard.tasks.schedule import every


@every("SWEEP_SECONDS", name="tasks.prune", at_start=True)
def prune_job() -> None:
    prune(float(current_app.config["TASK_RETENTION_HOURS"]))
    db.session.commit()


def prune(hours: float) -> int:
    """Stage the deletion of tasks finished more than `hours` ago; returns how many."""
    cutoff = utcnow() - timedelta(hours=hours)
    return db.session.execute(
        delete(Task).where(Task.state.in_(FINISHED), Task.finished_at < cutoff)
    ).rowcount
