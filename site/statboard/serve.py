"""`python run.py`: serve the site (or only the counters) on the granian WSGI server."""

import argparse

from granian.constants import Interfaces
from granian.server import Server

TARGETS = {
    "site": "statboard.wsgi:app",
    "counters": "statboard.counters.wsgi:app",
}


def parse_args(config):
    parser = argparse.ArgumentParser(prog="run.py", description="Serve Statboard.")
    parser.add_argument("what", nargs="?", choices=sorted(TARGETS), default="site")
    parser.add_argument("--host", default=config["HOST"])
    parser.add_argument("--port", type=int, default=config["PORT"])
    parser.add_argument("--workers", type=int, default=config["WORKERS"])
    return parser.parse_args()


def main() -> None:
    from statboard import create_app

    app = create_app()
    args = parse_args(app.config)
    if args.what == "site":
        with app.app_context():
            from statboard.bootstrap import first_run

            first_run()
    print(f"Statboard ({args.what}) on http://{args.host}:{args.port}/", flush=True)
    Server(
        TARGETS[args.what],
        address=args.host,
        port=args.port,
        interface=Interfaces.WSGI,
        workers=args.workers,
        blocking_threads=app.config["SERVER_THREADS"],
        log_access=False,
    ).serve()
