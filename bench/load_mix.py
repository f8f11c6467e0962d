"""The served site under a mix of concurrent load, on the embedded engines.

    .venv/bin/python bench/load_mix.py [--seconds 15] [--editors 20] [--threads N]

Serves the site with `python run.py` (SQLite, threads://, memory:// counters) in a
temporary folder, then runs, over real HTTP:
- bursts of 100 anonymous home page loads (the demo home has a counter block) and of
  50 counter block polls, released together, three of each;
- for --seconds: --editors admins autosaving their own text block, 8 clients
  incrementing a counter, 10 visitors loading the home page;
and prints p50 / p99 / max and the errors (5xx, timeouts) per kind of request, and
the admin emails lost: each block's saves are one edit session (NOTIFY_SESSION_SECONDS
is 1 s here, so a pause of more than 1 s starts another) and each session is one
email, so every block saved needs at least one email in the outbox. Stops the site
at the end, whatever happens. Exits 1 if any request failed or a mail was lost.
"""

import argparse
import statistics
import sys
import threading
import time
from collections import defaultdict
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "site"), str(ROOT)]

import httpx  # noqa: E402

from tests.conftest import CSRF_RE  # noqa: E402
from tests.fixtures.desk import seed_desk  # noqa: E402
from tests.fixtures.servers import served_in_temp_folder  # noqa: E402

TIMEOUT = 30.0
BROWSER = {"Accept": "text/html"}
HTMX = {"HX-Request": "true"}


class Results:
    def __init__(self):
        self.times = defaultdict(list)
        self.errors = defaultdict(lambda: defaultdict(int))
        self.lock = threading.Lock()

    def record(self, kind: str, call) -> httpx.Response | None:
        started = time.monotonic()
        try:
            response = call()
        except httpx.HTTPError as exc:
            response, problem = None, type(exc).__name__
        else:
            problem = str(response.status_code) if response.status_code >= 500 else None
        with self.lock:
            self.times[kind].append(time.monotonic() - started)
            if problem:
                self.errors[kind][problem] += 1
        return response

    def stats(self, kind: str) -> tuple[float, float, float]:
        """p50, p99 and max of a kind's times, in seconds."""
        ordered = sorted(self.times[kind])
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return statistics.median(ordered), p99, ordered[-1]

    def print(self) -> int:
        print(f"{'request':<28}{'count':>7}{'p50 s':>9}{'p99 s':>9}{'max s':>9}  errors")
        failed = 0
        for kind, times in self.times.items():
            p50, p99, most = self.stats(kind)
            errors = dict(self.errors[kind])
            failed += sum(errors.values())
            print(f"{kind:<28}{len(times):>7}{p50:>9.3f}{p99:>9.3f}{most:>9.3f}  {errors or 0}")
        return failed


def burst(count: int, call) -> None:
    barrier = threading.Barrier(count)

    def one():
        barrier.wait()
        call()

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def log_in(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=TIMEOUT, headers=BROWSER)
    csrf = CSRF_RE.search(client.get("/login").text).group(1)
    form = {"username": "boss", "password": "boss-password", "csrf_token": csrf}
    if client.post("/login", data=form).status_code != 303:
        raise SystemExit("could not log in as the bench's admin")
    client.headers["X-CSRFToken"] = CSRF_RE.search(client.get("/").text).group(1)
    return client


def autosave(
    url: str, admin: httpx.Client, block_id: int, until: float, results, kind: str, version=1
) -> tuple[int, int]:
    """An admin autosaving their text block, opened at `version`, as the editor does
    until `until` (each save's time recorded as `kind`): the saves committed and the
    block's version after them. An answer other than 204 (a 409 says the version was
    not the block's) is an error of `kind`: it saved nothing, so its time is no save's."""
    committed = 0
    with httpx.Client(base_url=url, timeout=TIMEOUT, cookies=admin.cookies) as client:
        headers = {**HTMX, "X-Autosave": "1", "X-CSRFToken": admin.headers["X-CSRFToken"]}
        while time.monotonic() < until:
            data = {"html": f"<p>{time.monotonic()}</p>", "version": version}
            save = partial(client.put, f"/blocks/{block_id}", data=data, headers=headers)
            response = results.record(kind, save)
            if response is not None and response.status_code == 204:
                version = int(response.headers["X-Block-Version"])
                committed += 1
            elif response is not None and response.status_code < 500:  # 5xx: counted
                with results.lock:
                    results.errors[kind][str(response.status_code)] += 1
    return committed, version


def run(site, seconds: float, editors: int) -> int:
    desk = seed_desk(site, editors)
    text_blocks = [block_id for block_id, _ in desk.text_blocks]
    counter_block, counter_key = desk.counter_block, desk.counter_key
    results = Results()
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=0)
    anonymous = httpx.Client(base_url=site.url, timeout=TIMEOUT, headers=BROWSER, limits=limits)
    poll = f"/blocks/{counter_block}/values"

    def poll_block(url):
        return anonymous.get(url, headers=HTMX)

    for _ in range(3):
        burst(100, lambda: results.record("burst: 100 page loads", lambda: anonymous.get("/")))
        burst(50, lambda: results.record("burst: 50 block polls", lambda: poll_block(poll)))

    admin = log_in(site.url)
    outbox = site.tmp / "outbox"
    before = len(list(outbox.glob("*.eml")))
    committed, saved_blocks = [0], set()
    until = time.monotonic() + seconds

    def editor(block_id: int):
        saved, _ = autosave(site.url, admin, block_id, until, results, "mix: autosave")
        with results.lock:
            committed[0] += saved
            if saved:
                saved_blocks.add(block_id)

    def increment():
        return anonymous.post(f"/counters/{counter_key}")

    def counting():
        while time.monotonic() < until:
            results.record("mix: counter increment", increment)

    def visiting():
        while time.monotonic() < until:
            results.record("mix: page load", lambda: anonymous.get("/"))

    workers = [threading.Thread(target=editor, args=(block_id,)) for block_id in text_blocks]
    workers += [threading.Thread(target=counting) for _ in range(8)]
    workers += [threading.Thread(target=visiting) for _ in range(10)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    deadline = time.monotonic() + 60
    while len(list(outbox.glob("*.eml"))) - before < len(saved_blocks) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.2)
    mails = len(list(outbox.glob("*.eml"))) - before
    lost = len(saved_blocks) - mails
    admin.close()
    anonymous.close()

    failed = results.print()
    print(
        f"edits committed: {committed[0]} on {len(saved_blocks)} blocks, "
        f"edit session emails: {mails}, blocks with no email: {max(0, lost)}"
    )
    return failed + max(0, lost)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--editors", type=int, default=20)
    parser.add_argument("--threads", type=int, help="STATBOARD_SERVER_THREADS (default: config)")
    args = parser.parse_args()
    env = {"STATBOARD_LOG_LEVEL": "WARNING", "STATBOARD_COUNTER_RATE_LIMIT": ""}
    env |= {"STATBOARD_NOTIFY_SESSION_SECONDS": "1", "STATBOARD_NOTIFY_SEND_SECONDS": "1"}
    if args.threads:
        env["STATBOARD_SERVER_THREADS"] = str(args.threads)
    with served_in_temp_folder("statboard-load-", env) as site:
        site.failed = bool(run(site, args.seconds, args.editors))
    sys.exit(1 if site.failed else 0)


if __name__ == "__main__":
    main()
