"""The embedded engine: worker threads inside the site's process, no other service.

Each lane has its own queue and threads: the default lane (imports, collections,
mail) and bounded lanes such as the anonymous one, whose queue refuses new tasks
once `most waiting` are queued, so that anonymous work can never hold up the rest.
"""

import logging
import threading
from dataclasses import dataclass, field
from queue import Queue

from statboard.extensions import db
from statboard.tasks.engines import LaneFull
from statboard.tasks.models import QUEUED, Task
from statboard.tasks.registry import DEFAULT_LANE, lane_of

log = logging.getLogger(__name__)
RETRY_CRASHED = 1.0  # seconds before a task whose run loop failed is handed out again


@dataclass
class Lane:
    name: str
    threads: int
    most_waiting: int | None  # None: unbounded
    queue: Queue = field(default_factory=Queue)
    workers: list = field(default_factory=list)


class ThreadEngine:
    def __init__(self, threads: int, lanes: dict | None = None):
        self.threads = max(1, threads)
        self.runner = None
        self.lanes = {DEFAULT_LANE: Lane(DEFAULT_LANE, self.threads, None)}
        for name, (count, most_waiting) in (lanes or {}).items():
            self.lanes[name] = Lane(name, max(1, int(count)), max(1, int(most_waiting)))
        self._lock = threading.Lock()

    def start(self, runner) -> None:
        """Start the workers, then pick up tasks queued when a process stopped.

        Picking up one twice is harmless: Runner.run claims a task atomically.
        """
        self.runner = runner
        with self._lock:
            for lane in self.lanes.values():
                for n in range(len(lane.workers), lane.threads):
                    name = f"task-{n}" if lane.name == DEFAULT_LANE else f"task-{lane.name}-{n}"
                    worker = threading.Thread(target=self._work, args=(lane,), name=name)
                    worker.daemon = True
                    worker.start()
                    lane.workers.append(worker)
        try:
            with runner.session() as s:
                query = db.select(Task.id, Task.kind, Task.owner_id).where(Task.state == QUEUED)
                queued = s.execute(query).all()
        except Exception:  # no tables yet; Runner.start has said so
            queued = []
        for task_id, kind, owner_id in queued:
            self._lane(lane_of(kind, owner_id)).queue.put(task_id)

    def _lane(self, name: str) -> Lane:
        return self.lanes.get(name) or self.lanes[DEFAULT_LANE]

    def enqueue(self, task_id: str, delay: float = 0.0, lane: str = DEFAULT_LANE) -> None:
        target = self._lane(lane)
        if delay <= 0:
            if target.most_waiting is not None and target.queue.qsize() >= target.most_waiting:
                raise LaneFull(lane)
            target.queue.put(task_id)
            return
        timer = threading.Timer(delay, target.queue.put, args=(task_id,))
        timer.daemon = True
        timer.start()

    def revoke(self, task_id: str) -> None:
        """Nothing to do: the record says REVOKED, so the worker skips it."""

    def _work(self, lane: Lane) -> None:
        while True:
            task_id = lane.queue.get()
            try:
                with self.runner.app.app_context():
                    self.runner.run(task_id)
            except Exception:
                # The runner could not record a state (a locked database, say): the task
                # is still QUEUED or STARTED, so it is tried again; its claim keeps a
                # task that did start from running twice.
                log.exception("task %s crashed the worker loop; trying it again", task_id)
                self.enqueue(task_id, RETRY_CRASHED, lane.name)
