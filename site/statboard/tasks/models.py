from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from statboard.extensions import db
from statboard.models_base import utcnow

QUEUED, STARTED, SUCCESS, FAILURE, REVOKED = "QUEUED", "STARTED", "SUCCESS", "FAILURE", "REVOKED"
FINISHED = (SUCCESS, FAILURE, REVOKED)


class Task(db.Model):
    """A background job: one call of a function registered with @task."""

    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(80))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(16), default=QUEUED, index=True)
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    progress: Mapped[float] = mapped_column(default=0.0)  # 0.0 .. 1.0
    message: Mapped[str] = mapped_column(String(500), default="")
    result: Mapped[Any | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    max_retries: Mapped[int] = mapped_column(default=0)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    # Which process runs it (host:pid:boot), so a restart can tell its own orphans.
    worker: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


class ScheduledRun(db.Model):
    """The last run of a periodic job in the whole cluster (tasks.schedule).

    A new leader carries on from it, and a run is claimed by moving `runs` on from the
    value last seen: of two schedulers that both think they lead, one wins each run."""

    __tablename__ = "scheduled_runs"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    last_run: Mapped[float]  # seconds since the epoch
    runs: Mapped[int] = mapped_column(default=0)
    runner: Mapped[str] = mapped_column(String(120), default="")  # host:pid:boot
