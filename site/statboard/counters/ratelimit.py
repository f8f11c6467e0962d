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
        """The limiter, the limit and its header, made at the first anonymous increment:
        the limits library weighs 3 MB with what it imports, which a worker that only
        reads counters does without."""
        if self._made is None:
            with self._lock:
                if self._made is None:
                    from limits import parse, storage, strategies

                    item, url = parse(self.limit), self.counters_url
                    shared = url if url.startswith(("redis:", "rediss:")) else "memory://"
                    limiter = strategies.FixedWindowRateLimiter(storage.storage_from_string(shared))
                    self._made = limiter, item, ("RateLimit-Limit", str(item.amount))
        return self._made

    def hit(self, address: str) -> list[tuple[str, str]]:
        """The RateLimit-* headers of an allowed hit; raises a 429 ApiError past the limit."""
        limiter, item, limit_header = self._window()
        allowed = limiter.hit(item, address)
        reset_at, remaining = limiter.get_window_stats(item, address)
        reset = str(max(1, math.ceil(reset_at - time.time())))
        headers = [
            limit_header,
            ("RateLimit-Remaining", str(remaining)),
            ("RateLimit-Reset", reset),
        ]
        if allowed:
            return headers
        raise ApiError(
            "429 Too Many Requests",
            f"Too many increments from your address: at most {item.amount} per "
            f"{item.multiples} {item.GRANULARITY.name}. Try again in {reset} s.",
            [*headers, ("Retry-After", reset)],
        )
