"""The counter API through the site's WSGI stack: formats, validation, rights, limits."""

import json

import pytest
from statboard.auth.models import ApiToken, User
from statboard.extensions import db
from statboard.models_base import utcnow
from statboard.security import security_headers

from tests.conftest import gen_user

MAX = 2**63 - 1


@pytest.fixture
def settings(settings):
    settings["COUNTER_RATE_LIMIT"] = ""
    return settings


@pytest.fixture
def app(app):
    yield app
    app.extensions["counters"].store.close()  # stop its flusher thread


def issue_token(app, username="robot", scopes="counters", admin=True, revoked=False) -> str:
    """A token of `username`: an admin's robot unless admin=False (counters are admins')."""
    gen_user(app, username, admin=admin)
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == username))
        token, plain = ApiToken.issue(user, "test", scopes)
        if revoked:
            token.revoked_at = utcnow()
        db.session.add(token)
        db.session.commit()
    return plain


def bearer(plain: str) -> dict:
    return {"Authorization": f"Bearer {plain}"}


def all_counters(client) -> dict:
    return client.get("/counters/").get_json()


def test_post_adds_one_and_get_reads_it_as_text(client):
    assert client.get("/counters/song/1").data == b"0"
    for expected in (b"1", b"2"):
        response = client.post("/counters/song/1")
        assert response.status_code == 200 and response.data == expected
    assert response.content_type == "text/plain; charset=utf-8"
    assert client.post("/counters/song/1?by=10").data == b"12"
    assert client.get("/counters/song/1").data == b"12"


@pytest.mark.parametrize(
    "accept, body",
    [
        (None, b"3"),
        ("*/*", b"3"),
        ("text/plain", b"3"),
        ("application/json", b'{"key": "k", "value": 3}'),
        ("text/plain;q=0.5, application/json", b'{"key": "k", "value": 3}'),
        ("application/json;q=0.5, text/plain", b"3"),
    ],
)
def test_a_value_is_text_or_json_as_asked(client, accept, body):
    client.post("/counters/k?by=3")
    headers = {"Accept": accept} if accept else {}
    assert client.get("/counters/k", headers=headers).data == body
    assert client.post("/counters/k?by=1", headers=headers).status_code == 200


def test_head_answers_the_headers_of_get_without_a_body(client):
    client.post("/counters/song/1?by=123")
    response = client.head("/counters/song/1")
    assert response.status_code == 200
    assert response.headers["Content-Length"] == "3" and response.data == b""
    assert client.head("/counters/").status_code == 200


def test_the_list_is_json_or_the_original_text_format_and_filters_by_prefix(client):
    for key in ("song/1", "song/2", "song/2", "film/1"):
        client.post(f"/counters/{key}")
    assert all_counters(client) == {"film/1": 1, "song/1": 1, "song/2": 2}
    text = client.get("/counters/", headers={"Accept": "text/plain"})
    assert text.data == b"film/1=1,song/1=1,song/2=2"
    songs = client.get("/counters/?prefix=song/")
    assert songs.get_json() == {"song/1": 1, "song/2": 2}
    assert client.get("/counters?prefix=film", headers={"Accept": "text/plain"}).data == b"film/1=1"
    assert client.get("/counters/?prefix=none/").get_json() == {}


def test_keys_may_use_every_allowed_character(client):
    key = "a-Z_0.9~x:y@z/b/" + "c" * 50
    assert client.post(f"/counters/{key}").data == b"1"
    assert all_counters(client) == {key: 1}


@pytest.mark.parametrize(
    "method, path, says",
    [
        ("POST", "/counters/bad%20key", "not allowed"),
        ("POST", "/counters/song//1", "not allowed"),
        ("POST", "/counters//song", "not allowed"),
        ("POST", "/counters/song/", "not allowed"),
        ("POST", "/counters/song%3B1", "not allowed"),
        ("POST", "/counters/%00", "not allowed"),
        ("POST", "/counters/caf%C3%A9", "not allowed"),
        ("POST", "/counters/" + "a" * 201, "at most 200"),
        ("GET", "/counters/" + "a" * 201, "at most 200"),
        ("POST", "/counters/k?by=abc", "whole number from 1 to 1000"),
        ("POST", "/counters/k?by=0", "whole number from 1 to 1000"),
        ("POST", "/counters/k?by=-1", "whole number from 1 to 1000"),
        ("POST", "/counters/k?by=1.5", "whole number from 1 to 1000"),
        ("POST", "/counters/k?by=", "whole number from 1 to 1000"),
        ("POST", "/counters/k?by=1001", "whole number from 1 to 1000"),
        ("POST", "/counters/k?by=99999999999999999999999999", "whole number from 1 to 1000"),
        ("POST", "/counters/k?x=1&by=%EF%BC%91", "whole number from 1 to 1000"),
        ("GET", "/counters/?prefix=a%20b", "prefix"),
    ],
)
def test_bad_input_gets_a_clear_400_and_changes_nothing(client, method, path, says):
    response = client.open(path, method=method)
    assert response.status_code == 400
    assert says in response.get_data(as_text=True)
    assert all_counters(client) == {}


