"""Every row of the performance table, each against its reference measured in the same
run, over several rounds: what `make bench` prints first.

    .venv/bin/python bench/table.py [--rounds 3] [--duration 5] [--soak 60] [--quick]
    .venv/bin/python bench/table.py --only counters uptime --rounds 1 --duration 1

Each round starts, measures and stops, one after the other, on 127.0.0.1:
- the original pure-WSGI dict counter (bench/minimal_counter.py) and a minimal Flask
  view (bench/minimal_flask.py), under the granian settings of the server they are
  compared with (1 worker; SERVER_THREADS threads for the site's rows,
  COUNTER_SERVER_THREADS for the counter server's); the dict counter runs through the
  round, and each counter row measures it just before and just after its own server
  (the mean is the row's reference), so that a machine that slows down during the
  round slows both;
- `python run.py counters` (memory store), then the same on the Redis store against a
  redis-server of its own, with `redis-benchmark -t incr -c 16` beside it;
- `python run.py`, the full site with its demo home page (as its first run makes it):
  the counter API (and beside it the dict counter sending the site's security headers:
  the bound of its counter rows), /v1/uptime/, the home page with one client and with
  8, 4 admins saving text blocks (quiet, then with wrk hammering a counter), and the
  server tree's RSS (supervisor + workers) after start and after all that;
- Glances 4's web server (installed in bench/.venv-glances on first use):
  `GET /api/4/uptime` and its idle RSS;
- bench/charts.py's 6 charts of 10-year daily series against 30 days.
After the rounds, one soak (bench/soak.py). Every load is wrk (-t1) or httpx clients
on loopback; each row prints its figures per round, then min / median / max, and the
end is a markdown table of the ratios beside their targets.
"""

import argparse
import contextlib
import json
import operator
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path[:0] = [str(ROOT / "site"), str(ROOT), str(BENCH)]

import psutil  # noqa: E402
from counters import run_wrk  # noqa: E402
from load_mix import Results, autosave, log_in  # noqa: E402
from soak import SITE_ENV, soak, tree_rss  # noqa: E402
from statboard import DEFAULT_THREADS, default_counter_threads  # noqa: E402
from statboard.security import security_headers  # noqa: E402

from config import Config  # noqa: E402
from tests.fixtures.desk import seed_desk  # noqa: E402
from tests.fixtures.servers import free_port, start_site, stop, wait_for_port  # noqa: E402

GLANCES = "glances[web]==4.5.8"  # the reference's pinned version
GLANCES_VENV = BENCH / ".venv-glances"
KEY = "song/1"
HTML = ("Accept: text/html",)
SETTLE_SECONDS = 2.0  # idle before an RSS reading
EDITORS = 4


@dataclass
class Row:
    key: str
    what: str
    reference: str
    unit: str  # of Statboard's figure and the reference's
    target: tuple | None  # (operator, text, value); None: a bound, beside the rows
    ratio_of: str = "Statboard / reference"
    rounds: list = field(default_factory=list)  # (statboard, reference or None, ratio)
    note: str = ""
    beside: list = field(default_factory=list)  # redis-benchmark's req/s, per round


GE, LE, LT = (operator.ge, "≥"), (operator.le, "≤"), (operator.lt, "<")
# Beside the full site's counter rows: the dict counter sending the security headers
# the site sends on every answer, the least a counter answer of the site does. No
# target: what the site's rows could reach at best (README, where the misses stand).
BOUND = "the dict counter with the full site's security headers"
ANY_HEADER_CONFIG = {"STORAGE_URL": "", "SESSION_COOKIE_SECURE": True}


