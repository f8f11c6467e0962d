"""The task runner: task records in the database, run by an engine.

The embedded engine is a pool of worker threads inside the site's process.
"""

import logging
import os
import queue
import socket
import threading
import time
import uuid

from sqlalchemy.orm import Session

from statboard.extensions import db
from statboard.models_base import utcnow
from statboard.tasks.models import FAILURE, FINISHED, QUEUED, REVOKED, STARTED, SUCCESS, Task
from statboard.tasks.registry import TaskCancelled, get_kind

log = logging.getLogger(__name__)

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class TaskContext:
    """What a running task function sees: its id, progress reports, cancel checks."""

    def __init__(self, runner, task_id: str, owner_id: int | None):
        self.runner = runner
        self.task_id = task_id
        self.owner_id = owner_id

    def progress(self, fraction: float, message: str = "") -> None:
        with self.runner.session() as s:
            task = s.get(Task, self.task_id)
            task.progress = max(0.0, min(1.0, fraction))
            task.message = message[:500]
            s.commit()

    def cancelled(self) -> bool:
        with self.runner.session() as s:
            return bool(s.get(Task, self.task_id).cancel_requested)

    def check_cancelled(self) -> None:
        if self.cancelled():
            raise TaskCancelled


class Runner:
    def __init__(self, app):
        self.app = app
        self.threads = int(app.config["TASK_THREADS"])
        self._queue: queue.Queue[str] = queue.Queue()
        self._workers: list[threading.Thread] = []
        self._lock = threading.Lock()

    def session(self) -> Session:
        """A session of its own: tasks are submitted from after-commit hooks and threads."""
        with self.app.app_context():
            return Session(db.engine, expire_on_commit=False)

    def submit(self, kind: str, *, owner=None, retries=None, args=None) -> str:
        spec = get_kind(kind)
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
        self._enqueue(task.id)
        return task.id

    def get(self, task_id: str) -> Task | None:
        with self.session() as s:
            return s.get(Task, task_id)

    def cancel(self, task_id: str) -> bool:
        with self.session() as s:
            task = s.get(Task, task_id)
            if task is None or task.state in FINISHED:
                return False
            task.cancel_requested = True
            if task.state == QUEUED:
                task.state, task.finished_at = REVOKED, utcnow()
            s.commit()
            return True

    def _enqueue(self, task_id: str) -> None:
        with self._lock:
            if not self._workers:
                for n in range(self.threads):
                    t = threading.Thread(target=self._work, name=f"task-{n}", daemon=True)
                    t.start()
                    self._workers.append(t)
        self._queue.put(task_id)

    def _work(self) -> None:
        while True:
            task_id = self._queue.get()
            try:
                with self.app.app_context():
                    self.run(task_id)
            except Exception:
                log.exception("task %s crashed the worker loop", task_id)

    def run(self, task_id: str) -> None:
        with self.session() as s:
            task = s.get(Task, task_id)
            if task is None or task.state in FINISHED:
                return
            task.state, task.started_at, task.worker = STARTED, utcnow(), WORKER_ID
            task.attempts += 1
            s.commit()
            kind, args, owner_id = task.kind, dict(task.args), task.owner_id
        ctx = TaskContext(self, task_id, owner_id)
        try:
            result = get_kind(kind).func(ctx, **args)
        except TaskCancelled:
            self._finish(task_id, REVOKED)
        except Exception as exc:
            log.exception("task %s (%s) failed", task_id, kind)
            self._failed(task_id, exc)
        else:
            self._finish(task_id, SUCCESS, result=result)

    def _finish(self, task_id, state, result=None, error=None) -> None:
        with self.session() as s:
            task = s.get(Task, task_id)
            task.state, task.result, task.error = state, result, error
            task.finished_at = utcnow()
            if state == SUCCESS:
                task.progress = 1.0
            s.commit()

    def _failed(self, task_id: str, exc: Exception) -> None:
        with self.session() as s:
            task = s.get(Task, task_id)
            retry = task.attempts <= task.max_retries and not task.cancel_requested
            if retry:
                task.state = QUEUED
                delay = min(60.0, 0.5 * 2 ** (task.attempts - 1))
            s.commit()
        if retry:
            timer = threading.Timer(delay, self._enqueue, args=(task_id,))
            timer.daemon = True
            timer.start()
        else:
            self._finish(task_id, FAILURE, error=f"{type(exc).__name__}: {exc}")


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
