"""The memory store's write-behind SQL on SQLite and on a real PostgreSQL."""

import threading
import uuid

import psycopg
import pytest
from sqlalchemy import create_engine, select
from statboard.counters.models import Counter, CounterHistory
from statboard.counters.stores.memory import MemoryStore
from statboard.extensions import db


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        server = request.getfixturevalue("postgres_url")
        name = f"counters_{uuid.uuid4().hex[:8]}"
        plain = server.replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        url = server.rsplit("/", 1)[0] + f"/{name}"
    engine = create_engine(url)
    db.metadata.create_all(engine, tables=[Counter.__table__, CounterHistory.__table__])
    yield engine
    engine.dispose()


def test_batched_flushes_add_up_and_keep_history(engine):
    store = MemoryStore(engine, interval=0.05)
    try:

        def bump(n):
            for i in range(300):
                store.incr(f"k/{(n + i) % 5}", 1 + i % 3)

        threads = [threading.Thread(target=bump, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        expected = 4 * sum(1 + i % 3 for i in range(300))
        assert sum(store.all().values()) == expected
        store.set("k/0", 10)
        store.incr("k/0", 5)
        store.delete("k/1")
        store.clear(prefix="k/2")
    finally:
        store.close()
    with engine.connect() as conn:
        values = dict(conn.execute(select(Counter.key, Counter.value)).all())
        history = conn.execute(
            select(CounterHistory.resolution, CounterHistory.key, CounterHistory.total)
        ).all()
    assert values["k/0"] == 15 and "k/1" not in values and "k/2" not in values
    assert set(values) == {"k/0", "k/3", "k/4"}
    by_resolution = {}
    for resolution, _key, total in history:
        by_resolution[resolution] = by_resolution.get(resolution, 0) + total
    assert by_resolution["minute"] == by_resolution["hour"] > 0
    assert {key for _, key, _ in history} <= {"k/0", "k/3", "k/4"}
    # A second store on the same database (another process) sees the flushed values.
    other = MemoryStore(engine)
    assert other.get("k/0") == 15 and other.incr("k/3", 1) == values["k/3"] + 1
    other.close()
