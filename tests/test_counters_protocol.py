"""The original play-counter protocol on real counter servers (`python run.py counters`)
and on the served site: the original client, unchanged, against one server and against
three sharded by song_id % 3; CounterClient.get_all exact whether three servers keep
their counters apart or share one database or one Redis."""

import http.client
import json
import sqlite3
import time
from urllib.parse import urlsplit

import pytest
from statboard.counters.client import CounterClient

from tests.fixtures.counters import serve
from tests.fixtures.play_client import PlayCounterClient
from tests.fixtures.servers import flask, start_site, stop

LOOPBACK = json.dumps(["127.0.0.1/32"])
FLUSH = 0.2  # seconds between write-behind flushes of the servers started here
# Low enough that the tests below would hit it, were the loopback not trusted.
TRUSTED = {"COUNTER_TRUSTED_NETWORKS": LOOPBACK, "COUNTER_RATE_LIMIT": "3/minute"}


def call(url: str, method: str, path: str, headers=None):
    """(status, headers by lower-case name, body) of one request, through http.client as
    the old client sends it."""
    conn = http.client.HTTPConnection(urlsplit(url).netloc, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def host_port(site) -> str:
    return urlsplit(site.url).netloc


def stop_all(sites) -> None:
    for site in sites:
        stop(site.proc)


def start_servers(tmp_path_factory, name: str, count: int = 3, **settings) -> list:
    sites = []
    try:
        for i in range(count):
            tmp = tmp_path_factory.mktemp(f"{name}{i}")
            sites.append(serve(tmp, "counters", COUNTER_FLUSH_SECONDS=FLUSH, **settings))
    except BaseException:
        stop_all(sites)
        raise
    return sites


def wait_until(check, timeout: float = 5.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what} did not hold within {timeout} s"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def lone(tmp_path_factory):
    """One counter server trusting no network, its own database."""
    (site,) = start_servers(tmp_path_factory, "lone", count=1)
    yield site
    stop(site.proc)


@pytest.fixture(scope="module")
def apart(tmp_path_factory):
    """Three servers trusting the loopback, each with its own database."""
    sites = start_servers(tmp_path_factory, "apart", **TRUSTED)
    yield sites
    stop_all(sites)


@pytest.fixture(scope="module")
def one_database(tmp_path_factory):
    """Three servers trusting the loopback, sharing one SQLite database (memory://)."""
    shared = tmp_path_factory.mktemp("shared") / "counters.db"
    sites = start_servers(tmp_path_factory, "onedb", DATABASE_URL=f"sqlite:///{shared}", **TRUSTED)
    yield sites
    stop_all(sites)


@pytest.fixture(scope="module")
def one_redis(tmp_path_factory, redis_url):
    """Three servers trusting the loopback, sharing one Redis (redis://)."""
    sites = start_servers(
        tmp_path_factory,
        "oneredis",
        COUNTERS_URL=redis_url,
        COUNTER_REDIS_NAMESPACE="protocol-test:",
        **TRUSTED,
    )
    yield sites
    stop_all(sites)


def history_total(site, key: str) -> int:
    with sqlite3.connect(site.tmp / "statboard.db") as conn:
        row = conn.execute(
            "SELECT SUM(total) FROM counter_history WHERE key = ? AND resolution = 'minute'",
            (key,),
        ).fetchone()
    return row[0] or 0


# --- One dedicated server, byte for byte ------------------------------------------


def test_a_counter_server_answers_the_original_protocol_byte_for_byte(lone):
    url = lone.url
    status, headers, body = call(url, "GET", "/song/1")
    assert (status, body) == (200, b"0")
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert headers["x-content-type-options"] == "nosniff"  # the site's security headers
    assert [call(url, "POST", "/song/1")[2] for _ in range(2)] == [b"1", b"2"]
    assert call(url, "POST", "/song/5")[2] == b"1"
    assert call(url, "GET", "/song/1")[2] == b"2"
    assert call(url, "GET", "/") == (200, headers | {"content-length": "7"}, b"1=2,5=1")
    # The same counters as /counters/..., with their history.
    assert call(url, "GET", "/counters/song/1")[2] == b"2"
    wait_until(lambda: history_total(lone, "song/1") == 2, what="song/1's history")
    status, _, head = call(url, "HEAD", "/")
    assert (status, head) == (200, b"")


def test_clearing_needs_a_token_made_by_the_cli_or_a_trusted_network(lone):
    url = lone.url
    call(url, "POST", "/song/9")
    status, headers, body = call(url, "DELETE", "/")
    assert status == 401 and "Bearer" in headers["www-authenticate"]
    assert b"COUNTER_TRUSTED_NETWORKS" in body
    assert b"9=1" in call(url, "GET", "/")[2]
    flask(lone, "users", "create", "robot", "--password", "robot-pw", "--admin")
    plain = flask(lone, "tokens", "create", "counters", "--user", "robot", "--scope", "counters")
    token = plain.strip().splitlines()[-1]
    authorized = {"Authorization": f"Bearer {token}"}
    assert call(url, "DELETE", "/", authorized)[0::2] == (200, b"OK")
    status, headers, body = call(url, "GET", "/")
    assert (status, body, headers["content-length"]) == (200, b"", "0")


@pytest.mark.parametrize(
    "method, path, status",
    [
        ("GET", "/song/abc", 400),
        ("POST", "/song/-1", 400),
        ("POST", "/song/", 400),
        ("POST", "/song/1/2", 400),
        ("POST", "/song/99999999999999999999", 400),
        ("GET", "/song/%ff", 400),
        ("PUT", "/song/1", 405),
        ("DELETE", "/song/1", 405),
        ("POST", "/", 405),
        ("PUT", "/", 405),
        ("GET", "/song", 404),
        ("GET", "/elsewhere", 404),
    ],
)
def test_bad_requests_get_a_clear_4xx(lone, method, path, status):
    got, headers, body = call(lone.url, method, path)
    assert got == status and body.strip(), body
    if status == 405:
        assert "GET" in headers["allow"]
    assert call(lone.url, "GET", "/")[2] == b""


@pytest.mark.parametrize("hops, status", [(0, 401), (1, 200)])
def test_a_counter_server_reads_forwarded_for_only_behind_its_proxy_hops(tmp_path, hops, status):
    """A trusted network on a dedicated server: X-Forwarded-For names the client only
    when PROXY_HOPS says a proxy added it; by default the connection's address counts
    (127.0.0.1, not trusted here)."""
    site = serve(
        tmp_path, "counters", COUNTER_TRUSTED_NETWORKS=json.dumps(["10.0.0.0/8"]), PROXY_HOPS=hops
    )
    try:
        call(site.url, "POST", "/song/2")
        got, _, body = call(site.url, "DELETE", "/", {"X-Forwarded-For": "10.1.2.3"})
        assert got == status and (status != 200 or body == b"OK")
        assert call(site.url, "GET", "/")[2] == (b"2=1" if status == 401 else b"")
    finally:
        stop(site.proc)


def test_a_counter_server_on_the_sites_database_shares_its_tokens_and_counters(tmp_path):
    """The layout the README gives for one store: a dedicated counter server on the
    site's database takes the tokens made for the site, and its counters are the site's."""
    database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'site' / 'statboard.db'}"}
    (tmp_path / "site").mkdir()
    site = start_site(tmp_path / "site", env={"STATBOARD_COUNTER_FLUSH_SECONDS": str(FLUSH)})
    try:
        (tmp_path / "counters").mkdir()
        server = serve(tmp_path / "counters", "counters", COUNTER_FLUSH_SECONDS=FLUSH, **database)
        try:
            flask(site, "users", "create", "robot", "--password", "robot-pw", "--admin")
            made = flask(site, "tokens", "create", "all", "--user", "robot", "--scope", "counters")
            token = made.strip().splitlines()[-1]
            assert [call(server.url, "POST", "/song/4")[2] for _ in range(3)] == [b"1", b"2", b"3"]
            wait_until(
                lambda: call(site.url, "GET", "/counters/song/4")[2] == b"3",
                what="the counter server's increments on the site",
            )
            assert call(server.url, "DELETE", "/")[0] == 401  # no token, no trusted network
            cleared = call(server.url, "DELETE", "/", {"Authorization": f"Bearer {token}"})
            assert cleared[0::2] == (200, b"OK")
            wait_until(
                lambda: call(site.url, "GET", "/counters/song/4")[2] == b"0",
                what="the clear on the site",
            )
        finally:
            stop(server.proc)
    finally:
        stop(site.proc)


