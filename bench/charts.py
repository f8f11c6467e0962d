"""Chart block render times: 6 blocks over 10-year daily series vs over 30-day series.

    .venv/bin/python bench/charts.py [--rounds 200]

Each block is rendered many times warm (the app's chart cache filled by the first
render), and once per round cold (cache off) for reference. Prints the median and
p95 per block render and the long/short ratio (target: at most 1.5x).
"""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "site"))

from flask import render_template  # noqa: E402
from statboard import create_app  # noqa: E402
from statboard.extensions import db  # noqa: E402
from statboard.pages.models import Block, Page  # noqa: E402
from statboard.series.charts import chart_context  # noqa: E402
from statboard.series.models import Account  # noqa: E402
from statboard.series.samples import add_samples, now_utc  # noqa: E402


def build(days: int, slug: str) -> list[int]:
    """A page of 6 chart blocks, each over its own series of `days` daily samples."""
    page = Page(slug=slug, title=slug, is_public=True)
    end = now_utc()
    for n in range(6):
        account = Account(platform="github", handle=f"{slug}{n}", is_public=True)
        db.session.add(account)
        db.session.flush()
        start = end - timedelta(days=days)
        add_samples(account, [(start + timedelta(days=d), 1000 + d * (n + 1)) for d in range(days)])
        page.blocks.append(
            Block(kind="chart", position=n, data={"accounts": [account.id], "range": "all"})
        )
    db.session.add(page)
    db.session.commit()
    return [b.id for b in page.blocks]


def render_times(app, block_ids, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        for block_id in block_ids:
            with app.test_request_context("/"):
                block = db.session.get(Block, block_id)
                started = time.perf_counter()
                ctx = chart_context(block)  # the block's range, as the page renders it
                render_template("blocks/chart/_view.html", block=block, ctx=ctx)
                times.append(time.perf_counter() - started)
    return times


def summary(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.95)] * 1000


def measure(rounds: int, report=print) -> dict:
    """Medians and p95s (ms) per (mode, series), and the warm long/short median ratio."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
                "SECRET_KEY": "bench",
                "LOG_LEVEL": "WARNING",
            }
        )
        with app.app_context():
            db.create_all()
            long_ids, short_ids = build(3650, "long"), build(30, "short")
        report(f"6 chart blocks, range 'all'; {rounds} rounds; per block render, ms")
        results = {}
        for mode, cache in (("warm", 512), ("cold", 0)):
            app.config["SERIES_CHART_CACHE"] = cache
            app.extensions.pop("series.cache", None)
            mode_rounds = rounds if mode == "warm" else max(10, rounds // 10)
            for name, ids in (("10-year daily", long_ids), ("30-day", short_ids)):
                render_times(app, ids, 2)  # warm up templates (and the cache when on)
                results[mode, name] = summary(render_times(app, ids, mode_rounds))
                median, p95 = results[mode, name]
                report(f"  {mode:4}  {name:13}  median {median:6.2f}  p95 {p95:6.2f}")
            ratio = results[mode, "10-year daily"][0] / results[mode, "30-day"][0]
            p95_ratio = results[mode, "10-year daily"][1] / results[mode, "30-day"][1]
            results[mode, "ratio"] = ratio
            report(
                f"  {mode:4}  long/short ratio: median {ratio:.2f}x, p95 {p95_ratio:.2f}x"
                + ("  (target <= 1.5x)" if mode == "warm" else "  (no cache, reference)")
            )
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    measure(parser.parse_args().rounds)


if __name__ == "__main__":
    main()
