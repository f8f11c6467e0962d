"""What a counter block shows: rates and a small chart from the history tables."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from statboard.counters.models import CounterHistory
from statboard.extensions import db
from statboard.models_base import utcnow

CHART_MINUTES = 60


@dataclass
class Rates:
    last_minute: int  # increments in the last complete minute
    last_hour: int  # increments in the last 60 minutes
    minutes: list[int]  # per-minute totals, oldest first, the current minute last


def rates(key: str) -> Rates:
    now = utcnow().replace(second=0, microsecond=0)
    since = now - timedelta(minutes=CHART_MINUTES - 1)
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
    return Rates(last_minute=minutes[-2], last_hour=sum(minutes), minutes=minutes)


def chart_bars(values: list[int], width: int = 240, height: int = 48) -> list[dict]:
    """Bars of an inline SVG chart, scaled to the largest value."""
    top = max(values) or 1
    step = width / len(values)
    return [
        {"x": round(i * step, 2), "w": round(step * 0.8, 2), "h": round(height * v / top, 2)}
        for i, v in enumerate(values)
    ]