def rows() -> dict[str, Row]:
    ref = "pure-WSGI dict counter (bench/minimal_counter.py)"
    listed = [
        Row("post_dedicated", "POST /counters/song/1, dedicated server, memory store", ref,
            "req/s", (*GE, 1.0)),
        Row("post_site", "POST /counters/song/1, full site, memory store", ref, "req/s",
            (*GE, 1.0)),
        Row("get_dedicated", "GET /counters/song/1, dedicated server", ref, "req/s",
            (*GE, 0.8)),
        Row("get_site", "GET /counters/song/1, full site", ref, "req/s", (*GE, 0.8)),
        Row("post_bound", f"POST, {BOUND}", ref, "req/s", None),
        Row("get_bound", f"GET, {BOUND}", ref, "req/s", None),
        Row("post_redis", "POST /counters/song/1, dedicated server, Redis store", ref, "req/s",
            (*GE, 0.8)),
        Row("uptime", "GET /v1/uptime/, full site", "Glances 4 GET /api/4/uptime", "req/s",
            (*GE, 2.0)),
        Row("home_p50", "demo home page, one client, p50", "minimal Flask view, same server",
            "ms", (*LE, 5.0), "times slower"),
        Row("home_rps", "demo home page, 8 clients, req/s", "", "req/s", (*GE, 1000.0),
            "figure"),
        Row("home_p99", "demo home page, 8 clients, p99", "", "ms", (*LT, 100.0), "figure"),
        Row("rss_start", "RSS of the served site (supervisor + workers), after start",
            "Glances' idle web server", "MB", (*LE, 1.5)),
        Row("rss_load", "RSS of the served site, after this round's load",
            "Glances' idle web server", "MB", (*LE, 1.5)),
        Row("charts", "6 charts, 10-year daily vs 30 days (warm median render)", "30 days",
            "ms", (*LE, 1.5), "10 years / 30 days"),
        Row("soak", "mixed soak: workers' RSS growth after warm-up", "", "MB", (*LT, 10.0),
            "figure"),
        Row("saves_quiet", "text block saves, 4 admins, quiet: p99", "", "ms", (*LT, 100.0),
            "figure"),
        Row("saves_hammered", "text block saves, 4 admins, counters hammered: p99", "", "ms",
            (*LT, 200.0), "figure"),
    ]  # fmt: skip
    return {row.key: row for row in listed}


GROUPS = {  # --only: which sessions to run
    "counters": (
        "post_dedicated",
        "post_site",
        "get_dedicated",
        "get_site",
        "post_bound",
        "get_bound",
    ),
    "redis": ("post_redis",),
    "uptime": ("uptime",),
    "home": ("home_p50", "home_rps", "home_p99"),
    "rss": ("rss_start", "rss_load"),
    "charts": ("charts",),
    "soak": ("soak",),
    "saves": ("saves_quiet", "saves_hammered"),
}


# --- processes ------------------------------------------------------------------------


class Processes:
    """Every process the bench starts, each leading its own process group, stopped at the
    end (SIGTERM, then SIGKILL to what is left of its group) whatever happens; with
    `cpus` (--pin), each served on those CPUs alone."""

    def __init__(self, cpus: set[int] | None = None):
        self.procs: list[subprocess.Popen] = []
        self.cpus = cpus

    def start(self, cmd: list, port: int, env: dict | None = None, timeout=60.0):
        proc = subprocess.Popen(
            cmd,
            env={**os.environ, **(env or {})},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            process_group=0,
        )
        self.procs.append(proc)
        wait_for_port(port, proc, timeout)
        self._pin(proc)
        return proc

    def adopt(self, proc: subprocess.Popen) -> None:
        self.procs.append(proc)
        self._pin(proc)

    def _pin(self, proc: subprocess.Popen) -> None:
        """Every thread of `proc` and of its children on self.cpus; the threads they
        start later inherit it from the thread that starts them."""
        if self.cpus is None:
            return
        tree = psutil.Process(proc.pid)
        for process in [tree, *tree.children(recursive=True)]:
            for thread in process.threads():
                with contextlib.suppress(OSError):  # a thread that just ended
                    os.sched_setaffinity(thread.id, self.cpus)

    def stop(self, proc: subprocess.Popen) -> None:
        with contextlib.suppress(ProcessLookupError):
            stop(proc)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc in self.procs:
            self.procs.remove(proc)

    def stop_all(self) -> None:
        for proc in reversed(list(self.procs)):
            self.stop(proc)


@contextlib.contextmanager
def running(procs: Processes, proc):
    try:
        yield proc
    finally:
        procs.stop(proc)


