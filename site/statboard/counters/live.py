"""Counter values pushed to open pages: a few times a second at most, ending exact.

The store is wrapped: every change marks its key, and one thread per process
publishes the marked keys' values (read after the change, so the last push of a
burst is the exact value) on `counter:<key>`. The first change after a quiet spell
goes out at once; during a burst, at most once per `interval` per counter. The hot
path pays one set.add.
"""

import logging
import threading
import time

log = logging.getLogger(__name__)


class PushedStore:
    """A counter store (see stores.Store) whose changes reach live pages."""

    def __init__(self, store, publish, interval: float):
        self.store, self.publish, self.interval = store, publish, interval
        # Reads change nothing: the store's own, one call less per read.
        self.get, self.cached = store.get, store.cached
        self.awaits = store.awaits
        if store.awaits:
            # Awaited increments are marked by the store as they land, once for those it
            # sends together; the hot path awaits the store's own.
            self.incr_awaited, self.get_awaited = store.incr_awaited, store.get_awaited
            store.when_incremented(self._mark)
        self._changed = set()
        self._wake = threading.Event()
        self._thread = None
        self._start = threading.Lock()

    def incr(self, key: str, by: int) -> int:
        value = self.store.incr(key, by)
        self._mark(key)
        return value

    def incr_cached(self, key: str, by: int) -> int | None:
        value = self.store.incr_cached(key, by)
        if value is not None:
            self._mark(key)
        return value

    def incr_awaited(self, key: str, by: int):
        return self.store.incr_awaited(key, by)  # the store's own, see __init__

    def get_awaited(self, key: str):
        return self.store.get_awaited(key)  # the store's own, see __init__

    def when_incremented(self, callback) -> None:
        self.store.when_incremented(callback)

    def set(self, key: str, value: int) -> None:
        self.store.set(key, value)
        self._mark(key)

    def delete(self, key: str) -> None:
        self.store.delete(key)
        self._mark(key)

    def clear(self, prefix: str = "") -> None:
        keys = list(self.store.all(prefix))
        self.store.clear(prefix)
        for key in keys:
            self._mark(key)

    def get(self, key: str) -> int:
        return self.store.get(key)  # replaced by the store's own in __init__

    def cached(self, key: str) -> int | None:
        return self.store.cached(key)  # replaced by the store's own in __init__

    def all(self, prefix: str = "") -> dict[str, int]:
        return self.store.all(prefix)

    def flush(self) -> None:
        self.store.flush()

    def close(self) -> None:
        self.store.close()

    def _mark(self, key: str) -> None:
        self._changed.add(key)
        if not self._wake.is_set():  # set() takes a lock: once per round, not per hit
            if self._thread is None:
                self._start_pusher()
            self._wake.set()

    def _start_pusher(self) -> None:
        with self._start:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._push_forever, name="counter-push", daemon=True
                )
                self._thread.start()

    def _push_forever(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            try:
                self.push()
            except Exception:  # the store is down a moment: the next change pushes again
                log.exception("Counter values could not be pushed to live pages")
            time.sleep(self.interval)  # a burst's later changes go out in the next round

    def push(self) -> None:
        """Publish the value of every counter changed since the last push."""
        while True:
            try:
                key = self._changed.pop()  # atomic: a key marked meanwhile stays for later
            except KeyError:
                return
            self.publish(f"counter:{key}", "counter", {"key": key, "value": self.store.get(key)})
