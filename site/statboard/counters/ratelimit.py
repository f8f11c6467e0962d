"""Per-address limit on anonymous increments, with the `limits` library."""

import math
import threading
import time

from statboard.counters.keys import ApiError


class IncrementLimit:
    """COUNTER_RATE_LIMIT per client address; shared through Redis with the redis store."""

    def __init__(self, limit: str, counters_url: str):
        self.limit, self.counters_url = limit, counters_url
        self._made = None
        self._lock = threading.Lock()

    def _window(self):
        """The limit, its storage and expiry and its header, made at the first anonymous
        increment: the limits library weighs 3 MB with what it imports, which a worker
        that only reads counters does without."""
        if self._made is None:
            with self._lock:
                if self._made is None:
                    from limits import parse, storage

                    item, url = parse(self.limit), self.counters_url
                    shared = url if url.startswith(("redis:", "rediss:")) else "memory://"
                    # The fixed window of limits' FixedWindowRateLimiter, on its storage
                    # directly: the key made once and the count the hit answers, instead
                    # of the strategy's three key_for() and a second read of the count (a
                    # round trip on Redis).
                    store = storage.storage_from_string(shared)
                    header = ("RateLimit-Limit", str(item.amount))
                    self._made = item, store, item.get_expiry(), header
        return self._made

    def hit(self, address: str) -> list[tuple[str, str]]:
        """The RateLimit-* headers of an allowed hit; raises a 429 ApiError past the limit."""
        item, store, expiry, limit_header = self._window()
        key = item.key_for(address)
        count = store.incr(key, expiry)
        reset = str(max(1, math.ceil(store.get_expiry(key) - time.time())))
        headers = [
            limit_header,
            ("RateLimit-Remaining", str(max(0, item.amount - count))),
            ("RateLimit-Reset", reset),
        ]
        if count <= item.amount:
            return headers
        raise ApiError(
            "429 Too Many Requests",
            f"Too many increments from your address: at most {item.amount} per "
            f"{item.multiples} {item.GRANULARITY.name}. Try again in {reset} s.",
            [*headers, ("Retry-After", reset)],
        )
