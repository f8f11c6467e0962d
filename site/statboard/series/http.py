"""HTTP for collectors: timeouts, retries with backoff, and platforms' rate limits.

A 429 (or a 403 with `x-ratelimit-remaining: 0`) waits for Retry-After /
X-RateLimit-Reset / RateLimit-Reset when that is short enough, else the account
is skipped with an error saying when to try again. A success that uses up the
allowance (remaining 0) makes the next request to that host wait or skip.
"""

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit


class CollectError(Exception):
    """Collecting one account failed; the message is shown to admins on its chart."""


class NotConfigured(CollectError):
    pass


class NotFound(CollectError):
    pass


class RateLimited(CollectError):
    pass


class Unavailable(CollectError):
    pass


def rate_limit_wait(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds until a rate limit resets, from whichever header the platform sends."""
    retry_after = headers.get("retry-after")
    if retry_after:
        if retry_after.strip().isdigit():
            return float(retry_after)
        try:
            return max(0.0, parsedate_to_datetime(retry_after).timestamp() - now)
        except (TypeError, ValueError):
            pass
    for name in ("x-ratelimit-reset", "ratelimit-reset"):
        value = headers.get(name)
        try:
            reset = float(value) if value else None
        except ValueError:
            reset = None
        if reset is not None:
            # GitHub, X and Bluesky send an epoch time; the IETF draft sends seconds.
            return max(0.0, reset - now) if reset > 1e9 else reset
    return None


def _exhausted(headers: Mapping[str, str]) -> bool:
    return headers.get("x-ratelimit-remaining", headers.get("ratelimit-remaining")) == "0"


def _at(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M UTC")


class PlatformHttp:
    """One httpx client shared by the collectors of a collection run, made by its first
    request: httpx (2.5 MB with what it imports) is loaded by a worker that collects."""

    def __init__(self, timeout=10.0, retries=3, backoff=1.0, max_wait=60.0, sleep=time.sleep):
        self.timeout = timeout
        self._client = None
        self.retries, self.backoff, self.max_wait, self.sleep = retries, backoff, max_wait, sleep
        self.blocked_until: dict[str, float] = {}  # host -> epoch when its allowance resets

    @classmethod
    def from_config(cls, config) -> "PlatformHttp":
        return cls(
            timeout=float(config["SERIES_HTTP_TIMEOUT"]),
            retries=int(config["SERIES_HTTP_RETRIES"]),
            backoff=float(config["SERIES_HTTP_BACKOFF"]),
            max_wait=float(config["SERIES_RATE_LIMIT_MAX_WAIT"]),
        )

    @property
    def client(self):
        if self._client is None:
            import httpx

            self._client = httpx.Client(
                timeout=httpx.Timeout(self.timeout),
                headers={"User-Agent": "Statboard follower graphs", "Accept": "application/json"},
                follow_redirects=True,
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def _wait(self, host: str, seconds: float, platform: str) -> None:
        """Sleep for a rate limit, or give up when it resets too late."""
        if seconds > self.max_wait:
            raise RateLimited(
                f"{platform} rate limit reached; it resets at {_at(time.time() + seconds)}, "
                "the next collection will try again."
            )
        self.sleep(seconds)

    def get_json(self, url: str, platform: str, params=None, headers=None) -> dict:
        import httpx  # see the class

        host = urlsplit(url).netloc
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            blocked = self.blocked_until.get(host, 0) - time.time()
            if blocked > 0:
                self._wait(host, blocked, platform)
            try:
                response = self.client.get(url, params=params, headers=headers)
            except httpx.HTTPError as exc:
                if last:
                    raise Unavailable(
                        f"Could not reach {platform} ({type(exc).__name__}); "
                        "the next collection will try again."
                    ) from exc
                self.sleep(self.backoff * 2**attempt)
                continue
            status = response.status_code
            if status == 429 or (status == 403 and _exhausted(response.headers)):
                wait = rate_limit_wait(response.headers, time.time())
                if last:
                    raise RateLimited(f"{platform} kept refusing with rate limits; try later.")
                self._wait(host, self.backoff * 2**attempt if wait is None else wait, platform)
                continue
            if status >= 500:
                if last:
                    raise Unavailable(
                        f"{platform} answered {status} {attempt + 1} times; "
                        "the next collection will try again."
                    )
                self.sleep(self.backoff * 2**attempt)
                continue
            if _exhausted(response.headers):
                wait = rate_limit_wait(response.headers, time.time())
                if wait:
                    self.blocked_until[host] = time.time() + wait
            return self._json(response, platform)
        raise AssertionError("unreachable")

    @staticmethod
    def _json(response, platform: str) -> dict:
        """The JSON object an httpx response carries; else the CollectError that says why not."""
        if response.status_code == 404:
            raise NotFound(f"{platform} has no such account; check the handle and rename it.")
        if response.status_code in (401, 403):
            raise CollectError(
                f"{platform} refused the request ({response.status_code}); check its token setting."
            )
        try:
            body = response.json()
        except ValueError as exc:
            raise Unavailable(f"{platform} answered something that is not JSON.") from exc
        if response.status_code >= 400:
            message = body.get("message") or body.get("error") if isinstance(body, dict) else None
            if message and "not found" in str(message).lower():
                raise NotFound(f"{platform} has no such account; check the handle and rename it.")
            raise CollectError(
                f"{platform} refused the request: {message or response.status_code}."
            )
        if not isinstance(body, dict):
            raise Unavailable(f"{platform} answered an unexpected JSON shape.")
        return body
