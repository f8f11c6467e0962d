"""Counter stores behind one small interface, chosen by STATBOARD_COUNTERS_URL.

memory:// (default) keeps increments in this process and writes them to the
database in batches every COUNTER_FLUSH_SECONDS (write-behind). In one process
every answer is exact. With several processes on one database:
- GET answers the persisted value plus this process's unflushed increments, so it
  misses only the other processes' unflushed increments: at most one flush
  interval of them.
- the value a POST returns may also miss the other processes' increments flushed
  since this process last refreshed its cache: at most two flush intervals.
- PUT and DELETE act at once; other processes' unflushed increments of the last
  interval land after them.
redis:// keeps every value in Redis (atomic INCRBY): exact across processes and
machines. Both stores write per-minute and per-hour totals to the database.
"""

import logging
import os
import threading
import time
import weakref
from datetime import timedelta

from statboard.counters import sql
from statboard.counters.flusher import Flusher
from statboard.models_base import utcnow

log = logging.getLogger(__name__)
MAX_VALUE = 2**63 - 1  # BIGINT
EVICT_SECONDS = 60.0  # keys idle this long leave the in-memory cache
MINUTES_KEPT = timedelta(days=2)  # per-minute totals kept; per-hour ones stay


class ValueTooLarge(ValueError):
    pass


class Store:
    """What the counter API needs from a store."""

    def incr(self, key: str, by: int) -> int: ...
    def get(self, key: str) -> int: ...
    def all(self, prefix: str = "") -> dict[str, int]: ...
    def set(self, key: str, value: int) -> None: ...
    def delete(self, key: str) -> None: ...
    def clear(self, prefix: str = "") -> None: ...
    def flush(self) -> None: ...

    def close(self) -> None:
        self.flusher.close()

    def _setup_flusher(self, interval: float) -> None:
        self.flusher = Flusher(self.flush, interval)
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: (s := ref()) and s._after_fork())

    _last_prune = 0.0

    def _prune(self, conn) -> None:
        """Hourly: drop minute totals older than MINUTES_KEPT (hour totals stay)."""
        if time.monotonic() - self._last_prune >= 3600:
            sql.prune_minutes(conn, utcnow() - MINUTES_KEPT)
            self._last_prune = time.monotonic()

    def _after_fork(self) -> None:
        """A forked child must not flush its parent's increments a second time."""
        self._lock = threading.Lock()
        self._db_lock = threading.Lock()
        self._pending = {}
        self.flusher.forget_after_fork()


class MemoryStore(Store):
    def __init__(self, engine, interval: float = 1.0):
        self.engine = engine
        self._lock = threading.Lock()  # guards _values and _pending: held for a few dict ops
        self._db_lock = threading.Lock()  # a flush, or a read that must not see half of one
        self._values: dict[str, int] = {}  # this process's view: persisted + pending
        self._pending: dict[str, int] = {}  # increments not yet written
        self._recent: set[str] = set()  # keys incremented since the last eviction
        self._last_evict = time.monotonic()
        self._setup_flusher(interval)

    def _after_fork(self) -> None:
        super()._after_fork()
        self._values = {}

    def incr(self, key: str, by: int) -> int:
        if not self.flusher.running:
            self.flusher.start()
        with self._lock:
            total = self._values.get(key)
            if total is not None and total + by <= MAX_VALUE:
                total += by
                self._values[key] = total
                pending = self._pending
                pending[key] = pending.get(key, 0) + by
                return total
        return self._incr_cold(key, by)

    def _incr_cold(self, key: str, by: int) -> int:
        while True:
            persisted = None
            if key not in self._values:
                with self.engine.connect() as conn:
                    persisted = sql.read_values(conn, [key]).get(key, 0)
            with self._lock:
                total = self._values.get(key, persisted)
                if total is None:  # evicted meanwhile: read it again
                    continue
                total += by
                if total > MAX_VALUE:
                    raise ValueTooLarge(key)
                self._values[key] = total
                self._pending[key] = self._pending.get(key, 0) + by
                return total

    def get(self, key: str) -> int:
        with self._db_lock, self.engine.connect() as conn:
            persisted = sql.read_values(conn, [key]).get(key, 0)
            return persisted + self._pending.get(key, 0)

    def all(self, prefix: str = "") -> dict[str, int]:
        with self._db_lock:
            with self.engine.connect() as conn:
                values = sql.read_prefix(conn, prefix)
            with self._lock:
                pending = [(k, v) for k, v in self._pending.items() if k.startswith(prefix)]
        for key, delta in pending:
            values[key] = values.get(key, 0) + delta
        return dict(sorted(values.items()))

    def set(self, key: str, value: int) -> None:
        with self._db_lock:
            with self._lock:
                self._pending.pop(key, None)
                self._values[key] = value
            with self.engine.begin() as conn:
                sql.set_value(conn, key, value)

    def delete(self, key: str) -> None:
        with self._db_lock:
            with self._lock:
                self._pending.pop(key, None)
                self._values.pop(key, None)
            with self.engine.begin() as conn:
                sql.delete_keys(conn, key=key)

    def clear(self, prefix: str = "") -> None:
        with self._db_lock:
            with self._lock:
                for mapping in (self._pending, self._values):
                    for key in [k for k in mapping if k.startswith(prefix)]:
                        del mapping[key]
            with self.engine.begin() as conn:
                sql.delete_keys(conn, prefix=prefix)

    def flush(self) -> None:
        """Write the gathered increments and their history in one transaction."""
        with self._db_lock:
            with self._lock:
                batch, self._pending = self._pending, {}
                cached = list(self._values)
            if not batch and not cached:
                return
            try:
                with self.engine.begin() as conn:
                    if batch:
                        sql.add_values(conn, batch)
                        sql.add_history(conn, batch, utcnow())
                    self._prune(conn)
                    fresh = sql.read_values(conn, cached)
            except Exception:
                with self._lock:  # keep them for the next try
                    for key, delta in batch.items():
                        self._pending[key] = self._pending.get(key, 0) + delta
                raise
            with self._lock:
                for key, persisted in fresh.items():
                    if key in self._values:
                        self._values[key] = persisted + self._pending.get(key, 0)
                self._evict(batch)

    def _evict(self, batch) -> None:
        """Every EVICT_SECONDS, drop the cached values of keys nobody incremented."""
        self._recent.update(batch)
        if time.monotonic() - self._last_evict >= EVICT_SECONDS:
            keep = self._recent | self._pending.keys()
            self._values = {k: v for k, v in self._values.items() if k in keep}
            self._recent, self._last_evict = set(), time.monotonic()


