"""What a counter block shows: rates and a small chart from the history tables."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

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
    now = now or utcnow()
    minute = now.replace(second=0, microsecond=0)
    since = minute - timedelta(minutes=CHART_MINUTES - 1)
    rows = db.session.execute(
        select(CounterHistory.start, func.sum(CounterHistory.total))
        .where(
            CounterHistory.key == key,
            CounterHistory.resolution == "minute",
            CounterHistory.start >= since,
        )
        .group_by(CounterHistory.start)
    ).all()
    by_start = {start: int(total) for start, total in rows}
    minutes = [by_start.get(since + timedelta(minutes=i), 0) for i in range(CHART_MINUTES)]
    return Rates(last_minute=last_seconds(key, now), last_hour=sum(minutes), minutes=minutes)


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
