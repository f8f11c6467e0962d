"""SQLite writers of one process take turns (statboard/sqlite_writers.py): a writer waits
for the one before it on the process's own lock, not in SQLite's sleep-and-retry."""

import sqlite3
import threading
import time

import pytest
from statboard import sqlite_writers
from statboard.extensions import db, side_engine

SQLITE_WAIT = 0.2  # SQLite's own busy timeout in these tests: shorter than any turn held
TURN_WAIT = 30.0


@pytest.fixture
def connect(tmp_path):
    path = str(tmp_path / "writers.db")
    made = []

    def connect(sqlite_wait: float = SQLITE_WAIT) -> sqlite_writers.Connection:
        conn = sqlite3.connect(
            path, timeout=sqlite_wait, factory=sqlite_writers.Connection, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.queue_writes(path, TURN_WAIT)
        made.append(conn)
        return conn

    first = connect()
    first.execute("CREATE TABLE t (x INTEGER)")
    first.commit()
    yield connect
    for conn in made:
        conn.close()


def write_in_thread(conn, value):
    """Insert and commit on another thread: (the thread, what it ended with)."""
    outcome = []

    def write():
        try:
            conn.execute("INSERT INTO t VALUES (?)", (value,))
            conn.commit()
            outcome.append("committed")
        except sqlite3.Error as exc:
            outcome.append(exc)

    thread = threading.Thread(target=write)
    thread.start()
    return thread, outcome


def test_a_writer_waits_for_the_one_before_it_longer_than_sqlite_would(connect):
    first, second = connect(), connect()
    first.execute("INSERT INTO t VALUES (1)")  # holds the turn, and SQLite's write lock
    thread, outcome = write_in_thread(second, 2)
    time.sleep(SQLITE_WAIT * 3)  # SQLite alone would have given up by now
    assert outcome == [] and thread.is_alive()
    first.commit()
    thread.join(10)
    assert outcome == ["committed"]
    assert sorted(x for (x,) in first.execute("SELECT x FROM t")) == [1, 2]


def test_reads_never_wait_for_a_writer(connect):
    writer, reader = connect(), connect()
    writer.execute("INSERT INTO t VALUES (1)")
    assert reader.execute("SELECT count(*) FROM t").fetchone() == (0,)  # the last commit's
    writer.commit()
    assert reader.execute("SELECT count(*) FROM t").fetchone() == (1,)


@pytest.mark.parametrize("end", ["rollback", "close"])
def test_a_rollback_or_close_gives_the_turn_back(connect, end):
    first, second = connect(), connect()
    first.execute("INSERT INTO t VALUES (1)")
    getattr(first, end)()
    thread, outcome = write_in_thread(second, 2)
    thread.join(10)
    assert outcome == ["committed"]


def test_a_thread_that_writes_already_does_not_wait_for_itself(connect):
    """A second connection of a thread in the middle of a write gets SQLite's answer at
    once, as it would without turns, instead of waiting TURN_WAIT for itself first."""
    first, second = connect(), connect()
    first.execute("INSERT INTO t VALUES (1)")
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        second.execute("INSERT INTO t VALUES (2)")
    assert time.monotonic() - started < TURN_WAIT / 2
    second.rollback()
    first.commit()


def test_autocommit_writes_take_no_turn(connect):
    first, second = connect(), connect()
    second.isolation_level = None  # each statement its own transaction
    first.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        second.execute("INSERT INTO t VALUES (2)")
    first.commit()
    second.execute("INSERT INTO t VALUES (3)")  # and none is kept after it
    thread, outcome = write_in_thread(first, 4)
    thread.join(10)
    assert outcome == ["committed"]


def test_the_sites_connections_and_its_side_engines_take_turns_on_one_file(app):
    with app.app_context():
        site = db.session.connection().connection.dbapi_connection
        side = side_engine(app, 1).raw_connection().dbapi_connection
        assert isinstance(site, sqlite_writers.Connection)
        assert isinstance(side, sqlite_writers.Connection)
        assert site.turn is not None and site.turn is side.turn
        db.session.rollback()
