"""Lighthouse 12 on the demo home page as a visitor, beside a static reference page.

    .venv/bin/python bench/lighthouse.py [--rounds 3]

Lighthouse (pinned below) is installed with the machine's npm into bench/.lighthouse
on first use and drives Debian's Chromium (CHROME_PATH, /usr/bin/chromium) headless,
with its default settings: the mobile preset (a phone's screen, simulated slow 4G and
a 4× slower CPU). Each round, on 127.0.0.1:
- `python run.py` in a temporary folder (its first run makes the demo home page), and
  Lighthouse on its home page, as a visitor (a fresh browser profile, no cookie);
- the minimal Flask view (bench/minimal_flask.py) under the same granian settings, and
  Lighthouse on it: the reference, a page of a few bytes with no stylesheet, script or
  picture, whose performance figures are what this machine and browser give any page
  (its other scores are a bare page's).
Each server is asked for the page and its files once before (see warm). It prints
each category's score of both and the five metrics the performance score is made of,
and for the home page the audits that the performance target names (text compression,
image sizes and formats) and two more (render-blocking resources, unused CSS): their
score, savings and what they list. The target: performance 100 and none of the first
three found. Every process it starts (the servers, Lighthouse and its Chromium) is
stopped at the end of its run, whatever happens, and a Lighthouse run is stopped after
RUN_SECONDS.
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path[:0] = [str(ROOT / "site"), str(ROOT), str(BENCH)]

from statboard import DEFAULT_THREADS  # noqa: E402
from table import Processes, running, serve_reference, serve_statboard  # noqa: E402

LIGHTHOUSE = "lighthouse@12.8.2"  # pinned: scores move between versions
LIGHTHOUSE_DIR = BENCH / ".lighthouse"
LIGHTHOUSE_CLI = LIGHTHOUSE_DIR / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CATEGORIES = ("performance", "accessibility", "best-practices")
TARGET_AUDITS = ("uses-text-compression", "uses-responsive-images", "modern-image-formats")
AUDITS = (*TARGET_AUDITS, "render-blocking-resources", "unused-css-rules")
# The metrics the performance score is made of (mobile weights: 10, 25, 30, 25, 10 %).
METRICS = {
    "first-contentful-paint": "FCP",
    "largest-contentful-paint": "LCP",
    "total-blocking-time": "TBT",
    "cumulative-layout-shift": "CLS",
    "speed-index": "SI",
}
BROWSER = {"Accept": "text/html", "Accept-Encoding": "br, gzip"}
LINKED = re.compile(r'(?:href|src)="(/[^"]+)"')
RUN_SECONDS = 240
KB = 1024


def lighthouse_cli() -> Path:
    """Lighthouse in the benchmark's own folder, installed on first use."""
    if not LIGHTHOUSE_CLI.exists():
        npm = shutil.which("npm")
        if npm is None:
            sys.exit("bench/lighthouse.py needs npm (Debian: apt-get install npm)")
        print(f"installing {LIGHTHOUSE} into bench/{LIGHTHOUSE_DIR.name} (first run)", flush=True)
        LIGHTHOUSE_DIR.mkdir(exist_ok=True)
        cmd = [npm, "install", "--prefix", str(LIGHTHOUSE_DIR), "--no-audit", "--no-fund"]
        subprocess.run([*cmd, "--loglevel=error", LIGHTHOUSE], check=True, timeout=600)
    return LIGHTHOUSE_CLI


def stop_browsers(marker: str) -> None:
    """Stop every process whose command line names marker (Chromium's profile folder):
    Lighthouse's Chromium leads a process group of its own, so stopping Lighthouse does
    not stop it when Lighthouse is killed mid-run."""
    for proc in psutil.process_iter(["pid", "cmdline"]):
        if any(marker in part for part in proc.info["cmdline"] or ()):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                if os.getpgid(proc.pid) == proc.pid:
                    os.killpg(proc.pid, signal.SIGKILL)
                else:
                    os.kill(proc.pid, signal.SIGKILL)


def lighthouse(url: str) -> dict:
    """One Lighthouse run on url with the default (mobile) settings: its JSON report."""
    cli = lighthouse_cli()
    with tempfile.TemporaryDirectory(prefix="statboard-lighthouse-") as tmp:
        report = Path(tmp) / "report.json"
        cmd = ["node", str(cli), url, "--output=json", f"--output-path={report}", "--quiet"]
        cmd += [f"--only-categories={','.join(CATEGORIES)}"]
        cmd += ["--chrome-flags=--headless=new --no-sandbox"]
        # Chromium's profile folder is made under TMPDIR: its path marks the run's browser.
        env = {**os.environ, "CHROME_PATH": CHROME, "TMPDIR": tmp}
        proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            process_group=0,
        )  # fmt: skip
        try:
            output, _ = proc.communicate(timeout=RUN_SECONDS)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            stop_browsers(tmp)
        if proc.returncode != 0 or not report.exists():
            raise RuntimeError(f"lighthouse exited with {proc.returncode}:\n{output[-2000:]}")
        return json.loads(report.read_text())


