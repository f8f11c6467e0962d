"""The friend's curl, black-box: the README's story against a real site.

The owner imports the files and shares one account with a friend from the command
line (the site's own settings, as on the server), makes him a token at /tokens (found
through the header's user menu) or with `tokens create`, and the friend fetches his
file with the request curl sends: byte for byte what the original job wrote.
"""

import re

import httpx
import pytest

from tests.fixtures.servers import ROOT, flask, run_flask, start_site, stop
from tests.series_helpers import CURL, bearer, logged_in, new_token

DATA = ROOT / "tests" / "data"
FRIEND_FILE = DATA / "friendsband-followers.csv"
OWNER, FRIEND, STRANGER = ("owner", "owner-pw"), ("alex", "alex-pw"), ("sam", "sam-pw")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("friend-site")
    live = start_site(tmp, env={"STATBOARD_LOG_LEVEL": "WARNING"})
    try:  # the owner: an admin, made on the server
        flask(live, "users", "create", OWNER[0], "--admin", "--password-stdin", stdin=OWNER[1])
        yield live
    finally:
        stop(live.proc)


def curl(site, path: str, token: str | None = None) -> httpx.Response:
    """`curl [-H "Authorization: Bearer TOKEN"] http://host:port/PATH`."""
    return httpx.get(site.url + path, headers=bearer(token) if token else CURL, timeout=15)


def test_the_user_menu_links_to_the_token_panel(site):
    with logged_in(site, *OWNER) as browser:
        menu = re.search(r'<nav class="session".*?</nav>', browser.get("/").text, re.S)
    assert menu and 'href="/tokens">API tokens</a>' in menu[0]


def test_the_friend_fetches_his_file_with_curl(site):
    # The owner, on the server: the files, the friend's user.
    out = flask(site, "series", "import", str(DATA))
    assert "samples added to 2 accounts" in out
    flask(site, "users", "create", FRIEND[0], "--password-stdin", stdin=FRIEND[1])
    flask(site, "users", "create", STRANGER[0], "--password-stdin", stdin=STRANGER[1])
    out = flask(site, "series", "share", "friendsband", "--with", FRIEND[0])
    assert out.strip() == (
        "friendsband (imported): private; shared with alex (admins read every account)."
    )

    # Private by default: without a token curl is asked for one, as for a handle that
    # does not exist.
    for handle in ("friendsband", "weatherbot", "nobody-here"):
        refused = curl(site, f"/twitstats/{handle}")
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"].startswith("Bearer realm=")
        assert "Authorization: Bearer" in refused.json()["message"]

    # The owner makes the friend's token at /tokens; the friend's curl gets his file.
    token = new_token(site, *OWNER, for_user=FRIEND[0])
    fetched = curl(site, "/twitstats/friendsband", token)
    assert fetched.status_code == 200
    assert fetched.headers["Content-Type"].startswith("text/csv")
    assert fetched.content == FRIEND_FILE.read_bytes()
    # His token reads his account only; a wrong token is told it was refused.
    assert curl(site, "/twitstats/weatherbot", token).status_code == 404
    wrong = curl(site, "/twitstats/friendsband", "sb_not-a-real-token")
    assert wrong.status_code == 401 and "invalid_token" in wrong.headers["WWW-Authenticate"]
    # Another user's token with the series scope does not read it either.
    stranger = new_token(site, *OWNER, for_user=STRANGER[0])
    assert curl(site, "/twitstats/friendsband", stranger).status_code == 404

    # Or the owner makes it on the server, as the README shows: the last line printed.
    made = flask(site, "tokens", "create", "friends-curl", "--user", FRIEND[0], "--scope", "series")
    from_cli = made.strip().splitlines()[-1]
    fetched = curl(site, "/twitstats/friendsband", from_cli)
    assert fetched.status_code == 200 and fetched.content == FRIEND_FILE.read_bytes()
    assert curl(site, "/twitstats/weatherbot", from_cli).status_code == 404


def test_import_public_and_share_change_an_account_that_exists(site):
    """`series import --public` on an account that exists makes it public, saying so;
    `series share --private` takes it back. A plain import leaves it as it is."""
    friend_file = str(FRIEND_FILE)
    flask(site, "series", "import", friend_file)
    out = flask(site, "series", "import", "--public", friend_file)
    assert "friendsband (imported) is now public." in out
    assert "0 samples added" in out
    opened = curl(site, "/twitstats/friendsband")
    assert opened.status_code == 200 and opened.content == FRIEND_FILE.read_bytes()

    assert "is now" not in flask(site, "series", "import", friend_file)  # stays public
    assert curl(site, "/twitstats/friendsband").status_code == 200
    out = flask(site, "series", "share", "friendsband", "--public")
    assert out.strip().endswith("Nothing changed.")

    out = flask(site, "series", "share", "friendsband", "--private")
    assert out.startswith("friendsband (imported): private;")
    assert curl(site, "/twitstats/friendsband").status_code == 401


@pytest.mark.parametrize(
    "args, message",
    [
        (("share", "no-such-account", "--with", "alex"), "No imported account no-such-account"),
        (("share", "friendsband", "--with", "nobody"), "No user called nobody"),
    ],
)
def test_share_says_what_to_fix(site, args, message):
    flask(site, "series", "import", str(FRIEND_FILE))
    done = run_flask(site, "series", *args)
    assert done.returncode == 1
    assert message in done.stderr
