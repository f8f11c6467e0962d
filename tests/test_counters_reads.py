"""Counter reads without a query each (memory store), and concurrent requests sharing
one pipelined Redis connection without losing exactness (redis store)."""

import signal
import threading
import time
import uuid

import pytest
import redis
from sqlalchemy import create_engine, event
from statboard.counters.models import Counter, CounterHistory
from statboard.counters.stores import ValueTooLarge
from statboard.counters.stores.memory import MemoryStore
from statboard.counters.stores.redis import RedisStore
from statboard.counters.stores.resp import Pipeline
from statboard.extensions import db

from tests.fixtures.servers import start_redis, stop

FLUSH = 0.05


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'counters.db'}")
    db.metadata.create_all(engine, tables=[Counter.__table__, CounterHistory.__table__])
    yield engine
    engine.dispose()


def statements(engine) -> list[str]:
    """The SQL the engine runs from now on."""
    seen = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def together(count: int, work) -> list:
    """`work(n)` in `count` threads released at one instant; their answers, in order."""
    gate, answers = threading.Barrier(count), [None] * count

    def run(n):
        gate.wait(10)
        answers[n] = work(n)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return answers


def test_memory_reads_come_from_memory_after_the_first(engine):
    store = MemoryStore(engine, interval=60)  # no refresh during the test
    try:
        store.incr("song/1", 3)
        seen = statements(engine)
        answers = together(50, lambda n: [store.get("song/1") for _ in range(20)])
        assert all(values == [3] * 20 for values in answers)
        assert store.get("song/2") == 0  # not counted yet: read once, then remembered
        assert [store.get("song/2") for _ in range(100)] == [0] * 100
        assert len(seen) == 1, seen  # the one read of song/2
    finally:
        store.close()


def test_another_process_increments_show_within_two_flush_intervals(engine):
    reader, writer = MemoryStore(engine, FLUSH), MemoryStore(engine, FLUSH)
    try:
        assert reader.get("song/7") == 0
        for _ in range(5):
            writer.incr("song/7", 2)
        assert reader.get("song/7") in (0, 10)  # not yet, or already: never half-way odd
        deadline = time.monotonic() + 5
        while reader.get("song/7") != 10 and time.monotonic() < deadline:
            time.sleep(FLUSH / 5)
        assert reader.get("song/7") == 10
        reader.incr("song/7", 1)
        assert reader.get("song/7") == 11  # its own increment at once
    finally:
        reader.close()
        writer.close()


def test_a_set_or_delete_elsewhere_reaches_the_cached_reader(engine):
    reader, admin = MemoryStore(engine, FLUSH), MemoryStore(engine, FLUSH)
    try:
        reader.incr("song/9", 4)
        reader.flush()
        admin.set("song/9", 100)
        deadline = time.monotonic() + 5
        while reader.get("song/9") != 100 and time.monotonic() < deadline:
            time.sleep(FLUSH / 5)
        assert reader.get("song/9") == 100
        admin.delete("song/9")  # no row left to read back: it counts from 0 again
        assert reader.get("song/9") in (100, 0)
        deadline = time.monotonic() + 5
        while reader.get("song/9") != 0 and time.monotonic() < deadline:
            time.sleep(FLUSH / 5)
        assert reader.get("song/9") == 0
        reader.incr("song/8", 2)
        reader.flush()
        admin.clear("song/")  # as DELETE / clears the play namespace
        deadline = time.monotonic() + 5
        while reader.get("song/8") != 0 and time.monotonic() < deadline:
            time.sleep(FLUSH / 5)
        assert reader.get("song/8") == 0
        assert reader.incr("song/8", 1) == 1
    finally:
        reader.close()
        admin.close()


@pytest.fixture
def redis_store(redis_url, engine):
    store = RedisStore(redis_url, engine, f"t{uuid.uuid4().hex[:8]}:", interval=FLUSH)
    yield store
    store.close()


def test_a_hundred_increments_at_once_each_get_their_own_exact_value(redis_store):
    answers = together(100, lambda n: redis_store.incr("song/1", 1))
    assert sorted(answers) == list(range(1, 101))
    assert redis_store.get("song/1") == 100
    reads = together(100, lambda n: redis_store.get("song/1"))
    assert reads == [100] * 100


def test_redis_refuses_to_pass_the_largest_value(redis_store):
    redis_store.set("big", 2**63 - 2)
    assert redis_store.incr("big", 1) == 2**63 - 1
    with pytest.raises(ValueTooLarge):
        redis_store.incr("big", 1)
    assert redis_store.get("big") == 2**63 - 1
    assert redis_store.incr("small", 1) == 1  # the batch it shared is not poisoned


def replies_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "redis-replies"]


