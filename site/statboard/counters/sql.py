"""The SQL the counter stores run: batched UPSERTs that work on SQLite and PostgreSQL."""

import importlib
from datetime import datetime

from sqlalchemy import delete, select

from statboard.counters.models import Counter, CounterHistory
from statboard.models_base import utcnow

counters = Counter.__table__
history = CounterHistory.__table__
IN_CHUNK = 500  # keys per IN (...) list


def _insert(conn, table):
    # The dialect its engine loaded already: a site on SQLite loads no PostgreSQL one.
    name = "postgresql" if conn.dialect.name == "postgresql" else "sqlite"
    return importlib.import_module(f"sqlalchemy.dialects.{name}").insert(table)


def like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def add_values(conn, deltas: dict[str, int]) -> None:
    """counters[key] += delta for every key, creating missing rows, in one statement."""
    now = utcnow()
    stmt = _insert(conn, counters)
    stmt = stmt.on_conflict_do_update(
        index_elements=[counters.c.key],
        set_={"value": counters.c.value + stmt.excluded.value, "updated_at": now},
    )
    conn.execute(stmt, [{"key": k, "value": v, "updated_at": now} for k, v in deltas.items()])


def add_history(conn, deltas: dict[str, int], when: datetime) -> None:
    """Add the deltas to the second, minute and hour buckets that hold `when` (the
    seconds, kept for a few minutes, give "in the last 60 seconds")."""
    second = when.replace(microsecond=0)
    minute = second.replace(second=0)
    hour = minute.replace(minute=0)
    stmt = _insert(conn, history)
    stmt = stmt.on_conflict_do_update(
        index_elements=[history.c.key, history.c.resolution, history.c.start],
        set_={"total": history.c.total + stmt.excluded.total},
    )
    rows = [
        {"key": k, "resolution": resolution, "start": start, "total": v}
        for k, v in deltas.items()
        for resolution, start in (("second", second), ("minute", minute), ("hour", hour))
    ]
    conn.execute(stmt, rows)


def set_value(conn, key: str, value: int) -> None:
    stmt = _insert(conn, counters).values(key=key, value=value, updated_at=utcnow())
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[counters.c.key], set_={"value": value, "updated_at": utcnow()}
        )
    )


def read_values(conn, keys) -> dict[str, int]:
    keys, found = list(keys), {}
    for i in range(0, len(keys), IN_CHUNK):
        query = select(counters.c.key, counters.c.value).where(
            counters.c.key.in_(keys[i : i + IN_CHUNK])
        )
        found.update(conn.execute(query).all())
    return found


def read_prefix(conn, prefix: str) -> dict[str, int]:
    query = select(counters.c.key, counters.c.value).order_by(counters.c.key)
    if prefix:
        query = query.where(counters.c.key.like(like_prefix(prefix), escape="\\"))
    return dict(conn.execute(query).all())


def delete_keys(conn, key: str | None = None, prefix: str = "") -> None:
    """Delete one counter, or every counter under a prefix, with its history."""
    for table in (counters, history):
        if key is not None:
            conn.execute(delete(table).where(table.c.key == key))
        elif prefix:
            conn.execute(delete(table).where(table.c.key.like(like_prefix(prefix), escape="\\")))
        else:
            conn.execute(delete(table))


def prune_history(conn, resolution: str, before: datetime) -> None:
    """Drop the `resolution` ("second", "minute") buckets that start before `before`."""
    conn.execute(
        delete(history).where(history.c.resolution == resolution, history.c.start < before)
    )
