"""Counter stores behind one interface, chosen by STATBOARD_COUNTERS_URL.

memory:// (the default, memory.py) keeps increments in this process and writes them
to the database in batches every COUNTER_FLUSH_SECONDS (write-behind). In one process
every answer is exact. With several processes on one database:
- GET and the value a POST returns come from this process's memory: its own
  increments at once, other processes' within two flush intervals (one for them to
  write theirs, one for this process to read them back). A key not in memory is read
  from the database once.
- PUT and DELETE act at once; other processes' unflushed increments of the last
  interval land after them.
redis:// (redis.py) keeps every value in Redis (atomic INCRBY): exact across processes
and machines. Both write per-minute and per-hour totals to the database through the
same write-behind (writebehind.py).
"""

from collections.abc import Awaitable, Callable
from typing import Protocol

MAX_VALUE = 2**63 - 1  # BIGINT


class ValueTooLarge(ValueError):
    pass


class Store(Protocol):
    """What the counter API, the counter block and the CLI need from a store."""

    def incr(self, key: str, by: int) -> int:
        """Add `by` and answer the new value; ValueTooLarge past MAX_VALUE."""

    def get(self, key: str) -> int: ...

    def cached(self, key: str) -> int | None:
        """The value when this process holds it (no database, no network), else None."""

    def incr_cached(self, key: str, by: int) -> int | None:
        """incr, when it needs no database nor network; else None, and nothing changed."""

    awaits: bool  # whether it is an AwaitingStore too

    def all(self, prefix: str = "") -> dict[str, int]: ...
    def set(self, key: str, value: int) -> None: ...
    def delete(self, key: str) -> None: ...
    def clear(self, prefix: str = "") -> None: ...

    def flush(self) -> None:
        """Write what is gathered in memory to the database now."""

    def close(self) -> None:
        """Stop the write-behind thread and flush what is left."""


class AwaitingStore(Store, Protocol):
    """A store that answers over the network, awaited on an event loop without a thread
    (the counter server's, counters/server.py)."""

    def incr_awaited(self, key: str, by: int) -> Awaitable[int]:
        """incr, awaited; ValueTooLarge past MAX_VALUE."""

    def get_awaited(self, key: str) -> Awaitable[int]: ...

    def when_incremented(self, callback: Callable[[str], None]) -> None:
        """Have callback(key) called, on the loop, once an awaited increment of key has
        landed: once for the increments the store sends together."""


def from_url(
    url: str, engine, *, namespace: str = "statboard:counters:", interval: float = 1.0
) -> Store:
    """The store of a STATBOARD_COUNTERS_URL, on the SQLAlchemy `engine` of the site."""
    if url.startswith("memory:"):
        from statboard.counters.stores.memory import MemoryStore

        return MemoryStore(engine, interval)
    if url.startswith(("redis:", "rediss:", "unix:")):
        from statboard.counters.stores.redis import RedisStore  # redis-py stays optional

        return RedisStore(url, engine, namespace, interval)
    raise ValueError(
        f"STATBOARD_COUNTERS_URL {url!r} is not supported; use memory:// or redis://host:port/db."
    )
