"""`python run.py`: serve the site (or only the counters) on the granian server.

The server's main process loads no site, nor granian: what has to happen before serving
(migrations, the start checks, the first admin) runs in a process of its own
(statboard/prepare.py), which hands over the few settings the server needs; the main
process then forks the workers (statboard/supervisor.py), and each worker loads granian
and the site and serves as granian's own workers do.

Each worker dies with the server's main process, however that ends: the main process
stops its workers on SIGTERM/SIGINT (and all of them, and itself, when one dies), and
after a SIGKILL (or a crash) of the main process the workers see it gone and stop too,
instead of serving on as orphans.
"""

import argparse
import ctypes
import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from statboard import supervisor, trim
from statboard.settings import served_url

# What each serves, and on which of granian's interfaces: the counter server answers
# its hot path on an event loop (counters/server.py).
TARGETS = {
    "site": ("statboard.wsgi:app", "wsgi"),
    "counters": ("statboard.counters.server:app", "rsgi"),
}
SITE = Path(__file__).resolve().parents[1]  # where the statboard package is
PR_SET_PDEATHSIG = 1  # linux/prctl.h
M_ARENA_MAX = -8  # malloc.h
MALLOC_ARENAS = 2  # per process; glibc's default is 8 per core
# granian's own allocator (jemalloc, configured by this variable when a worker imports
# granian), per what is served: freed pages go back to the system after a second, by a
# thread of its own (at once, dirty_decay_ms:0, cost the counter API a third of its
# req/s: a system call for nearly every free). The site keeps one arena without
# per-thread caches, some 4 MB less after a load; the counter server, made for speed,
# keeps them: a fifth more req/s (README, Memory).
RUST_ALLOCATOR = "_RJEM_MALLOC_CONF"
_FREED_AFTER_A_SECOND = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0"
RUST_ALLOCATOR_SETTINGS = {
    "site": f"narenas:1,tcache:false,{_FREED_AFTER_A_SECOND}",
    "counters": _FREED_AFTER_A_SECOND,
}
PROMETHEUS_PREFIX = "statboard-prometheus-"  # then the server's pid
PARENT_POLL_SECONDS = 1.0
STOP_SECONDS = supervisor.STOP_SECONDS  # how long a worker's graceful stop may take
SITE_URL_WAIT = 60.0  # how long the SITE_URL check waits for the site to answer


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="run.py", description="Serve Statboard.")
    parser.add_argument("what", nargs="?", choices=sorted(TARGETS), default="site")
    parser.add_argument("--host", help="default: the HOST setting (127.0.0.1)")
    parser.add_argument("--port", type=int, help="default: the PORT setting (5000)")
    parser.add_argument("--workers", type=int, help="default: the WORKERS setting (1)")
    parser.add_argument(
        "--live-port", type=int, default=None, help="the event stream's port (default: port + 1)"
    )
    parser.add_argument(
        "--migrate", action="store_true", help="apply the database's pending migrations first"
    )
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    fewer_malloc_arenas()
    # An operator's setting is left as is.
    os.environ.setdefault(RUST_ALLOCATOR, RUST_ALLOCATOR_SETTINGS[args.what])
    metrics_dir = prometheus_folder()
    try:
        serve(args)
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def prometheus_folder() -> str | None:
    """A folder of this run where each worker keeps its Prometheus request metrics
    (prometheus-client's multiprocess mode), set before anything imports the client,
    so that the workers inherit it. One an operator set is left alone; ours is removed
    when the server stops, so that the next run starts from zero, and those of servers
    that were killed (named for their pid) are removed by the next start."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return None
    for old in Path(tempfile.gettempdir()).glob(f"{PROMETHEUS_PREFIX}*"):
        pid = old.name.removeprefix(PROMETHEUS_PREFIX).partition("-")[0]
        if pid.isdigit() and not running(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    folder = tempfile.mkdtemp(prefix=f"{PROMETHEUS_PREFIX}{os.getpid()}-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    return folder


def fewer_malloc_arenas() -> None:
    """At most MALLOC_ARENAS malloc arenas in the server and its workers, which are forked
    and keep the setting. glibc gives threads arenas of their own, up to 8 per core, and
    each keeps what it once held: the request threads, the task runner's and the event
    server's grew a worker by a few MB under load, for no speed that two arenas lack
    while Python runs one thread at a time. An operator's MALLOC_ARENA_MAX is left as is."""
    if sys.platform != "linux" or "MALLOC_ARENA_MAX" in os.environ:
        return
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)  # glibc's, not every libc's
    if mallopt is not None:
        mallopt(M_ARENA_MAX, MALLOC_ARENAS)


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's
        return True
    return True


