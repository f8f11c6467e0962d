"""The after-commit queue: notifications fire only once the data they announce is saved.

Code that changes data calls `after_commit(func, *args)`. The calls wait in a deque
in flask.g and run in the order queued, right after the session commits; a rollback
discards them. Several changes committed together fire in call order after that one
commit. The hook sits on the SQLAlchemy session events, not on each caller.
"""

import logging
from collections import deque

from flask import g, has_app_context
from sqlalchemy import event

log = logging.getLogger(__name__)


def after_commit(func, /, *args, **kwargs) -> None:
    """Run func(*args, **kwargs) after the current transaction commits."""
    if "after_commit_queue" not in g:
        g.after_commit_queue = deque()
    g.after_commit_queue.append((func, args, kwargs))


def discard_pending(*_):
    if has_app_context():
        g.pop("after_commit_queue", None)


def _run_pending(session) -> None:
    if not has_app_context():
        return
    queue = g.get("after_commit_queue")
    while queue:
        func, args, kwargs = queue.popleft()
        try:
            func(*args, **kwargs)
        except Exception:
            # A notification must never undo or fail the change it announces.
            log.exception("after-commit call %s failed", getattr(func, "__name__", func))


def _on_soft_rollback(session, previous_transaction) -> None:
    if not previous_transaction.nested:
        discard_pending()


def init_queue(app, session) -> None:
    event.listen(session, "after_commit", _run_pending)
    event.listen(session, "after_soft_rollback", _on_soft_rollback)
    # A request that ends without committing leaves nothing behind for the next one.
    app.teardown_request(discard_pending)
