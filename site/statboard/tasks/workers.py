"""Which process runs a task, and whether that process is still alive.

A task records `host:pid:boot id` of the process that started it. On start, a
process of the same host can tell whether that process is gone: another boot, no
such pid, or a pid reused by a process younger than the task.
"""

import os
import socket
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import psutil


@cache
def boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return str(int(psutil.boot_time()))


def worker_id() -> str:
    """This process, read at call time (Celery forks its workers after import)."""
    return f"{socket.gethostname()}:{os.getpid()}:{boot_id()}"


def is_gone(worker: str | None, started_at: datetime | None) -> bool:
    """True when `worker` ran on this host and has surely stopped."""
    host, _, rest = (worker or "").partition(":")
    pid, _, boot = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another host's process: only that host can tell
    if boot != boot_id():
        return True
    try:
        process = psutil.Process(int(pid))
        if process.status() == psutil.STATUS_ZOMBIE:
            return True
        created = datetime.fromtimestamp(process.create_time(), UTC).replace(tzinfo=None)
    except psutil.NoSuchProcess:
        return True
    # A pid reused by a process started after the task is not the task's worker
    # (with slack: the kernel's boot time, which create_time builds on, is in seconds).
    return started_at is not None and created > started_at + timedelta(seconds=2)
