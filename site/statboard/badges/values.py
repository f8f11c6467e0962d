"""What a badge shows: a counter's value (counting a view on request), or an account's
follower count with its change over a period."""

import re
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from statboard.counters.keys import ApiError
from statboard.counters.stores import MAX_VALUE, ValueTooLarge
from statboard.extensions import db
from statboard.series.models import Account, Sample
from statboard.series.samples import now_utc

PERIOD = re.compile(r"([1-9][0-9]{0,3})d\Z")  # days: 7d, 30d, up to 9999d


class BadgeError(Exception):
    """A request a badge cannot answer: its HTTP status, the sentence, extra headers."""

    def __init__(self, status: int, message: str, headers=()):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, list(headers)


def period_days(text: str) -> int:
    match = PERIOD.match(text or "")
    if match is None:
        raise BadgeError(
            400, f"The period {text[:20]!r} is not a number of days: use one like 7d or 30d."
        )
    return int(match.group(1))


def counter_value(key: str) -> int:
    return current_app.extensions["counters"].store.get(key)


def count_view(key: str, address: str) -> tuple[int, list[tuple[str, str]]]:
    """Add 1 to the counter as an anonymous increment of the counter API would: refused
    under a private prefix, and under COUNTER_RATE_LIMIT per client address. Returns the
    new value and the rate limit's headers."""
    counter_app = current_app.extensions["counters"]
    if counter_app.private and key.startswith(counter_app.private):
        raise BadgeError(
            403,
            f"{key} is under a prefix that only admins and tokens may increase, so a badge "
            "cannot count its views: leave out ?hit=1.",
        )
    headers = []
    if counter_app.limit is not None:
        try:
            headers = counter_app.limit.hit(address)
        except ApiError as error:
            raise BadgeError(429, error.message, error.headers) from None
    try:
        return counter_app.store.incr(key, 1), headers
    except ValueTooLarge:
        raise BadgeError(400, f"{key} would pass {MAX_VALUE}; reset it first.") from None


@dataclass(frozen=True)
class Followers:
    count: int | None  # None: no samples yet
    change: int


def followers(account: Account, days: int) -> Followers:
    """The newest count and its change since the last sample `days` ago or before (or,
    for a younger series, since its first sample)."""
    newest = db.session.scalar(_samples(account).order_by(Sample.taken_at.desc()).limit(1))
    if newest is None:
        return Followers(None, 0)
    since = now_utc() - timedelta(days=days)
    base = db.session.scalar(
        _samples(account).where(Sample.taken_at <= since).order_by(Sample.taken_at.desc()).limit(1)
    )
    if base is None:
        base = db.session.scalar(_samples(account).order_by(Sample.taken_at).limit(1))
    return Followers(newest, newest - base)


def _samples(account: Account):
    return select(Sample.count).where(Sample.account_id == account.id)


def followers_message(found: Followers, days: int) -> tuple[str, str]:
    """The badge's value and colour: '1,234 (+12 in 7d)', green up, red down."""
    if found.count is None:
        return "no data", "lightgrey"
    color = "brightgreen" if found.change > 0 else "red" if found.change < 0 else "blue"
    return f"{found.count:,} ({found.change:+,} in {days}d)", color
