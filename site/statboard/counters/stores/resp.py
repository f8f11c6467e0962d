"""The redis store's commands on one kept connection, pipelined, in the protocol's own
bytes (RESP).

Concurrent requests share the connection: a request queues its command and, unless
another thread is writing, writes everything queued in one send; commands queued
during a write go in the writer's next one. Nobody waits for an earlier batch's
replies before writing: a reader thread of the connection reads the replies as they
come (Redis answers in order) and wakes each request with its own exact answer.

redis-py's pipeline object costs more Python per batch than the round trip itself, so
redis-py only opens the connection (the URL's address, TLS, password, database,
protocol version); this module keeps it, packs commands into one buffer and reads
replies straight off the socket. Replies are what the store's commands answer:
integers, bulk strings and nil; an error reply becomes redis.ResponseError in its
command's place, as in redis-py. The reader sees Redis close the connection (a
restart, its idle timeout) at once: the commands still waiting fail (they may or may
not have run: nothing is sent twice) and the next command connects again. Commands
that wait past the URL's socket timeout (redis-py's, 5 s) fail the same way.
"""

import contextlib
import socket
import struct
import threading
from collections import deque

import redis

CRLF = b"\r\n"
READ_SIZE = 65536
# A socket timeout: Python's own, or the kernel's (SO_RCVTIMEO, SO_SNDTIMEO: EAGAIN)
WAITED_TOO_LONG = (TimeoutError, BlockingIOError)


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
    """Reads replies from a socket, recv by recv. A timeout leaves the reply it was
    reading unread, to be read again from its start."""

    def __init__(self, sock):
        self.sock = sock
        self.data = b""
        self.at = 0
        self.start = 0  # where the reply being read starts

    def _more(self) -> None:
        chunk = self.sock.recv(READ_SIZE)
        if not chunk:
            raise redis.ConnectionError("Redis closed the connection.")
        self.data = self.data[self.start :] + chunk
        self.at -= self.start
        self.start = 0

    def _line(self) -> bytes:
        while True:
            end = self.data.find(CRLF, self.at)
            if end >= 0:
                line = self.data[self.at : end]
                self.at = end + 2
                return line
            self._more()

    def read(self):
        self.start = self.at
        try:
            return self._reply()
        except WAITED_TOO_LONG:
            self.at = self.start
            raise

    def _reply(self):
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


class _Slot:
    """One request's command and, once its reply is read, its answer."""

    __slots__ = ("command", "answer", "done")

    def __init__(self, command: tuple):
        self.command = command
        self.answer = None
        self.done = threading.Lock()
        self.done.acquire()  # released when the answer is there

    def result(self):
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def answer_all(slots: list[_Slot], error: Exception) -> None:
    """Wake each waiting request with the error as its answer."""
    for slot in slots:
        slot.answer = error
        slot.done.release()


class _Link:
    """One connection and the requests sent on it, oldest first, whose replies a reader
    thread of its own reads as they come."""

    def __init__(self, connection):
        self.connection = connection
        self.sock = sock = connection._sock
        timeout = sock.gettimeout()
        if type(sock) is socket.socket and timeout:
            # The URL's timeout kept by the kernel instead of by Python, which polls
            # before every send and recv of a socket with a timeout: a recv or send
            # that waits that long fails with EAGAIN (BlockingIOError).
            limit = struct.pack("ll", int(timeout), int(timeout % 1 * 1_000_000))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, limit)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, limit)
            sock.settimeout(None)
        self.sent: deque[_Slot] = deque()  # sent, not yet answered: Redis answers in order
        self.lock = threading.Lock()  # a batch joins `sent`, or the link breaks: not both
        self.broken = False

    def read_forever(self, on_broken) -> None:
        replies, sent = Replies(self.sock), self.sent
        owed = None  # the oldest request at the last timeout of the socket
        try:
            while True:
                try:
                    answer = replies.read()
                except WAITED_TOO_LONG:
                    # Idle, or a request sent just now: wait again. A request that
                    # was already waiting at the last timeout has waited too long.
                    if sent and sent[0] is owed:
                        raise
                    owed = sent[0] if sent else None
                    continue
                slot = sent.popleft()
                slot.answer = answer
                slot.done.release()
        except BaseException as error:
            self.fail(error)
            on_broken(self)

    def fail(self, error: BaseException) -> None:
        """Answer every request still waiting with the error, and let no other join."""
        if isinstance(error, WAITED_TOO_LONG):  # as redis-py says them
            error = redis.TimeoutError(f"Redis did not answer in time: {error}")
        elif isinstance(error, OSError):
            error = redis.ConnectionError(f"Redis: {error}")
        elif not isinstance(error, Exception):
            error = redis.ConnectionError("The connection to Redis was interrupted.")
        with self.lock:
            self.broken = True
            waiting = list(self.sent)
            self.sent.clear()
        answer_all(waiting, error)


