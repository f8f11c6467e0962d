"""Click-to-edit for every block kind: fragments, saves, stale versions, bad input."""

import logging

import pytest

from tests.pages_helpers import (
    EVENT,
    HX,
    TEXT,
    assert_fragment,
    block_ids,
    csrf,
    gen_page,
    get_block,
)


@pytest.fixture
def home(app):
    gen_page(app, "home", "Home", blocks=[TEXT, EVENT])
    return block_ids(app)


def text_edit(html, version=1):
    return {"html": html, "version": str(version)}


def event_edit(**changes):
    data = {
        "title": "Launch",
        "start": "2999-01-01T10:00",
        "end": "2999-01-01T12:00",
        "tz": "Europe/Berlin",
        "location": "Hall",
        "location_url": "https://example.org/hall",
        "description": "Cake.",
        "version": "1",
    }
    return {**data, **changes}


def test_display_and_edit_fragments_for_htmx(client, auth, home):
    auth.login_admin()
    text_id = home[0]
    shown = assert_fragment(
        client.get(f"/blocks/{text_id}", headers=HX), "article", f"block-{text_id}"
    )
    assert "<strong>world</strong>" in shown
    form = assert_fragment(
        client.get(f"/blocks/{text_id}/edit", headers=HX), "form", f"block-{text_id}"
    )
    assert 'name="version" value="1"' in form and 'hx-put="/blocks/' in form


def test_edit_without_javascript_is_a_whole_page(client, auth, home):
    auth.login_admin()
    response = client.get(f"/blocks/{home[0]}/edit")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    assert f'<form id="block-{home[0]}"' in html
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_save_answers_the_display_fragment(client, auth, home, caplog):
    auth.login_admin()
    caplog.set_level(logging.INFO, logger="statboard.changes")
    response = client.put(
        f"/blocks/{home[0]}", data=text_edit("<p>New words</p>"), headers={**HX, **csrf(client)}
    )
    assert response.status_code == 200
    assert "New words" in assert_fragment(response, "article", f"block-{home[0]}")
    block = get_block(client.application, home[0])
    assert block.data["html"] == "<p>New words</p>" and block.version == 2
    assert any(
        f"admin edited text block {home[0]} on page 'Home'" in r.getMessage()
        and f"/#block-{home[0]}" in r.getMessage()
        for r in caplog.records
    )


def test_plain_post_redirects_back_to_the_block(client, auth, home):
    auth.login_admin()
    data = {**text_edit("<p>No script here</p>"), **{"csrf_token": csrf(client)["X-CSRFToken"]}}
    response = client.post(f"/blocks/{home[0]}", data=data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/#block-{home[0]}")
    assert "No script here" in client.get("/").get_data(as_text=True)


def test_autosave_keeps_the_editor_open_and_reports_the_new_version(client, auth, home):
    auth.login_admin()
    headers = {**HX, **csrf(client), "X-Autosave": "1"}
    response = client.put(f"/blocks/{home[0]}", data=text_edit("<p>draft</p>"), headers=headers)
    assert response.status_code == 204 and response.headers["X-Block-Version"] == "2"
    again = client.put(f"/blocks/{home[0]}", data=text_edit("<p>draft 2</p>", 2), headers=headers)
    assert again.headers["X-Block-Version"] == "3"


def test_stale_version_gets_409_with_the_current_content(client, auth, home):
    auth.login_admin()
    headers = {**HX, **csrf(client)}
    first = client.put(f"/blocks/{home[0]}", data=text_edit("<p>Theirs</p>"), headers=headers)
    assert first.status_code == 200
    stale = client.put(f"/blocks/{home[0]}", data=text_edit("<p>Mine</p>"), headers=headers)
    assert stale.status_code == 409
    html = assert_fragment(stale, "form", f"block-{home[0]}")
    assert "someone saved this block meanwhile" in html.lower()
    assert "&lt;p&gt;Theirs&lt;/p&gt;" in html  # their text is in the editor
    assert 'name="version" value="2"' in html  # so the next save builds on theirs
    assert "&lt;p&gt;Mine&lt;/p&gt;" in html  # and mine is shown, not lost
    assert get_block(client.application, home[0]).data["html"] == "<p>Theirs</p>"


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<p>hi<script>alert(1)</script></p>", "<p>hi</p>"),
        ('<p onclick="steal()">click</p>', "<p>click</p>"),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="noopener nofollow">x</a>'),
        (
            '<a href="https://example.org" target="_blank">ok</a>',
            '<a href="https://example.org" rel="noopener nofollow">ok</a>',
        ),
        (
            '<a href="mailto:a@example.org">mail</a>',
            '<a href="mailto:a@example.org" rel="noopener nofollow">mail</a>',
        ),
        ('<img src=x onerror="alert(1)"><h2>Head</h2>', "<h2>Head</h2>"),
        (
            '<iframe src="https://evil.example"></iframe><blockquote>q</blockquote>',
            "<blockquote>q</blockquote>",
        ),
        ("<ul><li><em>a</em></li></ul><style>*{}</style>", "<ul><li><em>a</em></li></ul>"),
    ],
)
def test_text_is_sanitized_on_save(client, auth, home, dirty, clean):
    auth.login_admin()
    response = client.put(
        f"/blocks/{home[0]}", data=text_edit(dirty), headers={**HX, **csrf(client)}
    )
    assert response.status_code == 200
    assert get_block(client.application, home[0]).data["html"] == clean


