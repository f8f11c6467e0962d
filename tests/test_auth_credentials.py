"""The credential layer: one scope rule for bearer tokens, HTTP Basic on /v3 throttled
like the login form and as slow for unknown users as for wrong passwords."""

import base64
import statistics
import time
from datetime import timedelta

import pytest
from statboard.auth.credentials import user_for_token
from statboard.auth.models import ApiToken, User
from statboard.extensions import db
from statboard.models_base import utcnow

from tests.conftest import csrf_token, gen_user

HTMX = {"HX-Request": "true"}


def old_token(app, username: str, scopes: str) -> str:
    """A token as the panel made them before (any scope for anybody)."""
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == username))
        token, plain = ApiToken.issue(user, "old", scopes)
        db.session.add(token)
        db.session.commit()
    return plain


def basic(username: str, password: str, address: str = "10.1.1.1") -> dict:
    pair = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"headers": {"Authorization": f"Basic {pair}"}, "environ_base": {"REMOTE_ADDR": address}}


def login_form(client, username, password, address="10.1.1.1"):
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
        environ_base={"REMOTE_ADDR": address},
    )


# --- the /tokens panel offers only what the owner may use -----------------------------


def test_non_admins_are_not_offered_the_counters_scope(app, client, auth):
    auth.login_user("alice")
    html = client.get("/tokens", headers=HTMX).get_data(as_text=True)
    assert 'value="series"' in html
    assert 'value="counters"' not in html and 'value="tasks"' not in html
    refused = client.post(
        "/tokens",
        data={"name": "sneaky", "scopes": ["counters"]},
        headers={**HTMX, **auth.csrf()},
    )
    assert refused.status_code == 422
    with app.app_context():
        assert db.session.scalars(db.select(ApiToken)).all() == []


def test_admins_are_offered_counters_but_not_for_a_non_admins_token(app, client, auth):
    alice = gen_user(app, "alice")
    auth.login_admin()
    html = client.get("/tokens", headers=HTMX).get_data(as_text=True)
    assert 'value="counters"' in html and 'value="tasks"' not in html
    headers = {**HTMX, **auth.csrf()}
    mine = client.post(
        "/tokens", data={"name": "mine", "scopes": ["counters", "series"]}, headers=headers
    )
    assert mine.status_code == 201
    for_alice = client.post(
        "/tokens",
        data={"name": "for alice", "scopes": ["counters"], "owner": alice.id},
        headers=headers,
    )
    assert for_alice.status_code == 422
    assert "alice is not an admin" in for_alice.get_data(as_text=True)
    with app.app_context():
        tokens = db.session.scalars(db.select(ApiToken)).all()
        assert [(t.name, t.scopes) for t in tokens] == [("mine", "counters series")]


# --- one scope rule --------------------------------------------------------------------


def test_a_token_never_grants_more_than_its_owner_may_do(app):
    gen_user(app, "alice")
    gen_user(app, "root", admin=True)
    alices_counters = old_token(app, "alice", "counters series")
    alices_all = old_token(app, "alice", "")
    roots_all = old_token(app, "root", "")
    with app.app_context():
        assert user_for_token(alices_counters, "counters") is None
        assert user_for_token(alices_counters, "series").username == "alice"
        assert user_for_token(alices_all, "counters") is None
        assert user_for_token(alices_all, "series").username == "alice"
        assert user_for_token(roots_all, "counters").username == "root"


def test_the_tasks_scope_is_gone_but_old_tokens_keep_their_other_scopes(app):
    gen_user(app, "alice")
    both = old_token(app, "alice", "series tasks")
    only_tasks = old_token(app, "alice", "tasks")
    with app.app_context():
        assert user_for_token(both, "series").username == "alice"
        assert user_for_token(only_tasks, "series") is None
        assert user_for_token(both, "tasks") is None