def serve_reference(procs: Processes, target: str, threads: int, env: dict | None = None):
    """A reference app (module:app in bench/) under the site's granian settings."""
    port = free_port()
    cmd = [sys.executable, str(BENCH / "counters.py"), "--serve", target, str(port)]
    env = {"PYTHONPATH": str(BENCH), "BENCH_SERVER_THREADS": str(threads), **(env or {})}
    return procs.start(cmd, port, env), f"http://127.0.0.1:{port}"


def serve_bound(procs: Processes, site_url: str, threads: int):
    """The bound of the full site's counter rows (BOUND), with the security headers the
    site at `site_url` sends on a counter answer."""
    # Every header the site's security_headers may add (HSTS with secure cookies); their
    # values are those the served site sends.
    names = {name.lower() for name, _ in security_headers(ANY_HEADER_CONFIG)}
    with urllib.request.urlopen(f"{site_url}/counters/{KEY}") as answer:
        headers = [pair for pair in answer.getheaders() if pair[0].lower() in names]
    if not headers:
        raise RuntimeError("the site's counter answer came without its security headers")
    env = {"BENCH_HEADERS": json.dumps(headers)}
    return serve_reference(procs, "minimal_counter:headed_app", threads, env)


def serve_statboard(procs: Processes, tmp: Path, what: str, env: dict | None = None):
    site = start_site(tmp, what, env={**SITE_ENV, **(env or {})})
    procs.adopt(site.proc)
    # start_site pipes the server's output: drain it so that the server never blocks.
    threading.Thread(target=site.proc.stdout.read, daemon=True).start()
    return site


