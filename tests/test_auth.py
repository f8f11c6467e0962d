"""Login, the throttle on failed logins, the session cookie, logout."""

import time
from types import SimpleNamespace

import pytest
from flask.sessions import SecureCookieSessionInterface
from statboard.auth.models import LoginSession
from statboard.auth.throttle import LoginThrottle
from statboard.extensions import db

from tests.conftest import csrf_token, gen_user


@pytest.fixture
def settings(settings):
    settings["LOGIN_FAILURES_ALLOWED"] = "3/5minute"
    settings["LOGIN_ADDRESS_FAILURES_ALLOWED"] = "6/5minute"
    return settings


def login(client, username, password, address="10.0.0.1"):
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
        environ_base={"REMOTE_ADDR": address},
    )


def test_login_with_the_right_password_redirects_to_next(app, client):
    gen_user(app, "alice")
    response = client.post(
        "/login?next=/tokens",
        data={"username": "alice", "password": "secret-pw", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/tokens"
    assert client.get("/tokens").status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "javascript:x"])
def test_login_never_redirects_off_site(app, client, target):
    gen_user(app, "alice")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"username": "alice", "password": "secret-pw", "csrf_token": csrf_token(client)},
    )
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(("username", "password"), [("alice", "wrong"), ("nobody", "secret-pw")])
def test_a_wrong_login_says_what_to_do_and_logs_nobody_in(app, client, username, password):
    gen_user(app, "alice")
    response = login(client, username, password)
    assert response.status_code == 401
    assert "Wrong username or password; check both and try again." in response.get_data(True)
    assert client.get("/tokens", headers={"HX-Request": "true"}).status_code == 401


def test_a_guessing_address_is_slowed_down_and_locks_out_nobody_else(app, client):
    gen_user(app, "alice")
    for n in range(3):
        assert login(client, "alice", f"guess-{n}", address="10.0.0.66").status_code == 401
    # The guesser is refused, even with the right password, until the window moves.
    refused = login(client, "alice", "secret-pw", address="10.0.0.66")
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    assert 0 < wait <= 300
    assert "Too many failed logins: wait" in refused.get_data(as_text=True)
    assert "then try again" in refused.get_data(as_text=True)
    assert client.get("/tokens", headers={"HX-Request": "true"}).status_code == 401
    # alice herself, from an address with no failures, is let in at once.
    assert login(client, "alice", "secret-pw", address="10.0.0.99").status_code == 303
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    # Other users are not locked out by the failures for alice, not even at that address.
    gen_user(app, "bob")
    assert login(client, "bob", "secret-pw", address="10.0.0.66").status_code == 303


def test_waits_grow_the_longer_one_address_guesses(app, client, monkeypatch):
    tiers = {"LOGIN_FAILURES_ALLOWED": "2/minute;3/hour"}
    app.extensions["statboard.login_throttle"] = LoginThrottle(
        SimpleNamespace(config=app.config | tiers)
    )
    clock = [1_000_000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    gen_user(app, "alice")
    for n in range(2):
        assert login(client, "alice", f"guess-{n}").status_code == 401
    first = login(client, "alice", "guess-2")
    assert first.status_code == 429 and 0 < int(first.headers["Retry-After"]) <= 60
    clock[0] += 61
    assert login(client, "alice", "guess-3").status_code == 401
    second = login(client, "alice", "secret-pw")
    assert second.status_code == 429 and 60 < int(second.headers["Retry-After"]) <= 3600
    assert "wait 59 minutes" in second.get_data(as_text=True)
    assert login(client, "alice", "secret-pw", address="10.0.0.2").status_code == 303


def test_failed_logins_from_one_address_are_slowed_down(app, client):
    gen_user(app, "carol")
    for name in ("x1", "x2", "x3", "x4", "x5", "x6"):
        assert login(client, name, "guess", address="10.9.9.9").status_code == 401
    assert login(client, "carol", "secret-pw", address="10.9.9.9").status_code == 429
    assert login(client, "carol", "secret-pw", address="10.9.9.8").status_code == 303


def test_successful_logins_do_not_count(app, client):
    gen_user(app, "alice")
    for _ in range(5):
        assert login(client, "alice", "secret-pw").status_code == 303
        client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert login(client, "alice", "wrong").status_code == 401


def test_the_session_cookie_is_small_http_only_and_holds_only_ids(app, client):
    gen_user(app, "alice", password="a-Very-Distinct-Password")
    response = login(client, "alice", "a-Very-Distinct-Password")
    assert response.status_code == 303
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" not in header
    cookie = client.get_cookie("session").value
    assert len(cookie) < 600
    data = SecureCookieSessionInterface().get_signing_serializer(app).loads(cookie)
    assert set(data) <= {"_user_id", "_fresh", "_id", "csrf_token", "_flashes"}
    user_id, _, key = data["_user_id"].partition(":")
    assert user_id == "1"
    with app.app_context():
        assert db.session.get(LoginSession, key).user.username == "alice"
    text = repr(data)
    assert "a-Very-Distinct-Password" not in text and "scrypt" not in text


def test_the_session_cookie_is_secure_when_configured(app, client):
    app.config["SESSION_COOKIE_SECURE"] = True
    gen_user(app, "alice")
    response = login(client, "alice", "secret-pw")
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "Secure" in header


def test_logout_is_a_post_with_csrf(app, client, auth):
    auth.login_user("alice")
    confirm = client.get("/logout")  # a page with a button, not a logout
    assert confirm.status_code == 200 and 'action="/logout"' in confirm.get_data(as_text=True)
    assert client.post("/logout").status_code == 400  # no CSRF token: still logged in
    assert client.get("/tokens").status_code == 200
    response = client.post("/logout", headers=auth.csrf())
    assert response.status_code == 303
    assert client.get("/tokens", headers={"HX-Request": "true"}).status_code == 401


def test_login_without_csrf_token_is_refused(app, client):
    gen_user(app, "alice")
    response = client.post("/login", data={"username": "alice", "password": "secret-pw"})
    assert response.status_code == 400
