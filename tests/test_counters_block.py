"""The counter block: value, rates and chart from the history, polled while the page is open."""

from datetime import datetime, timedelta

import pytest
from flask import render_template
from sqlalchemy import select
from statboard.counters import history, sql
from statboard.counters.blocks import CounterBlockForm, counter_context
from statboard.counters.models import CounterHistory
from statboard.extensions import db
from statboard.pages import registry
from statboard.pages.demo import seed_demo
from statboard.pages.models import Block, Page


@pytest.fixture
def app(app):
    yield app
    app.extensions["counters"].store.close()


@pytest.fixture
def settings(settings):
    settings["COUNTER_RATE_LIMIT"] = ""
    return settings


def make_block(app, key="song/1", public=True, title="Plays") -> int:
    with app.app_context():
        page = Page(slug="p", title="P", is_public=public)
        block = Block(kind="counter", data={"key": key, "title": title})
        page.blocks.append(block)
        db.session.add(page)
        db.session.commit()
        return block.id


def test_the_demo_home_page_has_a_counter_on_song_1(app):
    kind = registry.get("counter")
    assert kind.demo()["key"] == "song/1"
    with app.app_context():
        home = seed_demo()
        keys = [b.data["key"] for b in home.blocks if b.kind == "counter"]
    assert keys == ["song/1"]


def test_the_fragment_shows_the_value_and_polls_itself(app, client):
    block_id = make_block(app)
    for _ in range(3):
        client.post("/counters/song/1")
    response = client.get(f"/blocks/{block_id}/values", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<div class="counter-values"')
    assert f'hx-get="/blocks/{block_id}/values"' in html and 'hx-trigger="every 2s"' in html
    assert '<data value="3">3</data>' in html
    client.post("/counters/song/1?by=1000")
    assert '<data value="1003">1,003</data>' in client.get(f"/blocks/{block_id}/values").text


def test_the_flusher_keeps_second_minute_and_hour_totals_that_feed_the_rates(app, client):
    block_id = make_block(app)
    client.post("/counters/song/1?by=4")
    app.extensions["counters"].store.flush()
    client.post("/counters/song/1")
    app.extensions["counters"].store.flush()
    with app.app_context():
        rows = db.session.execute(select(CounterHistory.resolution, CounterHistory.total)).all()
        totals = {}
        for resolution, total in rows:
            totals[resolution] = totals.get(resolution, 0) + total
        assert totals == {"second": 5, "minute": 5, "hour": 5}
        counter = counter_context(db.session.get(Block, block_id))["counter"]
    assert counter["value"] == 5 and counter["rates"].last_hour == 5
    assert counter["rates"].last_minute == 5  # flushed just now: within the last 60 s
    assert counter["rates"].minutes[-1] + counter["rates"].minutes[-2] == 5
    assert max(bar["h"] for bar in counter["bars"]) == 48


def test_the_view_partial_shows_title_value_rates_and_chart(app, client):
    block_id = make_block(app, title="Plays of song 1")
    client.post("/counters/song/1?by=7")
    with app.test_request_context():
        block = db.session.get(Block, block_id)
        html = render_template("blocks/counter/_view.html", block=block, ctx=counter_context(block))
    assert "Plays of song 1" in html and '<data value="7">' in html
    assert "in the last hour" in html and "<svg" in html and "<rect" in html


def test_a_private_page_counter_needs_a_login(app, client, auth):
    block_id = make_block(app, public=False)
    poll = {"HX-Request": "true"}  # what the block's self-refresh sends
    assert client.get(f"/blocks/{block_id}/values", headers=poll).status_code == 401
    auth.login_user()
    assert client.get(f"/blocks/{block_id}/values").status_code == 200


def test_other_blocks_are_not_counter_fragments(app, client):
    with app.app_context():
        page = Page(slug="t", title="T")
        page.blocks.append(Block(kind="text", data={"html": "<p>x</p>"}))
        db.session.add(page)
        db.session.commit()
        block_id = page.blocks[0].id
    assert client.get(f"/blocks/{block_id}/values").status_code == 404
    assert client.get("/blocks/12345/values").status_code == 404


@pytest.mark.parametrize(
    "key, ok",
    [("song/2", True), ("", False), ("bad key", False), ("a" * 201, False), ("x//y", False)],
)
def test_admins_pick_the_key_through_the_form(app, key, ok):
    with app.test_request_context(method="POST", data={"key": key, "title": "T"}):
        form = CounterBlockForm(meta={"csrf": False})
        assert form.validate() is ok
        if ok:
            assert form.to_data({"key": "song/1", "extra": 1}) == {
                "key": "song/2",
                "title": "T",
                "extra": 1,
            }
        else:
            assert form.key.errors and form.key.errors[0].startswith(("Enter", "Use"))


def test_in_the_last_minute_is_the_last_60_seconds(app):
    """Increments stamped 12:00:10 and 11:59:45 are in the 60 seconds up to 12:00:30;
    one at 11:59:20 is not, though it is in the last complete calendar minute (what
    the block used to show: 11:59's total)."""
    now = datetime(2026, 3, 3, 12, 0, 30, 500_000)
    with app.app_context(), db.engine.begin() as conn:
        for seconds_ago, by in [(70, 100), (50, 20), (45, 3), (20, 1)]:
            sql.add_history(conn, {"song/9": by}, now - timedelta(seconds=seconds_ago))
        sql.add_history(conn, {"song/9": 5000}, now + timedelta(seconds=2))  # not yet
    with app.app_context():
        rates = history.rates("song/9", now=now)
        assert rates.last_minute == 20 + 3 + 1
        assert rates.minutes[-2] == 100 + 20 + 3  # 11:59, the calendar minute before
        assert history.last_seconds("song/9", now - timedelta(seconds=25)) == 100 + 20 + 3


def test_the_bars_fill_the_blocks_width(app, client):
    block_id = make_block(app)
    html = client.get(f"/blocks/{block_id}/values", headers={"HX-Request": "true"}).text
    svg = html.split("<svg", 1)[1].split(">", 1)[0]
    assert 'preserveAspectRatio="none"' in svg and 'width="100%"' in svg
