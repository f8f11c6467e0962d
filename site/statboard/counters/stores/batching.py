"""Group commit: the commands of concurrent requests share one round trip.

A request's command joins the queue; if no batch is on its way, the request sends
what the queue holds itself, in one pipeline, and hands each waiting request its own
answer. So a request waits at most for the batch ahead of it, and under load every
round trip carries as many commands as arrived meanwhile.

Each waiting request sleeps on a lock of its own, released once its answer is there
(one wake-up per request, none for the others), and the sender hands the next batch
to the first request still waiting, which sends it (so no request sends more than
its own batch, and an answered one returns at once).
"""

import threading
from collections import deque

_PENDING = object()
_LEAD = object()  # the answer that makes a waiting request the next sender


class _Slot:
    __slots__ = ("command", "answer", "done")

    def __init__(self, command: tuple):
        self.command = command
        self.answer = _PENDING
        self.done = threading.Lock()
        self.done.acquire()  # released when the answer is there

    def result(self):
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class GroupCommit:
    def __init__(self, send):
        """`send(commands)` runs them in order and answers one result per command (an
        exception in the place of a command that failed)."""
        self._send = send
        self.after_fork()

    def __call__(self, *command):
        slot = _Slot(command)
        self._queue.append(slot)  # deque.append and popleft are atomic
        if not self._sending.acquire(blocking=False):
            slot.done.acquire()  # until a sender answers, or hands this request the lead
            if slot.answer is not _LEAD:
                return slot.result()
        # This request sends (it holds _sending, taken or handed over).
        batch, answers = self._take(), None
        try:
            answers = self._send([s.command for s in batch])
        except Exception as error:  # the connection: every command of the batch failed
            answers = [error] * len(batch)
        finally:  # even on the way out of an interrupt, nobody is left waiting
            if answers is None:
                answers = [InterruptedError("The batch was interrupted.")] * len(batch)
            for waiting, answer in zip(batch, answers, strict=True):
                waiting.answer = answer
                if waiting is not slot:
                    waiting.done.release()
            self._hand_over()
        return slot.result()

    def _take(self) -> list[_Slot]:
        batch, queue = [], self._queue
        while queue:
            batch.append(queue.popleft())
        return batch

    def _hand_over(self) -> None:
        """Give the lead to the first request still waiting, or let it go. A request
        that queued while _sending was held is either seen here, or it tries _sending
        after the release below and takes it itself."""
        while True:
            if self._queue:  # only the sender takes from the queue: the first stays first
                first = self._queue[0]
                first.answer = _LEAD
                first.done.release()
                return
            self._sending.release()
            if not self._queue or not self._sending.acquire(blocking=False):
                return

    def after_fork(self) -> None:
        self._queue: deque[_Slot] = deque()
        self._sending = threading.Lock()  # held by the one request sending a batch