def serve(args) -> None:
    # What is served is what every worker's settings say (SITE_URL is derived from it).
    for name, value in (("HOST", args.host), ("PORT", args.port)):
        if value is not None:
            os.environ[f"STATBOARD_{name}"] = str(value)
    settings = prepared(args)
    args.host, args.port = settings["host"], settings["port"]
    args.workers = args.workers or settings["workers"]
    address = supervisor.reserve(args.host, args.port)  # one in use stops the start here
    if args.what == "site":
        live_port = announce_live(settings, args)
    print(f"Statboard ({args.what}) on http://{args.host}:{args.port}/", flush=True)
    if args.what == "site" and live_port:
        print(f"Live events on http://{args.host}:{live_port}/events", flush=True)
    if args.what == "site":
        check_site_url_when_served(settings, args)
    target, interface = TARGETS[args.what]
    # The RSGI app runs its own threads (COUNTER_SERVER_THREADS); granian's must be 1.
    threads = settings["threads"] if interface == "wsgi" else None
    status = supervisor.serve(
        address,
        target,
        args.workers,
        partial(load_in_worker, os.getpid()),
        interface=interface,
        blocking_threads=threads,
        log_access=False,  # no access log: nor a line per probe (/healthz, /readyz)
    )
    if status:
        raise SystemExit(status)


def prepared(args) -> dict:
    """Migrate when asked, check, make the first admin (statboard/prepare.py, in a
    process of its own, its output ours) and return the settings the server needs.
    A process that cannot work stops here, with the sentences prepare printed."""
    handle, answer = tempfile.mkstemp(prefix="statboard-prepare-", suffix=".json")
    os.close(handle)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SITE), os.environ.get("PYTHONPATH")])),
    }
    command = [sys.executable, "-m", "statboard.prepare", args.what, answer]
    try:
        done = subprocess.run([*command, *(["--migrate"] if args.migrate else [])], env=env)
        if done.returncode:
            raise SystemExit(done.returncode)
        return json.loads(Path(answer).read_text())
    finally:
        Path(answer).unlink(missing_ok=True)


def check_site_url_when_served(settings: dict, args) -> None:
    """Once the site answers, warn when SITE_URL does not reach it. In a process of its
    own (statboard.reach): the workers are forked from this one, and a thread here that
    held a lock as it forked (an import's, stderr's) would hang the worker."""
    host, port = _address(served_url(args.host, args.port))
    check = [sys.executable, "-m", "statboard.reach", settings["site_url"], settings["site"]]
    check += [host, str(port), str(SITE_URL_WAIT), str(os.getpid())]
    subprocess.run(check, stdin=subprocess.DEVNULL, check=False)  # returns once it is on


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname, parts.port


def announce_live(settings: dict, args) -> int:
    """The event stream's port, handed to the workers through the environment."""
    live_port = settings["live_port"] if args.live_port is None else args.live_port
    os.environ["STATBOARD_LIVE_PORT"] = str(live_port)
    os.environ.setdefault("STATBOARD_LIVE_HOST", args.host)
    if live_port and args.workers > 1 and settings["memory_broker"]:
        print(
            f"Warning: with {args.workers} workers and the in-process broker, an open page"
            " sees only the changes made through its own worker; set"
            " STATBOARD_BROKER_URL=redis://... to reach them all.",
            file=sys.stderr,
            flush=True,
        )
    return live_port


def load_in_worker(server_pid: int, target: str):
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
