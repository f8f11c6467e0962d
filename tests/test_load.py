"""Issue 9, section 1: the served site holds up under concurrent load.

Real HTTP against `python run.py`: requests are released together (threads behind a
barrier), every one must answer without a 5xx within SLOW seconds, and every edit
committed under load must reach the outbox in an admin email (an editor's autosaves of
one block are one edit session: its mail shows the last of them). A request that holds a
database connection while it waits for a second one deadlocks the pool at this load.
"""

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from email import message_from_bytes, policy

import httpx
import pytest

from tests.fixtures.desk import seed_desk
from tests.fixtures.servers import start_site, stop
from tests.series_helpers import login

SLOW = 8.0  # seconds: "within a few seconds", with slack for a busy two-core machine
EDITORS = 20
SAVES = 4  # autosaves per editor
BROWSER = {"Accept": "text/html"}
HTMX = {"HX-Request": "true"}


def burst(count: int, call) -> list[tuple[object, float]]:
    """Run call(i) in `count` threads released at once; (status or error name, seconds)."""
    barrier = threading.Barrier(count)

    def one(i):
        barrier.wait()
        started = time.monotonic()
        try:
            status = call(i)
        except httpx.HTTPError as exc:  # a timeout or a refused connection is a result
            status = type(exc).__name__
        return status, time.monotonic() - started

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def assert_all_good(results, expected=200):
    statuses = Counter(status for status, _ in results)
    slowest = max(seconds for _, seconds in results)
    assert statuses == {expected: len(results)}, statuses
    assert slowest < SLOW, f"slowest answer took {slowest:.1f} s"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("load-site")
    env = {
        "STATBOARD_LOG_LEVEL": "WARNING",
        "STATBOARD_COUNTER_RATE_LIMIT": "",
        "STATBOARD_NOTIFY_SESSION_SECONDS": "1",
        "STATBOARD_NOTIFY_SEND_SECONDS": "0.25",
    }
    live = start_site(tmp, env=env)
    try:
        desk = seed_desk(live, EDITORS)
        live.text_blocks = desk.text_blocks
        live.counter_block, live.counter_key = desk.counter_block, desk.counter_key
        live.http = httpx.Client(
            base_url=live.url,
            timeout=SLOW * 4,
            headers=BROWSER,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=0),
        )
        yield live
    finally:
        if getattr(live, "http", None) is not None:
            live.http.close()
        stop(live.proc)


