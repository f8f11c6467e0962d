"""CounterClient against three real counter servers (`python run.py counters`)."""

import time

import httpx
import pytest
from statboard.auth.models import ApiToken, User
from statboard.counters.client import CounterClient, CounterError, CounterServerDown, pick_server

from tests.fixtures.counters import serve
from tests.fixtures.servers import free_port, stop

KEYS = [f"song/{i}" for i in range(300)]


TOKEN = "sb_client-test-token"


def make_token(tmp_path) -> None:
    """An admin's counters token in the database of the server serving from tmp (migrated)."""
    from statboard import create_app
    from statboard.extensions import db

    from tests.conftest import make_settings

    app = create_app(make_settings(tmp_path))
    with app.app_context():
        user = User(username="robot", fullname="Robot", email="", is_admin=True)
        user.set_password("x")
        token = ApiToken(user=user, name="client", scopes="counters")
        token.token_hash = ApiToken.hash(TOKEN)
        db.session.add_all([user, token])
        db.session.commit()
        db.engine.dispose()


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    tmp = [tmp_path_factory.mktemp(f"counter{i}") for i in range(3)]
    sites = [serve(t, "counters", COUNTER_FLUSH_SECONDS=0.2) for t in tmp]
    for t in tmp:
        make_token(t)
    yield [s.url for s in sites]
    for site in sites:
        stop(site.proc)


@pytest.fixture
def client(servers):
    urls = servers
    with CounterClient(urls, timeout=2) as counters:
        yield counters


def test_adding_a_server_moves_about_one_key_in_n():
    three = [f"http://10.0.0.{i}:8001" for i in range(3)]
    four = [*three, "http://10.0.0.9:8001"]
    keys = [f"song/{i}" for i in range(4000)]
    moved = [k for k in keys if pick_server(three, k) != pick_server(four, k)]
    assert all(pick_server(four, k) == four[-1] for k in moved)  # only to the new server
    assert 0.20 < len(moved) / len(keys) < 0.30  # about 1/4
    shares = {s: sum(pick_server(three, k) == s for k in keys) / len(keys) for s in three}
    assert all(0.28 < share < 0.39 for share in shares.values())


def test_keys_spread_over_the_servers_and_each_lives_on_one(client, servers):
    urls = servers
    for i, key in enumerate(KEYS[:60]):
        assert client.increment(key, by=i + 1) == i + 1
    held = {url: httpx.get(f"{url}/counters/?prefix=song/").json() for url in urls}
    assert all(held.values()), "some server got no key"
    for key in KEYS[:60]:
        owners = [url for url, values in held.items() if key in values]
        assert owners == [client.server_for(key)]
    assert client.get(KEYS[5]) == 6
    assert client.get("never/hit") == 0


def test_get_all_merges_every_server_and_reset_clears_them(servers):
    urls = servers
    with CounterClient(urls) as counters:
        for key in ("film/1", "film/2", "film/2", "song/x"):
            counters.increment(key)
        merged = counters.get_all(prefix="film/")
        assert merged == {"film/1": 1, "film/2": 2}
        assert counters.get_all()["song/x"] == 1
        with pytest.raises(CounterError, match="401"):
            counters.reset(prefix="film/")
    with CounterClient(urls, token=TOKEN) as admin:
        admin.reset(prefix="film/")
    with CounterClient(urls) as counters:
        assert counters.get_all(prefix="film/") == {}
        assert counters.get_all()["song/x"] == 1


def test_a_down_server_gives_an_error_naming_it(servers):
    urls = servers
    dead = f"http://127.0.0.1:{free_port()}"
    with CounterClient([*urls, dead], timeout=1) as counters:
        key = next(k for k in KEYS if counters.server_for(k) == dead)
        started = time.monotonic()
        with pytest.raises(CounterServerDown, match=dead):
            counters.increment(key)
        assert time.monotonic() - started < 5
        with pytest.raises(CounterServerDown, match="start it"):
            counters.get_all()
        alive = next(k for k in KEYS if counters.server_for(k) != dead)
        assert counters.increment(alive) >= 1


def test_connections_are_kept_alive(client):
    key = KEYS[200]
    server = client.server_for(key)
    client.increment(key)
    pool = client._clients[server]._transport._pool
    first = {id(c) for c in pool.connections}
    for _ in range(20):
        client.increment(key)
    assert len(pool.connections) == 1 and {id(c) for c in pool.connections} == first