class RedisStore(Store):
    def __init__(self, url: str, engine, namespace: str, interval: float = 1.0):
        import redis

        self.redis = redis.Redis.from_url(url)
        self.engine = engine
        self.ns = namespace
        self._lock = threading.Lock()
        self._db_lock = threading.Lock()
        self._pending: dict[str, int] = {}  # history not yet written
        self._setup_flusher(interval)

    def incr(self, key: str, by: int) -> int:
        if not self.flusher.running:
            self.flusher.start()
        total = self.redis.incrby(self.ns + key, by)
        if total > MAX_VALUE:
            self.redis.decrby(self.ns + key, by)
            raise ValueTooLarge(key)
        with self._lock:
            self._pending[key] = self._pending.get(key, 0) + by
        return total

    def get(self, key: str) -> int:
        return int(self.redis.get(self.ns + key) or 0)

    def _keys(self, prefix: str) -> list[bytes]:
        return list(self.redis.scan_iter(match=self.ns + prefix + "*", count=1000))

    def all(self, prefix: str = "") -> dict[str, int]:
        keys = self._keys(prefix)
        start = len(self.ns)
        values = {}
        for i in range(0, len(keys), 1000):
            chunk = keys[i : i + 1000]
            for name, value in zip(chunk, self.redis.mget(chunk), strict=True):
                if value is not None:
                    values[name.decode()[start:]] = int(value)
        return dict(sorted(values.items()))

    def set(self, key: str, value: int) -> None:
        self.redis.set(self.ns + key, value)

    def delete(self, key: str) -> None:
        self.redis.delete(self.ns + key)
        with self.engine.begin() as conn:
            sql.delete_keys(conn, key=key)

    def clear(self, prefix: str = "") -> None:
        keys = self._keys(prefix)
        with self.redis.pipeline(transaction=False) as pipe:
            for i in range(0, len(keys), 1000):
                pipe.delete(*keys[i : i + 1000])
            pipe.execute()
        with self.engine.begin() as conn:
            sql.delete_keys(conn, prefix=prefix)

    def flush(self) -> None:
        """Write the per-minute and per-hour totals; the values live in Redis."""
        with self._db_lock:
            with self._lock:
                batch, self._pending = self._pending, {}
            if not batch:
                return
            try:
                with self.engine.begin() as conn:
                    sql.add_history(conn, batch, utcnow())
                    self._prune(conn)
            except Exception:
                with self._lock:
                    for key, delta in batch.items():
                        self._pending[key] = self._pending.get(key, 0) + delta
                raise


def store_from_url(url: str, engine, namespace: str, interval: float) -> Store:
    if url.startswith("memory:"):
        return MemoryStore(engine, interval)
    if url.startswith(("redis:", "rediss:", "unix:")):
        return RedisStore(url, engine, namespace, interval)
    raise ValueError(
        f"STATBOARD_COUNTERS_URL {url!r} is not supported; use memory:// or redis://host:port/db."
    )
