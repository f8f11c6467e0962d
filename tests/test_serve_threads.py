"""The served site and counter server start quietly: their request threads are settings
whose default the WSGI server takes without a warning. The site's worker hands the GIL
on after 1 ms rather than Python's 5, so that a page rendered among answers from memory
is not held up at each of its database reads."""

import multiprocessing
import subprocess
import sys

import httpx
import pytest

from tests.fixtures.servers import ROOT, free_port, local_env, start_site, stop

WARNING = "Python threads"  # granian's "Configuration allows spawning up to N Python threads"


@pytest.mark.parametrize("what", ["site", "counters"])
def test_a_server_starts_without_a_threads_warning(tmp_path, what):
    site = start_site(tmp_path, what=what)
    try:
        assert httpx.get(site.url + "/healthz", timeout=10).status_code == 200
    finally:
        stop(site.proc)
    output = site.proc.stdout.read()
    assert f"Statboard ({what}) on " in output
    assert WARNING not in output, output


def test_thread_counts_are_settings_with_a_default_from_the_cores(make_app):
    cores = multiprocessing.cpu_count()
    default = make_app()
    assert default.config["SERVER_THREADS"] == cores * 2 + 1
    assert default.config["COUNTER_SERVER_THREADS"] == cores * 2 + 1
    chosen = make_app(SERVER_THREADS=3, COUNTER_SERVER_THREADS=7)
    assert (chosen.config["SERVER_THREADS"], chosen.config["COUNTER_SERVER_THREADS"]) == (3, 7)


def test_the_site_worker_hands_the_gil_on_after_a_millisecond(tmp_path):
    env = local_env(tmp_path, LIVE_PORT=str(free_port()), SCHEDULER="false")
    env["PYTHONPATH"] = str(ROOT / "site")
    run = {"env": env, "cwd": ROOT, "capture_output": True, "text": True, "timeout": 120}
    upgrade = [sys.executable, "-m", "flask", "--app", "statboard", "db", "upgrade"]
    assert subprocess.run(upgrade, **run).returncode == 0
    # What the server's worker loads; os._exit leaves its event server's thread behind.
    worker = "import os, sys, statboard.wsgi; print(sys.getswitchinterval()); os._exit(0)"
    loaded = subprocess.run([sys.executable, "-c", worker], **run)
    assert loaded.returncode == 0, loaded.stderr
    assert float(loaded.stdout.split()[-1]) == 0.001
