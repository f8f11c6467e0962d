"""The scale-out engine: Celery workers fed through a Redis broker.

The site only sends task ids; a worker (`make worker`, i.e. `celery -A
statboard.tasks.celery_app worker`) runs them with the same Runner, on the same
database, so records, states, progress and cancel are the same as with threads.
Each lane is a queue: `celery` (the default) and `statboard.anonymous`. A worker
consumes both unless told otherwise; run the anonymous lane on workers of its own
(`-Q statboard.anonymous`, and `-Q celery` for the others) to keep it apart.
"""

import logging

from celery import Celery
from kombu import Queue

from statboard.tasks.registry import ANONYMOUS_LANE, DEFAULT_LANE

log = logging.getLogger(__name__)

RUN_TASK = "statboard.run_task"
DEFAULT_QUEUE = "celery"


def queue_name(lane: str) -> str:
    return DEFAULT_QUEUE if lane == DEFAULT_LANE else f"statboard.{lane}"


def make_celery(app, broker_url: str) -> Celery:
    celery = Celery("statboard", broker=broker_url, set_as_current=False)
    celery.conf.update(
        task_ignore_result=True,  # results live in the Task record
        worker_prefetch_multiplier=1,  # a long task does not hold others back
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        # A broker that is down must not hold an after-commit hook (a request) for long.
        broker_connection_timeout=2.0,
        task_publish_retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2},
        task_default_queue=DEFAULT_QUEUE,
        task_queues=[Queue(DEFAULT_QUEUE), Queue(queue_name(ANONYMOUS_LANE))],
    )

    @celery.task(name=RUN_TASK)
    def run_task(task_id: str) -> None:
        with app.app_context():
            app.extensions["statboard.tasks"].run(task_id)

    return celery


class CeleryEngine:
    def __init__(self, app, broker_url: str):
        self.celery = make_celery(app, broker_url)

    def start(self, runner) -> None:
        """Nothing to start in the site: the workers are their own processes."""

    def enqueue(self, task_id: str, delay: float = 0.0, lane: str = DEFAULT_LANE) -> None:
        self.celery.send_task(
            RUN_TASK,
            args=[task_id],
            task_id=task_id,
            countdown=delay or None,
            queue=queue_name(lane),
        )

    def revoke(self, task_id: str) -> None:
        try:
            self.celery.control.revoke(task_id)
        except Exception:  # the REVOKED record alone already keeps it from running
            log.warning("could not tell the Celery workers that %s is revoked", task_id)
