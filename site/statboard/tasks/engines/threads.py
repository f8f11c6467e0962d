"""The embedded engine: worker threads inside the site's process, no other service."""

import logging
import queue
import threading

from statboard.extensions import db
from statboard.tasks.models import QUEUED, Task

log = logging.getLogger(__name__)


class ThreadEngine:
    def __init__(self, threads: int):
        self.threads = max(1, threads)
        self.runner = None
        self._queue: queue.Queue[str] = queue.Queue()
        self._workers: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self, runner) -> None:
        """Start the workers, then pick up tasks queued when a process stopped.

        Picking up one twice is harmless: Runner.run claims a task atomically.
        """
        self.runner = runner
        with self._lock:
            for n in range(self.threads - len(self._workers)):
                worker = threading.Thread(target=self._work, name=f"task-{n}", daemon=True)
                worker.start()
                self._workers.append(worker)
        try:
            with runner.session() as s:
                queued = s.scalars(db.select(Task.id).where(Task.state == QUEUED)).all()
        except Exception:  # no tables yet; Runner.start has said so
            queued = []
        for task_id in queued:
            self._queue.put(task_id)

    def enqueue(self, task_id: str, delay: float = 0.0) -> None:
        if delay <= 0:
            self._queue.put(task_id)
            return
        timer = threading.Timer(delay, self._queue.put, args=(task_id,))
        timer.daemon = True
        timer.start()

    def revoke(self, task_id: str) -> None:
        """Nothing to do: the record says REVOKED, so the worker skips it."""

    def _work(self) -> None:
        while True:
            task_id = self._queue.get()
            try:
                with self.runner.app.app_context():
                    self.runner.run(task_id)
            except Exception:
                log.exception("task %s crashed the worker loop", task_id)