def test_a_token_check_never_commits_the_callers_session(app):
    gen_user(app, "alice")
    plain = old_token(app, "alice", "series")
    with app.app_context():
        db.session.add(User(username="staged", password_hash="x"))
        assert user_for_token(plain, "series").username == "alice"
        db.session.rollback()
        assert db.session.scalar(db.select(User).where(User.username == "staged")) is None
        first = db.session.scalar(db.select(ApiToken)).last_used_at
    assert first is not None and utcnow() - first < timedelta(seconds=30)
    with app.app_context():
        user_for_token(plain, "series")  # within the minute: not written again
        assert db.session.scalar(db.select(ApiToken)).last_used_at == first


# --- HTTP Basic on /v3 -----------------------------------------------------------------


@pytest.fixture
def three_failures(settings):
    settings["LOGIN_FAILURES_ALLOWED"] = "3/5minute"
    settings["LOGIN_ADDRESS_FAILURES_ALLOWED"] = "6/5minute"
    return settings


def test_basic_auth_shares_the_login_forms_throttle(three_failures, app, client):
    gen_user(app, "carol", "carol-pw")
    for n in range(3):
        response = client.get("/v3/uptime/", **basic("carol", f"guess-{n}", "10.2.0.1"))
        assert response.status_code == 401
    refused = client.get("/v3/uptime/", **basic("carol", "carol-pw", "10.2.0.1"))
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 300
    assert "Too many failed logins: wait" in refused.get_json()["message"]
    assert refused.get_json().keys() == {"message"}
    # The same user and address on the login form: refused too, as they share the throttle.
    assert login_form(client, "carol", "carol-pw", "10.2.0.1").status_code == 429
    # carol from another address, and others from that one, are not locked out.
    assert client.get("/v3/uptime/", **basic("carol", "carol-pw", "10.2.0.99")).status_code == 200
    gen_user(app, "dave", "dave-pw")
    assert client.get("/v3/uptime/", **basic("dave", "dave-pw", "10.2.0.1")).status_code == 200


def test_failed_logins_on_the_form_count_against_basic_auth(three_failures, app, client):
    gen_user(app, "carol", "carol-pw")
    for n in range(3):
        assert login_form(client, "carol", f"guess-{n}", "10.3.0.9").status_code == 401
    assert client.get("/v3/uptime/", **basic("carol", "carol-pw", "10.3.0.9")).status_code == 429


def test_basic_auth_from_one_address_is_slowed_down(three_failures, app, client):
    for name in ("ann", "ben", "cid", "dan", "eve", "fay"):
        assert client.get("/v3/uptime/", **basic(name, "x", "10.4.0.1")).status_code == 401
    gen_user(app, "carol", "carol-pw")
    assert client.get("/v3/uptime/", **basic("carol", "carol-pw", "10.4.0.1")).status_code == 429
    assert client.get("/v3/uptime/", **basic("carol", "carol-pw", "10.4.0.2")).status_code == 200


def test_requests_without_credentials_are_not_counted(three_failures, app, client):
    gen_user(app, "carol", "carol-pw")
    for _ in range(5):
        anonymous = client.get("/v3/uptime/", environ_base={"REMOTE_ADDR": "10.5.0.1"})
        assert anonymous.status_code == 401
    assert client.get("/v3/uptime/", **basic("carol", "carol-pw", "10.5.0.1")).status_code == 200


def _seconds(client, username, password, address) -> float:
    start = time.perf_counter()
    response = client.get("/v3/uptime/", **basic(username, password, address))
    elapsed = time.perf_counter() - start
    assert response.status_code == 401
    return elapsed


@pytest.fixture
def no_throttle(settings):
    settings["LOGIN_FAILURES_ALLOWED"] = "1000/5minute"
    return settings


def test_an_unknown_user_takes_as_long_as_a_wrong_password(no_throttle, app, client):
    gen_user(app, "carol", "carol-pw")
    _seconds(client, "carol", "warm-up", "10.6.0.1")
    unknown, wrong = [], []
    for n in range(9):  # interleaved, so that a busy machine slows both alike
        unknown.append(_seconds(client, "nobody-here", "guess", f"10.6.{n}.2"))
        wrong.append(_seconds(client, "carol", "guess", f"10.6.{n}.3"))
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.5 < ratio < 2, (unknown, wrong)
