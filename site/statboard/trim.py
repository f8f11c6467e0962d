"""Give the heap's freed pages back to the system once a worker falls idle.

glibc returns only the free memory at the top of its heap by itself; pages freed in the
middle (a burst of requests leaves many) stay in the process's RSS until
`malloc_trim(0)`. A worker's thread trims once the process used next to no CPU for a
second after it had worked: a trim then costs the requests nothing, where one under
load would give back pages the next requests fault in again. The thread reads only the
process's CPU time, so the requests pay nothing for it (README, Memory).
"""

import ctypes
import sys
import threading
import time

CHECK_SECONDS = 1.0
IDLE_CPU_SECONDS = 0.005  # less in a CHECK_SECONDS: idle (the background threads' ticks)
WORK_CPU_SECONDS = 0.05  # more since the last trim: something to give back


def trim_when_idle() -> None:
    """Start the trimming thread, on glibc only (others have no malloc_trim)."""
    if sys.platform != "linux":
        return
    malloc_trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    if malloc_trim is None:
        return
    threading.Thread(target=_run, args=(malloc_trim,), name="malloc-trim", daemon=True).start()


def _run(malloc_trim) -> None:
    last = since_trim = time.process_time()
    while True:
        time.sleep(CHECK_SECONDS)
        now = time.process_time()
        if now - last < IDLE_CPU_SECONDS and now - since_trim > WORK_CPU_SECONDS:
            malloc_trim(0)
            now = since_trim = time.process_time()
        last = now