class Pipeline:
    """`pipeline(*command)`: the command's reply, on one kept connection shared by every
    thread. Commands queued while another thread writes go in its next write."""

    def __init__(self, client: redis.Redis):
        self.pool = client.connection_pool
        self.after_fork()

    def __call__(self, *command):
        slot = _Slot(command)
        self._queue.append(slot)  # deque.append and popleft are atomic
        self._write_queued()
        slot.done.acquire()
        return slot.result()

    def _write_queued(self) -> None:
        """Write what is queued, unless another thread is writing: a request queued
        meanwhile is seen by that writer after it lets go of _writing, or takes it."""
        queue = self._queue
        while queue and self._writing.acquire(blocking=False):
            batch, taken = [], False
            try:
                while queue:
                    batch.append(queue.popleft())
                taken = True
                if batch:
                    self._write(batch)
            except BaseException:  # an interrupt: nobody is left waiting for it
                interrupted = InterruptedError("The write to Redis was interrupted.")
                answer_all((batch if not taken else []) + list(queue), interrupted)
                raise
            finally:
                self._writing.release()

    def _write(self, batch: list) -> None:
        """Send the batch on the kept connection (connecting first if it broke). Its
        commands wait in order for their replies; if the write fails, the reader
        answers them all with the error (they may or may not have run: none is sent
        twice)."""
        try:
            link = self._joined(batch)
        except BaseException as error:  # no connection: nothing was sent
            failed = error if isinstance(error, Exception) else InterruptedError(str(error))
            answer_all(batch, failed)
            if failed is not error:
                raise
            return
        try:
            link.sock.sendall(pack([slot.command for slot in batch]))
        except BaseException as error:
            self._drop(link)  # its reader answers the whole batch with the error
            if not isinstance(error, Exception):
                raise

    def _joined(self, batch: list) -> _Link:
        """The kept connection, with the batch among the requests it answers."""
        for _ in range(2):  # a reader may find its link broken just now: connect again
            link = self._link
            if link is None or link.broken:
                link = self._connect()
            with link.lock:
                if not link.broken:
                    link.sent.extend(batch)
                    return link
        raise redis.ConnectionError("Redis closed the connection at once, twice.")

    def _connect(self) -> _Link:
        connection = self.pool.get_connection()
        link = self._link = _Link(connection)
        threading.Thread(
            target=link.read_forever, args=(self._broken,), name="redis-replies", daemon=True
        ).start()
        return link

    def _broken(self, link) -> None:
        if self._link is link:
            self._link = None
        link.connection.disconnect()
        self.pool.release(link.connection)

    def _drop(self, link) -> None:
        with contextlib.suppress(OSError):
            link.sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        link = self._link
        if link is not None:
            self._drop(link)

    def after_fork(self) -> None:
        """After a fork: the connection and its reader are the parent's."""
        self._queue: deque[_Slot] = deque()
        self._writing = threading.Lock()
        self._link = None
