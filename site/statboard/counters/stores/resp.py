"""One pipelined round trip to Redis in the protocol's own bytes (RESP), for the group
commit of the redis store (batching.py).

redis-py's pipeline object costs more Python per batch than the round trip itself
(packing through its encoder, a parser call per reply, the pool taken and given back);
a batch of counter commands needs none of it. So redis-py opens the connection (the
URL's address, TLS, password, database, protocol version) and this module keeps it,
packs the batch into one buffer and reads the replies straight off the socket.
Replies are what the store's commands answer: integers, bulk strings and nil; an
error reply becomes redis.ResponseError in its command's place, as in redis-py.
A connection idle for IDLE_CHECK_SECONDS is looked at before use, and one that
Redis closed meanwhile (a restart, its idle timeout) is replaced before anything is
sent. A connection that breaks under a batch fails the batch (its commands may or
may not have run: nothing is sent twice) and the next batch connects again.
"""

import time

import redis

CRLF = b"\r\n"
READ_SIZE = 65536
IDLE_CHECK_SECONDS = 1.0


def pack(commands: list[tuple]) -> bytes:
    """The commands as RESP arrays of bulk strings, one buffer."""
    parts = []
    for command in commands:
        parts.append(b"*%d\r\n" % len(command))
        for arg in command:
            if isinstance(arg, str):
                arg = arg.encode()
            elif isinstance(arg, int):
                arg = b"%d" % arg
            parts.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(parts)


class ProtocolError(redis.ConnectionError):
    """A reply this module does not read: the connection is dropped."""


class Replies:
    """Reads `count` replies from a socket, recv by recv."""

    def __init__(self, sock):
        self.sock = sock
        self.data = b""
        self.at = 0

    def _more(self) -> None:
        chunk = self.sock.recv(READ_SIZE)
        if not chunk:
            raise redis.ConnectionError("Redis closed the connection.")
        self.data = self.data[self.at :] + chunk
        self.at = 0

    def _line(self) -> bytes:
        while True:
            end = self.data.find(CRLF, self.at)
            if end >= 0:
                line = self.data[self.at : end]
                self.at = end + 2
                return line
            self._more()

    def read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b":":
            return int(rest)
        if kind == b"$":
            length = int(rest)
            if length < 0:
                return None
            while len(self.data) < self.at + length + 2:
                self._more()
            value = self.data[self.at : self.at + length]
            self.at += length + 2
            return value
        if kind == b"-":
            return redis.ResponseError(rest.decode(errors="replace"))
        if kind == b"+":
            return rest
        if kind == b"_":  # RESP3's null
            return None
        raise ProtocolError(f"Unexpected reply from Redis: {line[:40]!r}")


class RawPipeline:
    """`send(commands)`: one round trip on one kept connection (for one caller at a
    time: the group commit sends one batch at a time)."""

    def __init__(self, client: redis.Redis):
        self.pool = client.connection_pool
        self.connection = None
        self.used = 0.0  # when the connection last answered (monotonic)

    def send(self, commands: list[tuple]) -> list:
        now = time.monotonic()
        if self.connection is not None and now - self.used > IDLE_CHECK_SECONDS:
            self._check()
        connection = self.connection or self._connect()
        try:
            connection._sock.sendall(pack(commands))
            replies = Replies(connection._sock)
            answers = [replies.read() for _ in commands]
        except BaseException as error:
            self._drop()
            if isinstance(error, TimeoutError):  # as redis-py says them
                raise redis.TimeoutError(f"Redis did not answer in time: {error}") from error
            if isinstance(error, OSError):
                raise redis.ConnectionError(f"Redis: {error}") from error
            raise
        self.used = now
        return answers

    def _check(self) -> None:
        """Drop the kept connection if Redis closed it (or it holds bytes nobody asked
        for): redis-py's own look, as its pool takes before handing one out."""
        try:
            if not self.connection.can_read(timeout=0):
                return
        except (redis.ConnectionError, OSError):
            pass
        self._drop()

    def _connect(self):
        """A connection of redis-py's pool, connected and handshaken, kept for good."""
        self.connection = self.pool.get_connection()
        return self.connection

    def _drop(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            connection.disconnect()
            self.pool.release(connection)

    def forget(self) -> None:
        """After a fork: the connection is the parent's; the child makes its own."""
        self.connection = None
