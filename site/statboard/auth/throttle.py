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

from flask import current_app, request
from limits import parse_many, storage, strategies


class LoginThrottle:
    def __init__(self, app):
        self.pair_limits = parse_many(app.config["LOGIN_FAILURES_ALLOWED"])
        self.address_limits = parse_many(app.config["LOGIN_ADDRESS_FAILURES_ALLOWED"])
        self.limiter = strategies.MovingWindowRateLimiter(
            storage.storage_from_string(app.config["LOGIN_LIMITS_URL"])
        )

    def _windows(self, username: str):
        address = request.remote_addr or "?"
        pair = ("login", "pair", (username or "").lower(), address)
        for limit in self.pair_limits:
            yield limit, pair
        for limit in self.address_limits:
            yield limit, ("login", "address", address)

    def retry_after(self, username: str) -> int:
        """Seconds until this username may be tried from this address; 0 when it may now."""
        waits = []
        for limit, keys in self._windows(username):
            if not self.limiter.test(limit, *keys):
                reset = self.limiter.get_window_stats(limit, *keys).reset_time
                waits.append(max(1, math.ceil(reset - time.time())))
        return max(waits, default=0)

    def failed(self, username: str) -> None:
        for limit, keys in self._windows(username):
            self.limiter.hit(limit, *keys)


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
