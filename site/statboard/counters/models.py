"""Counter values and their per-minute / per-hour totals, written by the flusher."""

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from statboard.extensions import db
from statboard.models_base import utcnow

KEY_LENGTH = 200


class Counter(db.Model):
    """The persisted value of one counter (memory store; Redis keeps its own)."""

    __tablename__ = "counters"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CounterHistory(db.Model):
    """How much a counter grew in one second, minute or hour, starting at `start` (UTC)."""

    __tablename__ = "counter_history"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    # "second" (kept a few minutes) | "minute" | "hour"
    resolution: Mapped[str] = mapped_column(String(8), primary_key=True)
    start: Mapped[datetime] = mapped_column(primary_key=True)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
