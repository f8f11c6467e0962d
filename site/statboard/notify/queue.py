"""Transaction hooks: work that waits for the current transaction to end.

    after_commit(func, *args)      runs right after the commit, in the order queued
    after_rollback(func, *args)    runs if the transaction rolls back instead, or the
                                   request (the app context) ends without committing
    batch(name, flush) -> list     one list per transaction; flush(list) runs after commit
    batch(name, flush, before_commit=True)   flush(list) runs just before the commit, in
                                   the transaction: to stage rows that go with the change

Notifications thus fire only once the data they announce is saved, and files written
for a change that never lands are removed again. The hooks wait in flask.g (one app
context, one db.session) and hang on the session's events, not on each caller.
A savepoint (`db.session.begin_nested()`) keeps hooks of its own: rolling it back
runs its rollback hooks and drops its commit hooks, leaving the outer transaction's
alone; releasing it hands them on to the outer transaction.
"""

import logging
from dataclasses import dataclass, field

from flask import g, has_app_context
from sqlalchemy import event

log = logging.getLogger(__name__)

_KEY = "after_commit_queue"  # in flask.g: the open transaction's frames, outermost first
_COMMITTED = "committed_transaction"  # in flask.g: the transaction whose hooks just ran


@dataclass
class _Frame:
    """The hooks of one transaction level: the transaction itself or one savepoint."""

    savepoint: object = None  # the SessionTransaction of a savepoint; None: the outermost
    commit: list = field(default_factory=list)
    before: list = field(default_factory=list)  # flushes run just before the commit
    rollback: list = field(default_factory=list)
    batches: dict = field(default_factory=dict)

    def absorb(self, inner: "_Frame") -> None:
        self.commit += inner.commit
        self.before += inner.before
        self.rollback += inner.rollback
        self.batches.update(inner.batches)


def after_commit(func, /, *args, **kwargs) -> None:
    """Run func(*args, **kwargs) after the current transaction commits."""
    _frames()[-1].commit.append((func, args, kwargs))


def after_rollback(func, /, *args, **kwargs) -> None:
    """Run func(*args, **kwargs) if the current transaction does not commit.

    That is: it rolls back, or the request or app context ends first. Rollback hooks
    run newest first, like undoing.
    """
    _frames()[-1].rollback.append((func, args, kwargs))


def batch(name: str, flush, before_commit: bool = False) -> list:
    """The list `name` of the current transaction, for callers to append to.

    The first call in a transaction queues flush(the list) after its commit; later
    calls get the same list, so everything gathered goes to one flush call. A
    rollback drops the list with the transaction. With before_commit, flush runs
    just before the outermost commit instead, inside the transaction: what it stages
    on the session is committed with the change, or not at all (and it may queue
    after-commit work of its own).
    """
    frames = _frames()
    for frame in reversed(frames):
        if name in frame.batches:
            return frame.batches[name]
    items = frames[-1].batches[name] = []
    (frames[-1].before if before_commit else frames[-1].commit).append((flush, (items,), {}))
    return items


def _frames() -> list[_Frame]:
    if _KEY not in g:
        setattr(g, _KEY, [_Frame()])
    return g.get(_KEY)


def _run(calls, what: str) -> None:
    for func, args, kwargs in calls:
        try:
            func(*args, **kwargs)
        except Exception:
            # A hook must never undo or fail the change it follows, nor stop the next hook.
            log.exception("%s call %s failed", what, getattr(func, "__name__", func))


def _roll_back(frames: list[_Frame]) -> None:
    for frame in reversed(frames):
        _run(reversed(frame.rollback), "after-rollback")


# --- session events --------------------------------------------------------------


def _on_transaction_create(session, transaction) -> None:
    if transaction.nested and has_app_context():
        _frames().append(_Frame(savepoint=transaction))


def _on_before_commit(session) -> None:
    """The outermost commit: run the before-commit flushes (a failure fails the commit)."""
    if not has_app_context() or _KEY not in g or session.get_nested_transaction() is not None:
        return
    for frame in g.get(_KEY):
        calls, frame.before = frame.before, []
        for func, args, kwargs in calls:
            func(*args, **kwargs)


def _on_commit(session) -> None:
    if not has_app_context() or _KEY not in g:
        return
    frames = g.get(_KEY)
    savepoint = session.get_nested_transaction()
    if savepoint is not None:  # a savepoint released: the outer transaction takes its hooks
        if len(frames) > 1 and frames[-1].savepoint is savepoint:
            frames[-2].absorb(frames.pop())
        return
    # Hooks queued by the calls below belong to the next transaction.
    g.pop(_KEY)
    setattr(g, _COMMITTED, session.get_transaction())
    for frame in frames:
        _run(frame.commit, "after-commit")


def _on_transaction_end(session, transaction) -> None:
    """A transaction that ends and still has hooks did not commit: rolled back or closed."""
    if not has_app_context():
        return
    if transaction.nested:
        frames = g.get(_KEY) or ()
        if len(frames) > 1 and frames[-1].savepoint is transaction:
            _roll_back([frames.pop()])
    # The outermost transaction only: a flush opens inner ones of its own.
    elif transaction.parent is None and g.pop(_COMMITTED, None) is not transaction and _KEY in g:
        _roll_back(g.pop(_KEY))


def _on_context_end(*_) -> None:
    """A request or app context that ends without committing leaves nothing behind."""
    if has_app_context() and _KEY in g:
        _roll_back(g.pop(_KEY))


def init_queue(app, session) -> None:
    if not event.contains(session, "after_commit", _on_commit):
        event.listen(session, "after_transaction_create", _on_transaction_create)
        event.listen(session, "before_commit", _on_before_commit)
        event.listen(session, "after_commit", _on_commit)
        event.listen(session, "after_transaction_end", _on_transaction_end)
    # A request may share the app context of a test or a command: both ends count.
    app.teardown_request(_on_context_end)
    app.teardown_appcontext(_on_context_end)
