"""Reading series over HTTP (login or bearer token, grants) and pushing samples."""

import re
from datetime import datetime

import pytest
from statboard.extensions import db
from statboard.series.models import Sample

from tests.conftest import gen_user
from tests.series_helpers import daily, gen_account, gen_token, grant

SAMPLES = [(datetime(2013, 1, 12, 3, 50, 4), 913), (datetime(2013, 1, 14, 3, 50, 2), 916)]


@pytest.fixture
def friend(app):
    """A private account granted to the friend, and another user who is not granted."""
    gen_user(app, "kevin")
    gen_user(app, "other")
    account_id = gen_account(app, "x", "KevKeeganQuotes", samples=SAMPLES)
    grant(app, account_id, "kevin")
    return account_id


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_the_friend_downloads_his_csv_in_the_original_format(app, client, friend):
    response = client.get("/twitstats/KevKeeganQuotes", headers=bearer(gen_token(app, "kevin")))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data == b"12-01-2013 03:50:04, 913\n14-01-2013 03:50:02, 916\n"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("none", 401),  # asked for a token, as for an unknown series (issue 11)
        ("wrong", 401),
        ("revoked", 401),
        ("no-scope", 403),
        ("other", 404),
        ("kevin", 200),
        ("admin", 200),
    ],
)
def test_private_series_need_a_live_scoped_token_of_a_granted_user(
    app, client, friend, who, status
):
    gen_user(app, "admin", admin=True)
    headers = {
        "none": {},
        "wrong": bearer("sb_not-a-real-token"),
        "revoked": bearer(gen_token(app, "kevin", revoked=True)),
        "no-scope": bearer(gen_token(app, "kevin", scopes="counters")),
        "other": bearer(gen_token(app, "other")),
        "kevin": bearer(gen_token(app, "kevin")),
        "admin": bearer(gen_token(app, "admin")),
    }[who]
    for url in (
        "/twitstats/KevKeeganQuotes",
        f"/api/series/{friend}.csv",
        f"/api/series/{friend}.json",
    ):
        response = client.get(url, headers={**headers, "Accept": "application/json"})
        assert response.status_code == status, url
        if status != 200:
            assert response.get_json()["message"].endswith(".")
        if status == 401:
            challenge = response.headers["WWW-Authenticate"]
            assert challenge.startswith("Bearer realm=")
            refused = re.search(r'error="?invalid_token"?', challenge) is not None
            assert refused == (who != "none")


def test_a_logged_in_granted_user_reads_without_a_token(app, client, auth, friend):
    auth.login("kevin", "secret-pw")
    assert client.get(f"/api/series/{friend}.csv").status_code == 200


def test_unknown_handles_and_ids_are_401_to_anonymous_clients_and_404_to_others(app, client):
    """Without credentials, unknown and private series get the same 401."""
    for url in ("/twitstats/nobody", "/api/series/999.json"):
        response = client.get(url)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    gen_user(app, "kevin")
    token = bearer(gen_token(app, "kevin"))
    assert client.get("/twitstats/nobody", headers=token).status_code == 404
    assert client.get("/api/series/999.json", headers=token).status_code == 404


def test_csv_and_json_use_iso_times_and_honour_from_and_to(app, client):
    account_id = gen_account(app, "github", "octocat", public=True, samples=daily(10))
    csv = client.get(f"/api/series/{account_id}.csv?from=2020-01-03&to=2020-01-04")
    assert csv.data.decode() == (
        "taken_at,count\n2020-01-03T03:50:00Z,102\n2020-01-04T03:50:00Z,103\n"
    )
    body = client.get(f"/api/series/{account_id}.json?from=2020-01-09T00:00:00Z").get_json()
    assert body["account"]["handle"] == "octocat"
    assert body["samples"] == [
        {"taken_at": "2020-01-09T03:50:00Z", "count": 108},
        {"taken_at": "2020-01-10T03:50:00Z", "count": 109},
    ]


def test_missing_days_stay_missing(app, client):
    rows = [(datetime(2020, 1, d, 3, 50), 10 + d) for d in (1, 2, 5)]
    account_id = gen_account(app, "github", "gappy", public=True, samples=rows)
    body = client.get(f"/api/series/{account_id}.json").get_json()
    assert [s["taken_at"][:10] for s in body["samples"]] == [
        "2020-01-01",
        "2020-01-02",
        "2020-01-05",
    ]


@pytest.mark.parametrize(
    "query", ["from=yesterday", "to=2020-13-01", "from=2020-01-05&to=2020-01-01", "to=%00"]
)
def test_bad_ranges_get_a_400_saying_what_to_send(app, client, query):
    account_id = gen_account(app, "github", "octocat", public=True, samples=daily(3))
    response = client.get(f"/api/series/{account_id}.json?{query}")
    assert response.status_code == 400
    assert (
        "YYYY-MM-DD" in response.get_json()["message"] or "before" in response.get_json()["message"]
    )


def stored(app, account_id):
    with app.app_context():
        return db.session.execute(
            db.select(Sample.taken_at, Sample.count)
            .where(Sample.account_id == account_id)
            .order_by(Sample.taken_at)
        ).all()


def test_push_takes_one_sample_or_a_list_and_is_idempotent(app, client, friend):
    token = bearer(gen_token(app, "kevin"))
    url = f"/api/series/{friend}/samples"
    one = client.post(url, json={"count": 930}, headers=token)
    assert one.status_code == 201 and one.get_json()["added"] == 1
    many = [
        {"count": 920, "taken_at": "2013-01-20T03:50:00Z"},
        {"count": 921, "taken_at": "2013-01-21T05:50:00+02:00"},
    ]
    assert client.post(url, json=many, headers=token).get_json() == {"added": 2, "duplicates": 0}
    assert client.post(url, json=many, headers=token).get_json() == {"added": 0, "duplicates": 2}
    rows = stored(app, friend)
    assert (datetime(2013, 1, 21, 3, 50), 921) in rows
    assert rows[-1][1] == 930 and len(rows) == 5


@pytest.mark.parametrize(
    "body",
    [
        {"count": -1},
        {"count": "12"},
        {"count": 1.5},
        {"count": True},
        {},
        {"count": 5, "taken_at": "last tuesday"},
        {"count": 5, "taken_at": "2999-01-01T00:00:00Z"},
        [],
        [{"count": 5}, "six"],
        "seven",
    ],
)
def test_bad_pushes_get_a_clear_400_and_store_nothing(app, client, friend, body):
    response = client.post(
        f"/api/series/{friend}/samples", json=body, headers=bearer(gen_token(app, "kevin"))
    )
    assert response.status_code == 400
    assert response.get_json()["message"]
    assert len(stored(app, friend)) == 2


def test_push_needs_a_scoped_token_of_a_granted_user(app, client, auth, friend):
    url = f"/api/series/{friend}/samples"
    assert client.post(url, json={"count": 1}).status_code == 401
    no_scope = bearer(gen_token(app, "kevin", scopes="counters"))
    assert client.post(url, json={"count": 1}, headers=no_scope).status_code == 403
    other = bearer(gen_token(app, "other"))  # may not see the private series: 404 (issue 9)
    assert client.post(url, json={"count": 1}, headers=other).status_code == 404
    auth.login("kevin", "secret-pw")  # a session cookie is not enough: tokens only
    assert client.post(url, json={"count": 1}).status_code == 401
    assert (
        client.post(url, data="not json", headers=bearer(gen_token(app, "kevin"))).status_code
        == 400
    )
    assert len(stored(app, friend)) == 2