# --- The original client, unchanged ---------------------------------------------


def session(client: PlayCounterClient) -> None:
    """The original client's whole session."""
    assert client.get(1) == 0
    assert client.increment(1) == 1
    assert client.increment(1) == 2
    assert client.increment(5) == 1
    assert client.get(1) == 2
    assert client.get_all() == {1: 2, 5: 1}
    assert client.reset() is True
    assert client.get_all() == {}


def test_the_original_client_against_one_server(apart):
    session(PlayCounterClient([host_port(apart[0])]))


def test_the_original_client_against_three_servers(apart):
    servers = [host_port(site) for site in apart]
    client = PlayCounterClient(servers)
    client.increment(1)
    # Each song lived on the server song_id % 3 picked, and only there.
    held = [call(site.url, "GET", "/")[2] for site in apart]
    assert held == [b"", b"1=1", b""]
    client.reset()
    session(client)


def test_the_original_client_against_three_servers_sharing_one_redis(one_redis):
    session(PlayCounterClient([host_port(site) for site in one_redis]))


# --- CounterClient.get_all over the layouts -------------------------------------


@pytest.mark.parametrize("layout", ["apart", "one_database", "one_redis"])
def test_get_all_counts_each_key_once_whatever_the_layout(request, layout):
    sites = request.getfixturevalue(layout)
    urls = [site.url for site in sites]
    expected = {f"load/{i}": i % 4 + 1 for i in range(30)}
    with CounterClient(urls) as counters:
        for key, times in expected.items():
            for _ in range(times):
                counters.increment(key)
        assert len({counters.server_for(key) for key in expected}) == 3
        if layout != "apart":  # every server sees every key once the increments are written
            last = max(expected)
            wait_until(
                lambda: all(
                    call(url, "GET", f"/counters/{last}")[2] == b"%d" % expected[last]
                    for url in urls
                ),
                what="the flush into the shared store",
            )
        assert counters.get_all(prefix="load/") == dict(sorted(expected.items()))
        assert counters.get_all()["load/3"] == 4
        counters.reset(prefix="load/")  # the loopback is trusted: no token
        assert counters.get_all(prefix="load/") == {}


# --- The served site ----------------------------------------------------------------


def test_the_site_serves_song_ids_and_keeps_its_root(tmp_path):
    site = start_site(tmp_path, env={"STATBOARD_COUNTER_TRUSTED_NETWORKS": LOOPBACK})
    try:
        assert call(site.url, "POST", "/song/3")[0::2] == (200, b"1")
        assert call(site.url, "GET", "/song/3")[0::2] == (200, b"1")
        assert call(site.url, "GET", "/counters/song/3")[2] == b"1"
        status, _, page = call(site.url, "GET", "/", {"Accept": "text/html"})
        assert status == 200 and b"<html" in page
        assert call(site.url, "DELETE", "/")[0] == 405
        assert call(site.url, "DELETE", "/counters/?prefix=song/")[0] == 204
        assert call(site.url, "GET", "/song/3")[2] == b"0"
    finally:
        stop(site.proc)
