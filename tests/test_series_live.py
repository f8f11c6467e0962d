"""Issue 3's promise, black-box against the served site: a friend with a token gets his
CSV over plain HTTP (as curl would) in the original format, and nobody else does."""

from datetime import datetime
from pathlib import Path

import httpx
import pytest
from statboard import create_app
from statboard.auth.models import ApiToken, User
from statboard.extensions import db
from statboard.series.models import Account

from tests.conftest import make_settings
from tests.fixtures.servers import flask, start_site, stop
from tests.series_helpers import CURL, bearer, logged_in, new_token

ORIGINAL = Path(__file__).parent / "data" / "weatherbot-followers.csv"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("series-site")
    live = start_site(tmp, env={"STATBOARD_LOG_LEVEL": "WARNING"})
    yield live
    stop(live.proc)


@pytest.fixture(scope="module")
def friend_setup(site):
    """The admin imports the old file and shares it with the friend, as on the site."""
    output = flask(site, "series", "import", str(ORIGINAL))
    assert "samples added to 1 accounts" in output
    for name, flags in (("root", ["--admin"]), ("kevin", []), ("other", [])):
        flask(site, "users", "create", name, "--password-stdin", *flags, stdin=f"{name}-pw\n")
    app = create_app(make_settings(site.tmp, DATABASE_URL=site.env["STATBOARD_DATABASE_URL"]))
    with app.app_context():
        account = db.session.scalar(db.select(Account).where(Account.handle == "weatherbot"))
        account_id, is_public = account.id, account.is_public
    assert not is_public  # imports are private unless asked otherwise
    with logged_in(site, "root", "root-pw") as admin:
        response = admin.put(
            f"/series/accounts/{account_id}",
            data={"handle": "weatherbot", "readers": "kevin"},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 200, response.text
    return {
        "account_id": account_id,
        "kevin": new_token(site, "kevin", "kevin-pw"),
        "other": new_token(site, "other", "other-pw"),
        "kevin_no_scope": old_token(app, "kevin", "tasks"),
    }


def old_token(app, username: str, scopes: str) -> str:
    """A token the panel no longer offers (here: only the retired tasks scope)."""
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == username))
        token, plain = ApiToken.issue(user, "old script", scopes)
        db.session.add(token)
        db.session.commit()
    return plain


def test_the_friend_downloads_his_csv_byte_for_byte_in_the_original_format(site, friend_setup):
    response = httpx.get(f"{site.url}/twitstats/weatherbot", headers=bearer(friend_setup["kevin"]))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "set-cookie" not in response.headers
    assert response.content == ORIGINAL.read_bytes()


def test_the_friend_gets_the_iso_csv_of_the_same_samples(site, friend_setup):
    url = f"{site.url}/api/series/{friend_setup['account_id']}.csv"
    response = httpx.get(url, headers=bearer(friend_setup["kevin"]))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    header, *rows = response.text.splitlines()
    assert header == "taken_at,count"
    expected = []
    for line in ORIGINAL.read_text().splitlines():
        moment, count = line.split(", ")
        taken_at = datetime.strptime(moment, "%d-%m-%Y %H:%M:%S").isoformat() + "Z"
        expected.append(f"{taken_at},{count}")
    assert rows == expected


@pytest.mark.parametrize("path", ["/twitstats/weatherbot", "/api/series/{id}.csv"])
def test_without_a_token_the_private_series_is_refused(site, friend_setup, path):
    url = site.url + path.format(id=friend_setup["account_id"])
    response = httpx.get(url, headers=CURL)
    # Asked for a token (issue 11), as for a series that does not exist (issue 9).
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Bearer" in response.text
    assert httpx.get(url, headers=bearer("not-a-token")).status_code == 401


@pytest.mark.parametrize("path", ["/twitstats/weatherbot", "/api/series/{id}.csv"])
@pytest.mark.parametrize("who", ["other", "kevin_no_scope"])
def test_another_users_token_or_a_token_without_the_scope_is_refused(site, friend_setup, path, who):
    url = site.url + path.format(id=friend_setup["account_id"])
    response = httpx.get(url, headers=bearer(friend_setup[who]))
    # Another user may not see it: 404 (issue 9); a token without the scope: 403.
    assert response.status_code == (404 if who == "other" else 403)
    assert ORIGINAL.read_text().splitlines()[0] not in response.text  # no sample leaks


def test_an_unknown_handle_is_404(site, friend_setup):
    response = httpx.get(f"{site.url}/twitstats/nobody", headers=bearer(friend_setup["kevin"]))
    assert response.status_code == 404
