"""Builders for the series tests: accounts, samples, a page with a chart block, tokens;
and for the black-box ones: the CLI with a served site's settings, a logged-in
browser-like client, the /tokens panel, and the request curl sends."""

import re
from contextlib import contextmanager
from datetime import datetime, timedelta

import httpx
from statboard.auth.models import ApiToken, User
from statboard.extensions import db
from statboard.pages.models import Block, Page
from statboard.series.models import Account, AccountGrant
from statboard.series.samples import add_samples

from tests.conftest import CSRF_RE

CURL = {"Accept": "*/*", "User-Agent": "curl/8.5.0"}  # what `curl URL` sends


def gen_account(app, platform="x", handle="KevKeeganQuotes", public=False, samples=(), **fields):
    with app.app_context():
        account = Account(platform=platform, handle=handle, is_public=public, **fields)
        db.session.add(account)
        db.session.flush()
        add_samples(account, list(samples))
        db.session.commit()
        return account.id


def daily(days, start=datetime(2020, 1, 1, 3, 50), first=100, step=1):
    return [(start + timedelta(days=d), first + d * step) for d in range(days)]


def gen_chart(app, account_ids, public=True, range_key="30d"):
    with app.app_context():
        page = Page(slug=f"p{len(account_ids)}-{range_key}", title="Charts", is_public=public)
        block = Block(
            kind="chart",
            data={"title": "Followers", "accounts": list(account_ids), "range": range_key},
        )
        page.blocks.append(block)
        db.session.add(page)
        db.session.commit()
        return block.id


def gen_token(app, username, scopes="series", revoked=False) -> str:
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == username))
        token, plain = ApiToken.issue(user, "test", scopes)
        if revoked:
            token.revoked_at = datetime(2024, 1, 1)
        db.session.add(token)
        db.session.commit()
        return plain


def grant(app, account_id, username):
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == username))
        db.session.add(AccountGrant(account_id=account_id, user_id=user.id))
        db.session.commit()


def login_htmx(auth, admin=True) -> dict:
    """Log in and return the headers an htmx request carries (CSRF token taken first,
    since the login page redirects once logged in)."""
    headers = {**auth.csrf(), "HX-Request": "true"}
    auth.login_admin() if admin else auth.login_user()
    return headers


# --- black-box: a served site (tests.fixtures.servers.start_site) -----------------------


@contextmanager
def logged_in(site, username: str, password: str):
    """A browser-like session: the login form with its CSRF token."""
    with httpx.Client(base_url=site.url, timeout=15, headers={"Accept": "text/html"}) as client:
        yield login(client, username, password)


def login(client: httpx.Client, username: str, password: str) -> httpx.Client:
    csrf = CSRF_RE.search(client.get("/login").text).group(1)
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": csrf}
    )
    assert response.status_code == 303, response.text
    client.headers["X-CSRFToken"] = CSRF_RE.search(client.get("/tokens").text).group(1)
    return client


def new_token(site, username: str, password: str, scopes=("series",), for_user=None) -> str:
    """What a user does on the /tokens panel: name a token, tick scopes, copy it. An
    admin may make it `for_user`, picked in the panel's owner list."""
    with logged_in(site, username, password) as client:
        panel = client.get("/tokens").text
        if for_user is None:  # a user's own: the panel carries their id in a hidden field
            owner = re.search(r'name="owner" value="(\d+)"', panel).group(1)
        else:
            owners = dict(re.findall(r'<option (?:selected )?value="(\d+)">([^<]+)<', panel))
            owner = next(key for key, name in owners.items() if name == for_user)
        response = client.post(
            "/tokens",
            data={"name": "curl on my laptop", "scopes": list(scopes), "owner": owner},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 201, response.text
        return response.text.split('<code class="token-plain">')[1].split("</code>")[0]


def bearer(token: str) -> dict:
    """The headers of `curl -H "Authorization: Bearer TOKEN" URL`."""
    return {**CURL, "Authorization": f"Bearer {token}"}
