"""Benchmark: Statboard's counter API against two references, in one run.

    .venv/bin/python bench/counters.py [--duration 5] [--connections 16] [--rounds 2]

Starts three servers under the same granian settings (1 worker, as run.py):
  (a) bench/minimal_counter.py: a pure-WSGI dict counter, no validation, no disk
  (b) bench/flask_update_counter.py: a Flask view, one SQL UPDATE per hit (SQLite)
  (c) `python run.py counters`: Statboard's counter API, memory store with
      write-behind to SQLite every COUNTER_FLUSH_SECONDS (persistence on)
drives `POST /counters/bench/1` against each with wrk at the same concurrency and
duration, prints req/s and p99 for each and the ratios c/a and c/b, and checks
that nothing was lost: each final count (for c: read from the database file
after a flush) is at least the requests wrk saw answered, and at most that plus
the requests still in flight when wrk stopped (one per connection) or that wrk
gave up on (its socket errors).
"""

import argparse
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tests.fixtures.servers import free_port, stop, wait_for_port  # noqa: E402

KEY = "bench/1"
TARGETS = {"a": "minimal_counter:app", "b": "flask_update_counter:app"}


def serve(target: str, port: int) -> None:
    """Serve a reference app with the settings run.py uses (statboard.serve): 1 worker,
    BENCH_SERVER_THREADS threads (the site's SERVER_THREADS when the caller sets it)."""
    from granian.constants import Interfaces
    from granian.server import Server

    threads = os.environ.get("BENCH_SERVER_THREADS")
    threads = int(threads) if threads else None
    Server(target, address="127.0.0.1", port=port, interface=Interfaces.WSGI, workers=1,
           blocking_threads=threads, log_access=False).serve()  # fmt: skip


def start(name: str, tmp: Path) -> tuple[subprocess.Popen, int, dict]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "bench")}
    if name == "c":
        env |= {
            "STATBOARD_DATABASE_URL": f"sqlite:///{tmp / 'statboard.db'}",
            "STATBOARD_SECRET_KEY": "bench",
            "STATBOARD_COUNTER_RATE_LIMIT": "",  # one address sends everything here
            "STATBOARD_LOG_LEVEL": "WARNING",
        }
        flask = [sys.executable, "-m", "flask", "--app", "statboard", "db", "upgrade"]
        subprocess.run(flask, check=True, env=env, cwd=ROOT, capture_output=True)
        cmd = [sys.executable, "run.py", "counters", "--port", str(port)]
    else:
        env["BENCH_DB"] = str(tmp / "flask.db")
        if name == "b":
            from flask_update_counter import create_schema

            create_schema(env["BENCH_DB"])
        cmd = [sys.executable, __file__, "--serve", TARGETS[name], str(port)]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    wait_for_port(port, proc, timeout=30)
    return proc, port, env


def run_wrk(
    url: str, duration: float, connections: int, post: bool = False, headers: tuple = ()
) -> dict:
    """wrk -t1 against `url` (POST with post.lua): req/s, p50 and p99 in ms, requests
    answered, non-2xx/3xx answers and the requests it gave up on."""
    args = ["/usr/bin/wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency"]
    args += ["-s", str(ROOT / "bench" / "post.lua")] if post else []
    for header in headers:
        args += ["-H", header]
    out = subprocess.run([*args, url], capture_output=True, text=True).stdout
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}

    def percentile(name: str) -> float:
        found = re.search(rf"{name}%\s+([\d.]+)(us|ms|s)\b", out)
        return float(found.group(1)) * scale[found.group(2)] if found else float("nan")

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if rps is None:
        raise RuntimeError(f"wrk printed no figures for {url}: {out[-400:]}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    # Requests wrk gave up on (timeouts, broken connections) may still have been counted.
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    return {
        "rps": float(rps.group(1)),
        "p50_ms": percentile("50"),
        "p99_ms": percentile("99"),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "errors": int(errors.group(1)) if errors else 0,
        "unanswered": sum(map(int, socket_errors.groups())) if socket_errors else 0,
    }


def wrk(port: int, duration: int, connections: int) -> dict:
    return run_wrk(f"http://127.0.0.1:{port}/counters/{KEY}", duration, connections, post=True)


def final_count(name: str, port: int, tmp: Path, flush_seconds: float) -> int:
    if name == "a":
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/counters/{KEY}") as response:
            return int(response.read())
    if name == "b":
        path = tmp / "flask.db"
    else:
        time.sleep(2 * flush_seconds + 0.5)  # let the write-behind flush
        path = tmp / "statboard.db"
    with sqlite3.connect(path) as conn:
        row = conn.execute("SELECT value FROM counters WHERE key = ?", (KEY,)).fetchone()
    return row[0] if row else 0


# Requests a slow server still has queued when wrk stops finish before we count,
# so that the warm-up's stragglers are not counted in the measured run.
DRAIN_SECONDS = 1.0
SERVERS = (("a", "minimal WSGI dict"), ("b", "Flask + UPDATE"), ("c", "Statboard"))


def measure(name: str, args) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        proc, port, _ = start(name, Path(tmp))
        try:
            wrk(port, 1, args.connections)  # warm up (keys, caches, connections)
            time.sleep(DRAIN_SECONDS)
            before = final_count(name, port, Path(tmp), 1.0)
            result = wrk(port, args.duration, args.connections)
            time.sleep(DRAIN_SECONDS)
            count = final_count(name, port, Path(tmp), 1.0) - before
        finally:
            stop(proc)
    in_flight = count - result["requests"]
    result["sane"] = result["errors"] == 0 and 0 <= in_flight <= (
        args.connections + result["unanswered"]
    )
    result["line"] = (
        f"{result['rps']:9.0f} req/s   p99 {result['p99_ms']:7.2f} ms   "
        f"answered {result['requests']}, counted {count} "
        f"({'nothing lost' if result['sane'] else 'MISMATCH'}, {in_flight} in flight at the end)"
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2, help="best of N (a shared machine)")
    parser.add_argument("--serve", nargs=2, metavar=("TARGET", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return 0
    results, ok = {}, True
    load = f"wrk -t1 -c{args.connections} -d{args.duration}s"
    print(f"{load} POST /counters/{KEY}; granian, 1 worker; best of {args.rounds} rounds")
    for round_no in range(1, args.rounds + 1):
        for name, label in SERVERS:
            result = measure(name, args)
            ok &= result["sane"]
            if name not in results or result["rps"] > results[name]["rps"]:
                results[name] = result
            print(f"  round {round_no} ({name}) {label:18} {result['line']}")
    print("best:")
    for name, label in SERVERS:
        print(f"({name}) {label:18} {results[name]['line']}")
    c_a = results["c"]["rps"] / results["a"]["rps"]
    c_b = results["c"]["rps"] / results["b"]["rps"]
    print(f"c/a = {c_a:.2f} (target >= 0.8)   c/b = {c_b:.1f} (target >= 5)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