def test_concurrent_commands_share_one_kept_connection(redis_url):
    """60 threads at once: one connection of the pipeline, each command its own exact
    reply, in order on that connection."""
    client = redis.Redis.from_url(redis_url)
    key = f"t{uuid.uuid4().hex[:8]}"
    pipeline = Pipeline(client)
    try:
        before = len(client.client_list())
        answers = together(60, lambda n: pipeline("INCRBY", key, 1))
        assert sorted(answers) == list(range(1, 61))
        assert pipeline("GET", key) == b"60" and pipeline("GET", key + "none") is None
        assert len(client.client_list()) == before + 1  # the pipeline's one connection
    finally:
        pipeline.close()
        client.close()


def failure(pipeline, key: str) -> str:
    try:
        pipeline("INCRBY", key, 1)
    except redis.RedisError as error:
        return type(error).__name__
    return "answered"


def test_a_redis_that_stops_answering_fails_the_waiting_commands():
    """Redis frozen past the socket timeout: the commands waiting on it fail with a
    timeout instead of hanging, and the next command gets a new connection."""
    proc, port = start_redis()
    client = redis.Redis.from_url(f"redis://127.0.0.1:{port}/0?socket_timeout=0.3")
    pipeline = Pipeline(client)
    try:
        assert pipeline("PING") == b"PONG"
        proc.send_signal(signal.SIGSTOP)
        outcome = []
        waiting = threading.Thread(target=lambda: outcome.append(failure(pipeline, "frozen")))
        try:
            waiting.start()
            waiting.join(2)  # two timeouts at most
        finally:
            proc.send_signal(signal.SIGCONT)
        waiting.join(5)
        assert not waiting.is_alive() and outcome == ["TimeoutError"], outcome
        assert pipeline("PING") == b"PONG"
    finally:
        pipeline.close()
        client.close()
        stop(proc)


def test_close_ends_the_reader(redis_url, engine):
    store = RedisStore(redis_url, engine, f"t{uuid.uuid4().hex[:8]}:", interval=FLUSH)
    before = len(replies_threads())
    assert store.incr("song/1", 1) == 1
    assert len(replies_threads()) == before + 1
    store.close()
    deadline = time.monotonic() + 5
    while len(replies_threads()) > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(replies_threads()) == before


# --- the raw RESP round trip (stores/resp.py) ----------------------------------------


def test_two_stores_on_one_redis_answer_every_value_once(redis_url, engine):
    """Two stores (as two processes would have) each batching 40 concurrent increments
    on their own connection: every value from 1 to 80 is answered exactly once."""
    namespace = f"t{uuid.uuid4().hex[:8]}:"
    stores = [RedisStore(redis_url, engine, namespace, interval=FLUSH) for _ in range(2)]
    try:
        answers = together(80, lambda n: stores[n % 2].incr("song/1", 1))
        assert sorted(answers) == list(range(1, 81))
        assert stores[0].get("song/1") == stores[1].get("song/1") == 80
        assert stores[0].incr("song/1", 5) == 85  # ?by= goes through too
    finally:
        for store in stores:
            store.close()


def test_a_batch_answers_each_command_its_own_reply(redis_store):
    """Integers, a value, nil and an error reply in one round trip, each in its place."""
    redis_store.set("big", 2**63 - 1)
    answers = together(
        4,
        lambda n: [
            lambda: redis_store.incr("a", 3),
            lambda: redis_store.get("a"),
            lambda: redis_store.get("never"),
            lambda: pytest.raises(ValueTooLarge, redis_store.incr, "big", 1) and "refused",
        ][n](),
    )
    assert answers[0] == 3 and answers[1] in (0, 3) and answers[2] == 0
    assert answers[3] == "refused"
    assert redis_store.get("big") == 2**63 - 1 and redis_store.get("a") == 3


def test_increments_go_on_after_redis_restarts(engine):
    """The kept connection dies with the server: the store connects again, and no
    increment is counted twice (a batch that broke under way fails instead)."""
    proc, port = start_redis()
    store = RedisStore(f"redis://127.0.0.1:{port}/0", engine, "t:", interval=FLUSH)
    try:
        assert [store.incr("song/1", 1) for _ in range(3)] == [1, 2, 3]
        stop(proc)
        proc, _ = start_redis(port)  # empty: nothing was saved
        acknowledged = 0
        for _ in range(2):  # at most the first, on the dead connection, fails
            try:
                assert store.incr("song/1", 1) == acknowledged + 1
                acknowledged += 1
            except redis.ConnectionError:
                assert acknowledged == 0
        assert acknowledged >= 1
        stop(proc)  # the reader sees the connection close at once
        proc, _ = start_redis(port)
        assert store.incr("song/1", 1) == 1  # no failed request this time
        assert store.get("song/1") == 1
    finally:
        store.close()
        stop(proc)
