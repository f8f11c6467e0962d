"""What both counter stores share: increments gathered in memory, written behind.

A Flusher thread calls flush() every interval; one flush takes the gathered deltas
and, in one transaction, adds them to the counters table (the memory store, whose
values live there), adds them to the per-second, per-minute and per-hour history
(both stores) and prunes old seconds and minutes. If the write fails, the deltas go
back to be written by the next flush, so none is lost or counted twice. close()
flushes what is left; see counters/flusher.py for when that runs (exit, SIGTERM,
SIGINT; not SIGKILL).
"""

import os
import threading
import time
import weakref
from datetime import timedelta

from statboard.counters import sql
from statboard.counters.flusher import Flusher
from statboard.models_base import utcnow

MINUTES_KEPT = timedelta(days=2)  # per-minute totals kept; per-hour ones stay
SECONDS_KEPT = timedelta(minutes=2)  # per-second totals kept (the last 60 seconds' rate)
# How often old totals are pruned, in seconds of the monotonic clock.
PRUNE_EVERY = {"second": (60, SECONDS_KEPT), "minute": (3600, MINUTES_KEPT)}


class WriteBehind:
    writes_values = True  # add the deltas to the counters table, not only to the history

    def __init__(self, engine, interval: float):
        self.engine = engine
        self._lock = threading.Lock()  # guards _pending (and a store's cache): a few dict ops
        self._db_lock = threading.Lock()  # a flush, or a read that must not see half of one
        self._pending: dict[str, int] = {}  # increments not yet written
        self._last_prune = dict.fromkeys(PRUNE_EVERY, 0.0)
        self.flusher = Flusher(self.flush, interval)
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: (s := ref()) and s._after_fork())

    def close(self) -> None:
        self.flusher.close()

    def _start_flusher(self) -> None:
        """The thread starts with the first increment (see counters/flusher.py)."""
        if not self.flusher.running:
            self.flusher.start()

    def _gather(self, key: str, by: int) -> None:
        """Note an increment for the next flush; the caller holds self._lock."""
        self._pending[key] = self._pending.get(key, 0) + by

    def flush(self) -> None:
        """Write the gathered increments and their history in one transaction."""
        with self._db_lock:
            with self._lock:
                batch, self._pending = self._pending, {}
                cached = self._cached_keys()
            if not batch and not cached:
                return
            try:
                with self.engine.begin() as conn:
                    if batch:
                        if self.writes_values:
                            sql.add_values(conn, batch)
                        sql.add_history(conn, batch, utcnow())
                    self._prune(conn)
                    # A cached key without a row was deleted or cleared by another
                    # process (a counter server on the same database): it reads 0.
                    fresh = dict.fromkeys(cached, 0) | sql.read_values(conn, cached)
            except Exception:
                self._restore(batch)
                raise
            with self._lock:
                self._refresh(fresh, batch)

    def _restore(self, batch: dict[str, int]) -> None:
        """A flush failed: keep its increments for the next try."""
        with self._lock:
            for key, delta in batch.items():
                self._gather(key, delta)

    def _cached_keys(self) -> list[str]:
        """Keys whose cached values a flush should read back (caller holds self._lock)."""
        return []

    def _refresh(self, persisted: dict[str, int], batch: dict[str, int]) -> None:
        """After a flush, with the values just read back (caller holds self._lock)."""

    def _prune(self, conn) -> None:
        """Each minute, drop second totals older than SECONDS_KEPT; hourly, minute totals
        older than MINUTES_KEPT (hour totals stay)."""
        for resolution, (every, kept) in PRUNE_EVERY.items():
            if time.monotonic() - self._last_prune[resolution] >= every:
                sql.prune_history(conn, resolution, utcnow() - kept)
                self._last_prune[resolution] = time.monotonic()

    def _after_fork(self) -> None:
        """A forked child must not flush its parent's increments a second time."""
        self._lock = threading.Lock()
        self._db_lock = threading.Lock()
        self._pending = {}
        self.flusher.forget_after_fork()
