"""The served site's database: SQLite in WAL mode, and finished task records pruned
once older than TASK_RETENTION_HOURS, by the periodic job tasks.prune."""

import sqlite3
import time
import uuid
from datetime import UTC, datetime, timedelta

from tests.fixtures.servers import start_site, stop


def add_task(db_path, state: str, finished_hours_ago: float | None, created_hours_ago: float):
    now = datetime.now(UTC).replace(tzinfo=None)
    finished = None if finished_hours_ago is None else now - timedelta(hours=finished_hours_ago)
    task_id = str(uuid.uuid4())
    created = str(now - timedelta(hours=created_hours_ago))
    with sqlite3.connect(db_path, timeout=15) as conn:
        conn.execute(
            "INSERT INTO tasks (id, kind, state, args, progress, message, attempts, max_retries,"
            " cancel_requested, created_at, finished_at)"
            " VALUES (?, 'mail.admins', ?, '{}', 0, '', 1, 0, 0, ?, ?)",
            (task_id, state, created, finished and str(finished)),
        )
    return task_id


def task_ids(db_path) -> set[str]:
    with sqlite3.connect(db_path, timeout=15) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM tasks")}


def test_served_database_is_wal_and_old_finished_tasks_are_pruned(tmp_path):
    env = {"STATBOARD_SWEEP_SECONDS": "1", "STATBOARD_TASK_RETENTION_HOURS": "2"}
    site = start_site(tmp_path, env=env)
    db_path = tmp_path / "statboard.db"
    try:
        with sqlite3.connect(db_path) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        old_done = add_task(db_path, "SUCCESS", finished_hours_ago=3, created_hours_ago=3)
        old_failed = add_task(db_path, "FAILURE", finished_hours_ago=50, created_hours_ago=50)
        recent = add_task(db_path, "SUCCESS", finished_hours_ago=1, created_hours_ago=1)
        queued = add_task(db_path, "QUEUED", finished_hours_ago=None, created_hours_ago=90)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and {old_done, old_failed} & task_ids(db_path):
            time.sleep(0.2)
        ids = task_ids(db_path)
        assert not {old_done, old_failed} & ids, "finished tasks past the retention are pruned"
        assert {recent, queued} <= ids, "newer finished tasks and unfinished ones are kept"
    finally:
        stop(site.proc)
