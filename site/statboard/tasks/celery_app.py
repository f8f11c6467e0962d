"""The Celery application the workers load: `celery -A statboard.tasks.celery_app worker`.

It builds the site's Flask app from the same STATBOARD_* settings (STATBOARD_TASKS_URL
must be a redis:// URL) and exposes the Celery app of its task engine.
"""

from celery import signals

from statboard import create_app
from statboard.extensions import db

flask_app = create_app()
_runner = flask_app.extensions["statboard.tasks"]
if not hasattr(_runner.engine, "celery"):
    raise SystemExit(
        "Celery workers need STATBOARD_TASKS_URL=redis://host:port/db "
        f"(it is {flask_app.config['TASKS_URL']!r})."
    )
celery = _runner.engine.celery


@signals.worker_ready.connect
def _on_worker_ready(**_):
    _runner.start()  # marks tasks of workers that died as interrupted


@signals.worker_process_init.connect
def _on_fork(**_):
    # Forked pool processes must not share the parent's database connections.
    with flask_app.app_context():
        db.engine.dispose(close=False)
    _runner.db.dispose(close=False)
