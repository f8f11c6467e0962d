"""Series under hostile input: out-of-range dates and counts, private series that do
not show whether they exist, failed imports that leave nothing behind."""

import io
import zipfile

import pytest
from statboard.extensions import db
from statboard.series.importer import import_files
from statboard.series.models import Account, Sample

from tests.conftest import gen_user
from tests.series_helpers import gen_account, gen_token, grant, login_htmx

HUGE = 2**63


@pytest.fixture
def friend(app):
    gen_user(app, "kevin")
    gen_user(app, "other")
    account_id = gen_account(app, "x", "KevKeeganQuotes")
    grant(app, account_id, "kevin")
    return account_id


def bearer(app, username="kevin", **kwargs):
    return {"Authorization": f"Bearer {gen_token(app, username, **kwargs)}"}


def sample_count(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Sample.id)))


@pytest.mark.parametrize(
    "query",
    [
        "to=9999-12-31",
        "from=0001-01-01T00:00:00%2B14:00",
        "to=9999-12-31T23:59:59-14:00",
        "from=%C2%B2",
        "to=99999-01-01",
    ],
)
def test_out_of_range_dates_are_a_400_sentence(app, client, friend, query):
    for suffix in ("json", "csv"):
        response = client.get(f"/api/series/{friend}.{suffix}?{query}", headers=bearer(app))
        assert response.status_code == 400, query
        assert response.get_json()["message"].endswith(".")


@pytest.mark.parametrize(
    "body",
    [
        {"count": 5, "taken_at": ""},
        {"count": 5, "taken_at": "0001-01-01T00:00:00+14:00"},
        {"count": 5, "taken_at": "9999-12-31T23:59:59-14:00"},
        {"count": 5, "taken_at": 1700000000},
        {"count": HUGE},
        {"count": 10**30},
        [{"count": 1}, {"count": HUGE}],
    ],
)
def test_out_of_range_pushes_are_a_400_and_store_nothing(app, client, friend, body):
    response = client.post(f"/api/series/{friend}/samples", json=body, headers=bearer(app))
    assert response.status_code == 400
    assert response.get_json()["message"].endswith(".")
    assert sample_count(app) == 0


def test_a_count_of_the_largest_64_bit_number_is_kept(app, client, friend):
    body = {"count": HUGE - 1, "taken_at": "2020-01-01T00:00:00Z"}
    response = client.post(f"/api/series/{friend}/samples", json=body, headers=bearer(app))
    assert response.status_code == 201


def test_csv_import_reports_out_of_range_lines(app):
    text = (
        b"0001-01-01T00:00:00+14:00, 5\n"
        b"9999-12-31T23:59:59-14:00, 5\n"
        b"01-01-2020 03:50:00, 9223372036854775808\n"
        b"01-01-2020 03:50:00, 7\n"
    )
    with app.app_context():
        report = import_files([("kev-followers.csv", text)])
    lines = [str(b) for b in report.bad_lines]
    assert [line.split(":")[1] for line in lines] == ["1", "2", "3"]
    assert report.added == 1


def test_a_file_of_bad_lines_only_creates_no_account(app):
    with app.app_context():
        report = import_files([("ghost-followers.csv", b"not a line\nnor this\n")])
        assert report.bad_lines and report.accounts == []
        assert db.session.scalars(db.select(Account)).all() == []


def damaged_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("kev-followers.csv", b"01-01-2020 03:50:00, 5\n" * 2000)
    data = bytearray(buffer.getvalue())
    start = 30 + len("kev-followers.csv")  # the member's compressed bytes
    for offset in range(start + 5, start + 40):
        data[offset] ^= 0x5A
    return bytes(data)


def test_a_damaged_zip_member_is_refused_at_upload_with_a_sentence(app, client, auth):
    response = client.post(
        "/series/import",
        data={"file": (io.BytesIO(damaged_zip()), "followers.zip")},
        headers=login_htmx(auth),
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "kev-followers.csv" in html and "zip the CSV files again" in html
    assert "Error" not in html and "zlib" not in html
    with app.app_context():
        assert db.session.scalars(db.select(Account)).all() == []


# --- private series answer like unknown ones: 401 without credentials, else 404 ------


@pytest.mark.parametrize("who", ["none", "other", "logged-in other"])
def test_private_and_unknown_series_answer_alike(app, client, auth, friend, who):
    headers = {"Accept": "application/json"}
    if who == "other":
        headers |= bearer(app, "other")
    if who == "logged-in other":
        auth.login("other", "secret-pw")
    for known, unknown in (
        ("/twitstats/KevKeeganQuotes", "/twitstats/nobody-here"),
        (f"/api/series/{friend}.csv", "/api/series/999999.csv"),
        (f"/api/series/{friend}.json", "/api/series/999999.json"),
    ):
        private = client.get(known, headers=headers)
        missing = client.get(unknown, headers=headers)
        assert private.status_code == missing.status_code == (401 if who == "none" else 404)
        assert private.get_json() == missing.get_json()
        assert private.headers.get("WWW-Authenticate") == missing.headers.get("WWW-Authenticate")


def test_pushing_to_a_private_series_one_may_not_see_is_404(app, client, friend):
    url = f"/api/series/{friend}/samples"
    response = client.post(url, json={"count": 1}, headers=bearer(app, "other"))
    missing = client.post("/api/series/999999/samples", json={"count": 1}, headers=bearer(app))
    assert response.status_code == missing.status_code == 404


def test_bad_tokens_are_still_401_whatever_the_series(app, client, friend):
    for url in (f"/api/series/{friend}.json", "/api/series/999999.json"):
        revoked = bearer(app, revoked=True)
        assert client.get(url, headers=revoked).status_code == 401
        junk = {"Authorization": "Bearer sb_not-a-real-token"}
        assert client.get(url, headers=junk).status_code == 401
