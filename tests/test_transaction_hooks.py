"""notify.queue: after_commit, after_rollback and batch() around real transactions."""

import pytest
from flask import g
from statboard.extensions import db
from statboard.notify import after_commit, after_rollback, batch
from statboard.pages.models import Page


def add_page(slug: str) -> None:
    db.session.add(Page(slug=slug, title=slug.upper()))


def test_rollback_hooks_run_on_rollback_and_never_after_a_commit(app):
    fired = []
    with app.test_request_context():
        add_page("a")
        after_rollback(fired.append, "undo a")
        after_commit(fired.append, "a saved")
        db.session.rollback()
        assert fired == ["undo a"]
        add_page("b")
        after_rollback(fired.append, "undo b")
        db.session.commit()
    assert fired == ["undo a"]


def test_rollback_hooks_run_newest_first_and_one_failing_does_not_stop_the_rest(app):
    fired = []

    def broken():
        raise OSError("the bucket is gone")

    with app.test_request_context():
        add_page("a")
        after_rollback(fired.append, 1)
        after_rollback(broken)
        after_rollback(fired.append, 3)
        db.session.rollback()
    assert fired == [3, 1]


def test_a_request_that_ends_without_committing_runs_the_rollback_hooks(app):
    fired = []
    with app.test_request_context():
        add_page("a")
        after_rollback(fired.append, "undo")
        after_commit(fired.append, "never")
        assert fired == []
    assert fired == ["undo"]
    with app.app_context():  # nothing was saved, and nothing is left for the next context
        assert db.session.scalar(db.select(Page)) is None
        assert "after_commit_queue" not in g


def test_a_request_inside_a_longer_app_context_leaves_nothing_to_the_next(app):
    fired = []
    with app.app_context():
        with app.test_request_context():
            add_page("a")
            after_rollback(fired.append, "undo")
            after_commit(fired.append, "never")
        assert fired == ["undo"]
        db.session.rollback()
        add_page("b")
        db.session.commit()
    assert fired == ["undo"]


def test_an_app_context_that_ends_without_committing_runs_them_too(app):
    fired = []
    with app.app_context():
        add_page("a")
        after_rollback(fired.append, "undo")
    assert fired == ["undo"]


def test_closing_the_session_counts_as_a_rollback(app):
    fired = []
    with app.test_request_context():
        add_page("a")
        db.session.flush()
        after_rollback(fired.append, "undo")
        db.session.close()
        assert fired == ["undo"]


def test_a_savepoint_rollback_keeps_the_outer_queue(app):
    fired = []
    with app.test_request_context():
        add_page("outer")
        after_commit(fired.append, "outer saved")
        after_rollback(fired.append, "undo outer")
        savepoint = db.session.begin_nested()
        add_page("inner")
        after_commit(fired.append, "inner saved")
        after_rollback(fired.append, "undo inner")
        savepoint.rollback()
        assert fired == ["undo inner"]
        db.session.commit()
        slugs = db.session.scalars(db.select(Page.slug)).all()
    assert slugs == ["outer"]
    assert fired == ["undo inner", "outer saved"]


def test_a_released_savepoint_waits_for_the_outer_commit(app):
    fired = []
    with app.test_request_context():
        add_page("outer")
        after_commit(fired.append, 1)
        with db.session.begin_nested():
            add_page("inner")
            after_commit(fired.append, 2)
            after_rollback(fired.append, "undo inner")
        assert fired == []  # released, not committed: nothing is saved yet
        after_commit(fired.append, 3)
        db.session.rollback()
        assert fired == ["undo inner"]  # the outer rollback undoes the released savepoint
        add_page("again")
        after_commit(fired.append, 4)
        with db.session.begin_nested():
            after_commit(fired.append, 5)
        db.session.commit()
    assert fired == ["undo inner", 4, 5]


def test_a_commit_hook_that_queues_more_queues_for_the_next_transaction(app):
    fired = []

    def chain():
        fired.append("first")
        after_commit(fired.append, "next transaction")

    with app.test_request_context():
        add_page("a")
        after_commit(chain)
        db.session.commit()
        assert fired == ["first"]
        add_page("b")
        db.session.commit()
    assert fired == ["first", "next transaction"]


def test_a_batch_is_one_list_per_transaction_flushed_once_after_commit(app):
    flushed = []
    with app.test_request_context():
        add_page("a")
        first = batch("mail", flushed.append)
        first.append("one")
        assert batch("mail", flushed.append) is first
        batch("mail", flushed.append).append("two")
        batch("other", flushed.append).append("elsewhere")
        assert flushed == []
        db.session.commit()
        assert flushed == [["one", "two"], ["elsewhere"]]
        add_page("b")
        second = batch("mail", flushed.append)
        assert second is not first and second == []
        second.append("three")
        db.session.commit()
    assert flushed == [["one", "two"], ["elsewhere"], ["three"]]


def test_a_rollback_drops_the_batch(app):
    flushed = []
    with app.test_request_context():
        add_page("a")
        batch("mail", flushed.append).append("lost")
        db.session.rollback()
        add_page("b")
        batch("mail", flushed.append).append("kept")
        db.session.commit()
    assert flushed == [["kept"]]


@pytest.mark.parametrize("release", [True, False])
def test_a_batch_begun_in_a_savepoint_follows_the_savepoint(app, release):
    flushed = []
    with app.test_request_context():
        add_page("a")
        savepoint = db.session.begin_nested()
        batch("mail", flushed.append).append("inner")
        savepoint.commit() if release else savepoint.rollback()
        batch("mail", flushed.append).append("outer")
        db.session.commit()
    assert flushed == ([["inner", "outer"]] if release else [["outer"]])
