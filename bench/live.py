"""Live pages: N open event streams on one page, and what they cost the site.

    .venv/bin/python bench/live.py [--streams 100 1000] [--seconds 10] [--rate 20]

Serves the site with `python run.py` (1 worker, the embedded broker) in a temporary
folder. For each N it opens N streams on the demo home page (asyncio clients on
loopback, all reading the page's own token), then for --seconds an admin saves the
home page's text block once a second and a client increments the page's counter
--rate times a second. It prints:
- the delay from each save's response to its event's receipt on every stream, and
  from each increment's response to the first counter event carrying that value or
  more (counter events are coalesced to a few a second), p50 and p99;
- the site worker's RSS and thread count before and after, and its CPU time;
then, with the largest N still open, the counter API's requests/s under wrk against
the same without streams. Stops the site at the end, whatever happens.
Targets: p99 under 500 ms, threads not growing with N, RSS growth under 100 MB,
counter requests/s with 1,000 streams at least 0.8x the rate without.
"""

import argparse
import asyncio
import re
import resource
import statistics
import subprocess
import sys
import time
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "site"), str(ROOT), str(ROOT / "bench")]

import httpx  # noqa: E402
import psutil  # noqa: E402
from counters import run_wrk  # noqa: E402
from statboard import create_app  # noqa: E402
from statboard.extensions import db  # noqa: E402
from statboard.pages.models import Page  # noqa: E402

from tests.conftest import CSRF_RE, make_settings  # noqa: E402
from tests.fixtures.servers import served_in_temp_folder  # noqa: E402

LIVE_SRC = re.compile(r'data-live-src="([^"]+)" data-live-last="([^"]*)"')
OPEN_AT_ONCE = 100  # streams connecting together
EVENT = re.compile(rb"^event: (\w+)$", re.M)
VERSION = re.compile(rb'"version":(\d+)')
VALUE = re.compile(rb'"value":(\d+)')


def raise_file_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def prepare(site) -> tuple[int, str]:
    """An admin, and the home page's text block and counter key."""
    flask = [sys.executable, "-m", "flask", "--app", "statboard", "users", "create", "boss"]
    flask += ["--admin", "--password-stdin", "--email", "boss@example.test"]
    subprocess.run(flask, input="boss-password\n", text=True, env=site.env, cwd=ROOT, check=True)
    app = create_app(make_settings(site.tmp, DATABASE_URL=site.env["STATBOARD_DATABASE_URL"]))
    with app.app_context():
        home = db.session.scalar(db.select(Page).where(Page.slug == "home"))
        text = next(b for b in home.blocks if b.kind == "text")
        counter = next(b for b in home.blocks if b.kind == "counter")
        return text.id, counter.data["key"]


class Stream(asyncio.Protocol):
    """One open page's stream, read by a bare protocol (no task, no parser per stream, so
    that the clients cost the machine little): it notes when each event came. Each event
    comes whole in one HTTP chunk; the chunks' own framing lines are skipped."""

    def __init__(self):
        self.versions: dict[int, float] = {}  # block version -> first receipt
        self.counts: list[tuple[float, int]] = []  # (receipt, value) of counter events
        self.buffer = b""
        self.transport = None
        self.failed = None
        self.answered = asyncio.get_running_loop().create_future()

    async def open(self, url: str) -> None:
        parts = urlsplit(url)
        loop = asyncio.get_running_loop()
        await loop.create_connection(lambda: self, parts.hostname, parts.port)
        request = f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        self.transport.write((request + "Accept: text/event-stream\r\n\r\n").encode())
        status = await asyncio.wait_for(self.answered, 30)
        if b" 200 " not in status:
            raise RuntimeError(f"the stream answered {status!r}")

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        at = time.monotonic()
        if not self.answered.done():
            self.answered.set_result(data.partition(b"\r\n")[0])
        self.buffer += data
        *events, self.buffer = self.buffer.split(b"\n\n")
        for raw in events:
            kind = EVENT.search(raw)
            if kind is None:
                continue
            if kind.group(1) == b"block":
                self.versions.setdefault(int(VERSION.search(raw).group(1)), at)
            elif kind.group(1) == b"counter":
                self.counts.append((at, int(VALUE.search(raw).group(1))))

    def connection_lost(self, error) -> None:
        self.failed = error or "closed by the server"
        if not self.answered.done():
            self.answered.set_result(b"closed")

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
            self.failed = None


class Admin:
    async def log_in(self, url: str) -> None:
        self.http = httpx.AsyncClient(base_url=url, timeout=30, headers={"Accept": "text/html"})
        csrf = CSRF_RE.search((await self.http.get("/login")).text).group(1)
        form = {"username": "boss", "password": "boss-password", "csrf_token": csrf}
        if (await self.http.post("/login", data=form)).status_code != 303:
            raise SystemExit("could not log in as the bench's admin")
        page = (await self.http.get("/")).text
        self.http.headers["X-CSRFToken"] = CSRF_RE.search(page).group(1)
        self.version = 1

    async def save(self, block_id: int) -> tuple[int, float, float]:
        """Autosave the block as the editor does: its new version, when the request was
        sent and when it was answered."""
        headers = {"HX-Request": "true", "X-Autosave": "1"}
        sent = time.monotonic()
        data = {"html": f"<p>{time.time()}</p>", "version": str(self.version)}
        response = await self.http.put(f"/blocks/{block_id}", data=data, headers=headers)
        answered = time.monotonic()
        if response.status_code != 204:
            raise RuntimeError(f"the save answered {response.status_code}")
        self.version = int(response.headers["X-Block-Version"])
        return self.version, sent, answered


