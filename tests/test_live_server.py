"""The event server against real site processes: what an open page receives, and when.

Each test serves the site with run.py and reads its stream over HTTP, as a browser's
EventSource does (tests/live_helpers.py); admins edit over HTTP as the editor does.
"""

import threading
import time

import httpx
import psutil
import pytest
from statboard.live import tokens

from tests.fixtures.servers import fresh_database, start_site, stop
from tests.live_helpers import Admin, Stream, prepare, stream_src, token_of

HTML = {"Accept": "text/html"}


@pytest.fixture
def serve(tmp_path):
    """serve(name, workers=1, **settings) -> a running site with an admin and a private
    page; every site it started is stopped after the test, whatever happened."""
    sites, admins = [], []

    def start(name="site", workers=1, port=None, live_port=None, **settings):
        # No host samples meanwhile: their events would come between those a test awaits.
        settings = {"HOST_SAMPLE_SECONDS": 3600, **settings}
        env = {f"STATBOARD_{key}": str(value) for key, value in settings.items()}
        env["STATBOARD_WORKERS"] = str(workers)
        if live_port:
            env["STATBOARD_LIVE_PORT"] = str(live_port)
        folder = tmp_path / name
        folder.mkdir(exist_ok=True)
        site = start_site(folder, env=env, port=port)
        sites.append(site)
        prepare(site)
        return site

    start.sites, start.admins = sites, admins
    yield start
    for admin in admins:
        admin.close()
    for site in sites:
        stop(site.proc)


def admin_of(serve, site) -> Admin:
    admin = Admin(site.url)
    serve.admins.append(admin)
    return admin


def visit(site, slug: str = "") -> tuple[str, str]:
    """What a visitor's page embeds: its stream URL (with token) and its last event id."""
    return stream_src(httpx.get(f"{site.url}/{slug}", headers=HTML, timeout=15).text)


@pytest.fixture
def streams():
    """Streams opened by the test, closed after it."""
    opened = []

    def open_stream(*args, **kwargs) -> Stream:
        stream = Stream(*args, **kwargs)
        opened.append(stream)
        return stream

    yield open_stream
    for stream in opened:
        stream.close()


# --- One site, the embedded broker --------------------------------------------------------


def test_admin_edits_reach_an_open_page_after_commit_in_order(serve, streams):
    site = serve()
    src, last = visit(site)
    stream = streams(src, last)  # the page's own id: nothing missed, nothing sent
    unplaced = streams(src)  # no id: told to refetch the page, then every event
    resync = unplaced.next(10)
    assert resync is not None and resync.type == "resync"
    admin = admin_of(serve, site)
    block = admin.text_blocks()[0]
    assert admin.save(block, "<p>stale</p>", 99).status_code == 409  # refused: no event

    def edit():
        for version in (1, 2, 3):
            admin.save(block, f"<p>edit {version}</p>", version)

    editor = threading.Thread(target=edit)
    editor.start()
    received, seen_content = [], []
    try:
        for _ in range(3):
            event = stream.next(15)
            assert event is not None, f"only {received} arrived"
            received.append(event)
            # The moment the event arrives, the change is saved: it follows the commit.
            fragment = httpx.get(f"{site.url}/blocks/{block}", headers={"HX-Request": "true"})
            seen_content.append(fragment.text)
    finally:
        editor.join(30)
    assert stream.retry == 2000
    assert [e.type for e in received] == ["block"] * 3
    assert [e.data for e in received] == [
        {"channel": f"page:{page_id(site)}", "block": block, "version": v} for v in (2, 3, 4)
    ]
    for event, content in zip(received, seen_content, strict=True):
        shown = int(content.split("edit ")[1][0])  # the version saved when the event came
        assert shown >= event.data["version"] - 1, (event, content)
    seqs = [e.seq for e in received]
    assert seqs == sorted(seqs) and len(set(e.id.rpartition("-")[0] for e in received)) == 1
    assert [e.id for e in unplaced.take(3)] == [e.id for e in received]
    assert stream.next(0.5) is None  # the refused save sent nothing


def page_id(site, slug: str = "") -> int:
    channels, _ = tokens.channels_of("live-test-secret", token_of(visit(site, slug)[0]), 60)
    return int(next(c for c in channels if c.startswith("page:")).partition(":")[2])


