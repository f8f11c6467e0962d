"""The dedicated counter server's event loop (counters/server.py): the hot path answered
on the loop, from memory or awaiting Redis' pipelined replies (stores/resp_loop.py), and
every other request handed to threads (rsgi_bridge.py)."""

import asyncio
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import httpx
import pytest
import redis
from sqlalchemy import create_engine, func, select
from statboard.counters.live import PushedStore
from statboard.counters.models import Counter, CounterHistory
from statboard.counters.stores import ValueTooLarge
from statboard.counters.stores.redis import RedisStore
from statboard.counters.stores.resp_loop import FedReplies, LoopPipeline
from statboard.extensions import db
from statboard.rsgi_bridge import MAX_BODY, environ_of

from tests.fixtures.counters import serve
from tests.fixtures.servers import start_redis, stop

AT_ONCE = 100


def released_together(url: str, count: int) -> list[httpx.Response]:
    """`count` POSTs to `url`, each from its own thread, released at one instant."""
    barrier = threading.Barrier(count)
    answers = [None] * count

    def post(n):
        with httpx.Client(timeout=20) as http:
            barrier.wait()
            answers[n] = http.post(url)

    threads = [threading.Thread(target=post, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def served_with_redis(tmp_path, port: int, query: str = ""):
    namespace = f"t{time.time_ns()}:"
    url = f"redis://127.0.0.1:{port}/0{query}"
    return serve(tmp_path, COUNTERS_URL=url, COUNTER_REDIS_NAMESPACE=namespace)


def test_a_hundred_increments_at_once_on_redis_each_get_their_own_value(tmp_path):
    proc, port = start_redis()
    site = served_with_redis(tmp_path, port)
    url = f"{site.url}/counters/song/1"
    try:
        assert httpx.post(url).text == "1"  # a new key: checked in a thread, known since
        answers = released_together(url, AT_ONCE)
        assert {answer.status_code for answer in answers} == {200}
        assert sorted(int(answer.text) for answer in answers) == list(range(2, AT_ONCE + 2))
        assert httpx.get(url).text == str(AT_ONCE + 1)
        as_json = httpx.get(url, headers={"Accept": "application/json"}).json()
        assert as_json == {"key": "song/1", "value": AT_ONCE + 1}
    finally:
        stop(site.proc)
        stop(proc)


@pytest.mark.parametrize("store", ["memory", "redis"])
def test_the_loop_answers_exactly_as_the_threads(tmp_path, store):
    """The first request of a key is answered in a thread, the next on the loop: the
    same headers in the same order, the security headers included."""
    redis = start_redis() if store == "redis" else None
    site = served_with_redis(tmp_path, redis[1]) if redis else serve(tmp_path)

    def answer(method: str) -> tuple:
        response = httpx.request(method, f"{site.url}/counters/hot/1")
        headers = [(k, v) for k, v in response.headers.items() if k != "date"]
        return response.status_code, headers, response.text

    try:
        first, second = answer("GET"), answer("GET")
        assert first == second and first[2] == "0"
        assert ("x-content-type-options", "nosniff") in first[1]
        increments = [answer("POST") for _ in range(3)]
        assert [body for _, _, body in increments] == ["1", "2", "3"]
        assert {(status, tuple(headers)) for status, headers, _ in increments} == {
            (200, tuple(first[1]))
        }
    finally:
        stop(site.proc)
        if redis:
            stop(redis[0])


def test_increments_go_on_after_redis_restarts(tmp_path):
    """While Redis is down the loop answers 503 at once, never counting twice; once it is
    back, the next increment connects again."""
    proc, port = start_redis()
    site = served_with_redis(tmp_path, port)
    url = f"{site.url}/counters/song/2"
    try:
        assert [httpx.post(url).text for _ in range(3)] == ["1", "2", "3"]
        stop(proc)
        down = httpx.post(url, timeout=10)
        assert down.status_code == 503
        assert "try again" in down.text and down.headers["retry-after"] == "1"
        proc, _ = start_redis(port)  # empty: nothing was saved
        assert httpx.post(url).text == "1"
        assert httpx.get(url).text == "1"
    finally:
        stop(site.proc)
        stop(proc)


def test_an_increment_past_the_largest_value_is_refused_on_the_loop(tmp_path):
    proc, port = start_redis()
    namespace = f"t{time.time_ns()}:"
    url = f"redis://127.0.0.1:{port}/0"
    site = serve(tmp_path, COUNTERS_URL=url, COUNTER_REDIS_NAMESPACE=namespace)
    client = redis.Redis.from_url(url)
    try:
        assert httpx.post(f"{site.url}/counters/song/5").text == "1"  # known since
        client.set(f"{namespace}song/5", 2**63 - 1)
        refused = httpx.post(f"{site.url}/counters/song/5")
        assert refused.status_code == 400 and "would pass" in refused.text
        assert ("x-content-type-options", "nosniff") in refused.headers.items()
        assert int(client.get(f"{namespace}song/5")) == 2**63 - 1
    finally:
        client.close()
        stop(site.proc)
        stop(proc)


def test_a_redis_that_stops_answering_fails_the_waiting_increment(tmp_path):
    proc, port = start_redis()
    site = served_with_redis(tmp_path, port, "?socket_timeout=1")
    url = f"{site.url}/counters/song/3"
    try:
        assert httpx.post(url).text == "1"
        assert httpx.post(url).text == "2"  # on the loop's connection
        proc.send_signal(signal.SIGSTOP)
        started = time.monotonic()
        try:
            stuck = httpx.post(url, timeout=10)
        finally:
            proc.send_signal(signal.SIGCONT)
        assert stuck.status_code == 503
        assert time.monotonic() - started < 4  # one to two socket timeouts
        # The dropped increment may or may not have run once Redis woke: never twice.
        assert int(httpx.post(url).text) in (3, 4)
    finally:
        stop(site.proc)
        stop(proc)


def test_a_body_past_the_bound_is_refused(tmp_path):
    site = serve(tmp_path)
    url = f"{site.url}/counters/song/4"
    try:
        large = httpx.put(url, content=b"1" * (MAX_BODY + 1))
        assert large.status_code == 413 and f"at most {MAX_BODY} bytes" in large.text

        def chunks():
            for _ in range(MAX_BODY // 1024 + 2):
                yield b"1" * 1024

        assert httpx.put(url, content=chunks()).status_code == 413  # chunked, no length
        # A small body still reaches the API (which asks for a token to set a value).
        assert httpx.put(url, content=b"5").status_code == 401
        assert httpx.get(url).text == "0"
    finally:
        stop(site.proc)


def test_replies_split_anywhere_are_read_whole_and_in_order():
    stream = b":1\r\n$5\r\nhello\r\n$-1\r\n-ERR wrong\r\n:42\r\n"
    replies = FedReplies()
    read = []
    for n in range(len(stream)):  # one byte at a time
        read += list(replies.feed(stream[n : n + 1]))
    assert read[:3] == [1, b"hello", None] and read[4] == 42
    assert str(read[3]) == "ERR wrong"
    assert list(FedReplies().feed(stream))[4] == 42  # all at once


class Headers(list):
    """What granian's RSGI scope gives: (name, value) pairs, names lowercased."""

    def items(self):
        return list(self)

    def get(self, name, default=None):
        return next((value for key, value in self if key == name), default)


def test_the_environ_is_granians_without_lookalike_headers():
    headers = Headers(
        [
            ("content-type", "text/plain"),
            ("content-length", "1"),
            ("cookie", "a=1"),
            ("cookie", "b=2"),
            ("x-forwarded-for", "203.0.113.9"),
            ("x_forwarded_for", "198.51.100.1"),  # would pass for the one above
            ("accept", "text/plain"),
            ("accept", "application/json"),
        ]
    )
    scope = SimpleNamespace(
        method="PUT",
        path="/counters/caf\u00e9",
        query_string="value=1",
        server="127.0.0.1:5000",
        client="127.0.0.1:40000",
        http_version="1.1",
        scheme="http",
        headers=headers,
    )
    environ = environ_of(scope, b"7")
    assert environ["PATH_INFO"] == "/counters/caf\u00e9".encode().decode("latin-1")
    assert environ["HTTP_COOKIE"] == "a=1; b=2"
    assert environ["HTTP_X_FORWARDED_FOR"] == "203.0.113.9"
    assert environ["HTTP_ACCEPT"] == "text/plain,application/json"
    assert (environ["CONTENT_TYPE"], environ["CONTENT_LENGTH"]) == ("text/plain", "1")
    assert (environ["REMOTE_ADDR"], environ["SERVER_PORT"]) == ("127.0.0.1", "5000")
    assert environ["wsgi.input"].read() == b"7"


def run_on_own_loop(main):
    """asyncio.run(main) on a loop of its own, in a thread of its own: a browser test
    before may have left this thread marked as running one (Playwright's sync API)."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, main).result()


def test_requests_that_wait_or_leave_share_one_connection():
    """A request whose client leaves while the loop connects does not stop the
    connection the others wait for, nor make them open a second one."""
    proc, port = start_redis()  # its own: every connection to it is this test's
    client = redis.Redis.from_url(f"redis://127.0.0.1:{port}/0")
    pipeline = LoopPipeline(client)
    key = f"t{time.time_ns()}:shared"

    async def main():
        loop = asyncio.get_running_loop()
        first = asyncio.ensure_future(pipeline("INCRBY", key, 1))
        await asyncio.sleep(0)  # it has begun to connect
        first.cancel()
        values = await asyncio.gather(*[pipeline("INCRBY", key, 1) for _ in range(20)])
        names = await loop.run_in_executor(None, client.client_list)  # a connection too
        pipeline.close()
        return values, len(names)

    try:
        values, connections = run_on_own_loop(main())
    finally:
        client.close()
        stop(proc)
    assert sorted(values) == list(range(1, 21))
    assert connections == 2  # the loop's and the one asking


def test_increments_of_one_key_in_one_turn_go_as_one_command_each_with_its_own_value():
    proc, port = start_redis()
    client = redis.Redis.from_url(f"redis://127.0.0.1:{port}/0")
    pipeline = LoopPipeline(client)
    key, other = f"t{time.time_ns()}:song", f"t{time.time_ns()}:other"

    async def main():
        await pipeline("GET", key)  # connected
        client.config_resetstat()
        values = await asyncio.gather(
            *[pipeline.incrby(key, by) for by in (1, 2, 1, 5)],
            pipeline.incrby(other, 1),
            pipeline("GET", key),
        )
        pipeline.close()
        return values

    try:
        values = run_on_own_loop(main())
        calls = client.info("commandstats")["cmdstat_incrby"]["calls"]
        assert int(client.get(key)) == 9
    finally:
        client.close()
        stop(proc)
    assert values == [1, 3, 4, 9, 1, b"9"]  # each the total its own increment made
    assert calls == 2  # one for each key


def test_gathered_increments_past_the_largest_value_are_refused_one_by_one():
    """Redis refuses an INCRBY past 2**63 - 1 as a whole: the increments that fit still
    count, alone, and only those past it are refused."""
    proc, port = start_redis()
    client = redis.Redis.from_url(f"redis://127.0.0.1:{port}/0")
    pipeline = LoopPipeline(client)
    key = f"t{time.time_ns()}:full"
    client.set(key, 2**63 - 3)

    async def main():
        answers = await asyncio.gather(
            *[pipeline.incrby(key, 1) for _ in range(3)], return_exceptions=True
        )
        pipeline.close()
        return answers

    try:
        answers = run_on_own_loop(main())
        final = int(client.get(key))
    finally:
        client.close()
        stop(proc)
    assert answers[:2] == [2**63 - 2, 2**63 - 1]
    assert isinstance(answers[2], redis.ResponseError) and "overflow" in str(answers[2])
    assert final == 2**63 - 1


def test_gathered_increments_are_noted_once_for_the_history_and_live_pages(tmp_path):
    """The increments of a key that go as one INCRBY are noted once, by their sum: the
    history gets each one all the same, and live pages get the last value; those
    refused as a whole and sent again alone are noted one by one, as they land."""
    proc, port = start_redis()
    engine = create_engine(f"sqlite:///{tmp_path / 'counters.db'}")
    db.metadata.create_all(engine, tables=[Counter.__table__, CounterHistory.__table__])
    store = RedisStore(f"redis://127.0.0.1:{port}/0", engine, "t:", interval=60)
    published, noted = [], []
    pushed = PushedStore(store, lambda *message: published.append(message[2]), 0.01)
    store.when_incremented(noted.append)
    store.redis.set("t:full", 2**63 - 3)

    async def main():
        try:
            first = await asyncio.gather(
                *[pushed.incr_awaited("song/1", by) for by in (1, 2, 3, 4)],
                pushed.incr_awaited("song/2", 1),
            )
            second = await pushed.incr_awaited("song/1", 1)
            full = await asyncio.gather(
                *[pushed.incr_awaited("full", 1) for _ in range(3)], return_exceptions=True
            )
            deadline = time.monotonic() + 5
            while {"key": "song/1", "value": 11} not in published and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            return first, second, full
        finally:
            store.close()  # on the loop its connection belongs to; what it gathered, flushed

    try:
        first, second, full = run_on_own_loop(main())
        with engine.connect() as conn:
            history = dict(
                conn.execute(
                    select(CounterHistory.key, func.sum(CounterHistory.total))
                    .where(CounterHistory.resolution == "minute")
                    .group_by(CounterHistory.key)
                ).all()
            )
    finally:
        engine.dispose()
        stop(proc)
    assert first == [1, 3, 6, 10, 1] and second == 11
    assert full[:2] == [2**63 - 2, 2**63 - 1] and isinstance(full[2], ValueTooLarge)
    assert noted == ["song/1", "song/2", "song/1", "full", "full"]
    assert history == {"song/1": 11, "song/2": 1, "full": 2}
    assert {"key": "song/1", "value": 11} in published
