"""This host's metric history (raw samples and roll-ups) and the remote hosts checked."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statboard.extensions import db
from statboard.models_base import utcnow

UNKNOWN, UP, DOWN = "unknown", "up", "down"


class MetricsMixin:
    cpu: Mapped[float] = mapped_column(default=0.0)  # percent busy
    mem: Mapped[float] = mapped_column(default=0.0)  # percent used
    load1: Mapped[float] = mapped_column(default=0.0)
    read_bps: Mapped[float] = mapped_column(default=0.0)  # disk bytes per second
    write_bps: Mapped[float] = mapped_column(default=0.0)


METRICS = ("cpu", "mem", "load1", "read_bps", "write_bps")


class HostSample(MetricsMixin, db.Model):
    """One reading of this host, every HOST_SAMPLE_SECONDS; kept HOST_RAW_RETENTION_DAYS."""

    __tablename__ = "host_samples"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class HostRollup(MetricsMixin, db.Model):
    """Averages over one minute (resolution 60) or one hour (3600), starting at `at`."""

    __tablename__ = "host_rollups"
    __table_args__ = (UniqueConstraint("resolution", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resolution: Mapped[int]  # seconds
    at: Mapped[datetime]
    samples: Mapped[int] = mapped_column(default=0)  # raw samples averaged, for weighting


class RemoteHost(db.Model):
    """Another host, checked over HTTP every HOST_CHECK_SECONDS."""

    __tablename__ = "remote_hosts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The "remote_hosts" block it was added on: only that block lists it.
    block_id: Mapped[int | None] = mapped_column(
        ForeignKey("blocks.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    url: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(16), default=UNKNOWN)
    latency_ms: Mapped[float | None]
    last_error: Mapped[str] = mapped_column(String(300), default="")
    checked_at: Mapped[datetime | None]
    changed_at: Mapped[datetime | None]  # when the state last changed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    checks: Mapped[list["RemoteCheck"]] = relationship(
        back_populates="host", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<RemoteHost {self.name} {self.state}>"


class RemoteCheck(db.Model):
    """One check of a remote host; kept HOST_CHECK_RETENTION_DAYS."""

    __tablename__ = "remote_checks"
    __table_args__ = (Index("ix_remote_checks_host_at", "host_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("remote_hosts.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    up: Mapped[bool]
    latency_ms: Mapped[float | None]
    status_code: Mapped[int | None]
    error: Mapped[str] = mapped_column(String(300), default="")

    host: Mapped[RemoteHost] = relationship(back_populates="checks")
