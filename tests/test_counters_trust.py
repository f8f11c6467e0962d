"""The play protocol's /song/<id> on the site, trusted networks and proxy hops, through
the site's whole WSGI stack (the test client sets the client address)."""

import pytest
from statboard import create_app
from statboard.extensions import db
from werkzeug.test import Client

from tests.conftest import make_settings

TEXT = {"Accept": "text/plain"}


@pytest.fixture
def site(tmp_path):
    """site(**settings): a test client of a site made with those settings."""
    apps = []

    def make(**overrides):
        app = create_app(make_settings(tmp_path, COUNTER_RATE_LIMIT="2/minute", **overrides))
        with app.app_context():
            db.create_all()
        apps.append(app)
        return app.test_client()

    yield make
    for app in apps:
        app.extensions["counters"].store.close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def client(site):
    return site()


def from_address(client, address: str):
    client.environ_base["REMOTE_ADDR"] = address
    return client


def listed(client) -> bytes:
    return client.get("/counters/?prefix=song/", headers=TEXT).data


# --- /song/<id> on the site --------------------------------------------------------


def test_the_site_serves_song_ids_as_the_counters_of_the_namespace(client):
    assert client.get("/song/1").data == b"0"
    assert client.post("/song/1").data == b"1"
    response = client.post("/song/1")
    assert response.data == b"2" and response.content_type == "text/plain; charset=utf-8"
    assert client.get("/song/01").data == b"2"  # the id is a number, as the original read it
    assert client.get("/counters/song/1").data == b"2"  # the same counter
    assert listed(client) == b"song/1=2"


def test_the_site_keeps_its_home_page_at_the_root(client):
    client.post("/song/1")
    assert b"<html" in client.get("/", headers={"Accept": "text/html"}).data
    assert "links" in client.get("/").get_json()
    assert client.delete("/").status_code == 405
    assert listed(client) == b"song/1=1"


@pytest.mark.parametrize(
    "method, path, status, says",
    [
        ("GET", "/song/abc", 400, "not a whole number"),
        ("POST", "/song/-1", 400, "not a whole number"),
        ("POST", "/song/1.5", 400, "not a whole number"),
        ("POST", "/song/", 400, "not a whole number"),
        ("POST", "/song/1/2", 400, "not a whole number"),
        ("POST", "/song/%00", 400, "not a whole number"),
        ("POST", "/song/9223372036854775808", 400, "from 0 to 9223372036854775807"),
        ("GET", "/song/" + "9" * 5000, 400, "not a whole number"),
        ("PUT", "/song/1", 405, "Use GET, HEAD, POST."),
        ("DELETE", "/song/1", 405, "Use GET, HEAD, POST."),
    ],
)
def test_bad_song_requests_get_a_clear_4xx(client, method, path, status, says):
    response = client.open(path, method=method)
    assert response.status_code == status
    assert says in response.get_data(as_text=True)
    assert listed(client) == b""


def test_the_namespace_is_a_setting(site):
    client = site(COUNTER_PLAY_NAMESPACE="track")
    assert client.post("/track/7").data == b"1"
    assert client.get("/counters/track/7").data == b"1"
    assert client.post("/song/7").status_code == 404


def test_a_dedicated_server_serves_its_namespace_at_the_root(tmp_path):
    """run.py counters' app (serve_alone) with COUNTER_PLAY_NAMESPACE=track: / lists and
    clears that namespace only, its ids stripped of it."""
    settings = {"COUNTER_PLAY_NAMESPACE": "track", "COUNTER_TRUSTED_NETWORKS": "10.0.0.0/8"}
    app = create_app(make_settings(tmp_path, **settings))
    with app.app_context():
        db.create_all()
    counter_app = app.extensions["counters"]
    counter_app.serve_alone()
    client = Client(counter_app)
    try:
        for path in ("/track/7", "/track/7", "/track/12", "/counters/song/1", "/counters/track/x"):
            assert client.post(path).status_code == 200
        assert client.get("/").data == b"7=2,12=1"
        assert client.post("/song/1").status_code == 404  # not this server's namespace
        assert client.delete("/").status_code == 401  # from 127.0.0.1: not trusted here
        response = client.delete("/", environ_base={"REMOTE_ADDR": "10.1.2.3"})
        assert (response.status_code, response.data) == (200, b"OK")
        assert client.get("/").data == b""
        assert client.get("/counters/song/1").data == b"1"  # other namespaces stay
    finally:
        counter_app.store.close()
        with app.app_context():
            db.engine.dispose()


