"""redis://: every value in Redis (atomic INCRBY), the history written behind to SQL.

Increments and reads of concurrent requests share one kept connection, pipelined
(resp.py): they are written together, a write does not wait for the replies of the
one before, and each request is answered with its own exact value. On the counter
server's event loop, increments and reads are awaited on a connection of the loop's
own, pipelined the same way (resp_loop.py); the increments of one key in one turn of
the loop go as one INCRBY, and their history (and the callbacks of when_incremented) is
noted once for them all.
"""

import redis

from statboard.counters import sql
from statboard.counters.stores import MAX_VALUE, ValueTooLarge
from statboard.counters.stores.resp import Pipeline
from statboard.counters.stores.resp_loop import LoopPipeline
from statboard.counters.stores.writebehind import WriteBehind


class RedisStore(WriteBehind):
    writes_values = False  # the values live in Redis; the database gets the history

    def __init__(self, url: str, engine, namespace: str, interval: float = 1.0):
        super().__init__(engine, interval)
        self.redis = redis.Redis.from_url(url)
        self.ns = namespace
        self._command = Pipeline(self.redis)
        # On the counter server's loop; TLS connections stay with the threads' pipeline.
        self.awaits = not url.startswith("rediss:")
        self._loop_command = self._loop_pipeline()
        self._when_incremented: list = []

    def _loop_pipeline(self) -> LoopPipeline:
        return LoopPipeline(self.redis, self._incremented, self._refused_on_loop)

    def _after_fork(self) -> None:
        super()._after_fork()
        self._command.after_fork()
        self._loop_command = self._loop_pipeline()

    def close(self) -> None:
        super().close()
        self._command.close()
        self._loop_command.close()

    def incr(self, key: str, by: int) -> int:
        try:
            total = self._command("INCRBY", self.ns + key, by)
        except redis.ResponseError as error:
            raise _refused(key, error) from None
        if total > MAX_VALUE:
            self._command("DECRBY", self.ns + key, by)
            raise ValueTooLarge(key)
        self._counted(key, by)
        return total

    def incr_awaited(self, key: str, by: int):
        """incr on the event loop of the counter server: an awaitable of the new value
        (resp_loop.py; no DECRBY after it, as Redis itself refuses to pass MAX_VALUE)."""
        return self._loop_command.incrby(self.ns + key, by)

    async def get_awaited(self, key: str) -> int:
        return int(await self._loop_command("GET", self.ns + key) or 0)

    def when_incremented(self, callback) -> None:
        self._when_incremented.append(callback)

    def _incremented(self, name: str, by: int) -> None:
        """An INCRBY the loop's pipeline made: the sum of a turn's increments of a key,
        noted once for the history and the callbacks."""
        key = name[len(self.ns) :]
        self._counted(key, by)
        for callback in self._when_incremented:
            callback(key)

    def _refused_on_loop(self, name: str, error: redis.ResponseError) -> Exception:
        return _refused(name[len(self.ns) :], error)

    def _counted(self, key: str, by: int) -> None:
        """Note an increment Redis made for the history (written behind)."""
        if not self.flusher.running:
            self._start_flusher()
        with self._lock:
            self._gather(key, by)

    def cached(self, key: str) -> None:
        return None  # every value is Redis'

    def incr_cached(self, key: str, by: int) -> None:
        return None

    def get(self, key: str) -> int:
        return int(self._command("GET", self.ns + key) or 0)

    def _keys(self, prefix: str) -> list[bytes]:
        return list(self.redis.scan_iter(match=self.ns + prefix + "*", count=1000))

    def all(self, prefix: str = "") -> dict[str, int]:
        keys = self._keys(prefix)
        start = len(self.ns)
        values = {}
        for i in range(0, len(keys), 1000):
            chunk = keys[i : i + 1000]
            for name, value in zip(chunk, self.redis.mget(chunk), strict=True):
                if value is not None:
                    values[name.decode()[start:]] = int(value)
        return dict(sorted(values.items()))

    def set(self, key: str, value: int) -> None:
        self.redis.set(self.ns + key, value)

    def delete(self, key: str) -> None:
        self.redis.delete(self.ns + key)
        with self.engine.begin() as conn:
            sql.delete_keys(conn, key=key)

    def clear(self, prefix: str = "") -> None:
        keys = self._keys(prefix)
        with self.redis.pipeline(transaction=False) as pipe:
            for i in range(0, len(keys), 1000):
                pipe.delete(*keys[i : i + 1000])
            pipe.execute()
        with self.engine.begin() as conn:
            sql.delete_keys(conn, prefix=prefix)


def _refused(key: str, error: redis.ResponseError) -> Exception:
    if "overflow" in str(error):  # Redis refuses to pass 2**63 - 1
        return ValueTooLarge(key)
    return error
