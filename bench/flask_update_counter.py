"""Reference (b): a plain Flask view doing one SQL UPDATE per hit on a SQLite file.

The database is BENCH_DB (made by bench/counters.py) in WAL mode, each server
thread with its own connection, so SQLite is used the way a small site would.
"""

import os
import sqlite3
import threading

from flask import Flask

app = Flask(__name__)
local = threading.local()


def connection() -> sqlite3.Connection:
    if not hasattr(local, "conn"):
        local.conn = sqlite3.connect(os.environ["BENCH_DB"], timeout=30, isolation_level=None)
        local.conn.execute("PRAGMA journal_mode=WAL")
        local.conn.execute("PRAGMA synchronous=NORMAL")
    return local.conn


def create_schema(path: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value INTEGER)")
        conn.execute("INSERT OR IGNORE INTO counters (key, value) VALUES ('bench/1', 0)")
        conn.execute("PRAGMA journal_mode=WAL")


@app.post("/counters/<path:key>")
def increment(key: str):
    query = "UPDATE counters SET value = value + 1 WHERE key = ? RETURNING value"
    row = connection().execute(query, (key,)).fetchone()
    return str(row[0]) if row else ("unknown key", 404)


@app.get("/counters/<path:key>")
def value(key: str):
    row = connection().execute("SELECT value FROM counters WHERE key = ?", (key,)).fetchone()
    return str(row[0] if row else 0)
