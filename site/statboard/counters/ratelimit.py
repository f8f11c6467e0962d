"""Per-address limit on anonymous increments, with the `limits` library."""

import math
import time

from limits import parse, storage, strategies

from statboard.counters.keys import ApiError


class IncrementLimit:
    """COUNTER_RATE_LIMIT per client address; shared through Redis with the redis store."""

    def __init__(self, limit: str, counters_url: str):
        self.item = parse(limit)
        shared = counters_url if counters_url.startswith(("redis:", "rediss:")) else "memory://"
        self.limiter = strategies.FixedWindowRateLimiter(storage.storage_from_string(shared))
        self.limit_header = ("RateLimit-Limit", str(self.item.amount))

    def hit(self, address: str) -> list[tuple[str, str]]:
        """The RateLimit-* headers of an allowed hit; raises a 429 ApiError past the limit."""
        allowed = self.limiter.hit(self.item, address)
        reset_at, remaining = self.limiter.get_window_stats(self.item, address)
        reset = str(max(1, math.ceil(reset_at - time.time())))
        headers = [
            self.limit_header,
            ("RateLimit-Remaining", str(remaining)),
            ("RateLimit-Reset", reset),
        ]
        if allowed:
            return headers
        raise ApiError(
            "429 Too Many Requests",
            f"Too many increments from your address: at most {self.item.amount} per "
            f"{self.item.multiples} {self.item.GRANULARITY.name}. Try again in {reset} s.",
            [*headers, ("Retry-After", reset)],
        )
