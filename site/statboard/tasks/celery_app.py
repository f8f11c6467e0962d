"""The Celery application the workers load: `celery -A statboard.tasks.celery_app worker`.

It builds the site's Flask app from the same settings as every process (the
STATBOARD_* environment over the settings file; STATBOARD_TASKS_URL must be a
redis:// URL) and exposes the Celery app of its task engine. It refuses to start, with
a sentence, when what its tasks need is missing: the database at its latest
migration, and with a shared database the site's mail, storage and broker (see
`checks.check_workers`).
"""

from celery import signals

from statboard import create_app
from statboard.checks import start_checks
from statboard.extensions import db

flask_app = create_app()
_runner = flask_app.extensions["statboard.tasks"]
if not hasattr(_runner.engine, "celery"):
    raise SystemExit(
        "Celery workers need STATBOARD_TASKS_URL=redis://host:port/db "
        f"(it is {flask_app.config['TASKS_URL']!r})."
    )
start_checks(flask_app, "worker")
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