@pytest.mark.parametrize(
    "namespace, says",
    [
        ("static", "would hide the site's /static/"),
        ("blocks", "would hide the site's /blocks/"),
        ("counters", "is not allowed"),
        ("a/b", "is not allowed"),
    ],
)
def test_a_namespace_that_clashes_is_refused_at_start(tmp_path, namespace, says):
    with pytest.raises(ValueError, match=says):
        create_app(make_settings(tmp_path, COUNTER_PLAY_NAMESPACE=namespace))


# --- Trusted networks --------------------------------------------------------------


def test_without_trusted_networks_writes_need_credentials_and_increments_are_limited(client):
    from_address(client, "10.1.2.3")
    assert client.post("/song/1").headers["RateLimit-Limit"] == "2"
    client.post("/song/1")
    assert client.post("/song/1").status_code == 429
    response = client.delete("/counters/?prefix=song/")
    assert response.status_code == 401
    assert "COUNTER_TRUSTED_NETWORKS" in response.get_data(as_text=True)
    assert client.put("/counters/song/1?value=9").status_code == 401
    assert listed(client) == b"song/1=2"


@pytest.mark.parametrize("networks", [["10.0.0.0/8"], "10.0.0.0/8, 192.168.0.0/16"])
def test_a_trusted_network_is_not_limited_and_may_set_and_clear(site, networks):
    client = site(COUNTER_TRUSTED_NETWORKS=networks)
    from_address(client, "10.1.2.3")
    for expected in range(1, 6):
        response = client.post("/song/1")
        assert response.data == b"%d" % expected
        assert "RateLimit-Limit" not in response.headers
    assert client.put("/counters/song/1?value=40").data == b"40"
    assert client.put("/counters/song/2?value=2").status_code == 200
    assert client.delete("/counters/song/2").status_code == 204
    assert listed(client) == b"song/1=40"
    assert client.delete("/counters/?prefix=song/").status_code == 204
    assert listed(client) == b""


def test_other_addresses_stay_untrusted(site):
    client = site(COUNTER_TRUSTED_NETWORKS=["10.0.0.0/8"])
    assert from_address(client, "::ffff:10.9.9.9").put("/counters/a?value=1").status_code == 200
    for address in ("11.0.0.1", "127.0.0.1", "::1", "not an address"):
        response = from_address(client, address).delete("/counters/")
        assert response.status_code == 401, address


@pytest.mark.parametrize("bad", [["10.0.0.0/33"], ["example.org"], "10.0.0.0/8,nope"])
def test_a_bad_network_is_refused_at_start(tmp_path, bad):
    with pytest.raises(
        ValueError, match="COUNTER_TRUSTED_NETWORKS.* is not a network; write CIDRs like"
    ):
        create_app(make_settings(tmp_path, COUNTER_TRUSTED_NETWORKS=bad))


# --- Proxy hops ----------------------------------------------------------------------


def test_forwarded_for_is_ignored_by_default(site):
    client = site(COUNTER_TRUSTED_NETWORKS=["10.0.0.0/8"])
    from_address(client, "203.0.113.9")
    response = client.delete("/counters/", headers={"X-Forwarded-For": "10.1.2.3"})
    assert response.status_code == 401


def test_behind_one_proxy_the_address_it_saw_counts(site):
    client = site(COUNTER_TRUSTED_NETWORKS=["10.0.0.0/8"], PROXY_HOPS=1)
    from_address(client, "127.0.0.1")  # the proxy
    trusted = {"X-Forwarded-For": "10.1.2.3"}
    assert client.delete("/counters/", headers=trusted).status_code == 204
    # A client's own X-Forwarded-For is kept by the proxy, which appends the real address.
    spoofed = {"X-Forwarded-For": "10.1.2.3, 203.0.113.9"}
    assert client.delete("/counters/", headers=spoofed).status_code == 401
    # The address the proxy saw is rate-limited, not the proxy's.
    for address in ("203.0.113.9", "203.0.113.9", "198.51.100.1"):
        assert client.post("/song/1", headers={"X-Forwarded-For": address}).status_code == 200
    assert client.post("/song/1", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 429


def test_proxy_hops_must_not_be_negative(tmp_path):
    with pytest.raises(ValueError, match="PROXY_HOPS"):
        create_app(make_settings(tmp_path, PROXY_HOPS=-1))
