"""Serve a WSGI or RSGI app on granian's workers from a main process that never imports granian.

Importing granian (its Rust extension) costs a process some 12 MB of RSS: `run.py`'s main
process, which only starts and stops the workers, held 28.5 MB with it and 16.6 MB
without (README, Memory). So this module does what granian 2.8.7's main process
does on Linux (granian/server/mp.py and common.py; the version is pinned in
pyproject.toml, and a new one must be read again against this module), with the standard
library only, and each worker runs granian's own worker entry:

- the main process binds the address once, as granian's does (SO_REUSEADDR and
  SO_REUSEPORT, not listening), so that an address in use stops the start there;
- it forks the workers, each run as a child of multiprocessing's fork context is
  (granian's `WorkerProcess`), and each binds a listening socket of its own on the same
  address (SO_REUSEPORT: the kernel shares the connections out), as granian's Linux
  workers do;
- in a worker, granian's `MPServer` is made with the caller's settings, and the worker
  entry granian would run, `MPServer._spawn_wsgi_worker` (or `_spawn_rsgi_worker`) with
  the arguments its `_spawn_worker` builds, runs in this process: granian's logging, the app loader,
  its WSGI wrapper or RSGI loop, its SIGTERM/SIGINT handling and its Rust worker;
- SIGTERM or SIGINT stops every worker (the same signal, a graceful stop; SIGKILL after
  STOP_SECONDS) and the server leaves with 0; a worker that ends on its own stops the
  others and the server leaves with 1, as granian's does without its respawn options.

It serves from a process of its own: once `run.py` (statboard/serve.py) has prepared
everything, it runs `run.py` again in its own place (exec: the same process, its pid and
the reserved socket kept), and that `run.py` calls `main()` below, so that the process
that serves holds the few modules serving needs and none of the preparations' (10.6
against 15.8 MB of RSS, README, Memory).

granian logs "Configuration allows spawning up to N Python threads" (and advises its
`backpressure`) from its main process's `serve()`, which does not run here: our threads
are measured (README, Threads), and that advice is not printed.
"""

import os
import signal
import socket
import sys
import time
from functools import partial

STOP_SECONDS = 10.0  # how long the workers' graceful stop may take
# In run.py's environment when hand_over runs it again to serve: what main() serves.
HANDOVER = "_STATBOARD_SERVE"
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}
WAKE_SIGNALS = STOP_SIGNALS | {signal.SIGCHLD}
JOIN_POLL_SECONDS = 0.02  # while the workers stop


def serve(
    reserved: socket.socket,
    target: str,
    workers: int,
    target_loader,
    interface: str = "wsgi",
    **settings,
) -> int:
    """Serve the app `target` ("module:name", which `target_loader(target)` loads in
    each worker; `interface` "wsgi" or "rsgi") on the address `reserved` (of `reserve`,
    closed here) with `workers` processes, each made by granian's `Server(target, address,
    port, interface=interface, workers=workers, **settings)`, until SIGTERM or SIGINT.
    Returns the exit status: 0 after a stop, 1 once a worker ended on its own."""
    address, port = reserved.getsockname()[:2]
    on_child = signal.signal(signal.SIGCHLD, _ignore)  # a handler: it waits as pending
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, WAKE_SIGNALS)
    procs, stop = [], signal.SIGTERM
    try:
        for number in range(1, workers + 1):
            worker = (number, target, interface, address, port, workers, target_loader, settings)
            proc = Worker.fork(mask, reserved, worker)
            procs.append(proc)
            _log("INFO", f"Spawning worker-{number} with PID: {proc.pid}")
        status, stop = _wait(procs)
    finally:
        _stop(procs, stop)
        reserved.close()
        _restore(mask, on_child)
    return status


class Worker:
    """A forked worker, seen from the main process: its pid, and its exit code once it
    ended (multiprocessing's: the status, or minus the signal that killed it)."""

    def __init__(self, pid: int):
        self.pid, self._exitcode = pid, None

    @classmethod
    def fork(cls, mask, reserved: socket.socket, worker) -> "Worker":
        """Fork a worker that runs `_worker(mask, reserved, worker)` as a child of
        multiprocessing's fork context does. Not multiprocessing's `Process` here: it
        held this process at 12.3 MB of RSS instead of 10.6 (with subprocess, pickle and
        re), and the worker imports multiprocessing anyway (granian)."""
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid:
            return cls(pid)
        code = 1
        try:
            import multiprocessing

            # What multiprocessing's fork start runs in its child: stdin on /dev/null,
            # the run, its finalizers at the end (the counter stores' last flush), the
            # process's other threads joined, the exit code of a SystemExit.
            child = multiprocessing.get_context("fork").Process(
                name="granian-worker", target=_worker, args=(mask, reserved, worker)
            )
            code = child._bootstrap()
        finally:
            os._exit(code)

    @property
    def exitcode(self) -> int | None:
        if self._exitcode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self._exitcode = os.waitstatus_to_exitcode(status)
        return self._exitcode

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.exitcode is None and time.monotonic() < deadline:
            time.sleep(JOIN_POLL_SECONDS)

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        self._exitcode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])


def reserve(address: str, port: int) -> socket.socket:
    """The address bound as granian's main process binds it (its ListenerSpec), so that
    the workers' sockets may join it and nothing else's can; one in use, or a host that
    is not an IP address, ends the process with a sentence that says what to do."""
    import ipaddress  # here: the process that serves (main()) never reserves

    try:
        version = ipaddress.ip_address(address).version
    except ValueError:
        raise SystemExit(
            f"Cannot serve on {address!r}: the HOST setting (--host) is an IP address,"
            " such as 127.0.0.1, 0.0.0.0 or ::."
        ) from None
    sock = socket.socket(socket.AF_INET6 if version == 6 else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address, port))
    except OSError as error:
        sock.close()
        raise SystemExit(
            f"Cannot serve on {address} port {port} ({error.strerror}): stop what uses it,"
            " or choose another port (--port, the PORT setting)."
        ) from None
    return sock


