"""run.py's main process on the real server: it holds no granian (its workers do), stops
them with itself, and stops the server when one of them dies."""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
from statboard.supervisor import STOP_SECONDS

from tests.fixtures.counters import hammer, persisted, serve
from tests.fixtures.processes import wait_until_gone
from tests.fixtures.servers import ROOT, listening, local_env, start_site, stop, workers_of


def maps(pid: int) -> str:
    return (Path("/proc") / str(pid) / "maps").read_text()


def rss_kb(pid: int) -> int:
    status = (Path("/proc") / str(pid) / "status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])


def test_the_main_process_loads_no_granian_and_stops_its_workers(tmp_path):
    site = start_site(tmp_path, env={"STATBOARD_WORKERS": "1"})
    try:
        assert httpx.get(site.url + "/healthz", timeout=10).status_code == 200
        (worker,) = workers_of(site.proc.pid, 1)
        assert "_granian" in maps(worker)  # what is looked for is there to be found
        assert "_granian" not in maps(site.proc.pid)
        assert rss_kb(site.proc.pid) < rss_kb(worker)
    finally:
        stop(site.proc)
    assert site.proc.returncode == 0
    assert wait_until_gone([worker], timeout=5) == []


def test_a_worker_that_dies_stops_the_server_and_its_other_workers(tmp_path):
    site = serve(tmp_path, "counters", 2)
    try:
        assert httpx.post(site.url + "/counters/song/1", timeout=10).status_code == 200
        first, second = workers_of(site.proc.pid, 2)
        os.kill(first, signal.SIGKILL)
        site.proc.wait(20)
        assert site.proc.returncode == 1
        assert wait_until_gone([second], timeout=5) == [], "a worker outlived its server"
        assert not listening(site.url)
        assert "Unexpected exit from worker-" in site.proc.stdout.read()
    finally:
        stop(site.proc)


def test_a_ctrl_c_stops_every_worker_gracefully(tmp_path):
    # A flush interval far longer than the test: only the workers' stop writes.
    site = serve(tmp_path, "counters", 2, COUNTER_FLUSH_SECONDS=120)
    try:
        acked = hammer(site.url, "song/4", 4, 25)
        os.killpg(site.proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C does
        site.proc.wait(STOP_SECONDS - 2)  # no worker was left to be killed
    finally:
        stop(site.proc)
    assert site.proc.returncode == 0
    assert "refused to gracefully stop" not in site.proc.stdout.read()
    assert persisted(tmp_path, "song/4") == acked == 100


def test_an_address_in_use_stops_the_start_with_a_sentence(tmp_path):
    env = local_env(tmp_path, SECRET_KEY="in-use-secret")
    run = {"env": env, "cwd": ROOT, "capture_output": True, "text": True, "timeout": 60}
    migrate = [sys.executable, "-m", "flask", "--app", "statboard", "db", "upgrade"]
    subprocess.run(migrate, check=True, **run)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "run.py", "counters", "--port", str(port)], **run)
    assert done.returncode == 1
    assert f"Cannot serve on 127.0.0.1 port {port} (Address already in use)" in done.stderr
    assert "Traceback" not in done.stderr
