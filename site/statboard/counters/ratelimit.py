"""Per-address limit on anonymous increments, with the `limits` library."""

import math
import time

from limits import parse, storage

from statboard.counters.keys import ApiError


class IncrementLimit:
    """COUNTER_RATE_LIMIT per client address; shared through Redis with the redis store."""

    def __init__(self, limit: str, counters_url: str):
        self.item = parse(limit)
        shared = counters_url if counters_url.startswith(("redis:", "rediss:")) else "memory://"
        # The fixed window of limits' FixedWindowRateLimiter, on its storage directly:
        # the key made once and the count the hit answers, instead of the strategy's
        # three key_for() and a second read of the count (a round trip on Redis).
        self.storage = storage.storage_from_string(shared)
        self.expiry = self.item.get_expiry()
        self.limit_header = ("RateLimit-Limit", str(self.item.amount))

    def hit(self, address: str) -> list[tuple[str, str]]:
        """The RateLimit-* headers of an allowed hit; raises a 429 ApiError past the limit."""
        key = self.item.key_for(address)
        count = self.storage.incr(key, self.expiry)
        reset = str(max(1, math.ceil(self.storage.get_expiry(key) - time.time())))
        headers = [
            self.limit_header,
            ("RateLimit-Remaining", str(max(0, self.item.amount - count))),
            ("RateLimit-Reset", reset),
        ]
        if count <= self.item.amount:
            return headers
        raise ApiError(
            "429 Too Many Requests",
            f"Too many increments from your address: at most {self.item.amount} per "
            f"{self.item.multiples} {self.item.GRANULARITY.name}. Try again in {reset} s.",
            [*headers, ("Retry-After", reset)],
        )
