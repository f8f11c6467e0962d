"""API tokens: the in-place panel at /tokens, hashed storage, revocation."""

import re

import pytest
from statboard.auth.credentials import user_for_token
from statboard.auth.models import ApiToken
from statboard.extensions import db

from tests.conftest import gen_user

HTMX = {"HX-Request": "true"}
PLAIN_RE = re.compile(r'<code class="token-plain">(sb_[^<]+)</code>')


def create(client, auth, name="backup script", scopes=("series",), owner=None, htmx=True):
    data = {"name": name, "scopes": list(scopes)}
    if owner is not None:
        data["owner"] = owner
    headers = {**auth.csrf(), **(HTMX if htmx else {})}
    return client.post("/tokens", data=data, headers=headers)


def stored(app) -> list[ApiToken]:
    with app.app_context():
        return list(db.session.scalars(db.select(ApiToken)))


def test_the_panel_is_a_page_or_a_fragment(app, client, auth):
    auth.login_user("alice")
    page = client.get("/tokens")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    fragment = client.get("/tokens", headers=HTMX)
    html = fragment.get_data(as_text=True)
    assert "<html" not in html
    assert html.lstrip().startswith('<section class="tokens" id="tokens"')
    assert "HX-Request" in fragment.headers["Vary"] and "HX-Request" in page.headers["Vary"]


def test_a_new_token_is_shown_once_and_stored_only_hashed(app, client, auth):
    auth.login_user("alice")
    response = create(client, auth, scopes=["series"])
    assert response.status_code == 201
    plain = PLAIN_RE.search(response.get_data(as_text=True)).group(1)
    assert 'value="backup script"' not in response.get_data(as_text=True)  # a blank form again
    [token] = stored(app)
    assert token.token_hash == ApiToken.hash(plain) and plain not in token.token_hash
    assert token.scopes == "series" and token.name == "backup script"
    with app.app_context():
        dump = "\n".join(
            str(row) for row in db.session.execute(db.text("SELECT * FROM api_tokens"))
        )
    assert plain not in dump and plain[3:] not in dump
    # Shown once: the panel never shows it again.
    assert plain not in client.get("/tokens", headers=HTMX).get_data(as_text=True)
    with app.test_request_context():
        assert user_for_token(plain, "series").username == "alice"
        assert user_for_token(plain, "counters") is None  # not granted


def test_a_revoked_token_stops_working(app, client, auth):
    auth.login_user("alice")
    plain = PLAIN_RE.search(create(client, auth).get_data(as_text=True)).group(1)
    [token] = stored(app)
    with app.test_request_context():
        assert user_for_token(plain, "series") is not None
    response = client.post(f"/tokens/{token.id}/revoke", headers={**HTMX, **auth.csrf()})
    assert response.status_code == 200
    assert f'id="token-{token.id}" class="token-revoked"' in response.get_data(as_text=True)
    with app.test_request_context():
        assert user_for_token(plain) is None
        assert user_for_token(plain, "series") is None


def test_without_javascript_create_shows_the_page_and_revoke_redirects(app, client, auth):
    auth.login_user("alice")
    response = create(client, auth, htmx=False)
    assert response.status_code == 201 and "<html" in response.get_data(as_text=True)
    assert PLAIN_RE.search(response.get_data(as_text=True))
    [token] = stored(app)
    revoked = client.post(f"/tokens/{token.id}/revoke", headers=auth.csrf())
    assert revoked.status_code == 303 and revoked.headers["Location"] == "/tokens"


@pytest.mark.parametrize(
    ("name", "scopes", "message"),
    [
        ("", ["series"], "Give the token a name."),
        ("   ", ["series"], "Give the token a name"),
        ("x" * 101, ["series"], "Field cannot be longer than 100 characters."),
        ("ok", [], "Choose at least one scope among series."),
        ("ok", ["root"], "is not a valid choice"),
    ],
)
def test_bad_token_requests_get_the_form_back_with_422(app, client, auth, name, scopes, message):
    auth.login_user("alice")
    response = create(client, auth, name=name, scopes=scopes)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section class="tokens"')
    assert message in html
    assert stored(app) == []


def test_users_see_only_their_tokens_and_cannot_revoke_others(app, client, auth):
    bob = gen_user(app, "bob")
    auth.login_user("alice")
    create(client, auth, name="alice's")
    client.post("/logout", headers=auth.csrf())
    auth.login("bob", "secret-pw")
    create(client, auth, name="bob's")
    alice_token = next(t for t in stored(app) if t.name == "alice's")
    panel = client.get("/tokens", headers=HTMX).get_data(as_text=True)
    assert "bob&#39;s" in panel and "alice&#39;s" not in panel
    response = client.post(f"/tokens/{alice_token.id}/revoke", headers={**HTMX, **auth.csrf()})
    assert response.status_code == 403
    assert next(t for t in stored(app) if t.name == "alice's").revoked_at is None
    # Nor make one in someone else's name.
    assert create(client, auth, name="sneaky", owner=alice_token.user_id).status_code == 422
    assert "sneaky" not in {t.name for t in stored(app)}
    assert {t.name: t.user_id for t in stored(app)}["bob's"] == bob.id


def test_admins_see_and_manage_everybodys_tokens(app, client, auth):
    alice = gen_user(app, "alice")
    auth.login_admin()
    response = create(client, auth, name="for alice", owner=alice.id)
    assert response.status_code == 201
    [token] = stored(app)
    assert token.user_id == alice.id
    assert "alice" in client.get("/tokens", headers=HTMX).get_data(as_text=True)
    assert (
        client.post(f"/tokens/{token.id}/revoke", headers={**HTMX, **auth.csrf()}).status_code
        == 200
    )
    assert stored(app)[0].revoked_at is not None


def test_the_panel_needs_a_login(app, client):
    assert client.get("/tokens", headers=HTMX).status_code == 401
    browser = client.get("/tokens", headers={"Accept": "text/html"})
    assert browser.headers["Location"].startswith("/login")
