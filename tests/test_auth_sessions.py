"""Login sessions end: on logout, on a new password (CLI or /v3), by an admin; and
`next=` after login never leaves the site."""

import base64

import pytest

from tests.conftest import BROWSER_ACCEPT, csrf_token, gen_user

HTMX = {"HX-Request": "true"}


def log_in(app, username="alice", password="secret-pw"):
    """A fresh browser (client) logged in as `username`."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT"] = BROWSER_ACCEPT
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 303
    return client


def copy_of(app, client):
    """Another browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def logged_in(client) -> bool:
    return client.get("/tokens", headers=HTMX).status_code == 200


def test_logging_out_ends_that_session_and_its_copies_only(app):
    gen_user(app, "alice")
    laptop, phone = log_in(app), log_in(app)
    thief = copy_of(app, laptop)
    assert logged_in(thief)
    assert laptop.post("/logout", data={"csrf_token": csrf_token(laptop)}).status_code == 303
    assert not logged_in(laptop)
    assert not logged_in(thief)
    assert logged_in(phone)  # the other browser's session goes on


def test_a_password_changed_on_the_cli_ends_every_session(app, runner):
    gen_user(app, "alice")
    laptop, phone = log_in(app), log_in(app)
    result = runner.invoke(
        args=["users", "set-password", "alice", "--password-stdin"], input="brand-new-pw\n"
    )
    assert result.exit_code == 0, result.output
    assert "ended their login sessions" in result.output
    assert not logged_in(laptop) and not logged_in(phone)
    assert logged_in(log_in(app, password="brand-new-pw"))


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_a_password_changed_over_v3_ends_every_session(app, method):
    gen_user(app, "root", "root-pw", admin=True)
    gen_user(app, "alice")
    laptop = log_in(app)
    admin_session = log_in(app, "root", "root-pw")
    pair = base64.b64encode(b"root:root-pw").decode()
    response = app.test_client().open(
        "/v3/users/alice",
        method=method,
        json={"fullname": "Alice", "password": "brand-new-pw", "admin": False},  # PUT: all
        headers={"Authorization": f"Basic {pair}", "Accept": "application/json"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert not logged_in(laptop)
    assert logged_in(admin_session)  # only alice's sessions end


def test_changing_other_fields_over_v3_keeps_the_sessions(app):
    gen_user(app, "root", "root-pw", admin=True)
    gen_user(app, "alice")
    laptop = log_in(app)
    pair = base64.b64encode(b"root:root-pw").decode()
    response = app.test_client().patch(
        "/v3/users/alice",
        json={"fullname": "Alice A."},
        headers={"Authorization": f"Basic {pair}", "Accept": "application/json"},
    )
    assert response.status_code == 200
    assert logged_in(laptop)


def test_an_admin_ends_every_session_of_a_user_on_the_cli(app, runner):
    gen_user(app, "alice")
    gen_user(app, "bob")
    laptop, phone, bobs = log_in(app), log_in(app), log_in(app, "bob")
    result = runner.invoke(args=["users", "logout", "alice"])
    assert result.exit_code == 0, result.output
    assert "Ended 2 login sessions of alice." in result.output
    assert not logged_in(laptop) and not logged_in(phone)
    assert logged_in(bobs)
    assert logged_in(log_in(app))  # alice may log in again


def test_logout_on_the_cli_names_unknown_users(app, runner):
    result = runner.invoke(args=["users", "logout", "nobody"])
    assert result.exit_code != 0 and "There is no user named 'nobody'" in result.output


def test_a_cookie_of_the_old_form_logs_nobody_in(app, client):
    gen_user(app, "alice")
    with client.session_transaction() as session:
        session["_user_id"] = "1"
    assert not logged_in(client)


def test_sessions_expire(app):
    gen_user(app, "alice")
    laptop = log_in(app)
    app.config["LOGIN_SESSION_DAYS"] = 0
    assert not logged_in(laptop)


def test_the_session_cookie_stays_small_and_lax(app):
    gen_user(app, "a" * 64, "p" * 200)
    client = app.test_client()
    response = client.post(
        "/login",
        data={"username": "a" * 64, "password": "p" * 200, "csrf_token": csrf_token(client)},
    )
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert len(client.get_cookie("session").value) < 600


# --- next= ---------------------------------------------------------------------------

OFF_SITE = [
    "/\t/evil.example/",
    "/\n/evil.example/",
    "/\r/evil.example/",
    "/\r\n/evil.example/",
    "\t//evil.example/",
    "/\\evil.example/",
    "\\/evil.example/",
    "/\\/evil.example/",
    "//evil.example/",
    "///evil.example/",
    "//\\evil.example",
    "https://evil.example/",
    "http:/evil.example/",
    "javascript:alert(1)",
    "evil.example",
    "/ok\x00/",
    "/ok\x7f",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_next_never_leaves_the_site(app, client, target):
    gen_user(app, "alice")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"username": "alice", "password": "secret-pw", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    # Logged in, /login sends the user on at once: there too.
    again = client.get("/login", query_string={"next": target})
    assert again.status_code == 302 and again.headers["Location"] == "/"


@pytest.mark.parametrize(
    "raw_query",
    [
        "next=/%09/evil.example/",
        "next=/%0a/evil.example/",
        "next=/%0d%0aX-Evil:%201",
        "next=/%2F/evil.example/",
        "next=%2F%2Fevil.example",
        "next=/%5Cevil.example",
    ],
)
def test_next_as_encoded_in_a_url_never_leaves_the_site(app, client, raw_query):
    gen_user(app, "alice")
    response = client.post(
        f"/login?{raw_query}",
        data={"username": "alice", "password": "secret-pw", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/tokens", "/pages/a-b?range=7d", "/x/y#z", "/%2F", "/"])
def test_next_follows_paths_on_this_site(app, client, target):
    gen_user(app, "alice")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"username": "alice", "password": "secret-pw", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 303 and response.headers["Location"] == target
