"""Failed logins slowed down, without letting anyone lock out someone else.

Two sets of moving windows, both counting failures only:

- per username *and* address (LOGIN_FAILURES_ALLOWED, "5/minute;10/10minute;20/hour;
  50/day"): each tier allows that many failures in its window, so the waits grow
  from under a minute to a day the longer one address guesses one password;
- per address across usernames (LOGIN_ADDRESS_FAILURES_ALLOWED, higher): an address
  trying many names is slowed too.

Failures from one address never slow the same user down at another address, and an
address with no failures is never refused. The login form and HTTP Basic on /v3
share this one throttle.
"""

import math
import time
from functools import cached_property

from flask import current_app, request


class LoginThrottle:
    def __init__(self, app):
        self.config = app.config
        # In memory, the failures are this process's own: until one, none can refuse a
        # login, and the limits library (4 MB with what it imports) stays unloaded, as it
        # does on a site whose admins type their passwords right.
        self._none_failed = self.config["LOGIN_LIMITS_URL"].startswith("memory:")

    @cached_property
    def windows(self):
        """The limiter, then the limits per username and address and per address: the
        limits library is loaded at the first login (at the first failure, in memory)."""
        from limits import parse_many, storage, strategies

        url = self.config["LOGIN_LIMITS_URL"]
        return (
            strategies.MovingWindowRateLimiter(storage.storage_from_string(url)),
            parse_many(self.config["LOGIN_FAILURES_ALLOWED"]),
            parse_many(self.config["LOGIN_ADDRESS_FAILURES_ALLOWED"]),
        )

    def _windows(self, username: str):
        address = request.remote_addr or "?"
        pair = ("login", "pair", (username or "").lower(), address)
        limiter, pair_limits, address_limits = self.windows
        for limit in pair_limits:
            yield limiter, limit, pair
        for limit in address_limits:
            yield limiter, limit, ("login", "address", address)

    def retry_after(self, username: str) -> int:
        """Seconds until this username may be tried from this address; 0 when it may now."""
        if self._none_failed:
            return 0
        waits = []
        for limiter, limit, keys in self._windows(username):
            if not limiter.test(limit, *keys):
                reset = limiter.get_window_stats(limit, *keys).reset_time
                waits.append(max(1, math.ceil(reset - time.time())))
        return max(waits, default=0)

    def failed(self, username: str) -> None:
        self._none_failed = False
        for limiter, limit, keys in self._windows(username):
            limiter.hit(limit, *keys)


def too_many_message(wait: int) -> str:
    """What a throttled client reads: how long to wait."""
    if wait > 5400:
        minutes = f"{math.ceil(wait / 3600)} hours"
    elif wait > 90:
        minutes = f"{math.ceil(wait / 60)} minutes"
    else:
        minutes = f"{wait} seconds"
    return f"Too many failed logins: wait {minutes}, then try again."


def login_throttle() -> LoginThrottle:
    return current_app.extensions["statboard.login_throttle"]
