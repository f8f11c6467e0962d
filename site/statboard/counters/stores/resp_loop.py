"""The redis store's commands awaited on an event loop: one kept connection, pipelined.

What resp.py does for threads, for the counter server's event loop (counters/server.py),
where a request awaits its reply instead of holding a thread: the commands of the
requests that arrive in one turn of the loop are written together, nobody waits for an
earlier batch's replies before writing, and each request gets its own reply (Redis
answers in order). The increments of one key in one turn go as one INCRBY of their sum
(incrby): Redis counts them in one step, and each request is answered the value its
own increment made, as exact as one INCRBY each (group commit). incrby gives the
caller a future, not a coroutine (the counter server awaits it directly: one step less
per request), and the store notes the history of the sum once (`incremented`).

The connection is opened by redis-py in a thread (the URL's address, password,
database, protocol version) and then handed to the loop; one with TLS stays with the
threads (resp.py), as the loop cannot take redis-py's TLS socket over.

As in resp.py, a connection that Redis closes fails the commands still waiting (they may
or may not have run: nothing is sent twice), and the next command connects again; a
command that waits past the URL's socket timeout (redis-py's, 5 s) drops the connection.
"""

import asyncio
import logging
import ssl
from collections import deque

import redis

from statboard.counters.stores.resp import Replies, pack

TIMEOUT = 5.0  # redis-py's default socket timeout

log = logging.getLogger(__name__)


class Incomplete(Exception):
    pass


class FedReplies(Replies):
    """Replies read from the bytes the loop hands over as they arrive."""

    def __init__(self):
        super().__init__(sock=None)

    def feed(self, chunk: bytes):
        """Each reply complete with `chunk`, in order."""
        self.data = self.data[self.start :] + chunk
        self.at -= self.start
        self.start = 0
        while self.at < len(self.data):
            self.start = self.at
            try:
                yield self._reply()
            except Incomplete:
                self.at = self.start
                return

    def _more(self) -> None:
        raise Incomplete