class Worker:
    """The site's worker process, as the operating system sees it."""

    def __init__(self, site):
        server = psutil.Process(site.proc.pid)
        self.process = server.children(recursive=True)[0]

    def snapshot(self) -> dict:
        cpu = self.process.cpu_times()
        return {
            "rss": self.process.memory_info().rss / 2**20,
            "threads": self.process.num_threads(),
            "cpu": cpu.user + cpu.system,
        }


def percentiles(values: list[float]) -> str:
    if not values:
        return "none received"
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered) * 1000:7.1f} ms   p99 {p99 * 1000:7.1f} ms"


def block_delays(streams, edits, since: int) -> list[float]:
    """For each save and stream: from the save (sent or answered) to its event."""
    return [s.versions[v] - t[since] for v, *t in edits for s in streams if v in s.versions]


def counter_delays(streams, increments, since: int) -> list[float]:
    """For each increment and stream: until the first event with that value or more."""
    delays = []
    ordered = sorted(increments)  # (value, sent, answered)
    for stream in streams:
        events, i, best = stream.counts, 0, 0
        for value, *times in ordered:
            while best < value and i < len(events):
                best = max(best, events[i][1])
                i += 1
            if best >= value:
                delays.append(events[i - 1][0] - times[since])
    return delays


async def measure(site, admin, worker, block_id, key, count, seconds, rate) -> list:
    before = worker.snapshot()
    async with httpx.AsyncClient(timeout=30, headers={"Accept": "text/html"}) as visitor:
        page = (await visitor.get(site.url)).text  # what a visitor's page embeds
    src, last = (unescape(g) for g in LIVE_SRC.search(page).groups())
    url = f"{src}&last={last}"
    streams = [Stream() for _ in range(count)]
    for start in range(0, count, OPEN_AT_ONCE):
        await asyncio.gather(*(s.open(url) for s in streams[start : start + OPEN_AT_ONCE]))
    await asyncio.sleep(1)
    opened = worker.snapshot()
    edits, increments = [], []
    counter = httpx.AsyncClient(base_url=site.url, timeout=30)

    async def edit():
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            edits.append(await admin.save(block_id))
            await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - edits[-1][1])))

    async def increment():
        until, tick = time.monotonic() + seconds, 1.0 / rate
        while time.monotonic() < until:
            sent = time.monotonic()
            response = await counter.post(f"/counters/{key}")
            increments.append((int(response.text), sent, time.monotonic()))
            await asyncio.sleep(max(0.0, tick - (time.monotonic() - sent)))

    await asyncio.gather(edit(), increment())
    await asyncio.sleep(2)  # the last events arrive
    after = worker.snapshot()
    await counter.aclose()

    missing = len(edits) * count - len(block_delays(streams, edits, 0))
    broken = sum(1 for s in streams if s.failed)
    print(f"\nN = {count} streams: {len(edits)} block saves, {len(increments)} increments")
    for since, name in enumerate(("sent", "answered")):
        block = block_delays(streams, edits, since)
        counts = counter_delays(streams, increments, since)
        print(f"  block save {name:>8} -> its event    {percentiles(block)}")
        print(f"  increment  {name:>8} -> its value    {percentiles(counts)}")
    print(f"  block events missing {missing}, counter receipts {len(counts)}")
    print(
        f"  worker RSS {before['rss']:.1f} -> {opened['rss']:.1f} -> {after['rss']:.1f} MB"
        f"   threads {before['threads']} -> {opened['threads']} -> {after['threads']}"
        f"   CPU {after['cpu'] - opened['cpu']:.2f} s in {seconds:.0f} s"
        f"   streams broken {broken}"
    )
    return streams


def wrk(url: str, key: str, seconds: int) -> float:
    return run_wrk(f"{url}/counters/{key}", seconds, 16, post=True)["rps"]


async def run(site, counts, seconds, rate) -> None:
    block_id, key = prepare(site)
    worker = Worker(site)
    admin = Admin()
    await admin.log_in(site.url)
    without = await asyncio.to_thread(wrk, site.url, key, 5)  # also wakes every thread
    start = worker.snapshot()
    print(f"site worker, warm, no streams: RSS {start['rss']:.1f} MB, {start['threads']} threads")
    held = []
    try:
        for count in counts:
            for stream in held:
                stream.close()
            held = await measure(site, admin, worker, block_id, key, count, seconds, rate)
        largest = worker.snapshot()
        with_streams = await asyncio.to_thread(wrk, site.url, key, 5)
        print(
            f"\ncounter API (wrk -c16, 5 s): {without:,.0f} req/s without streams, "
            f"{with_streams:,.0f} with {counts[-1]:,} open: ratio {with_streams / without:.2f}"
        )
        print(
            f"worker: RSS {start['rss']:.1f} -> {largest['rss']:.1f} MB "
            f"(+{largest['rss'] - start['rss']:.1f}), threads {start['threads']} -> "
            f"{largest['threads']}"
        )
    finally:
        for stream in held:
            stream.close()
        await admin.http.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=20.0, help="counter increments a second")
    args = parser.parse_args()
    raise_file_limit(max(args.streams) * 2 + 1024)  # the site inherits it
    env = {"STATBOARD_LOG_LEVEL": "WARNING", "STATBOARD_COUNTER_RATE_LIMIT": ""}
    with served_in_temp_folder("statboard-live-", env) as site:
        asyncio.run(run(site, args.streams, args.seconds, args.rate))
        site.failed = False
    sys.exit(1 if site.failed else 0)


if __name__ == "__main__":
    main()
