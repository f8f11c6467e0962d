"""`python -m statboard.prepare WHAT ANSWER [--migrate]`: what `python run.py` does
before it serves WHAT (site or counters), in a process of its own that ends before the
server starts, so that the server's main process never loads the site (its workers do).

It applies the pending migrations when asked, runs the start checks (warnings on stderr;
SystemExit with the sentences of what keeps the process from working), makes the first
admin and the demo page, and writes what the server needs of the settings, as JSON,
into the file ANSWER.
"""

import argparse
import json
from pathlib import Path

import flask_migrate

from statboard import create_app
from statboard.bootstrap import first_run
from statboard.checks import start_checks
from statboard.extensions import migrations
from statboard.reach import site_id

THREADS = {"site": "SERVER_THREADS", "counters": "COUNTER_SERVER_THREADS"}  # per worker


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m statboard.prepare")
    parser.add_argument("what", choices=sorted(THREADS))
    parser.add_argument("answer", type=Path)
    parser.add_argument("--migrate", action="store_true")
    args = parser.parse_args(argv)
    app = create_app()
    prepare(app, args.what, args.migrate)
    args.answer.write_text(json.dumps(served(app.config, args.what)))


def prepare(app, what: str, migrate: bool) -> None:
    """Migrate when asked, check what the process needs (SystemExit with the sentences
    of what keeps it from working), and make the first admin and the demo page."""
    if migrate:
        migrations(app)
        with app.app_context():
            flask_migrate.upgrade()
    start_checks(app, what)
    if what == "site":
        with app.app_context():
            first_run()


def served(config, what: str) -> dict:
    """The settings the server's main process needs."""
    return {
        "host": config["HOST"],
        "port": int(config["PORT"]),
        "workers": int(config["WORKERS"]),
        "threads": int(config[THREADS[what]]),
        "live_port": config["LIVE_PORT"],
        "memory_broker": str(config["BROKER_URL"]).startswith("memory:"),
        "site_url": config["SITE_URL"],
        "site": site_id(config),
    }


if __name__ == "__main__":
    main()
