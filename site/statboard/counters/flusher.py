"""The write-behind thread every counter store runs, and its clean stop.

The thread starts with the first increment, so app factories that never serve
(the CLI, most tests) start none, and a forked server worker starts its own.
A stop flushes everything: `close()` runs at interpreter exit (atexit), and at
the end of a multiprocessing worker, which leaves through os._exit and skips
atexit; granian's workers are such processes, and their SIGTERM/SIGINT handler
ends the worker cleanly so the finalizer runs. A server that leaves SIGTERM at
its default gets `flush_on_signals()`. SIGKILL loses what the last interval
gathered.
"""

import atexit
import logging
import os
import signal
import threading
import weakref
from multiprocessing import util as mp_util

log = logging.getLogger(__name__)


class Flusher:
    def __init__(self, flush, interval: float, name: str = "counter-flusher"):
        self._flush = flush
        self.interval, self.name = interval, name
        self.running = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def start(self) -> None:
        with self._start_lock:
            if self.running:
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()
            self.running = True
            _register_exit(self)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._flush()
            except Exception:  # a broken database must not end the thread
                log.exception("%s failed; what it holds is kept for the next try.", self.name)

    def close(self) -> None:
        """Stop the thread and flush what is left. Safe to call more than once."""
        if self._thread is not None:
            self._stop.set()
            if self._thread is not threading.current_thread():
                self._thread.join(timeout=30)
            self._thread = None
        self.running = False
        self._flush()

    def forget_after_fork(self) -> None:
        """In a forked child: the parent's thread is not here, start afresh on first use."""
        self._thread, self.running = None, False
        self._start_lock = threading.Lock()
        self._stop = threading.Event()


def _register_exit(flusher: Flusher) -> None:
    ref = weakref.ref(flusher)

    def close():
        target = ref()
        if target is not None and target.running:
            target.close()

    atexit.register(close)
    mp_util.Finalize(None, close, exitpriority=100)


def flush_on_signals(close) -> None:
    """Flush on SIGTERM/SIGINT in a process that has no handler of its own for them.

    Call from the main thread. Handlers already set (granian's, for instance) are
    left alone: they end the process cleanly, and the exit hooks flush.
    """
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(sig)
        if previous not in (signal.SIG_DFL, signal.default_int_handler):
            continue

        def handler(signum, frame, previous=previous):
            close()
            signal.signal(signum, previous)
            os.kill(os.getpid(), signum)

        signal.signal(sig, handler)
