"""Killing the real server leaves nothing behind: its workers die with it, and what an
upload in flight had stored is swept when the site starts again."""

import contextlib
import io
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import httpx
from PIL import Image

from tests.fixtures.counters import hammer, persisted, serve
from tests.fixtures.processes import wait_until_gone
from tests.fixtures.servers import (
    MAKE_ADMIN,
    ROOT,
    kill_group,
    listening,
    start_site,
    stop,
    workers_of,
)


def test_workers_die_with_a_killed_main_process(tmp_path):
    # A flush interval far longer than the test: only the workers' stop writes.
    site = serve(tmp_path, "counters", 2, COUNTER_FLUSH_SECONDS=120)
    try:
        workers = workers_of(site.proc.pid, 2)
        acked = hammer(site.url, "song/9", 4, 25)
        site.proc.send_signal(signal.SIGKILL)  # the main process only
        site.proc.wait(10)
        assert wait_until_gone(workers, timeout=8) == [], "a worker outlived its server"
        assert not listening(site.url)
        # They stopped as granian stops them: what they counted is kept.
        assert persisted(tmp_path, "song/9") == acked == 100
    finally:
        if site.proc.poll() is None:
            stop(site.proc)


# --- a gallery upload killed half way -------------------------------------------------

MAKE_GALLERY = (
    MAKE_ADMIN
    + """
from tests.fixtures.images import make_block
print(make_block(app, "gallery", {"title": "Trips", "items": []}))
"""
)


def big_picture(shade: int) -> bytes:
    """A 6-megapixel photo: slow to re-encode, small to send."""
    image = Image.linear_gradient("L").resize((3000, 2000)).convert("RGB")
    image = Image.eval(image, lambda v: (v + shade) % 256)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def logged_in(url: str) -> tuple[httpx.Client, str]:
    http = httpx.Client(base_url=url, timeout=60)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', http.get("/login").text)[1]
    answer = http.post(
        "/login", data={"csrf_token": token, "username": "boss", "password": "boss-password"}
    )
    assert answer.status_code == 303, answer.text
    return http, token


def stored_keys(tmp) -> set[str]:
    with sqlite3.connect(tmp / "statboard.db") as conn:
        return {row[0] for row in conn.execute("SELECT key FROM stored_files")}


def objects(tmp) -> set[str]:
    folder = tmp / "uploads"
    if not folder.exists():
        return set()
    return {entry.name for entry in folder.iterdir() if entry.name != "series-imports"}


def test_a_kill_during_a_gallery_upload_leaves_nothing_after_the_restart(tmp_path):
    env = {"STATBOARD_LOG_LEVEL": "WARNING", "STATBOARD_SWEEP_GRACE_SECONDS": "1"}
    site = start_site(tmp_path, env=env)
    try:
        made = subprocess.run(
            [sys.executable, "-c", MAKE_GALLERY],
            env=site.env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        block_id = int(made.stdout.split()[-1])
        http, token = logged_in(site.url)
        files = [("files", (f"trip-{n}.jpg", big_picture(n * 20), "image/jpeg")) for n in range(8)]

        def upload():
            with contextlib.suppress(httpx.TransportError):  # the server is gone
                http.post(
                    f"/blocks/{block_id}/items",
                    data={"csrf_token": token, "version": "1"},
                    files=files,
                )

        before = objects(tmp_path)  # the demo's images
        sender = threading.Thread(target=upload)
        sender.start()
        deadline = time.monotonic() + 60
        while objects(tmp_path) <= before and time.monotonic() < deadline:
            time.sleep(0.01)
        kill_group(site)  # mid-upload: some images stored, the row not committed
        sender.join(30)
        http.close()
    finally:
        if site.proc.poll() is None:
            kill_group(site)

    assert objects(tmp_path) - stored_keys(tmp_path), "the kill came too late (or too early)"
    # A killed import's upload, too.
    imports = tmp_path / "uploads" / "series-imports"  # in the storage, as the site saves them
    imports.mkdir(parents=True, exist_ok=True)
    (imports / "0123456789abcdef.zip").write_bytes(b"PK" + b"\0" * 1000)
    time.sleep(1.1)  # older than the grace period

    again = start_site(tmp_path, env=env)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if not objects(tmp_path) - stored_keys(tmp_path) and not list(imports.iterdir()):
                break
            time.sleep(0.1)
        assert objects(tmp_path) - stored_keys(tmp_path) == set()
        assert list(imports.iterdir()) == []
        assert httpx.get(again.url + "/", timeout=10).status_code == 200
    finally:
        stop(again.proc)
