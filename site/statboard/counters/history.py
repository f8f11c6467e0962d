"""What a counter block shows: rates and a small chart from the history tables."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select

from statboard.counters.models import CounterHistory
from statboard.extensions import db
from statboard.models_base import utcnow

CHART_MINUTES = 60


WINDOW = timedelta(seconds=60)  # "in the last minute"


@dataclass
class Rates:
    last_minute: int  # increments in the last 60 seconds (not the last calendar minute)
    last_hour: int  # increments in the last 60 minutes
    minutes: list[int]  # per-minute totals, oldest first, the current minute last


def rates(key: str, now: datetime | None = None) -> Rates:
    return rates_of([key], now)[key]


def rates_of(keys, now: datetime | None = None) -> dict[str, Rates]:
    """The rates of these counters, in one query: the per-minute totals of the chart's
    last CHART_MINUTES minutes, and the per-second buckets of the last WINDOW (from the
    one that holds `now` back, one bucket per second of the window)."""
    keys = sorted(set(keys))
    now = now or utcnow()
    minute = now.replace(second=0, microsecond=0)
    since = minute - timedelta(minutes=CHART_MINUTES - 1)
    second = now.replace(microsecond=0)
    first = second - WINDOW + timedelta(seconds=1)
    minutes = and_(CounterHistory.resolution == "minute", CounterHistory.start >= since)
    seconds = and_(
        CounterHistory.resolution == "second",
        CounterHistory.start >= first,
        CounterHistory.start <= second,
    )
    rows = (
        db.session.execute(
            select(
                CounterHistory.key,
                CounterHistory.resolution,
                CounterHistory.start,
                func.sum(CounterHistory.total),
            )
            .where(CounterHistory.key.in_(keys), or_(minutes, seconds))
            .group_by(CounterHistory.key, CounterHistory.resolution, CounterHistory.start)
        ).all()
        if keys
        else []
    )
    by_minute: dict[str, dict] = {key: {} for key in keys}
    last: dict[str, int] = dict.fromkeys(keys, 0)
    for key, resolution, start, total in rows:
        if resolution == "minute":
            by_minute[key][start] = int(total)
        else:
            last[key] += int(total)
    found = {}
    for key in keys:
        totals = [by_minute[key].get(since + timedelta(minutes=i), 0) for i in range(CHART_MINUTES)]
        found[key] = Rates(last_minute=last[key], last_hour=sum(totals), minutes=totals)
    return found


def last_seconds(key: str, now: datetime, window: timedelta = WINDOW) -> int:
    """Increments in the `window` up to `now`: the per-second buckets from the one that
    holds `now` back, one bucket per second of the window."""
    second = now.replace(microsecond=0)
    first = second - window + timedelta(seconds=1)
    total = db.session.scalar(
        select(func.sum(CounterHistory.total)).where(
            CounterHistory.key == key,
            CounterHistory.resolution == "second",
            CounterHistory.start >= first,
            CounterHistory.start <= second,
        )
    )
    return int(total or 0)


def chart_bars(values: list[int], width: int = 240, height: int = 48) -> list[dict]:
    """Bars of an inline SVG chart, scaled to the largest value."""
    top = max(values) or 1
    step = width / len(values)
    return [
        {"x": round(i * step, 2), "w": round(step * 0.8, 2), "h": round(height * v / top, 2)}
        for i, v in enumerate(values)
    ]
