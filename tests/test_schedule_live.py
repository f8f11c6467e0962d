"""The served site really runs its periodic jobs, in one process however many serve."""

import sqlite3
import time

import pytest

from tests.fixtures.servers import start_site, stop

INTERVAL = 0.5  # HOST_SAMPLE_SECONDS of the served site
WINDOW = 4.0  # seconds of samples counted


def sample_count(site) -> int:
    """How many host samples the site has stored, read from its database."""
    path = site.env["STATBOARD_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path, timeout=5) as conn:
        return conn.execute("SELECT count(*) FROM host_samples").fetchone()[0]


def wait_for_samples(site, count: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while (have := sample_count(site)) < count:
        assert time.monotonic() < deadline, f"only {have} samples after {timeout} s"
        time.sleep(0.1)
    return have


@pytest.mark.parametrize("workers", [1, 2])
def test_host_samples_accumulate_once_per_interval(tmp_path, workers):
    env = {"STATBOARD_HOST_SAMPLE_SECONDS": str(INTERVAL), "STATBOARD_LOG_LEVEL": "WARNING"}
    site = start_site(tmp_path, env=env, args=("--workers", str(workers)))
    try:
        first = wait_for_samples(site, 1, timeout=20)  # the jobs have begun
        time.sleep(WINDOW)
        added = sample_count(site) - first
    finally:
        stop(site.proc)
    expected = WINDOW / INTERVAL
    # Samples keep coming, and not twice as many: one process of `workers` runs the jobs.
    assert expected * 0.5 <= added <= expected + 2, f"{added} samples in {WINDOW} s"