def test_forged_and_expired_tokens_get_403_with_a_sentence_and_streams_are_renewed(serve, streams):
    site = serve(LIVE_TOKEN_SECONDS=2)
    src, last = visit(site)
    token = token_of(src)
    forged = src.replace(token, token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"))
    other_key = src.replace(token, tokens.sign("another-secret", [f"page:{page_id(site)}"]))
    for url in (forged, other_key, f"{site.live_url}/events"):
        refused = streams(url)
        assert refused.status == 403
        assert refused.body.strip() == "The live token is not valid; reload the page."

    stream = streams(src, last)
    renew = stream.next(10)
    assert renew is not None and renew.type == "renew", renew
    assert stream.ended.wait(5), "the stream stayed open after asking for a new token"

    time.sleep(1.1)  # tokens count whole seconds: now surely past its age
    expired = streams(src)
    assert expired.status == 403
    assert expired.body.strip() == "The live token has expired; reload the page for a new one."


def test_a_public_page_never_receives_events_of_a_private_page(serve, streams):
    site = serve()
    admin = admin_of(serve, site)
    desk = admin.text_blocks("desk")[0]
    home = admin.text_blocks()[0]
    # A visitor cannot open the private page, so never gets a token for it.
    assert "data-live-src" not in httpx.get(f"{site.url}/desk", headers=HTML).text
    visitor = streams(*visit(site))
    staff = streams(*stream_src(admin.http.get("/desk").text))
    channels, _ = tokens.channels_of("live-test-secret", token_of(visit(site)[0]), 60)
    assert f"page:{page_id(site)}" in channels
    assert not [c for c in channels if c.startswith("page:") and c != f"page:{page_id(site)}"]

    assert admin.save(desk, "<p>secret 2</p>", 1).status_code == 200
    assert admin.save(home, "<p>public 2</p>", 1).status_code == 200
    private = staff.next(10)
    assert private is not None and private.data["block"] == desk
    public = visitor.next(10)
    assert public is not None and public.data["block"] == home  # the first it hears
    assert visitor.next(0.5) is None


def test_a_reconnect_gets_exactly_what_it_missed(serve, streams):
    site = serve()
    admin = admin_of(serve, site)
    home, desk = admin.text_blocks()[0], admin.text_blocks("desk")[0]
    src, last = visit(site)
    first = streams(src, last)
    assert admin.save(home, "<p>1</p>", 1).status_code == 200
    seen = first.next(10)
    assert seen is not None and seen.data["version"] == 2
    first.close()

    admin.save(home, "<p>2</p>", 2)
    admin.save(desk, "<p>not for visitors</p>", 1)
    admin.save(home, "<p>3</p>", 3)
    by_header = streams(src, seen.id)
    by_query = streams(src, params={"last": seen.id})
    for stream in (by_header, by_query):
        missed = stream.take(2)
        assert [(e.type, e.data["version"]) for e in missed] == [("block", 3), ("block", 4)]
        assert missed[0].seq < missed[1].seq
    admin.save(home, "<p>4</p>", 4)
    for stream in (by_header, by_query):
        live = stream.next(10)
        assert live is not None and live.data["version"] == 5  # nothing else came between


@pytest.mark.parametrize("since", ["", "nonsense", "0badcafe-1", "forgotten"])
def test_an_id_the_server_cannot_catch_up_from_gets_resync(serve, streams, since):
    site = serve(LIVE_REPLAY=3)
    admin = admin_of(serve, site)
    home = admin.text_blocks()[0]
    src, last = visit(site)
    version = 1
    if since == "forgotten":  # older than the replay the server keeps
        watch = streams(src, last)
        for version in range(1, 6):
            admin.save(home, f"<p>{version}</p>", version)
        events = watch.take(5)
        assert len(events) == 5
        since, version = events[0].id, 6
    stream = streams(src, since)
    first = stream.next(10)
    assert first is not None and first.type == "resync" and first.id is None
    assert admin.save(home, "<p>after</p>", version).status_code == 200
    after = stream.next(10)
    assert after is not None and after.type == "block", after


def test_events_on_the_site_port_redirect_to_the_event_port(serve, streams):
    site = serve()
    src, _ = visit(site)
    query = f"token={token_of(src)}&last=abc-1"
    moved = httpx.get(f"{site.url}/events?{query}", follow_redirects=False)
    assert moved.status_code == 307
    assert moved.headers["Location"] == f"{site.live_url}/events?{query}"
    followed = streams(f"{site.url}/events?token={token_of(src)}")  # as EventSource does
    assert followed.status == 200
    assert followed.next(10).type == "resync"  # no id given: the page refetches itself


def test_an_idle_stream_is_pinged(serve, streams):
    site = serve()
    stream = streams(*visit(site))
    deadline = time.monotonic() + 20  # a ping every 15 s
    while not stream.comments and time.monotonic() < deadline:
        time.sleep(0.2)
    assert stream.comments[:1] == [": ping"]
    assert not stream.ended.is_set()


# --- Redis: several processes --------------------------------------------------------------


def stream_holders(site) -> dict[int, int]:
    """How many event streams each worker process of the site holds open."""
    port = int(site.env["STATBOARD_LIVE_PORT"])
    held = {}
    for worker in psutil.Process(site.proc.pid).children(recursive=True):
        if "run.py" not in " ".join(worker.cmdline()):  # the SITE_URL check, say
            continue
        connections = worker.net_connections("tcp")
        held[worker.pid] = sum(
            1 for c in connections if c.laddr.port == port and c.status == psutil.CONN_ESTABLISHED
        )
    return held


def streams_on_every_worker(site, streams, most: int = 24) -> list[Stream]:
    """Open streams on the site's page until each of its workers holds at least one."""
    opened = []
    while len(opened) < most:
        opened.append(streams(*visit(site)))
        held = stream_holders(site)
        if len(held) >= 2 and all(held.values()):
            return opened
    raise AssertionError(f"{most} streams did not reach every worker: {stream_holders(site)}")


def test_with_redis_an_edit_through_one_process_reaches_streams_on_another(
    serve, streams, redis_url, postgres_url
):
    settings = {
        "BROKER_URL": redis_url,
        "DATABASE_URL": fresh_database(postgres_url, f"live{time.time_ns()}"),
    }
    one = serve("one", workers=2, **settings)
    two = serve("two", workers=2, **settings)
    readers = streams_on_every_worker(one, streams) + streams_on_every_worker(two, streams)
    block = admin_of(serve, one).text_blocks()[0]

    for version, site in enumerate((one, two, one), start=1):
        assert admin_of(serve, site).save(block, f"<p>{version}</p>", version).status_code == 200
        heard = [reader.next(15) for reader in readers]
        assert all(e is not None and e.type == "block" for e in heard), heard
        assert {e.data["version"] for e in heard} == {version + 1}
        assert len({e.id for e in heard}) == 1  # one numbering, whichever process published


# --- A restart of the site -------------------------------------------------------------------


def reconnect(src: str, last_id: str, streams, seconds: float = 45.0) -> Stream:
    """What a page does when its stream breaks: try again, waiting longer each time."""
    deadline, wait = time.monotonic() + seconds, 0.1
    while time.monotonic() < deadline:
        stream = streams(src, last_id)
        if stream.status == 200:
            return stream
        time.sleep(wait)
        wait = min(wait * 2, 2.0)
    raise AssertionError(f"the stream did not come back within {seconds} s")


@pytest.mark.parametrize("engine", ["memory", "redis"])
def test_a_stream_survives_a_restart_of_the_site(serve, streams, request, engine):
    settings = {"BROKER_URL": request.getfixturevalue("redis_url")} if engine == "redis" else {}
    site = serve("site", **settings)
    admin = admin_of(serve, site)
    block = admin.text_blocks()[0]
    src, last = visit(site)
    stream = streams(src, last)
    assert admin.save(block, "<p>1</p>", 1).status_code == 200
    before = stream.next(10)
    assert before is not None and before.type == "block"

    stop(site.proc)
    assert stream.ended.wait(15), "the stream outlived its server"
    came_back = []
    page = threading.Thread(target=lambda: came_back.append(reconnect(src, before.id, streams)))
    page.start()  # the page retries while the site is down
    port = int(site.url.rpartition(":")[2])
    again = serve("site", port=port, live_port=site.env["STATBOARD_LIVE_PORT"], **settings)
    admin = admin_of(serve, again)
    assert admin.save(block, "<p>2</p>", 2).status_code == 200
    page.join(60)
    assert came_back, "the page never reconnected"
    assert admin.save(block, "<p>3</p>", 3).status_code == 200
    events = []
    while not events or events[-1].type != "block" or events[-1].data["version"] != 4:
        event = came_back[0].next(15)
        assert event is not None, f"the new events did not arrive: {events}"
        events.append(event)
    if engine == "memory":  # a new process numbers afresh: the page refetches itself
        assert events[0].type == "resync"
    else:  # Redis kept the numbering: the page catches up without a refetch
        assert "resync" not in [e.type for e in events]
        saves = [e for e in events if e.type == "block"]  # the new site's checks publish too
        assert [e.data["version"] for e in saves] == [3, 4]
        assert before.seq < saves[0].seq < saves[1].seq
