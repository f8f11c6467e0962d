"""A served worker's first steps, before granian serves in it: die with the server's
main process, load the app, trim the heap when idle. Imported in the worker only: the
main process (statboard/supervisor.py) stays without what this loads.
"""

import ctypes
import importlib
import os
import signal
import sys
import threading
import time

from statboard import trim
from statboard.supervisor import STOP_SECONDS

PR_SET_PDEATHSIG = 1  # linux/prctl.h
PARENT_POLL_SECONDS = 1.0


def load(server_pid: int, target: str):
    """granian's worker entry calls this in each new worker to load the app
    `module:name`."""
    die_with(server_pid)
    module, _, name = target.partition(":")
    app = getattr(importlib.import_module(module), name)
    if os.getppid() != server_pid:  # the server died while this worker loaded the site:
        os._exit(0)  # it served nothing and holds nothing to flush
    trim.trim_when_idle()
    from flask import Flask  # the site has loaded it

    # Flask's __call__ only calls wsgi_app: the server calls that, one call less a request.
    return app.wsgi_app if isinstance(app, Flask) else app


def die_with(server_pid: int) -> None:
    """Stop this worker once the process `server_pid` that started it is gone.

    SIGTERM, as the main process stops a worker: the stop is graceful and flushes what
    the worker holds (counter increments). On Linux the kernel sends it the moment the
    parent dies; a thread also watches the parent, for other systems and for a graceful
    stop that hangs.
    """
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != server_pid:  # gone before the line above
        os.kill(os.getpid(), signal.SIGTERM)
    threading.Thread(
        target=_watch_parent, args=(server_pid,), name="parent-watch", daemon=True
    ).start()


def _watch_parent(server_pid: int) -> None:
    while os.getppid() == server_pid:
        time.sleep(PARENT_POLL_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(STOP_SECONDS)
    os._exit(1)