def hand_over(
    reserved: socket.socket,
    target: str,
    workers: int,
    interface: str,
    blocking_threads: int | None,
    remove: str | None = None,
    start_env: dict[str, str] | None = None,
):
    """Run this process's command again in its place (exec), and serve there (`main()`,
    which run.py calls when it finds HANDOVER) the app `target` on `reserved` (of
    `reserve`) with `workers` processes. `remove` is a folder removed once the server
    stops; `start_env` variables are set for the new program's start only (the C
    library reads them then) and taken out of the environment before the workers."""
    os.set_inheritable(reserved.fileno(), True)
    env = {**os.environ, **(start_env or {})}
    fields = (reserved.fileno(), workers, blocking_threads or 0, interface, target)
    env[HANDOVER] = " ".join(map(str, (*fields, ",".join(start_env or ()), remove or "")))
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)


def main() -> None:
    """Serve what `hand_over` handed over, then leave with the server's exit status."""
    handed = os.environ.pop(HANDOVER).split(" ", 6)
    fd, workers, threads, interface, target, start_only, remove = handed
    for name in filter(None, start_only.split(",")):
        os.environ.pop(name, None)
    settings = {"blocking_threads": int(threads)} if int(threads) else {}
    reserved = socket.socket(fileno=int(fd))
    loader = partial(_load_in_worker, os.getpid())
    try:
        # No access log: nor a line per probe (/healthz, /readyz).
        status = serve(
            reserved, target, int(workers), loader, interface, log_access=False, **settings
        )
    finally:
        if remove:
            import shutil  # once the workers are gone: serving never needs it

            shutil.rmtree(remove, ignore_errors=True)
    if status:
        raise SystemExit(status)


def _load_in_worker(server_pid: int, target: str):
    from statboard import worker  # in the worker: its threads and ctypes are not ours

    return worker.load(server_pid, target)


def _wait(procs) -> tuple[int, int]:
    """Wait for a stop signal or for a worker that ended on its own: the exit status (0,
    1) and the signal that stops the workers (the one received, else SIGTERM)."""
    while True:
        if (received := signal.sigwait(WAKE_SIGNALS)) in STOP_SIGNALS:
            return 0, received
        ended = [number for number, proc in enumerate(procs, 1) if proc.exitcode is not None]
        for number in ended:
            _log("ERROR", f"Unexpected exit from worker-{number}")
        if ended:
            return 1, signal.SIGTERM


def _stop(procs, stop: int) -> None:
    """Send `stop` to every worker, SIGKILL those still there after STOP_SECONDS.

    granian's worker stops gracefully on SIGTERM and on SIGINT alike. A Ctrl-C signals
    the whole process group: passing the same SIGINT on merges with the one a worker has
    pending, whereas a SIGTERM right behind it sometimes went unhandled, and the worker
    served on until it was killed.
    """
    for proc in procs:
        if proc.exitcode is None:
            os.kill(proc.pid, stop)
    deadline = time.monotonic() + STOP_SECONDS
    for number, proc in enumerate(procs, 1):
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.exitcode is None:
            _log("WARNING", f"Killing worker-{number} after it refused to gracefully stop")
            proc.kill()
        _log("INFO", f"Stopped worker-{number}")


def _restore(mask, on_child) -> None:
    """Drop the signals that came during the stop, then take them as before."""
    for sig in signal.sigpending() & WAKE_SIGNALS:
        signal.sigwait({sig})
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    signal.signal(signal.SIGCHLD, on_child)


def _worker(mask, reserved: socket.socket, worker) -> None:
    """In a new worker: what granian's worker process runs, with granian's arguments."""
    for sig in WAKE_SIGNALS:  # the server's, inherited; granian's worker sets its own
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    reserved.close()
    number, target, interface, address, port, workers, target_loader, settings = worker

    # granian in the worker only: the main process stays without its 12 MB.
    from granian.constants import Interfaces, RuntimeModes
    from granian.net import SocketSpec
    from granian.server.mp import MPServer

    rsgi = interface == "rsgi"
    server = MPServer(
        target,
        address=address,
        port=port,
        interface=Interfaces.RSGI if rsgi else Interfaces.WSGI,
        workers=workers,
        websockets=False,
        **settings,
    )
    # What MPServer.serve() settles before it forks the workers, on Linux.
    if server.runtime_mode == RuntimeModes.auto:
        # granian's serve() would choose 'st' for RSGI on one runtime thread; 'mt' served
        # the counter server 5 to 10% more req/s in turn (README, the Redis row).
        server.runtime_mode = RuntimeModes.mt
    server._ssp, server._shd, server._sso = SocketSpec(address, port, server.backlog), None, None
    loader = partial(target_loader, target)
    entry = MPServer._spawn_rsgi_worker if rsgi else MPServer._spawn_wsgi_worker
    granian_worker = server._spawn_worker(number - 1, entry, loader)
    granian_worker.inner.run()  # its multiprocessing.Process, run here rather than started


def _log(level: str, message: str) -> None:
    print(f"[{level}] {message}", file=sys.stdout, flush=True)  # as granian's log lines


def _ignore(signum, frame) -> None:
    pass
