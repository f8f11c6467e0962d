"""Counter values reach live pages: at once after a quiet spell, coalesced in a burst,
always ending on the exact value; deletes and clears push the value they leave."""

import threading
import time

import pytest
from statboard.live import tokens

from tests.live_helpers import Listener
from tests.pages_helpers import gen_page
from tests.test_counters_api import issue_token


def pushed(listener, key: str, value: int, seconds: float = 3.0) -> list[int]:
    """The values pushed for `key`, once the last one is `value`."""

    def values(heard):
        return [data["value"] for channel, _, data in heard if channel == f"counter:{key}"]

    listener.wait_for(lambda heard: values(heard)[-1:] == [value], seconds)
    return values(listener.heard())


@pytest.fixture
def settings(settings):
    settings.update(COUNTER_RATE_LIMIT="", LIVE_COUNTER_SECONDS=0.2)
    return settings


@pytest.fixture
def heard(app):
    yield Listener(app)
    app.extensions["counters"].store.close()


def test_an_increment_after_a_quiet_spell_is_pushed_at_once(client, heard):
    started = time.monotonic()
    assert client.post("/counters/song/1").status_code == 200
    assert pushed(heard, "song/1", 1) == [1]
    assert time.monotonic() - started < 0.15
    event = heard.events[-1]
    assert (event.type, event.data) == ("counter", {"key": "song/1", "value": 1})


def test_a_burst_is_coalesced_and_ends_on_the_exact_value(client, heard):
    burst = 200
    threads = [
        threading.Thread(target=lambda: [client.post("/counters/song/2") for _ in range(20)])
        for _ in range(burst // 20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    values = pushed(heard, "song/2", burst)
    assert values == sorted(values)
    assert len(values) < burst / 4  # a few pushes, not one per increment


def test_set_delete_and_clear_push_what_they_leave(client, heard, app):
    headers = {"Authorization": f"Bearer {issue_token(app)}"}
    client.put("/counters/a/x?value=41", headers=headers)
    pushed(heard, "a/x", 41)
    client.post("/counters/a/y")
    pushed(heard, "a/y", 1)
    client.delete("/counters/a/x", headers=headers)
    pushed(heard, "a/x", 0)
    client.delete("/counters/?prefix=a/", headers=headers)
    pushed(heard, "a/y", 0)


def test_a_refused_increment_pushes_nothing(client, heard):
    assert client.post("/counters/bad key").status_code == 400
    assert client.post("/counters/song/3?by=-1").status_code == 400
    time.sleep(0.3)
    assert heard.heard() == []


def test_a_counter_block_page_reads_its_counters_channel(client, app):
    app.config["LIVE_PORT"] = 5999  # a page embeds a stream only where one is served
    gen_page(app, blocks=[("counter", {"key": "song/7", "title": ""})])
    html = client.get("/", headers={"Accept": "text/html"}).get_data(as_text=True)
    token = html.split('data-live-src="', 1)[1].split('"', 1)[0].split("token=", 1)[1]
    channels, _ = tokens.channels_of(app.config["SECRET_KEY"], token, 600)
    assert "counter:song/7" in channels