def test_errors_are_json_for_json_clients(client):
    response = client.post("/counters/k?by=abc", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert "whole number" in response.get_json()["message"]


def test_other_methods_get_405_with_allow(client):
    response = client.patch("/counters/k")
    assert response.status_code == 405 and "PUT" in response.headers["Allow"]
    assert client.post("/counters/").status_code == 405


def test_paths_beside_counters_stay_with_the_site(client):
    assert client.get("/countersx").status_code == 404
    assert client.get("/blocks/999/values").status_code == 404
    assert all_counters(client) == {}


# --- Writes: PUT, DELETE -------------------------------------------------------

WRITES = [
    ("PUT", "/counters/song/1?value=7"),
    ("DELETE", "/counters/song/1"),
    ("DELETE", "/counters/"),
    ("DELETE", "/counters/?prefix=song/"),
]


@pytest.fixture
def seeded(client):
    client.post("/counters/song/1?by=5")
    client.post("/counters/film/1")
    return {"film/1": 1, "song/1": 5}


@pytest.mark.parametrize("method, path", WRITES)
def test_writes_without_credentials_get_401_and_change_nothing(client, seeded, method, path):
    response = client.open(path, method=method)
    assert response.status_code == 401
    assert "Bearer" in response.headers["WWW-Authenticate"]
    assert all_counters(client) == seeded


@pytest.mark.parametrize("method, path", WRITES)
def test_a_logged_in_user_who_is_not_admin_gets_403(client, auth, seeded, method, path):
    headers = auth.csrf()
    auth.login_user()
    response = client.open(path, method=method, headers=headers)
    assert response.status_code == 403
    assert all_counters(client) == seeded


@pytest.mark.parametrize("method, path", WRITES)
def test_an_admin_session_needs_the_csrf_header(client, auth, seeded, method, path):
    auth.login_admin()
    response = client.open(path, method=method)
    assert response.status_code == 400 and "X-CSRFToken" in response.get_data(as_text=True)
    bad = client.open(path, method=method, headers={"X-CSRFToken": "forged"})
    assert bad.status_code == 400
    assert all_counters(client) == seeded


@pytest.mark.parametrize(
    "token_kind, status",
    [
        ("unknown", 401),
        ("revoked", 401),
        ("other scope", 403),
        ("no scope, not admin", 403),
    ],
)
@pytest.mark.parametrize("method, path", WRITES)
def test_tokens_without_counter_rights_change_nothing(
    app, client, seeded, method, path, token_kind, status
):
    plain = {
        "unknown": lambda: "sb_not-a-token",
        "revoked": lambda: issue_token(app, revoked=True),
        "other scope": lambda: issue_token(app, scopes="series"),
        "no scope, not admin": lambda: issue_token(app, scopes="", admin=False),
    }[token_kind]()
    response = client.open(path, method=method, headers=bearer(plain))
    assert response.status_code == status
    assert all_counters(client) == seeded


@pytest.mark.parametrize("scopes", ["counters", "series counters", ""])
@pytest.mark.parametrize("method, path", [*WRITES, ("POST", "/counters/private/x")])
def test_a_non_admins_token_changes_no_counter(
    private_settings, app, client, seeded, method, path, scopes
):
    # Such tokens could be made at /tokens before only admins were offered the scope.
    headers = bearer(issue_token(app, scopes=scopes, admin=False))
    response = client.open(path, method=method, headers=headers)
    assert response.status_code == 403
    assert "admin" in response.get_data(as_text=True)
    assert all_counters(client) == seeded


def test_an_admin_with_the_csrf_header_sets_and_deletes(client, auth, seeded):
    headers = auth.csrf()
    auth.login_admin()
    assert client.put("/counters/song/1?value=42", headers=headers).data == b"42"
    assert client.post("/counters/song/1").data == b"43"
    assert client.delete("/counters/film/1", headers=headers).status_code == 204
    assert all_counters(client) == {"song/1": 43}


@pytest.mark.parametrize(
    "scopes, admin", [("counters", True), ("series counters", True), ("", True)]
)
def test_a_token_with_counter_rights_sets_and_clears(app, client, seeded, scopes, admin):
    headers = bearer(issue_token(app, scopes=scopes, admin=admin))
    assert client.put("/counters/new/1", data="9", headers=headers).data == b"9"
    assert client.delete("/counters/?prefix=song/", headers=headers).status_code == 204
    assert all_counters(client) == {"film/1": 1, "new/1": 9}
    assert client.delete("/counters/", headers=headers).status_code == 204
    assert all_counters(client) == {}


@pytest.mark.parametrize("value", ["-1", "abc", "1.5", "", str(MAX + 1), "9" * 30])
def test_put_refuses_values_that_are_not_whole_numbers_in_range(app, client, seeded, value):
    headers = bearer(issue_token(app))
    response = client.put("/counters/song/1", data=value, headers=headers)
    assert response.status_code == 400 and "whole number" in response.get_data(as_text=True)
    assert all_counters(client) == seeded


def test_an_increment_past_the_largest_value_is_refused(app, client):
    headers = bearer(issue_token(app))
    client.put(f"/counters/big?value={MAX - 1}", headers=headers)
    assert client.post("/counters/big").data == str(MAX).encode()
    response = client.post("/counters/big")
    assert response.status_code == 400 and "reset it" in response.get_data(as_text=True)
    assert client.get("/counters/big").data == str(MAX).encode()


# --- Anonymous increments: rate limit, private prefixes --------------------------


@pytest.fixture
def limited_settings(settings):
    settings["COUNTER_RATE_LIMIT"] = "3/minute"
    return settings


def test_anonymous_increments_are_rate_limited_per_address(limited_settings, app, client):
    for remaining in ("2", "1", "0"):
        response = client.post("/counters/song/1")
        assert response.status_code == 200
        assert response.headers["RateLimit-Limit"] == "3"
        assert response.headers["RateLimit-Remaining"] == remaining
    refused = client.post("/counters/song/1", headers={"Accept": "application/json"})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert "Try again in" in refused.get_json()["message"]
    other = client.post("/counters/song/1", environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert other.status_code == 200
    trusted = client.post("/counters/song/1", headers=bearer(issue_token(app)))
    assert trusted.status_code == 200 and "RateLimit-Limit" not in trusted.headers
    assert client.get("/counters/song/1").data == b"5"


@pytest.fixture
def private_settings(settings):
    settings["COUNTER_PRIVATE_PREFIXES"] = ["private/", "admin-"]
    return settings


def test_anonymous_increments_can_be_switched_off_per_prefix(private_settings, app, client):
    assert client.post("/counters/private/x").status_code == 401
    assert client.post("/counters/admin-hits").status_code == 401
    assert client.post("/counters/public/x").status_code == 200
    assert client.post("/counters/private/x", headers=bearer(issue_token(app))).data == b"1"
    assert json.loads(client.get("/counters/").data) == {"private/x": 1, "public/x": 1}


def wsgi_answer(app, method: str, path: str, **environ) -> tuple[str, list, bytes]:
    """The outermost WSGI app's own answer: status, header list (in order) and body."""
    started = []
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        **environ,
    }

    def start_response(status, headers, exc_info=None):
        started.append((status, headers))

    body = b"".join(app.wsgi_app(environ, start_response))
    return started[0][0], started[0][1], body


def test_a_known_key_answers_exactly_as_a_new_one(app):
    """The second request of a key takes the hot path; its answer is the first's, byte
    for byte: the same headers in the same order, the security headers last."""
    secure = security_headers(app.config)

    def text(body: bytes) -> tuple:
        plain = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
        return "200 OK", [*plain, *secure], body

    assert wsgi_answer(app, "GET", "/counters/hot/1") == text(b"0")  # a new key
    assert wsgi_answer(app, "GET", "/counters/hot/1") == text(b"0")  # known now
    assert wsgi_answer(app, "POST", "/counters/hot/2") == text(b"1")
    for n in range(2, 12):
        assert wsgi_answer(app, "POST", "/counters/hot/2") == text(b"%d" % n)
    assert wsgi_answer(app, "GET", "/counters/hot/2") == text(b"11")
    assert wsgi_answer(app, "HEAD", "/counters/hot/2") == (*text(b"11")[:2], b"")
    # What leaves the hot path answers as before: JSON, ?by=, a bad key.
    status, headers, body = wsgi_answer(
        app, "GET", "/counters/hot/2", HTTP_ACCEPT="application/json"
    )
    assert json.loads(body) == {"key": "hot/2", "value": 11}
    assert headers[0] == ("Content-Type", "application/json") and headers[2:] == secure
    assert wsgi_answer(app, "POST", "/counters/hot/2", QUERY_STRING="by=4") == text(b"15")
    status, headers, body = wsgi_answer(app, "POST", "/counters/hot//2")
    assert status == "400 Bad Request" and headers[2:] == secure and b"not allowed" in body
