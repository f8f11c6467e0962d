"""This host's metric history: raw samples, per-minute and per-hour roll-ups, retention.

Raw samples are kept for a day, minute averages for a month, hour averages for
years; each range of the tile reads the coarsest table that still has enough
points, so 1 h, 24 h and 30 d all cost a few hundred rows at most.
"""

from collections import defaultdict
from datetime import datetime, timedelta

from flask import current_app

from statboard import live
from statboard.extensions import db
from statboard.hosts.metrics import Reading
from statboard.hosts.models import METRICS, HostRollup, HostSample, RemoteCheck
from statboard.models_base import utcnow

MINUTE, HOUR = 60, 3600

# range name -> (span, where its points come from: 0 = raw samples, else a roll-up)
RANGES = {
    "1h": (timedelta(hours=1), 0),
    "24h": (timedelta(days=1), MINUTE),
    "30d": (timedelta(days=30), HOUR),
}


def record(reading: Reading, at: datetime | None = None) -> HostSample:
    sample = HostSample(at=at or utcnow(), **{name: getattr(reading, name) for name in METRICS})
    db.session.add(sample)
    # Open host tiles refetch once it is saved; no readings in the event.
    live.publish("host:local", "host")
    return sample


def _floor(at: datetime, seconds: int) -> datetime:
    epoch = datetime(1970, 1, 1)
    return epoch + timedelta(seconds=int((at - epoch).total_seconds()) // seconds * seconds)


def _roll(rows, resolution: int, weight) -> list[HostRollup]:
    """Weighted averages of rows by time bucket."""
    buckets = defaultdict(list)
    for row in rows:
        buckets[_floor(row.at, resolution)].append(row)
    rollups = []
    for at, members in sorted(buckets.items()):
        total = sum(weight(m) for m in members) or 1
        averages = {
            name: sum(getattr(m, name) * weight(m) for m in members) / total for name in METRICS
        }
        rollups.append(HostRollup(resolution=resolution, at=at, samples=total, **averages))
    return rollups


def _first_open_bucket(resolution: int, source_at, *where) -> datetime | None:
    """Start of the first bucket not rolled up yet, or None when there is nothing to roll."""
    last = db.session.scalar(
        db.select(db.func.max(HostRollup.at)).where(HostRollup.resolution == resolution)
    )
    if last is not None:
        return last + timedelta(seconds=resolution)
    first = db.session.scalar(db.select(db.func.min(source_at)).where(*where))
    return None if first is None else _floor(first, resolution)


def _roll_step(resolution: int, model, weight, *where, now: datetime) -> int:
    start = _first_open_bucket(resolution, model.at, *where)
    end = _floor(now, resolution)  # only complete buckets
    if start is None or start >= end:
        return 0
    rows = db.session.scalars(
        db.select(model).where(*where, model.at >= start, model.at < end)
    ).all()
    rollups = _roll(rows, resolution, weight)
    db.session.add_all(rollups)
    db.session.flush()
    return len(rollups)


def roll_up(now: datetime | None = None) -> dict[int, int]:
    """Average every complete minute of raw samples and every complete hour of minutes.

    Idempotent: buckets already rolled up are not read again. Returns counts made.
    """
    now = now or utcnow()
    made = {
        MINUTE: _roll_step(MINUTE, HostSample, lambda s: 1, now=now),
        HOUR: _roll_step(
            HOUR, HostRollup, lambda r: r.samples, HostRollup.resolution == MINUTE, now=now
        ),
    }
    return made


def prune(now: datetime | None = None) -> None:
    """Drop what is past its retention: raw samples, minute roll-ups, remote checks."""
    now = now or utcnow()
    config = current_app.config
    raw_cutoff = now - timedelta(days=float(config["HOST_RAW_RETENTION_DAYS"]))
    minute_cutoff = now - timedelta(days=float(config["HOST_MINUTE_RETENTION_DAYS"]))
    check_cutoff = now - timedelta(days=float(config["HOST_CHECK_RETENTION_DAYS"]))
    db.session.execute(db.delete(HostSample).where(HostSample.at < raw_cutoff))
    db.session.execute(
        db.delete(HostRollup).where(HostRollup.resolution == MINUTE, HostRollup.at < minute_cutoff)
    )
    db.session.execute(db.delete(RemoteCheck).where(RemoteCheck.at < check_cutoff))


def series(range_name: str, now: datetime | None = None) -> dict[str, list[float]]:
    """Each metric's points over a range, oldest first, from the table that range reads."""
    span, resolution = RANGES[range_name]
    since = (now or utcnow()) - span
    if resolution:
        query = db.select(HostRollup).where(
            HostRollup.resolution == resolution, HostRollup.at >= since
        )
        query = query.order_by(HostRollup.at)
    else:
        query = db.select(HostSample).where(HostSample.at >= since).order_by(HostSample.at)
    rows = db.session.scalars(query).all()
    return {name: [getattr(row, name) for row in rows] for name in METRICS}