def glances_python() -> Path:
    """Glances in the benchmark's own environment, made on first use."""
    python = GLANCES_VENV / "bin" / "python"
    if not (GLANCES_VENV / "bin" / "glances").exists():
        print(f"installing {GLANCES} into {GLANCES_VENV.relative_to(ROOT)} (first run)")
        subprocess.run([sys.executable, "-m", "venv", str(GLANCES_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", GLANCES], check=True)
    return GLANCES_VENV / "bin" / "glances"


def serve_glances(procs: Processes):
    port = free_port()
    cmd = [str(glances_python()), "-w", "--disable-webui", "--disable-autodiscover"]
    proc = procs.start([*cmd, "-B", "127.0.0.1", "-p", str(port)], port)
    return proc, f"http://127.0.0.1:{port}"


def serve_redis(procs: Processes):
    port = free_port()
    cmd = [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(port)]
    cmd += ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    return procs.start(cmd, port), port


# --- measurements ---------------------------------------------------------------------


def warm_and_wrk(url: str, args, connections=16, post=False, headers=()) -> dict:
    run_wrk(url, 1, connections, post=post, headers=headers)  # warm up
    result = run_wrk(url, args.duration, connections, post=post, headers=headers)
    if result["errors"]:
        print(f"    ! {url}: {result['errors']} answers were not 2xx/3xx")
    return result


def beside_reference(url: str, reference: str, args, post: bool) -> tuple[float, float]:
    """Statboard's req/s at `url`, and the reference counter's at `reference` (its base
    URL), measured just before and just after it (their mean): a change of the
    machine's speed during the round (other work on it) weighs on both alike."""
    ref_url = f"{reference}/counters/{KEY}"
    before = warm_and_wrk(ref_url, args, post=post)["rps"]
    ours = warm_and_wrk(url, args, post=post)["rps"]
    after = warm_and_wrk(ref_url, args, post=post)["rps"]
    return ours, (before + after) / 2


def counter_rows(table, base: str, reference: str, args, post_key: str, get_key: str) -> None:
    """POST then GET on /counters/song/1 (the POSTs make the key), each beside the
    reference counter at `reference`."""
    url = f"{base}/counters/{KEY}"
    record(table, post_key, *beside_reference(url, reference, args, post=True))
    record(table, get_key, *beside_reference(url, reference, args, post=False))


def redis_benchmark(port: int, requests: int) -> float:
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", "incr", "-c", "16"]
    out = subprocess.run([*cmd, "-n", str(requests), "--csv"], capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith('"INCR"'):
            return float(line.split(",")[1].strip('"'))
    raise RuntimeError(f"redis-benchmark printed no INCR figure: {out.stdout[-300:]}")


def saves(site, args) -> tuple[tuple, tuple]:
    """4 admins autosaving their own text block for --duration, quiet, then with wrk
    hammering a counter: (p50, p99) in ms of each."""
    desk = seed_desk(site, EDITORS)
    versions = dict(desk.text_blocks)  # each block's version as its editor last saw it
    admin = log_in(site.url)
    figures = []

    def edit(block_id: int, until: float, results: Results, kind: str) -> None:
        editor = (site.url, admin, block_id, until, results, kind, versions[block_id])
        _, versions[block_id] = autosave(*editor)

    try:
        for kind in ("quiet", "hammered"):
            results = Results()
            until = time.monotonic() + args.duration
            editors = [
                threading.Thread(target=edit, args=(b, until, results, kind)) for b in versions
            ]
            hammer = None
            if kind == "hammered":
                url = f"{site.url}/counters/{desk.counter_key}"
                hammer = threading.Thread(target=run_wrk, args=(url, args.duration + 1, 16, True))
                hammer.start()
            for editor in editors:
                editor.start()
            for editor in editors:
                editor.join()
            if hammer is not None:
                hammer.join()
            p50, p99, _ = results.stats(kind)
            if results.errors[kind]:
                print(f"    ! saves {kind}: errors {dict(results.errors[kind])}")
            figures.append((p50 * 1000, p99 * 1000))
    finally:
        admin.close()
    return figures[0], figures[1]


def record(table: dict, key: str, statboard: float, reference: float | None) -> None:
    if key not in table:
        return
    row = table[key]
    if row.ratio_of == "figure":
        ratio = statboard
    elif reference:
        ratio = statboard / reference
    else:
        print(f"  ! {row.what}: {statboard:,.2f} {row.unit}, but no reference this round")
        return
    row.rounds.append((statboard, reference, ratio))
    ref = f"   reference {reference:,.2f} {row.unit}" if reference is not None else ""
    print(f"  {row.what}: {statboard:,.2f} {row.unit}{ref}   -> {ratio:.2f}")


def wants(table: dict, *groups: str) -> bool:
    return any(key in table for group in groups for key in GROUPS[group])


def reference_servers(table, args, procs, kept, ref: dict) -> None:
    """The dict counter under the site's threads and under the counter server's (one
    server when they are the same), left running in `kept` for the round (each counter
    row measures its own beside it), and the minimal Flask view's p50."""
    if wants(table, "counters", "redis"):
        by_threads = {
            threads: serve_reference(kept, "minimal_counter:app", threads)[1]
            for threads in {args.threads, args.counter_threads}
        }
        ref["counter"] = {
            "site": by_threads[args.threads],
            "counters": by_threads[args.counter_threads],
        }
    if wants(table, "home"):
        proc, base = serve_reference(procs, "minimal_flask:app", args.threads)
        with running(procs, proc):
            ref["flask_p50"] = warm_and_wrk(f"{base}/", args, 1, headers=HTML)["p50_ms"]
        print(f"  minimal Flask view: p50 {ref['flask_p50']:.2f} ms")


def dedicated_server(table, args, procs, ref: dict, tmp: Path) -> None:
    if wants(table, "counters"):
        site = serve_statboard(procs, tmp / "dedicated", "counters")
        with running(procs, site.proc):
            reference = ref["counter"]["counters"]
            counter_rows(table, site.url, reference, args, "post_dedicated", "get_dedicated")
    if wants(table, "redis"):
        proc, port = serve_redis(procs)
        with running(procs, proc):
            redis = {"STATBOARD_COUNTERS_URL": f"redis://127.0.0.1:{port}/0"}
            site = serve_statboard(procs, tmp / "redis", "counters", redis)
            with running(procs, site.proc):
                url = f"{site.url}/counters/{KEY}"
                post, reference = beside_reference(url, ref["counter"]["counters"], args, True)
            incr = redis_benchmark(port, args.redis_requests)
        record(table, "post_redis", post, reference)
        print(f"    redis-benchmark -t incr -c 16, same machine: {incr:,.0f} req/s")
        table["post_redis"].beside.append(incr)


def glances(table, args, procs, ref: dict) -> None:
    if wants(table, "uptime", "rss"):
        proc, base = serve_glances(procs)
        with running(procs, proc):
            time.sleep(SETTLE_SECONDS)
            ref["glances_rss"] = tree_rss(proc.pid)[0]
            if "uptime" in table:
                ref["uptime"] = warm_and_wrk(f"{base}/api/4/uptime", args)["rps"]
        print(f"  Glances: idle RSS {ref['glances_rss']:.1f} MB")


def full_site(table, args, procs, ref: dict, tmp: Path) -> None:
    if not wants(table, "counters", "uptime", "home", "rss", "saves"):
        return
    site = serve_statboard(procs, tmp / "site", "site")
    with running(procs, site.proc):
        time.sleep(SETTLE_SECONDS)
        record(table, "rss_start", tree_rss(site.proc.pid)[0], ref.get("glances_rss"))
        if wants(table, "counters"):
            reference = ref["counter"]["site"]
            counter_rows(table, site.url, reference, args, "post_site", "get_site")
            proc, bound = serve_bound(procs, site.url, args.threads)
            with running(procs, proc):
                counter_rows(table, bound, reference, args, "post_bound", "get_bound")
        if "uptime" in table:
            uptime = warm_and_wrk(f"{site.url}/v1/uptime/", args)["rps"]
            record(table, "uptime", uptime, ref.get("uptime"))
        if wants(table, "home"):
            home = f"{site.url}/"
            p50 = warm_and_wrk(home, args, connections=1, headers=HTML)["p50_ms"]
            record(table, "home_p50", p50, ref.get("flask_p50"))
            eight = warm_and_wrk(home, args, connections=8, headers=HTML)
            record(table, "home_rps", eight["rps"], None)
            record(table, "home_p99", eight["p99_ms"], None)
        if wants(table, "saves"):
            (q50, q99), (h50, h99) = saves(site, args)
            record(table, "saves_quiet", q99, None)
            record(table, "saves_hammered", h99, None)
            print(f"    saves p50: quiet {q50:.1f} ms, hammered {h50:.1f} ms")
        time.sleep(SETTLE_SECONDS)
        record(table, "rss_load", tree_rss(site.proc.pid)[0], ref.get("glances_rss"))


def chart_renders(table, args) -> None:
    if "charts" in table:
        import charts

        results = charts.measure(args.chart_rounds, report=lambda line: None)
        long, short = results["warm", "10-year daily"][0], results["warm", "30-day"][0]
        record(table, "charts", long, short)


def one_round(table: dict, args, tmp: Path) -> None:
    """Each part in turn; one that fails is reported and leaves its rows short of this
    round, and the others still run. Every process is stopped at the end."""
    procs, kept, ref = Processes(args.server_cpus), Processes(args.server_cpus), {}
    parts = [
        ("reference servers", lambda: reference_servers(table, args, procs, kept, ref)),
        ("counter servers", lambda: dedicated_server(table, args, procs, ref, tmp)),
        ("Glances", lambda: glances(table, args, procs, ref)),
        ("full site", lambda: full_site(table, args, procs, ref, tmp)),
        ("charts", lambda: chart_renders(table, args)),
    ]
    try:
        for name, part in parts:
            try:
                part()
            except Exception as exc:  # a broken row must not hide the others
                print(f"  ! {name} failed: {type(exc).__name__}: {exc}", flush=True)
                traceback.print_exc(limit=3)
            finally:
                procs.stop_all()
    finally:
        procs.stop_all()
        kept.stop_all()


def run_soak(table: dict, args, tmp: Path) -> None:
    procs = Processes(args.server_cpus)
    try:
        site = serve_statboard(procs, tmp / "soak", "site")
        with running(procs, site.proc):
            outcome = soak(site, args.soak, args.soak_every, args.soak / 3, print)
        record(table, "soak", outcome["growth"], None)
        if outcome["errors"]:
            table["soak"].note = f"errors: {outcome['errors']}"
    finally:
        procs.stop_all()


# --- the summary ----------------------------------------------------------------------


def spread(values: list[float]) -> str:
    return " / ".join(f"{v:,.2f}" for v in (min(values), statistics.median(values), max(values)))


def summary(table: dict) -> str:
    lines = [
        "| what | Statboard (median) | reference (median) | ratio min / median / max "
        "| target | met (median) |",
        "|---|---|---|---|---|---|",
    ]
    for row in table.values():
        if not row.rounds:
            lines.append(f"| {row.what} | not measured | | | | |")
            continue
        ours = statistics.median(r[0] for r in row.rounds)
        refs = [r[1] for r in row.rounds if r[1] is not None]
        ratios = [r[2] for r in row.rounds]
        if row.target is None:
            target, met = "none: a bound", ""
        else:
            compare, sign, goal = row.target
            target = f"{sign} {goal:g}"
            met = "yes" if compare(statistics.median(ratios), goal) else "**no**"
        ref = f"{statistics.median(refs):,.2f} {row.unit} ({row.reference})" if refs else ""
        note = f"; {row.note}" if row.note else ""
        if row.beside:
            note += f"; redis-benchmark -t incr -c 16: {spread(row.beside)} req/s"
        lines.append(
            f"| {row.what} | {ours:,.2f} {row.unit} | {ref}{note} | {spread(ratios)} "
            f"({row.ratio_of}; {len(ratios)} round(s)) | {target} | {met} |"
        )
    return "\n".join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5, help="seconds of each wrk run")
    parser.add_argument("--soak", type=float, default=60.0, help="seconds (1800: 30 min)")
    parser.add_argument("--soak-every", type=float, default=5.0)
    parser.add_argument("--chart-rounds", type=int, default=200)
    parser.add_argument("--redis-requests", type=int, default=200_000)
    parser.add_argument("--only", nargs="+", choices=sorted(GROUPS), help="some rows only")
    parser.add_argument(
        "--pin",
        action="store_true",
        help="every server on the first CPU, wrk and the bench's own clients on the others",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 1 round, 1 s loads, 10 s soak"
    )
    args = parser.parse_args(argv)
    args.server_cpus = None
    if args.pin:
        if len(os.sched_getaffinity(0)) < 2:
            parser.error("--pin needs two CPUs or more: one for the servers, the rest for wrk")
        args.server_cpus = {min(os.sched_getaffinity(0))}
    if args.quick:
        args.rounds, args.duration, args.soak, args.soak_every = 1, 1, 10.0, 2.0
        args.chart_rounds, args.redis_requests = 20, 20_000
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    # A SIGTERM (a timeout, a stopped make) unwinds like Ctrl-C: every server is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    table = rows()
    if args.only:
        keep = {key for group in args.only for key in GROUPS[group]}
        table = {key: row for key, row in table.items() if key in keep}
    if args.pin:  # wrk and every server start on the other CPUs; Processes moves servers
        os.sched_setaffinity(0, os.sched_getaffinity(0) - args.server_cpus)
    # The servers' threads as they serve them (0 in the settings: their defaults).
    args.threads = int(Config.SERVER_THREADS) or DEFAULT_THREADS
    args.counter_threads = int(Config.COUNTER_SERVER_THREADS) or default_counter_threads()
    print(
        f"granian: 1 worker; {args.threads} threads for the site, {args.counter_threads} for"
        f" the counter server, each reference under the threads of the server beside it;"
        f" wrk -t1, {args.duration} s after 1 s of warm-up; {args.rounds} round(s)"
    )
    with tempfile.TemporaryDirectory(prefix="statboard-bench-") as tmp:
        for n in range(1, args.rounds + 1):
            print(f"\n--- round {n} of {args.rounds} ---", flush=True)
            round_tmp = Path(tmp) / f"round{n}"
            round_tmp.mkdir()
            for name in ("dedicated", "redis", "site", "soak"):
                (round_tmp / name).mkdir()
            one_round(table, args, round_tmp)
        if "soak" in table:
            print(f"\n--- soak, {args.soak:.0f} s (one run) ---", flush=True)
            (Path(tmp) / "soak").mkdir()
            try:
                run_soak(table, args, Path(tmp))
            except Exception as exc:  # the summary still comes
                print(f"  ! the soak failed: {type(exc).__name__}: {exc}", flush=True)
    print("\n" + summary(table))
    missing = [row.what for row in table.values() if not row.rounds]
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
