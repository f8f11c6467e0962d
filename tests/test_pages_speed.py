"""What a page view costs: the statements it runs, whatever the number of its blocks;
the benchmark that prints those figures (bench/page_views.py) keeps working."""

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import event
from statboard.alerts.models import AlertRule
from statboard.alerts.rules import METRICS
from statboard.extensions import db
from statboard.pages import registry
from statboard.pages.models import Block, Page

ROOT = Path(__file__).resolve().parents[1]


def test_the_page_views_benchmark_prints_a_line_per_viewer():
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "page_views.py"), "--views", "3", "--blocks", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("home page: 11 blocks"), lines
    for viewer in ("visitor", "user", "admin"):
        line = next((line for line in lines if line.startswith(viewer)), "")
        assert " queries " in line and " ms p50 " in line and line.endswith("bytes)"), lines


def demo_page(app, slug: str, copies: int) -> None:
    """A public page with `copies` blocks of each kind, as the demo makes them, every
    block that takes alert rules with one."""
    with app.app_context():
        page = Page(slug=slug, title=slug.title(), is_public=True, nav_position=None)
        made = []
        for _ in range(copies):
            for kind in registry.all_kinds():
                if kind.demo:
                    block = Block(kind=kind.name, position=len(made), data=kind.demo(), version=2)
                    page.blocks.append(block)
                    made.append((block, kind))
        db.session.add(page)
        db.session.flush()
        for block, kind in made:
            if kind.after_demo:
                kind.after_demo(block)
            metric = next((name for name, m in METRICS.items() if m.kind == block.kind), None)
            if metric and block.kind != "chart":
                db.session.add(AlertRule(block_id=block.id, metric=metric, level=1, span=1))
        db.session.commit()


def statements_of(app, client, url: str) -> int:
    seen = []

    def count(*args):
        seen.append(args[2])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(seen)


@pytest.mark.parametrize("who", ["visitor", "user", "admin"])
def test_a_page_view_asks_the_same_number_of_queries_whatever_its_blocks(app, client, auth, who):
    demo_page(app, "one", 1)
    demo_page(app, "three", 3)
    if who != "visitor":
        auth.login_admin() if who == "admin" else auth.login_user()
    client.get("/one"), client.get("/three")  # each page's first view warms up
    one, three = statements_of(app, client, "/one"), statements_of(app, client, "/three")
    assert three == one, (one, three)
    assert one <= 20