def boss_mails(site) -> list:
    """The mails to the desk's admin (the first-run admin gets a copy of each)."""
    files = sorted((site.tmp / "outbox").glob("*.eml"))
    mails = [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    return [mail for mail in mails if mail["To"] == "boss@example.test"]


def outbox_count(site) -> int:
    return len(boss_mails(site))


def outbox_texts(site) -> list[str]:
    return [mail.get_body(("plain",)).get_content() for mail in boss_mails(site)]


def test_100_anonymous_page_loads_with_a_counter_block(site):
    assert "counter" in site.http.get("/").text
    results = burst(100, lambda i: site.http.get("/").status_code)
    assert_all_good(results)


def test_50_counter_block_polls(site):
    url = f"/blocks/{site.counter_block}/values"
    results = burst(50, lambda i: site.http.get(url, headers={"HX-Request": "true"}).status_code)
    assert_all_good(results)


def test_20_editors_with_counter_load_lose_no_mail(site):
    with httpx.Client(base_url=site.url, timeout=SLOW * 4, headers=BROWSER) as admin:
        login(admin, "boss", "boss-password")
        cookies, csrf = admin.cookies, admin.headers["X-CSRFToken"]
    before = outbox_count(site)
    versions = dict(site.text_blocks)
    last_words = {}
    stop_counting = threading.Event()
    increments = Counter()

    def count_plays():
        # A counter client keeps its connection, as the programs that hit counters do.
        with httpx.Client(base_url=site.url, timeout=SLOW * 4) as player:
            while not stop_counting.is_set():
                try:
                    increments[player.post(f"/counters/{site.counter_key}").status_code] += 1
                except httpx.HTTPError as exc:
                    increments[type(exc).__name__] += 1

    def edit(i):
        block_id = site.text_blocks[i][0]
        words = f"edit {time.monotonic()}"
        with httpx.Client(base_url=site.url, timeout=SLOW * 4, cookies=cookies) as client:
            response = client.put(
                f"/blocks/{block_id}",
                data={"html": f"<p>{words}</p>", "version": versions[block_id]},
                headers={"HX-Request": "true", "X-Autosave": "1", "X-CSRFToken": csrf},
            )
        if response.status_code == 204:
            versions[block_id] = int(response.headers["X-Block-Version"])
            last_words[block_id] = words
        return response.status_code

    counters = [threading.Thread(target=count_plays) for _ in range(8)]
    for thread in counters:
        thread.start()
    try:
        results = []
        for _ in range(SAVES):
            results += burst(EDITORS, edit)
    finally:
        stop_counting.set()
        for thread in counters:
            thread.join(timeout=SLOW * 4)
    assert_all_good(results, expected=204)
    assert set(increments) == {200}, increments
    committed = EDITORS * SAVES
    assert len(last_words) == EDITORS

    def unmailed() -> list[str]:
        texts = "\n".join(outbox_texts(site))
        return [words for words in last_words.values() if words not in texts]

    deadline = time.monotonic() + 30
    while unmailed() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not unmailed(), "an edit's final state never reached the admins"
    # Autosaves of one block are folded into one edit session's mail.
    assert EDITORS <= outbox_count(site) - before <= committed


# --- Issue 9, section 4: anonymous callers cannot starve admins -----------------------


def test_v1_iostat_bounds_what_anonymous_callers_may_hold(site):
    for params in ({"count": 11}, {"count": 5, "wait": 5}):  # 11 reports; 25 s
        response = site.http.get("/v1/iostat/", params=params)
        assert response.status_code == 400
        assert response.json().keys() == {"msg"}
        assert response.json()["msg"].endswith(".")


def test_admin_mail_runs_while_anonymous_samplings_fill_their_lane(site):
    """8 anonymous 20 s samplings used to hold every task thread for 20 s."""
    hrefs = []
    try:
        for _ in range(8):
            response = site.http.post("/v2/iostat/", data={"count": 10, "wait": 2})
            assert response.status_code == 201, response.text
            hrefs.append(response.headers["Location"])
        time.sleep(0.5)  # the lane's threads have taken theirs
        with httpx.Client(base_url=site.url, timeout=SLOW, headers=BROWSER) as admin:
            login(admin, "boss", "boss-password")
            block_id = site.text_blocks[0][0]
            version = int(admin.get(f"/blocks/{block_id}/edit", headers=HTMX).text.split(
                'name="version" value="')[1].split('"')[0])  # fmt: skip
            before = outbox_count(site)
            started = time.monotonic()
            response = admin.put(
                f"/blocks/{block_id}",
                data={"html": "<p>while the API is busy</p>", "version": version},
                headers=HTMX,
            )
            assert response.status_code == 200, response.text
        while outbox_count(site) == before and time.monotonic() - started < SLOW:
            time.sleep(0.05)
        assert outbox_count(site) == before + 1, "the admin mail waited behind anonymous work"
    finally:
        for href in hrefs:
            site.http.delete(href)


def test_the_anonymous_lane_and_each_address_are_bounded(site):
    hrefs, statuses = [], []
    try:
        for _ in range(25):
            response = site.http.post("/v2/iostat/", data={"count": 10, "wait": 2})
            statuses.append(response.status_code)
            if response.status_code == 201:
                hrefs.append(response.headers["Location"])
            elif response.status_code in (429, 503):
                assert response.json().keys() == {"msg"}
                assert int(response.headers["Retry-After"]) >= 1
                assert response.json()["msg"].endswith(" s.")
    finally:
        for href in hrefs:
            site.http.delete(href)
    assert 503 in statuses  # the lane's queue is full: 2 threads, 8 waiting
    assert statuses[-1] == 429  # past 20 samplings a minute from this address