def warm(url: str) -> None:
    """Fetch the page and the files it links once, as a browser asks for them: Lighthouse
    measures a running site, not the first request after it started (templates to
    compile, static files to compress, the visitors' page cache to fill)."""
    with httpx.Client(base_url=url, headers=BROWSER, timeout=30.0) as client:
        page = client.get("/")
        page.raise_for_status()
        for path in sorted(set(LINKED.findall(page.text))):
            client.get(path.replace("&amp;", "&"))
        client.get("/")


def scores(report: dict) -> dict[str, float | None]:
    """Each category's score out of 100 (None: Lighthouse could not score it)."""
    found = {}
    for name in CATEGORIES:
        score = report["categories"][name]["score"]
        found[name] = None if score is None else round(score * 100)
    return found


def is_finding(audit: dict) -> bool:
    """As Lighthouse's report shows it: not among the passed audits."""
    mode = audit.get("scoreDisplayMode")
    if mode in ("manual", "notApplicable"):
        return False
    if mode in ("error", "informative"):
        return True
    return (audit.get("score") or 0) < 0.9


def audit_line(audit: dict) -> str:
    details = audit.get("details") or {}
    score = audit.get("score")
    line = f"score {'n/a' if score is None else f'{score:g}'} ({audit['scoreDisplayMode']})"
    savings_ms = details.get("overallSavingsMs")
    savings_bytes = details.get("overallSavingsBytes")
    if savings_ms is not None:
        line += f", savings {savings_ms:,.0f} ms"
    if savings_bytes is not None:
        line += f", {savings_bytes / KB:,.1f} KiB"
    items = [item.get("url") for item in details.get("items") or () if item.get("url")]
    line += f": {'found' if is_finding(audit) else 'passed'}"
    return line + "".join(f"\n      {url}" for url in items[:5])


def metrics(report: dict) -> str:
    shown = []
    for name, short in METRICS.items():
        audit = report["audits"][name]
        value = audit.get("numericValue")
        value = "-" if value is None else f"{value:.3f}" if short == "CLS" else f"{value:,.0f} ms"
        shown.append(f"{short} {value} ({audit.get('score') or 0:g})")
    return ", ".join(shown)


def score_line(label: str, report: dict) -> str:
    shown = (f"{name} {'-' if v is None else v}" for name, v in scores(report).items())
    return f"  {label:<10}" + "  ".join(shown) + f"\n{'':12}{metrics(report)}"


def one_round(procs: Processes, tmp: Path) -> tuple[dict, dict]:
    """Lighthouse's reports on the home page and on the reference."""
    site = serve_statboard(procs, tmp, "site")
    with running(procs, site.proc):
        warm(site.url)
        home = lighthouse(f"{site.url}/")
    proc, url = serve_reference(procs, "minimal_flask:app", DEFAULT_THREADS)
    with running(procs, proc):
        warm(url)
        reference = lighthouse(f"{url}/")
    return home, reference


def spread(values: list) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    return " / ".join(f"{v:g}" for v in (min(values), statistics.median(values), max(values)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    # A SIGTERM (a timeout, a stopped make) unwinds like Ctrl-C: every server is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    lighthouse_cli()
    print(f"{LIGHTHOUSE}, {CHROME}, mobile preset; the demo home page as a visitor")
    homes, references, findings = [], [], set()
    procs = Processes()
    try:
        for number in range(1, args.rounds + 1):
            with tempfile.TemporaryDirectory(prefix="statboard-lighthouse-site-") as tmp:
                home, reference = one_round(procs, Path(tmp))
            homes.append(scores(home))
            references.append(scores(reference))
            print(f"round {number}")
            print(score_line("home", home))
            print(score_line("reference", reference))
            for name in AUDITS:
                audit = home["audits"][name]
                print(f"    {name}: {audit_line(audit)}", flush=True)
                if name in TARGET_AUDITS and is_finding(audit):
                    findings.add(name)
    finally:
        procs.stop_all()
    print(f"\nscores min / median / max over {args.rounds} round(s): home | reference")
    for name in CATEGORIES:
        ours = spread([found[name] for found in homes])
        theirs = spread([found[name] for found in references])
        print(f"  {name:<15}{ours:>16} | {theirs}")
    performance = statistics.median(found["performance"] or 0 for found in homes)
    met = performance == 100 and not findings
    print(
        f"target (performance 100, no {', '.join(TARGET_AUDITS)} finding): "
        f"{'met' if met else 'missed'} (median performance {performance:g}"
        f"{'; found: ' + ', '.join(sorted(findings)) if findings else ''})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
