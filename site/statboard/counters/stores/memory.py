"""memory://: values cached in this process, increments written behind to the database."""

import time

from statboard.counters import sql
from statboard.counters.stores import MAX_VALUE, ValueTooLarge
from statboard.counters.stores.writebehind import WriteBehind

EVICT_SECONDS = 60.0  # keys idle this long leave the in-memory cache
MOST_CACHED = 10_000  # keys read but never incremented are cached up to this many


class MemoryStore(WriteBehind):
    awaits = False  # it answers from memory, or from the database in a thread

    def __init__(self, engine, interval: float = 1.0):
        super().__init__(engine, interval)
        # _lock guards _values and _pending together: an increment updates both at once.
        self._values: dict[str, int] = {}  # this process's view: persisted + pending
        self._recent: set[str] = set()  # keys used since the last eviction
        self._last_evict = time.monotonic()

    def _after_fork(self) -> None:
        super()._after_fork()
        self._values = {}

    def incr(self, key: str, by: int) -> int:
        total = self.incr_cached(key, by)
        return self._incr_cold(key, by) if total is None else total

    def incr_cached(self, key: str, by: int) -> int | None:
        if not self.flusher.running:
            self._start_flusher()
        with self._lock:
            total = self._values.get(key)
            if total is not None and total + by <= MAX_VALUE:
                total += by
                self._values[key] = total
                self._pending[key] = self._pending.get(key, 0) + by  # _gather(), inlined
                return total
        return None

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
                self._gather(key, by)
                return total

    def get(self, key: str) -> int:
        """From memory: exact for this process, and other processes' flushes show from
        the next refresh (one flush interval); a key not cached is read once."""
        value = self._values.get(key)  # cached(), one call less on the hot path
        if value is None:
            return self._get_cold(key)
        self._recent.add(key)
        return value

    def cached(self, key: str) -> int | None:
        # No lock: one dict read is atomic, and every change of a value is one store.
        value = self._values.get(key)
        if value is not None:
            self._recent.add(key)
        return value

    def _get_cold(self, key: str) -> int:
        self._start_flusher()  # its flushes refresh the cached values
        # Under _db_lock, so that no flush moves pending increments into the table
        # between reading the table and adding what is still pending.
        with self._db_lock:
            with self.engine.connect() as conn:
                persisted = sql.read_values(conn, [key]).get(key, 0)
            with self._lock:
                value = self._values.get(key)
                if value is None:
                    value = persisted + self._pending.get(key, 0)
                    if len(self._values) < MOST_CACHED:  # past it, reads go to the table
                        self._values[key] = value
                        self._recent.add(key)
                return value

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

    # --- the write-behind's hooks: keep the cache in step with the database ---------

    def _cached_keys(self) -> list[str]:
        return list(self._values)

    def _refresh(self, persisted: dict[str, int], batch: dict[str, int]) -> None:
        """Cached values become persisted + still pending (other processes' flushes show)."""
        for key, value in persisted.items():
            if key in self._values:
                self._values[key] = value + self._pending.get(key, 0)
        self._evict(batch)

    def _evict(self, batch) -> None:
        """Every EVICT_SECONDS, drop the cached values of keys nobody incremented."""
        self._recent.update(batch)
        if time.monotonic() - self._last_evict >= EVICT_SECONDS:
            keep = self._recent | self._pending.keys()
            self._values = {k: v for k, v in self._values.items() if k in keep}
            self._recent, self._last_evict = set(), time.monotonic()
