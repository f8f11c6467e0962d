"""The task runner: task records in the database, their states and the run loop.

Engines only carry task ids to a process that calls `Runner.run(id)`: worker threads
inside the site (engines/threads.py) or Celery workers (engines/celery.py). Everything
else (states, progress, cancel, retries, owners) lives here and in the Task record,
so both engines behave alike.

Each state change and progress report of a task with an owner is published on the
owner's live channel, user:<id>, right after its record is committed, by whichever
process ran it: {"task": id, "state": ...}; the page fetches the rest with its rights.
"""

import logging
import threading
import time
import uuid

from sqlalchemy import delete, update
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from statboard.extensions import db, side_engine
from statboard.models_base import utcnow
from statboard.tasks import workers
from statboard.tasks.engines import LaneFull, TaskEngine
from statboard.tasks.models import FAILURE, FINISHED, QUEUED, REVOKED, STARTED, SUCCESS, Task
from statboard.tasks.registry import TaskCancelled, get_kind, lane_of

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted by a restart of the site"
QUEUE_DOWN = "the task queue could not be reached; try again once it is back"


class TaskContext:
    """What a running task function sees: its id, progress reports, cancel checks."""

    def __init__(self, runner, task_id: str, owner_id: int | None):
        self.runner = runner
        self.task_id = task_id
        self.owner_id = owner_id

    def progress(self, fraction: float, message: str = "") -> None:
        fraction = max(0.0, min(1.0, fraction))
        with self.runner.session() as s:
            moved = s.execute(
                update(Task)
                .where(Task.id == self.task_id, Task.state == STARTED)
                .values(progress=fraction, message=message[:500])
            ).rowcount
            s.commit()
        if moved:
            self.runner.tell_owner(self.owner_id, self.task_id, STARTED, progress=fraction)

    def cancelled(self) -> bool:
        with self.runner.session() as s:
            return bool(s.scalar(db.select(Task.cancel_requested).where(Task.id == self.task_id)))

    def check_cancelled(self) -> None:
        if self.cancelled():
            raise TaskCancelled


