"""The demo home page rendered in-process: SQL statements and milliseconds per view.

    .venv/bin/python bench/page_views.py [--views 200] [--blocks 0]

No server: the site's app answers `GET /` through Flask's test client, as a visitor,
a logged-in user and an admin, on a fresh SQLite site with the demo home page (as a
first run makes it). Each viewer's first view warms up; then it prints the statements
one view runs (counted by a SQLAlchemy listener), the median and 90th percentile of
the time per view, and, for reference, a minimal Flask view through the same client.
With --blocks N the home page gets N more text, image and counter blocks, to show
how the count grows (or not) with the blocks of a page. --repeat also sends each
view's ETag back (If-None-Match), as a browser reloading the page does.
"""

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "site"), str(ROOT), str(ROOT / "bench")]

from sqlalchemy import event  # noqa: E402
from statboard import create_app  # noqa: E402
from statboard.auth.models import User  # noqa: E402
from statboard.extensions import db  # noqa: E402
from statboard.pages import registry  # noqa: E402
from statboard.pages.demo import seed_demo  # noqa: E402
from statboard.pages.models import Block, Page  # noqa: E402

CSRF = re.compile(r'(?:name="csrf_token" type="hidden" value="|"X-CSRFToken": ")([^"]+)"')
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def make_site(folder: Path, more_blocks: int):
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder / 'statboard.db'}",
            "STORAGE_URL": str(folder / "uploads"),
            "OUTBOX_DIR": str(folder / "outbox"),
            "LIVE_PORT": 5001,  # as served: the page carries its stream's signed token
            "TESTING": False,
            "LOG_LEVEL": "WARNING",
        }
    )
    with app.app_context():
        db.create_all()
        home = seed_demo()
        demo = {block.kind: block for block in home.blocks}
        for _ in range(more_blocks):
            for kind in ("text", "image", "counter"):
                copy = Block(
                    kind=kind,
                    position=len(home.blocks),
                    data=dict(demo[kind].data),
                    version=1,
                )
                home.blocks.append(copy)
        for name, admin in (("admin", True), ("alice", False)):
            user = User(username=name, fullname=name.title(), email=f"{name}@example.test")
            user.is_admin = admin
            user.set_password("bench-password")
            db.session.add(user)
        db.session.commit()
        count = db.session.scalar(db.select(db.func.count(Block.id)))
        assert db.session.scalar(db.select(db.func.count(Page.id))) == 1
    return app, count


def client_as(app, username: str | None):
    client = app.test_client()
    if username is None:
        return client
    page = client.get("/login", headers=HTML).get_data(as_text=True)
    token = CSRF.search(page).group(1)
    answer = client.post(
        "/login",
        data={"username": username, "password": "bench-password", "csrf_token": token},
    )
    assert answer.status_code in (302, 303), answer.status_code
    return client


class Statements:
    """Counts the SQL statements the engine runs (and keeps their text when asked)."""

    def __init__(self, engine):
        self.count, self.keep, self.seen = 0, False, []
        event.listen(engine, "before_cursor_execute", self._on)

    def _on(self, conn, cursor, statement, parameters, context, executemany):
        self.count += 1
        if self.keep:
            self.seen.append(" ".join(statement.split())[:160])


def measure(client, path: str, views: int, statements: Statements | None, repeat: bool):
    headers = dict(HTML)
    first = client.get(path, headers=headers)
    assert first.status_code == 200, first.status_code
    if repeat and first.headers.get("ETag"):
        headers["If-None-Match"] = first.headers["ETag"]
    times, status = [], first.status_code
    counted = None
    for n in range(views):
        if statements is not None and n == 0:
            before = statements.count
        start = time.perf_counter()
        answer = client.get(path, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        status = answer.status_code
        if statements is not None and n == 0:
            counted = statements.count - before
    times.sort()
    return {
        "statements": counted,
        "p50": statistics.median(times),
        "p90": times[int(len(times) * 0.9)],
        "status": status,
        "bytes": len(first.get_data()),
    }


def minimal_view(views: int) -> dict:
    from minimal_flask import app as minimal

    return measure(minimal.test_client(), "/", views, None, repeat=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--views", type=int, default=200)
    parser.add_argument("--blocks", type=int, default=0, help="extra text+image+counter sets")
    parser.add_argument("--repeat", action="store_true", help="send If-None-Match back")
    parser.add_argument("--show", action="store_true", help="print each viewer's statements")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app, blocks = make_site(Path(folder), args.blocks)
        kinds = ", ".join(sorted(kind.name for kind in registry.all_kinds()))
        print(f"home page: {blocks} blocks ({kinds}); {args.views} views per viewer")
        with app.app_context():
            statements = Statements(db.engine)
        reference = minimal_view(args.views)
        print(f"{'minimal Flask view':<22} {'':>10} {reference['p50']:7.2f} ms p50")
        for label, username in (("visitor", None), ("user", "alice"), ("admin", "admin")):
            client = client_as(app, username)
            result = measure(client, "/", args.views, statements, args.repeat)
            ratio = result["p50"] / reference["p50"]
            print(
                f"{label:<22} {result['statements']:>3} queries "
                f"{result['p50']:7.2f} ms p50 {result['p90']:7.2f} ms p90 "
                f"{ratio:5.1f}x minimal  {result['status']} ({result['bytes']} bytes)"
            )
            if args.show:
                statements.keep, statements.seen = True, []
                client.get("/", headers=HTML)
                statements.keep = False
                for line in statements.seen:
                    print("    ", line)
        app.extensions["counters"].store.close()


if __name__ == "__main__":
    main()
