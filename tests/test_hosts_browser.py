"""The host tiles in a real browser: they refresh themselves and swap ranges in place."""

import sqlite3

import pytest

from tests.fixtures.servers import start_site, stop


@pytest.fixture(scope="module")
def quick_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hosts-browser")
    env = {
        "STATBOARD_HOST_REFRESH_SECONDS": "1",
        "STATBOARD_HOST_SAMPLE_SECONDS": "1",
        "STATBOARD_HOST_CHECK_SECONDS": "1",
        "STATBOARD_LOG_LEVEL": "WARNING",
    }
    site = start_site(tmp, env=env)
    yield site
    stop(site.proc)


def block_id(site, kind: str) -> int:
    path = site.env["STATBOARD_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        return conn.execute("select id from blocks where kind = ?", (kind,)).fetchone()[0]


def test_the_tile_refreshes_itself_and_swaps_ranges(quick_site, page):
    url = f"{quick_site.url}/blocks/{block_id(quick_site, 'host')}/tile"
    page.goto(url)
    tile = page.locator(".host-tile")
    assert tile.locator("dt").first.inner_text().upper() == "CPU"
    with page.expect_response(lambda r: "/tile" in r.url and "range=1h" in r.url):
        pass  # the tile asked for itself again without anyone clicking
    page.get_by_role("link", name="24h").click()
    page.wait_for_selector('.host-ranges a[aria-current="true"]:text("24h")')
    assert page.url == url  # swapped in place, no navigation
    with page.expect_response(lambda r: "range=24h" in r.url):
        pass  # and keeps refreshing the chosen range


def test_the_demo_remote_host_is_seen_up(quick_site, page):
    page.goto(f"{quick_site.url}/blocks/{block_id(quick_site, 'remote_hosts')}/tile")
    # The demo entry is the site's own /v1/uptime/, checked every second here.
    page.wait_for_selector(".remote-up .remote-title:text('this site')", timeout=15_000)
    assert "up ·" in page.locator(".remote-up small").first.inner_text()
