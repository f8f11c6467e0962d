"""run.py's main process on the real server: it holds no granian (its workers do) nor
what the preparations loaded, stops them with itself, and stops the server when one of
them dies."""

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
        # Nor what serve.py's preparations and multiprocessing load (json, subprocess,
        # pickle, ctypes): it serves from run.py run again in its place.
        for module in ("_json", "_posixsubprocess", "_pickle", "_ctypes"):
            assert f"/{module}." in maps(worker)
            assert f"/{module}." not in maps(site.proc.pid)
        assert "run.py" in Path(f"/proc/{site.proc.pid}/cmdline").read_text()
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


HANDED_OVER = """
import ctypes, os, sys, threading
from statboard import supervisor

def serve(reserved, target, workers, loader, interface, **settings):
    # 8 threads allocating at once: glibc gives each an arena, up to MALLOC_ARENA_MAX.
    barrier = threading.Barrier(8)
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    def allocate():
        barrier.wait()
        libc.malloc(64)
        barrier.wait()
    threads = [threading.Thread(target=allocate) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sys.stdout.flush()
    libc.malloc_stats()  # to standard error, an "Arena N:" line for each
    print(os.getpid(), reserved.getsockname()[1], target, workers, interface,
          sorted(settings.items()), os.environ.get("MALLOC_ARENA_MAX"),
          supervisor.HANDOVER in os.environ, sys.argv[1:], flush=True)
    return 0

if supervisor.HANDOVER in os.environ:
    supervisor.serve = serve
    supervisor.main()
else:
    print(os.getpid(), flush=True)
    reserved = supervisor.reserve("127.0.0.1", 0)
    print(reserved.getsockname()[1], flush=True)
    start_env = {"MALLOC_ARENA_MAX": "2"}
    supervisor.hand_over(reserved, "app:app", 3, "wsgi", 16, sys.argv[2], start_env)
"""


def test_the_server_is_handed_over_to_the_same_process_with_its_socket(tmp_path):
    script, folder = tmp_path / "handed.py", tmp_path / "metrics"
    script.write_text(HANDED_OVER)
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    run = [sys.executable, str(script), "--port", str(folder)]
    done = subprocess.run(run, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    pid, port, served = done.stdout.splitlines()
    assert served == (
        f"{pid} {port} app:app 3 wsgi [('blocking_threads', 16), ('log_access', False)]"
        f" None False ['--port', '{folder}']"
    )
    # The variable was read at the start (2 arenas for 9 threads), then taken out of the
    # environment that the workers and their commands inherit.
    arenas = [line for line in done.stderr.splitlines() if line.startswith("Arena ")]
    assert len(arenas) == 2
    assert not folder.exists()  # removed once the server stopped