class LoopPipeline(asyncio.Protocol):
    """`await pipeline(*command)`: the command's reply; call it on one loop only.

    `incremented(name, by)`, when given, is called once for each INCRBY that Redis made
    (the sum of a turn's increments of `name`, or one increment alone), before its
    callers are answered; `refused(name, error)` gives what a caller of incrby raises
    when Redis refuses its increment (a redis.ResponseError)."""

    def __init__(self, client: redis.Redis, incremented=None, refused=None):
        self.pool = client.connection_pool
        self.timeout = client.connection_pool.connection_kwargs.get("socket_timeout") or TIMEOUT
        self.incremented, self.refused = incremented, refused
        self._connection = self._transport = self._connecting = self._timer = None
        self._loop = None  # the loop of the last connection
        self._queue: list[tuple] = []  # (command, its future or Increments), not yet written
        self._increments: dict[str, Increments] = {}  # the queued ones, by key
        self._sent: deque = deque()  # the futures and Increments written, oldest first
        self._owed = None  # the oldest command when the timer last looked
        self._replies = FedReplies()

    async def __call__(self, *command):
        loop = asyncio.get_running_loop()
        if self._transport is None:
            await self._connect(loop)
        reply = loop.create_future()
        self._enqueue(command, reply)
        answer = await reply
        if isinstance(answer, Exception):
            raise answer
        return answer

    def incrby(self, name: str, by: int):
        """INCRBY, gathered with the other increments of `name` in this turn of the loop:
        an awaitable of the total this increment made. Connected, a future that the
        reply completes (no coroutine of its own: the hot path awaits it directly)."""
        if self._transport is None:
            return self._incrby_connecting(name, by)
        increments = self._increments.get(name)
        if increments is None:
            increments = self._increments[name] = Increments(name, self)
            self._enqueue(None, increments)
        reply = self._loop.create_future()
        increments.add(reply, by)
        return reply

    async def _incrby_connecting(self, name: str, by: int) -> int:
        await self._connect(asyncio.get_running_loop())
        if self._transport is None:  # lost at once
            raise redis.ConnectionError("Redis closed the connection.")
        return await self.incrby(name, by)

    def _alone(self, name: str, reply: asyncio.Future, by: int) -> None:
        """Send one increment of a refused batch again, by itself."""
        increments = Increments(name, self)
        increments.add(reply, by)
        self._enqueue(None, increments)

    def _enqueue(self, command: tuple | None, reply) -> None:
        """Queue `command` (None for an Increments, which makes its own) to be written with
        the others of this turn of the loop."""
        if not self._queue:
            self._loop.call_soon(self._write)
        self._queue.append((command, reply))

    async def _connect(self, loop) -> None:
        """One connection at a time, whoever asks meanwhile waits for the same one (a
        request that leaves, its client gone, does not stop it)."""
        if self._connecting is None:
            self._connecting = loop.create_task(self._open(loop))
        await asyncio.shield(self._connecting)

    async def _open(self, loop) -> None:
        self._loop = loop
        try:
            connection = await loop.run_in_executor(None, self.pool.get_connection)
            if isinstance(connection._sock, ssl.SSLSocket):
                self.pool.release(connection)
                raise redis.ConnectionError("TLS connections to Redis are served by threads.")
            self._connection, self._replies = connection, FedReplies()
            try:
                await loop.create_connection(lambda: self, sock=connection._sock)
            except BaseException:
                self._connection = None
                connection.disconnect()
                self.pool.release(connection)
                raise
        finally:
            self._connecting = None

    def _write(self) -> None:
        batch, self._queue = self._queue, []
        self._increments = {}
        if self._transport is None:  # lost since these commands were queued
            error = redis.ConnectionError("Redis closed the connection.")
            for _, reply in batch:
                _answer(reply, error)
            return
        self._transport.write(pack([command or reply.command() for command, reply in batch]))
        self._sent.extend(reply for _, reply in batch)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.timeout, self._look)

    def _look(self) -> None:
        """Every `timeout` while commands wait: one that already waited at the last look
        has waited too long, and the connection is dropped."""
        self._timer = None
        sent = self._sent
        if sent and sent[0] is self._owed:
            self._fail(redis.TimeoutError("Redis did not answer in time."))
            self._transport.abort()
            return
        self._owed = sent[0] if sent else None
        if sent:
            self._timer = asyncio.get_running_loop().call_later(self.timeout, self._look)

    # --- asyncio.Protocol ---------------------------------------------------------

    def connection_made(self, transport) -> None:
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        sent = self._sent
        for answer in self._replies.feed(data):
            _answer(sent.popleft(), answer)

    def connection_lost(self, exc) -> None:
        self._fail(redis.ConnectionError(f"Redis closed the connection: {exc or 'end of stream'}"))
        self._transport = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        connection, self._connection = self._connection, None
        if connection is not None:
            connection._sock = None  # the loop closed it
            connection.disconnect()
            self.pool.release(connection)

    def _fail(self, error: Exception) -> None:
        sent, self._sent = self._sent, deque()
        for reply in sent:
            _answer(reply, error)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class Increments:
    """The increments of one key asked in one turn of the loop, sent as one INCRBY."""

    __slots__ = ("name", "by", "callers", "pipeline")

    def __init__(self, name: str, pipeline: LoopPipeline):
        self.name, self.pipeline = name, pipeline
        self.by = 0
        self.callers: list[tuple[asyncio.Future, int]] = []  # (reply, the sum up to its own)

    def add(self, reply: asyncio.Future, by: int) -> None:
        self.by += by
        self.callers.append((reply, self.by))

    def command(self) -> tuple:
        return ("INCRBY", self.name, self.by)

    def answer(self, total) -> None:
        """Each caller's own value: Redis added the increments in the callers' order.
        Refused (past the largest value, say), several callers ask again one by one:
        some of them may fit."""
        pipeline = self.pipeline
        if isinstance(total, Exception):
            refused = isinstance(total, redis.ResponseError)
            if refused and len(self.callers) > 1 and pipeline._transport is not None:
                before = 0
                for reply, upto in self.callers:
                    if not reply.done():
                        pipeline._alone(self.name, reply, upto - before)
                    before = upto
                return
            if refused and pipeline.refused is not None:
                total = pipeline.refused(self.name, total)
            for reply, _ in self.callers:
                if not reply.done():
                    reply.set_exception(total)
            return
        if pipeline.incremented is not None:
            try:
                pipeline.incremented(self.name, self.by)
            except Exception:  # Redis counted them: the callers are answered all the same
                log.exception("An increment of %s could not be noted", self.name)
        before = total - self.by
        for reply, upto in self.callers:
            if not reply.done():  # not cancelled (its client gone)
                reply.set_result(before + upto)


def _answer(reply, answer) -> None:
    if type(reply) is Increments:
        reply.answer(answer)
    elif not reply.done():  # not cancelled (its client gone)
        reply.set_result(answer)
