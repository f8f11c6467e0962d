"""Alert rules set on blocks, and the history of their alerts.

AlertRule: a threshold on what a block shows (a host metric, a remote host down, a
counter's rate, a follower count). `active` holds the targets (a metric, a host, an
account) whose alert is firing now, with since when and the value it fired at;
`memo` what the evaluation keeps between runs for readings the site does not store
(when a disk went above the level, a disk's earlier use for its rate).

AlertEvent: one alert fired or cleared, with when and the value.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statboard.extensions import db
from statboard.models_base import utcnow

FIRED, CLEARED = "fired", "cleared"


class AlertRule(db.Model):
    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    block_id: Mapped[int] = mapped_column(ForeignKey("blocks.id", ondelete="CASCADE"), index=True)
    metric: Mapped[str] = mapped_column(String(32))  # see alerts.rules.METRICS
    level: Mapped[float] = mapped_column(default=0.0)
    span: Mapped[int] = mapped_column(default=1)  # minutes, days or checks, by metric
    account_id: Mapped[int | None]  # a chart's account (followers rules)
    active: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    memo: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    events: Mapped[list["AlertEvent"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class AlertEvent(db.Model):
    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(
        ForeignKey("alert_rules.id", ondelete="CASCADE"), index=True
    )
    block_id: Mapped[int] = mapped_column(index=True)
    target: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(16))  # FIRED or CLEARED
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    value: Mapped[float | None]
    text: Mapped[str] = mapped_column(String(300), default="")
