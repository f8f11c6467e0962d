"""Failed logins slowed down: a moving window per username and per client address.

LOGIN_FAILURES_ALLOWED ("5/5minute") failures are allowed in any such window;
the next attempt gets 429 until the oldest failure leaves the window. Successful
logins are not counted.
"""

import math
import time

from flask import current_app, request
from limits import parse, storage, strategies


class LoginThrottle:
    def __init__(self, app):
        self.limit = parse(app.config["LOGIN_FAILURES_ALLOWED"])
        self.limiter = strategies.MovingWindowRateLimiter(
            storage.storage_from_string(app.config["LOGIN_LIMITS_URL"])
        )

    def _keys(self, username: str) -> list[tuple[str, str]]:
        return [("user", (username or "").lower()), ("address", request.remote_addr or "?")]

    def retry_after(self, username: str) -> int:
        """Seconds until this username and address may try again; 0 when they may now."""
        waits = []
        for kind, key in self._keys(username):
            if not self.limiter.test(self.limit, "login", kind, key):
                reset = self.limiter.get_window_stats(self.limit, "login", kind, key).reset_time
                waits.append(max(1, math.ceil(reset - time.time())))
        return max(waits, default=0)

    def failed(self, username: str) -> None:
        for kind, key in self._keys(username):
            self.limiter.hit(self.limit, "login", kind, key)


def too_many_message(wait: int) -> str:
    """What a throttled client reads: how long to wait."""
    minutes = f"{math.ceil(wait / 60)} minutes" if wait > 90 else f"{wait} seconds"
    return f"Too many failed logins: wait {minutes}, then try again."


def login_throttle() -> LoginThrottle:
    return current_app.extensions["statboard.login_throttle"]
