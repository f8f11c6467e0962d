"""Badges: the SVG parsed as XML, the shields.io endpoint JSON, counted views under the
counter API's anonymous rate limit, cache headers and 304, and private series."""

import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st
from statboard.series.samples import now_utc

from tests.conftest import AuthActions
from tests.series_helpers import gen_account

SVG = "{http://www.w3.org/2000/svg}"


def parse(response) -> dict:
    """A badge's parts as drawn: its size, its boxes, its two texts and its title."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.data)
    texts = [t for t in root.iter(f"{SVG}text") if t.get("aria-hidden") != "true"]
    rects = root.find(f"{SVG}g").findall(f"{SVG}rect")
    return {
        "width": int(root.get("width")),
        "title": root.find(f"{SVG}title").text,
        "texts": [t.text for t in texts],
        "lengths": [int(t.get("textLength")) for t in texts],
        "boxes": [int(r.get("width")) for r in rects[:2]],
        "fill": rects[1].get("fill"),
        "elements": {element.tag.removeprefix(SVG) for element in root.iter()},
    }


def post(client, key, times=1):
    for _ in range(times):
        assert client.post(f"/counters/{key}").status_code == 200


def test_a_counter_badge_shows_the_key_and_the_value(client):
    post(client, "song/1", 3)
    badge = parse(client.get("/badges/counters/song/1.svg"))
    assert badge["texts"] == ["song/1", "3"]
    assert badge["title"] == "song/1: 3"
    assert badge["fill"] == "#007ec6"
    assert sum(badge["boxes"]) == badge["width"]
    # each box holds its text with 5 px on either side
    assert [box * 10 - 100 for box in badge["boxes"]] == pytest.approx(badge["lengths"], abs=10)


def test_wide_letters_make_a_wider_badge_than_narrow_ones(client):
    wide = parse(client.get("/badges/counters/n.svg?label=WWWWWWWWWW"))
    narrow = parse(client.get("/badges/counters/n.svg?label=iiiiiiiiii"))
    assert wide["boxes"][0] > 2 * narrow["boxes"][0]
    assert wide["boxes"][1] == narrow["boxes"][1]


def test_the_shields_endpoint_json(client):
    for by in (1000, 234):
        assert client.post(f"/counters/song/2?by={by}").status_code == 200
    response = client.get("/badges/counters/song/2.json?label=plays&color=orange")
    assert response.json == {
        "schemaVersion": 1,
        "label": "plays",
        "message": "1,234",
        "color": "orange",
    }
    assert response.headers["Cache-Control"] == "public, max-age=60"


HOSTILE_LABELS = [
    '<script>alert("x")</script>',
    "]]><svg onload=alert(1)>",
    "&amp; &lt; ' \"",
]


@pytest.mark.parametrize("label", HOSTILE_LABELS)
def test_hostile_labels_are_text_in_a_well_formed_badge(client, label):
    badge = parse(client.get("/badges/counters/song/1.svg", query_string={"label": label}))
    assert badge["texts"][0] == label
    assert badge["elements"] <= {"svg", "title", "linearGradient", "stop", "clipPath", "rect"} | {
        "g",
        "text",
    }


def test_characters_xml_cannot_hold_are_dropped(client):
    badge = parse(client.get("/badges/counters/song/1.svg", query_string={"label": "a\x01b\x1bc"}))
    assert badge["texts"][0] == "abc"


@pytest.mark.parametrize(
    "key", ["<script>", "a%26b", "x" * 201, "quote'key", "sp%20ace", "%22%3E%3Csvg%3E"]
)
def test_hostile_keys_are_refused_with_a_sentence(client, key):
    response = client.get(f"/badges/counters/{key}.svg")
    assert response.status_code == 400
    assert response.mimetype == "text/plain"  # never drawn into an SVG
    assert "use" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "query, message",
    [
        ("color=chartreuse-ish", "unknown"),
        ("hit=maybe", "?hit=1"),
    ],
)
def test_bad_options_are_a_400_that_says_what_to_send(client, query, message):
    response = client.get(f"/badges/counters/song/1.svg?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_a_hex_colour(client):
    assert parse(client.get("/badges/counters/song/1.svg?color=ff8800"))["fill"] == "#ff8800"


def test_an_unchanged_badge_answers_304_to_its_etag(client):
    post(client, "song/3", 2)
    first = client.get("/badges/counters/song/3.svg")
    etag = first.headers["ETag"]
    again = client.get("/badges/counters/song/3.svg", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    post(client, "song/3")
    changed = client.get("/badges/counters/song/3.svg", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert parse(changed)["texts"][1] == "3"


def test_hit_counts_a_view_and_is_never_stored(client):
    for expected in ("1", "2"):
        response = client.get("/badges/counters/views/readme.svg?hit=1")
        assert parse(response)["texts"][1] == expected
        assert response.headers["Cache-Control"] == "no-store"
        assert "ETag" not in response.headers
    assert client.get("/counters/views/readme").data == b"2"
    assert parse(client.get("/badges/counters/views/readme.svg"))["texts"][1] == "2"


@pytest.fixture
def limited(make_app):
    app = make_app(COUNTER_RATE_LIMIT="2/minute", COUNTER_PRIVATE_PREFIXES=["own/"])
    return app.test_client()


def test_counted_views_share_the_anonymous_rate_limit(limited):
    assert limited.post("/counters/views/a").status_code == 200  # the API's increment
    assert limited.get("/badges/counters/views/a.svg?hit=1").status_code == 200
    refused = limited.get("/badges/counters/views/a.svg?hit=1")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "Too many increments" in refused.get_data(as_text=True)
    assert limited.post("/counters/views/a").status_code == 429
    # plain views are not limited, and show the two counted increments
    assert parse(limited.get("/badges/counters/views/a.svg"))["texts"][1] == "2"


def test_a_private_prefix_is_not_counted_by_a_badge(limited):
    response = limited.get("/badges/counters/own/x.svg?hit=1")
    assert response.status_code == 403
    assert "leave out ?hit=1" in response.get_data(as_text=True)
    assert limited.get("/counters/own/x").data == b"0"


def samples_over(days_counts):
    now = now_utc()
    return [(now - timedelta(days=days), count) for days, count in days_counts]


def test_a_series_badge_shows_followers_and_the_change(app, client):
    account_id = gen_account(
        app, "github", "octo", public=True, samples=samples_over([(10, 100), (8, 110), (0, 130)])
    )
    week = parse(client.get("/badges/series/octo.svg"))
    assert week["texts"] == ["followers", "130 (+20 in 7d)"]
    assert week["fill"] == "#4c1"
    month = client.get(f"/badges/series/{account_id}.json?period=30d").json
    assert month["message"] == "130 (+30 in 30d)"
    assert month["schemaVersion"] == 1


def test_a_falling_count_is_red_and_no_samples_is_grey(app, client):
    gen_account(app, "github", "down", public=True, samples=samples_over([(3, 50), (0, 40)]))
    gen_account(app, "github", "empty", public=True)
    falling = parse(client.get("/badges/series/down.svg"))
    assert falling["texts"][1] == "40 (-10 in 7d)"
    assert falling["fill"] == "#e05d44"
    empty = parse(client.get("/badges/series/empty.svg"))
    assert (empty["texts"][1], empty["fill"]) == ("no data", "#9f9f9f")


def test_a_bad_period_is_a_400(app, client):
    gen_account(app, "github", "octo", public=True)
    response = client.get("/badges/series/octo.svg?period=week")
    assert response.status_code == 400
    assert "7d" in response.get_data(as_text=True)


def test_a_private_series_is_refused_like_the_series_api_except_for_its_readers(app, client, auth):
    """Without credentials: 401, the same for a private account and an unknown one, as
    /twitstats answers; a user who may not read it: 404."""
    account_id = gen_account(app, "x", "secret", samples=samples_over([(0, 5)]))
    for url in ("/badges/series/secret.svg", f"/badges/series/{account_id}.svg"):
        assert client.get(url).status_code == 401
        assert client.get("/twitstats/secret").status_code == 401
    assert client.get("/badges/series/nobody.json").status_code == 401
    with app.test_client() as other:
        AuthActions(app, other).login_user()
        assert other.get("/badges/series/secret.svg").status_code == 404
        assert other.get("/twitstats/secret").status_code == 404
    auth.login_admin()
    response = client.get("/badges/series/secret.svg")
    assert parse(response)["texts"][1] == "5 (+0 in 7d)"
    assert response.headers["Cache-Control"].startswith("private")


KEYS = st.text(min_size=1, max_size=40).map(lambda s: quote(s, safe="/"))
OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "label": st.text(max_size=60),
        "color": st.one_of(st.sampled_from(["blue", "4c1", "#ff8800", ""]), st.text(max_size=8)),
        "hit": st.sampled_from(["1", "0", "yes", "", "2"]),
        "period": st.one_of(st.sampled_from(["7d", "0d", "99999d", ""]), st.text(max_size=6)),
    },
)


@fuzz_settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(key=KEYS, options=OPTIONS, kind=st.sampled_from(["counters", "series"]))
def test_whatever_comes_in_a_badge_is_well_formed_or_a_4xx(client, key, options, kind):
    ext = "svg" if len(key) % 2 else "json"
    response = client.get(f"/badges/{kind}/{key}.{ext}", query_string=options)
    assert response.status_code < 500
    if response.status_code == 200 and ext == "svg":
        ET.fromstring(response.data)  # well-formed whatever the label
    elif response.status_code == 200:
        assert response.json["schemaVersion"] == 1
