"""The served site and counter server start quietly: their request threads are settings,
whose default the WSGI server's start does not warn about."""

import multiprocessing

import httpx
import pytest
from statboard import DEFAULT_THREADS

from tests.fixtures.servers import start_site, stop

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


def test_thread_counts_are_settings_with_a_default(make_app):
    default = make_app()
    assert default.config["SERVER_THREADS"] == DEFAULT_THREADS == 16
    assert default.config["COUNTER_SERVER_THREADS"] == multiprocessing.cpu_count() * 2 + 1
    chosen = make_app(SERVER_THREADS=3, COUNTER_SERVER_THREADS=7)
    assert (chosen.config["SERVER_THREADS"], chosen.config["COUNTER_SERVER_THREADS"]) == (3, 7)
