"""Each engine: one interface, one from_url(), an implementation per URL, a sentence otherwise."""

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from statboard import create_app
from statboard.counters import stores
from statboard.notify import mailer
from statboard.storage import engines as storage_engines
from statboard.tasks import engines as task_engines

from tests.conftest import make_settings
from tests.fixtures.images import s3_storage_url


def members(interface) -> set[str]:
    return {
        name
        for name, value in vars(interface).items()
        if not name.startswith("_") and inspect.isfunction(value)
    }


def assert_implements(engine, interface) -> None:
    for name in members(interface):
        assert callable(getattr(engine, name, None)), f"{type(engine).__name__} has no {name}()"


@pytest.fixture
def sql_engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'counters.db'}")
    yield engine
    engine.dispose()


def test_storage_from_url(tmp_path, s3_endpoint):
    local = storage_engines.from_url(str(tmp_path / "uploads"))
    s3 = storage_engines.from_url(s3_storage_url(s3_endpoint, "engines"))
    for storage in (local, s3):
        assert_implements(storage, storage_engines.Storage)
    assert local.local_path("k/original.png") == tmp_path / "uploads" / "k" / "original.png"
    assert s3.local_path("k/original.png") is None
    with pytest.raises(KeyError):
        local.local_path("../secret")
    with pytest.raises(ValueError, match="STATBOARD_STORAGE_URL .* set it to one of those"):
        storage_engines.from_url("ftp://files.example.test/uploads")


def test_counter_store_from_url(sql_engine, redis_url):
    for url in ("memory://", redis_url):
        store = stores.from_url(url, sql_engine, namespace="engines-test:", interval=60)
        try:
            assert_implements(store, stores.Store)
            assert store.awaits == (url == redis_url)
            if store.awaits:
                assert_implements(store, stores.AwaitingStore)
        finally:
            store.close()
    with pytest.raises(ValueError, match="STATBOARD_COUNTERS_URL .* use memory://"):
        stores.from_url("mongodb://localhost", sql_engine)


def test_task_engine_from_url(tmp_path, redis_url):
    app = create_app(make_settings(tmp_path))
    for url in ("threads://", redis_url):
        assert_implements(task_engines.from_url(url, app), task_engines.TaskEngine)
    with pytest.raises(ValueError, match="STATBOARD_TASKS_URL .* use threads://"):
        task_engines.from_url("amqp://localhost", app)


def test_mailer_from_url(tmp_path):
    outbox = mailer.from_url(None, outbox=tmp_path / "outbox")
    smtp = mailer.from_url("smtps://u:pw@mail.example.test", outbox=tmp_path / "outbox")
    for engine in (outbox, smtp):
        assert_implements(engine, mailer.Mailer)
    with pytest.raises(ValueError, match="STATBOARD_MAIL_URL .* use smtp://host:port"):
        mailer.from_url("http://mail.example.test", outbox=Path(tmp_path))


# httpx is no engine, but only outgoing requests (collections, host checks) need it.
OPTIONAL = ("boto3", "botocore", "celery", "kombu", "redis", "psycopg", "apprise", "httpx")


def test_a_default_site_imports_no_optional_engine(tmp_path):
    """Each costs memory in every process; only a site that configures it pays."""
    script = (
        "import sys, json\n"
        "from statboard import create_app\n"
        "create_app()\n"
        f"print(json.dumps([m for m in {OPTIONAL!r} if m in sys.modules]))\n"
    )
    env = {
        **os.environ,
        "STATBOARD_DATABASE_URL": f"sqlite:///{tmp_path / 'site.db'}",
        "STATBOARD_SECRET_KEY": "engines-test",
        "STATBOARD_STORAGE_URL": str(tmp_path / "uploads"),
    }
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == []
