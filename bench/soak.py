"""A mixed soak: the served site's worker RSS over time under pages, counters, host API
and chart JSON.

    .venv/bin/python bench/soak.py [--seconds 60] [--every 5] [--warmup 20]
    .venv/bin/python bench/soak.py --seconds 1800 --every 30 --warmup 300   # 30 min

Serves the site with `python run.py` (SQLite, memory:// counters, 1 worker) in a
temporary folder. For --seconds, 4 visitors load the demo home page, 4 clients
increment a counter, one reads /v1/uptime/ and one the demo chart's series as JSON
(each as fast as it is answered). Every --every seconds it prints the workers' RSS
and the whole server tree's (supervisor + workers), then the growth of the workers'
RSS from the end of the warm-up to the end (target: under 10 MB over 30 min) and the
errors per kind of request. Stops the site at the end, whatever happens.
"""

import argparse
import contextlib
import sys
import threading
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "site"), str(ROOT), str(ROOT / "bench")]

import httpx  # noqa: E402
import psutil  # noqa: E402
from load_mix import BROWSER, TIMEOUT, Results  # noqa: E402
from statboard import create_app  # noqa: E402
from statboard.extensions import db  # noqa: E402
from statboard.pages.models import Page  # noqa: E402

from tests.conftest import make_settings  # noqa: E402
from tests.fixtures.servers import served_in_temp_folder  # noqa: E402

MB = 2**20
SITE_ENV = {"STATBOARD_LOG_LEVEL": "WARNING", "STATBOARD_COUNTER_RATE_LIMIT": ""}


def tree_rss(pid: int) -> tuple[float, float]:
    """RSS in MB of a server process with all its descendants, and of the descendants
    alone (the workers)."""
    server = psutil.Process(pid)
    workers = 0.0
    for child in server.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            workers += child.memory_info().rss / MB
    return server.memory_info().rss / MB + workers, workers


def home_blocks(site) -> dict:
    """The demo home page's first block of each kind: kind -> (id, data)."""
    app = create_app(make_settings(site.tmp, DATABASE_URL=site.env["STATBOARD_DATABASE_URL"]))
    with app.app_context():
        home = db.session.scalar(db.select(Page).where(Page.slug == "home"))
        found = {}
        for block in home.blocks:
            found.setdefault(block.kind, (block.id, dict(block.data or {})))
        return found


def soak(site, seconds: float, every: float, warmup: float, report=print) -> dict:
    """Run the mix on a served site; the workers' RSS at the end of the warm-up and at the
    end, its growth, and the requests and errors."""
    blocks = home_blocks(site)
    key = blocks["counter"][1]["key"]
    accounts = blocks["chart"][1].get("accounts", []) if "chart" in blocks else []
    chart = f"/api/series/{accounts[0]}.json" if accounts else "/v1/uptime/"
    results = Results()
    limits = httpx.Limits(max_connections=32)
    client = httpx.Client(base_url=site.url, timeout=TIMEOUT, headers=BROWSER, limits=limits)
    started = time.monotonic()
    until = started + seconds

    def loop(kind: str, method: str, path: str) -> None:
        while time.monotonic() < until:
            results.record(kind, partial(client.request, method, path))

    mix = [("page", "GET", "/")] * 4 + [("counter", "POST", f"/counters/{key}")] * 4
    mix += [("host API", "GET", "/v1/uptime/"), ("chart JSON", "GET", chart)]
    workers = [threading.Thread(target=loop, args=load) for load in mix]
    for worker in workers:
        worker.start()
    samples, warm = [], None
    try:
        report(f"{'s':>6}{'workers MB':>12}{'tree MB':>10}{'requests':>10}{'errors':>8}")
        while time.monotonic() < until:
            time.sleep(max(0.0, min(every, until - time.monotonic())))
            elapsed = time.monotonic() - started
            tree, worker_rss = tree_rss(site.proc.pid)
            requests = sum(len(times) for times in results.times.values())
            errors = sum(sum(kinds.values()) for kinds in results.errors.values())
            samples.append((elapsed, worker_rss, tree))
            if warm is None and elapsed >= warmup:
                warm = worker_rss
            report(f"{elapsed:6.0f}{worker_rss:12.1f}{tree:10.1f}{requests:10}{errors:8}")
    finally:
        for worker in workers:
            worker.join()
        client.close()
    warm = samples[0][1] if warm is None else warm
    final = samples[-1][1]
    errors = {kind: dict(kinds) for kind, kinds in results.errors.items() if kinds}
    report(
        f"workers' RSS {samples[0][1]:.1f} MB at {samples[0][0]:.0f} s, {warm:.1f} MB after "
        f"the warm-up ({warmup:.0f} s), {final:.1f} MB at the end: growth "
        f"{final - warm:+.1f} MB; errors {errors or 0}"
    )
    return {"warm": warm, "final": final, "growth": final - warm, "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="1800 for 30 minutes")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between samples")
    parser.add_argument("--warmup", type=float, help="default: a third of --seconds")
    args = parser.parse_args()
    warmup = args.seconds / 3 if args.warmup is None else args.warmup
    with served_in_temp_folder("statboard-soak-", SITE_ENV) as site:
        outcome = soak(site, args.seconds, args.every, warmup)
        site.failed = False
    sys.exit(1 if outcome["errors"] else 0)


if __name__ == "__main__":
    main()
