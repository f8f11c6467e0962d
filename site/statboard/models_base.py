"""Small column helpers shared by the feature models."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now in UTC, without tzinfo: every datetime column holds naive UTC, which
    SQLite and PostgreSQL store and return alike."""
    return datetime.now(UTC).replace(tzinfo=None)
