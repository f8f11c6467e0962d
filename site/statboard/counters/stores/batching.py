"""Group commit: the commands of concurrent requests share one round trip.

A request's command joins the batch being gathered; if no batch is on its way, the
request sends the gathered ones itself, in one pipeline, and hands each waiting
request its own answer. So a request waits at most for the batch ahead of it, and
under load every round trip carries as many commands as arrived meanwhile.
"""

import threading

_PENDING = object()


class _Slot:
    __slots__ = ("command", "answer")

    def __init__(self, command: tuple):
        self.command = command
        self.answer = _PENDING

    def result(self):
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class GroupCommit:
    def __init__(self, send):
        """`send(commands)` runs them in order and answers one result per command (an
        exception in the place of a command that failed)."""
        self._send = send
        self._ready = threading.Condition()
        self._gathered: list[_Slot] = []
        self._sending = False

    def __call__(self, *command):
        slot = _Slot(command)
        with self._ready:
            self._gathered.append(slot)
            while self._sending and slot.answer is _PENDING:
                self._ready.wait()
            if slot.answer is not _PENDING:
                return slot.result()
            self._sending = True
            batch, self._gathered = self._gathered, []
        try:
            answers = self._send([s.command for s in batch])
        except Exception as error:  # the connection: every command of the batch failed
            answers = [error] * len(batch)
        with self._ready:
            for waiting, answer in zip(batch, answers, strict=True):
                waiting.answer = answer
            self._sending = False
            self._ready.notify_all()
        return slot.result()

    def after_fork(self) -> None:
        self._ready = threading.Condition()
        self._gathered, self._sending = [], False
