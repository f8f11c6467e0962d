"""`python run.py`: serve the site (or only the counters) on the granian WSGI server.

Each granian worker dies with the server's main process, however that ends: granian
stops its workers on SIGTERM/SIGINT, and after a SIGKILL (or a crash) of the main
process the workers see it gone and stop too, instead of serving on as orphans.
"""

import argparse
import ctypes
import importlib
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import flask_migrate
from granian.constants import Interfaces
from granian.server import Server

from statboard.checks import check_site_url, start_checks
from statboard.extensions import db
from statboard.settings import served_url

TARGETS = {
    "site": "statboard.wsgi:app",
    "counters": "statboard.counters.wsgi:app",
}
THREADS = {"site": "SERVER_THREADS", "counters": "COUNTER_SERVER_THREADS"}  # per worker
PR_SET_PDEATHSIG = 1  # linux/prctl.h
PROMETHEUS_PREFIX = "statboard-prometheus-"  # then the server's pid
PARENT_POLL_SECONDS = 1.0
STOP_SECONDS = 10.0  # how long an orphaned worker's graceful stop may take
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
    metrics_dir = prometheus_folder()
    try:
        serve()
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


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's
        return True
    return True


def serve() -> None:
    from statboard import create_app

    args = parse_args()
    # What is served is what every worker's settings say (SITE_URL is derived from it).
    for name, value in (("HOST", args.host), ("PORT", args.port)):
        if value is not None:
            os.environ[f"STATBOARD_{name}"] = str(value)
    app = create_app()
    args.host, args.port = app.config["HOST"], int(app.config["PORT"])
    args.workers = args.workers or int(app.config["WORKERS"])
    prepare(app, args)
    if args.what == "site":
        live_port = announce_live(app.config, args)
    print(f"Statboard ({args.what}) on http://{args.host}:{args.port}/", flush=True)
    if args.what == "site" and live_port:
        print(f"Live events on http://{args.host}:{live_port}/events", flush=True)
    if args.what == "site":
        check_site_url_when_served(app, args)
    Server(
        TARGETS[args.what],
        address=args.host,
        port=args.port,
        interface=Interfaces.WSGI,
        workers=args.workers,
        blocking_threads=int(app.config[THREADS[args.what]]),
        log_access=False,  # no access log: nor a line per probe (/healthz, /readyz)
    ).serve(target_loader=partial(load_in_worker, os.getpid()))


def prepare(app, args) -> None:
    """Migrate when asked, check what the process needs (SystemExit with the sentences
    of what keeps it from working), and make the first admin and the demo page."""
    if args.migrate:
        with app.app_context():
            flask_migrate.upgrade()
    start_checks(app, args.what)
    with app.app_context():
        if args.what == "site":
            from statboard.bootstrap import first_run

            first_run()
        db.engine.dispose()  # the workers open connections of their own


def check_site_url_when_served(app, args) -> None:
    """Once the site answers, warn when SITE_URL does not reach it."""

    def check() -> None:
        deadline = time.monotonic() + SITE_URL_WAIT
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(_address(served_url(args.host, args.port)), 1):
                    break
            except OSError:
                time.sleep(0.2)
        for problem in check_site_url(app):
            print(f"Warning: {problem.sentence}", file=sys.stderr, flush=True)

    threading.Thread(target=check, name="site-url-check", daemon=True).start()


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname, parts.port


def announce_live(config, args) -> int:
    """The event stream's port, handed to the workers through the environment."""
    live_port = config["LIVE_PORT"] if args.live_port is None else args.live_port
    os.environ["STATBOARD_LIVE_PORT"] = str(live_port)
    os.environ.setdefault("STATBOARD_LIVE_HOST", args.host)
    if live_port and args.workers > 1 and config["BROKER_URL"].startswith("memory:"):
        print(
            f"Warning: with {args.workers} workers and the in-process broker, an open page"
            " sees only the changes made through its own worker; set"
            " STATBOARD_BROKER_URL=redis://... to reach them all.",
            file=sys.stderr,
            flush=True,
        )
    return live_port


def load_in_worker(server_pid: int, target: str):
    """Granian calls this in each new worker to load the WSGI app `module:name`."""
    die_with(server_pid)
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def die_with(server_pid: int) -> None:
    """Stop this worker once the process `server_pid` that started it is gone.

    SIGTERM, as granian itself stops a worker: the stop is graceful and flushes what
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
