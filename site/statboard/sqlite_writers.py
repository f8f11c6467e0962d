"""SQLite writers of one process take turns.

SQLite lets one connection write at a time. One that finds the file taken sleeps and
tries again (1, 2, 5, 10 … up to 100 ms between tries), so that, under steady writes, a
save waited a tenth of a second or more for a lock held for a millisecond or two, while
later writers went first. In one process the writers therefore wait for their turn on
a lock of their own, which wakes the next one at once when the transaction before it
ends; between processes SQLite's own wait (busy_timeout) is left as it was.

A connection takes its turn just before the statement that begins its write
transaction (the driver's implicit BEGIN before an INSERT, UPDATE, DELETE or REPLACE)
and gives it back as it commits, rolls back or closes. Reads never wait.
"""

import os
import sqlite3
import threading

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")  # what makes the driver BEGIN


class Turn:
    """The turn of one database file's writers in this process."""

    def __init__(self):
        self.lock = threading.Lock()
        self.thread: int | None = None  # whose connection writes now

    def take(self, seconds: float) -> bool:
        """Wait for the turn, at most `seconds`; False when it was not taken."""
        if self.thread == threading.get_ident():
            # This thread writes on another connection already: waiting for itself
            # would only double the wait that SQLite ends with "database is locked".
            return False
        if not self.lock.acquire(timeout=seconds):
            return False  # waited out: SQLite's own wait decides, as it would alone
        self.thread = threading.get_ident()
        return True

    def give_back(self) -> None:
        self.thread = None
        self.lock.release()


_turns: dict[str, Turn] = {}  # the database file's path -> its writers' turn
_turns_lock = threading.Lock()


def turn_of(path: str) -> Turn:
    with _turns_lock:
        return _turns.setdefault(path, Turn())


def _forget_turns() -> None:
    """A forked process starts with no writer of its own holding a turn."""
    global _turns_lock
    _turns.clear()
    _turns_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_turns)


class Cursor(sqlite3.Cursor):
    def execute(self, sql, parameters=(), /):
        self.connection.before_statement(sql)
        return super().execute(sql, parameters)

    def executemany(self, sql, parameters, /):
        self.connection.before_statement(sql)
        return super().executemany(sql, parameters)


class Connection(sqlite3.Connection):
    """A sqlite3 connection (the `factory` of sqlite3.connect) whose write transactions
    take turns with the other connections of this process to the same file."""

    turn: Turn | None = None  # set by queue_writes once the file is known
    wait_seconds: float = 0.0
    holding = False

    def queue_writes(self, path: str, wait_seconds: float) -> None:
        """Take turns with the process's other writers to the file at `path`."""
        self.turn, self.wait_seconds = turn_of(path), wait_seconds

    def cursor(self, factory=Cursor):
        return super().cursor(factory)

    def execute(self, sql, parameters=(), /):  # sqlite3's own skips cursor() above
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql, parameters, /):
        return self.cursor().executemany(sql, parameters)

    def before_statement(self, sql: str) -> None:
        if (
            self.turn is None
            or self.holding
            or self.in_transaction
            or self.isolation_level is None  # autocommit: no transaction to wait for
            or sql.lstrip()[:6].upper() not in WRITES
        ):
            return
        self.holding = self.turn.take(self.wait_seconds)

    # The next writer may begin as soon as this one ends: a commit itself is short, and
    # a WAL checkpoint that may follow it in the same call holds up no writer.
    def commit(self):
        self._release()
        return super().commit()

    def rollback(self):
        self._release()
        return super().rollback()

    def close(self):
        self._release()
        return super().close()

    def _release(self) -> None:
        if self.holding:
            self.holding = False
            self.turn.give_back()