BAD_EVENTS = [
    ({"tz": "Mars/Olympus"}, "Unknown time zone"),
    ({"tz": "../../etc/passwd"}, "Unknown time zone"),
    ({"tz": "x" * 500}, "zone"),
    ({"tz": ""}, "Name a time zone"),
    ({"end": "2998-12-31T10:00"}, "The end is before the start"),
    ({"start": "tomorrow-ish"}, "Give the date and time as"),
    ({"end": "2999-13-45T99:00"}, "Give the date and time as"),
    ({"start": ""}, "Give a start date"),
    ({"title": ""}, "Give the event a title"),
    ({"title": "T" * 201}, "Keep the title under 200"),
    ({"location_url": "javascript:alert(1)"}, "http"),
    ({"location_url": "ftp://example.org/x"}, "http"),
]


@pytest.mark.parametrize(("change", "message"), BAD_EVENTS)
def test_bad_event_input_gets_422_with_the_edit_form(client, auth, home, change, message, caplog):
    auth.login_admin()
    caplog.set_level(logging.INFO, logger="statboard.changes")
    response = client.put(
        f"/blocks/{home[1]}", data=event_edit(**change), headers={**HX, **csrf(client)}
    )
    assert response.status_code == 422
    html = assert_fragment(response, "form", f"block-{home[1]}")
    assert message in html
    block = get_block(client.application, home[1])
    assert block.version == 1 and block.data == EVENT[1]
    assert not [r for r in caplog.records if r.name == "statboard.changes"]


def test_good_event_saves_and_shows_in_its_time_zone(client, auth, home):
    auth.login_admin()
    response = client.put(
        f"/blocks/{home[1]}", data=event_edit(title="Party"), headers={**HX, **csrf(client)}
    )
    html = assert_fragment(response, "article", f"block-{home[1]}")
    assert "Party" in html and "Europe/Berlin" in html and "Upcoming" in html
    assert 'datetime="2999-01-01T10:00:00+01:00"' in html


def test_past_events_fold_their_details_for_visitors(client, app):
    past = ("event", {**EVENT[1], "start": "2001-02-03T10:00", "description": "Old news."})
    gen_page(app, "home", blocks=[past])
    html = client.get("/").get_data(as_text=True)
    assert "Past" in html
    assert '<details class="event-more"><summary>Show more</summary>' in html
    assert "Old news." in html


def test_oversized_text_is_refused(client, auth, home):
    auth.login_admin()
    response = client.put(
        f"/blocks/{home[0]}",
        data=text_edit("<p>" + "a" * 100_001 + "</p>"),
        headers={**HX, **csrf(client)},
    )
    assert response.status_code == 422
    assert "Keep the text under" in response.get_data(as_text=True)


def test_a_save_without_a_version_is_refused(client, auth, home):
    auth.login_admin()
    response = client.put(
        f"/blocks/{home[0]}", data={"html": "<p>x</p>"}, headers={**HX, **csrf(client)}
    )
    assert response.status_code == 400
    assert get_block(client.application, home[0]).version == 1


def test_no_javascript_conflict_and_invalid_posts_show_the_whole_page(client, auth, home):
    auth.login_admin()
    token = csrf(client)["X-CSRFToken"]
    client.post(f"/blocks/{home[0]}", data={**text_edit("<p>first</p>"), "csrf_token": token})
    stale = client.post(
        f"/blocks/{home[0]}", data={**text_edit("<p>late</p>"), "csrf_token": token}
    )
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert "<html" in html and "Someone saved this block meanwhile" in html
    bad = client.post(f"/blocks/{home[1]}", data={**event_edit(tz="Nowhere"), "csrf_token": token})
    assert bad.status_code == 422 and "<html" in bad.get_data(as_text=True)


def test_blocks_of_private_pages_are_hidden_from_visitors(client, app):
    gen_page(app, "team", public=False, blocks=[TEXT])
    block_id = block_ids(app, "team")[0]
    assert client.get(f"/blocks/{block_id}", headers=HX).status_code == 401
    response = client.get(f"/blocks/{block_id}", headers={"Accept": "text/html"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_blocks_are_404(client, auth, home):
    auth.login_admin()
    assert client.get("/blocks/999", headers=HX).status_code == 404
    response = client.put("/blocks/999", data=text_edit("<p>x</p>"), headers={**HX, **csrf(client)})
    assert response.status_code == 404


def test_saving_unchanged_content_announces_nothing(client, auth, home, caplog):
    auth.login_admin()
    caplog.set_level(logging.INFO, logger="statboard.changes")
    same = text_edit(TEXT[1]["html"])
    response = client.put(f"/blocks/{home[0]}", data=same, headers={**HX, **csrf(client)})
    assert response.status_code == 200
    assert get_block(client.application, home[0]).version == 1
    assert not [r for r in caplog.records if r.name == "statboard.changes"]