class Runner:
    def __init__(self, app, engine: TaskEngine):
        self.app = app
        self.engine = engine
        # Records are written from after-commit hooks, while the request still holds its
        # connection of the site's pool, and by task threads holding one: their own pool.
        self.db = side_engine(app, int(app.config["TASK_THREADS"]) + 2)
        self.backoff = float(app.config["TASK_RETRY_BACKOFF"])
        self._started = False
        self._start_lock = threading.Lock()

    def session(self) -> Session:
        """A session of its own: tasks are submitted from after-commit hooks and threads."""
        return Session(self.db, expire_on_commit=False)

    def tell_owner(self, owner_id: int | None, task_id: str, state: str, **extra) -> None:
        """Publish the task's new state to its owner's open pages (ownerless: nobody).
        Called once the record is committed, from the runner's own sessions, which have
        no after-commit queue; the app's Live, since a worker thread may have no app
        context of its own. A broker that is down is logged, never raised."""
        if owner_id is not None:
            data = {"task": task_id, "state": state, **extra}
            self.app.extensions["live"].publish(f"user:{owner_id}", "task", data)

    # --- records --------------------------------------------------------------

    def submit(self, kind: str, *, owner=None, retries=None, args=None) -> str:
        spec = get_kind(kind)  # KeyError for an unknown kind, before anything is stored
        self.start()
        task = Task(
            id=str(uuid.uuid4()),
            kind=kind,
            owner_id=getattr(owner, "id", owner),
            args=args or {},
            max_retries=spec.retries if retries is None else retries,
            state=QUEUED,
        )
        with self.session() as s:
            s.add(task)
            s.commit()
        # Before it can start: the owner's pages see QUEUED before STARTED. (A LaneFull
        # below never concerns an owned task: only ownerless ones run in a bounded lane.)
        self.tell_owner(task.owner_id, task.id, QUEUED)
        try:
            self.engine.enqueue(task.id, lane=lane_of(kind, task.owner_id))
        except LaneFull:
            with self.session() as s:  # refused: no record of a task that never queued
                s.execute(delete(Task).where(Task.id == task.id))
                s.commit()
            raise
        except Exception as exc:  # e.g. the Redis broker is down: say so, do not hang
            log.exception("task %s (%s) could not be queued", task.id, kind)
            with self.session() as s:
                failed = s.execute(
                    update(Task)
                    .where(Task.id == task.id, Task.state == QUEUED)
                    .values(state=FAILURE, finished_at=utcnow(), error=f"{QUEUE_DOWN}: {exc}")
                ).rowcount
                s.commit()
            if failed:
                self.tell_owner(task.owner_id, task.id, FAILURE)
        return task.id

    def get(self, task_id: str) -> Task | None:
        with self.session() as s:
            return s.get(Task, task_id)

    def cancel(self, task_id: str) -> bool:
        """Revoke a task that has not finished: it reads REVOKED at once, queued or
        running. A queued one never runs; a running one stops at its next
        ctx.cancelled() check, and whatever it ends with is not recorded."""
        with self.session() as s:
            revoked = s.execute(
                update(Task)
                .where(Task.id == task_id, Task.state.in_((QUEUED, STARTED)))
                .values(cancel_requested=True, state=REVOKED, finished_at=utcnow())
            ).rowcount
            owner_id = s.scalar(db.select(Task.owner_id).where(Task.id == task_id))
            s.commit()
        if revoked:
            self.tell_owner(owner_id, task_id, REVOKED)
            self.engine.revoke(task_id)
        return bool(revoked)

    # --- start-up: tasks left behind by a process that is gone ---------------------

    def start(self) -> None:
        """Once per process: mark orphans of dead processes, then start the engine."""
        if self._started:
            return
        with self._start_lock:
            if self._started:
                return
            try:
                self.recover_interrupted()
            except (OperationalError, ProgrammingError):
                log.warning("task table missing; run `flask --app statboard db upgrade`")
            self.engine.start(self)
            self._started = True

    def recover_interrupted(self) -> int:
        """Tasks STARTED by a process of this host that no longer runs end FAILURE."""
        with self.session() as s:
            running = s.scalars(db.select(Task).where(Task.state == STARTED)).all()
            orphans = [t for t in running if workers.is_gone(t.worker, t.started_at)]
            for task in orphans:
                task.state, task.error, task.finished_at = FAILURE, INTERRUPTED, utcnow()
            s.commit()
        for task in orphans:
            log.warning("task %s (%s) was %s", task.id, task.kind, INTERRUPTED)
            self.tell_owner(task.owner_id, task.id, FAILURE)
        return len(orphans)

    # --- the run loop, called by an engine's worker ------------------------------

    def run(self, task_id: str) -> None:
        with self.session() as s:
            # Claimed atomically: of two workers handed the same id, one runs it.
            claimed = s.execute(
                update(Task)
                .where(Task.id == task_id, Task.state == QUEUED, ~Task.cancel_requested)
                .values(
                    state=STARTED,
                    started_at=utcnow(),
                    worker=workers.worker_id(),
                    attempts=Task.attempts + 1,
                )
            ).rowcount
            s.commit()
            if not claimed:
                return
            task = s.get(Task, task_id)
            kind, args, owner_id = task.kind, dict(task.args), task.owner_id
        self.tell_owner(owner_id, task_id, STARTED)
        ctx = TaskContext(self, task_id, owner_id)
        try:
            result = get_kind(kind).func(ctx, **args)
        except TaskCancelled:
            self._finish(task_id, owner_id, REVOKED)
        except Exception as exc:
            self._failed(task_id, kind, exc)
        else:
            self._finish(task_id, owner_id, SUCCESS, result=result)

    def _finish(self, task_id, owner_id, state, result=None, error=None) -> None:
        values = {"state": state, "result": result, "error": error, "finished_at": utcnow()}
        if state == SUCCESS:
            values["progress"] = 1.0
        with self.session() as s:
            finished = s.execute(
                update(Task).where(Task.id == task_id, Task.state == STARTED).values(values)
            ).rowcount
            s.commit()
        if finished:
            self.tell_owner(owner_id, task_id, state)

    def _failed(self, task_id: str, kind: str, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"
        with self.session() as s:
            task = s.get(Task, task_id)
            attempts, retry = task.attempts, task.attempts <= task.max_retries
            owner_id, lane = task.owner_id, lane_of(task.kind, task.owner_id)
            retry = retry and not task.cancel_requested
            if retry:
                task.state, task.error = QUEUED, error
            s.commit()
        if retry:
            self.tell_owner(owner_id, task_id, QUEUED)
            delay = min(300.0, self.backoff * 2 ** (attempts - 1))
            log.warning(
                "task %s (%s) failed on attempt %d, retrying in %.1f s: %s",
                task_id, kind, attempts, delay, error,
            )  # fmt: skip
            self.engine.enqueue(task_id, delay, lane=lane)
        else:
            log.error("task %s (%s) failed after %d attempt(s): %s", task_id, kind, attempts, error)
            self._finish(task_id, owner_id, FAILURE, error=error)


def wait_for(task_id: str, timeout: float = 10.0) -> Task:
    """Block until a task has finished (for the CLI and the tests)."""
    from statboard import tasks

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = tasks.get(task_id)
        if task is not None and task.state in FINISHED:
            return task
        time.sleep(0.02)
    raise TimeoutError(f"task {task_id} did not finish within {timeout} s")
