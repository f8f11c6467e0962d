"""Statboard settings.

Every value below is a default. Any of them can be overridden by an environment
variable with the STATBOARD_ prefix: STATBOARD_DATABASE_URL, STATBOARD_SECRET_KEY,
STATBOARD_STORAGE_URL, ... Values are parsed as JSON when they can be (so
STATBOARD_WORKERS=4 is a number and STATBOARD_SESSION_COOKIE_SECURE=true a boolean),
and used as plain strings otherwise.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent


class Config:
    # Where the site listens when served by `python run.py` / `make run`.
    HOST = "127.0.0.1"
    PORT = 5000
    WORKERS = 1
    # The address people use to reach the site, for links in emails.
    SITE_URL = "http://127.0.0.1:5000"
    SITE_NAME = "Statboard"

    # None: a random key is generated once and kept in instance/secret_key.
    SECRET_KEY = None

    # Engines (see the README): the embedded default, or the URL of a real server.
    DATABASE_URL = None  # None: sqlite:///instance/statboard.db
    STORAGE_URL = "uploads"  # a folder, or s3://bucket/prefix?region=..&endpoint=..
    STORAGE_PRESIGNED = True  # S3: presigned URLs (True) or public object URLs (False)
    MAIL_URL = None  # None: .eml files in instance/outbox/; or smtp[s]://user:pw@host:port
    MAIL_FROM = "statboard@localhost"
    COUNTERS_URL = "memory://"  # or redis://host:port/db
    TASKS_URL = "threads://"  # or redis://host:port/db (Celery with a Redis broker)
    BROKER_URL = "memory://"  # or redis://host:port/db
    TASK_THREADS = 4
    SCHEDULER = True  # periodic jobs (samplings, collections) in the served site

    # Uploads
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024  # bytes per request; larger gets 413
    MAX_IMAGE_PIXELS = 40_000_000  # larger images are refused as decompression bombs

    # Login and session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set true behind HTTPS
    REMEMBER_COOKIE_HTTPONLY = True
    LOGIN_FAILURES_ALLOWED = "5/5minute"  # failed logins per user and address

    # Counters (the /counters API): write-behind interval of the memory store, the
    # largest ?by= a single increment may add, the per-IP limit on anonymous
    # increments ("" turns it off; limits' syntax: "120/minute"), prefixes where
    # increments need an admin or a token with the "counters" scope, the Redis key
    # namespace of the redis:// store, and how often a counter block refreshes.
    COUNTER_FLUSH_SECONDS = 1.0
    COUNTER_MAX_BY = 1000
    COUNTER_RATE_LIMIT = "120/minute"
    COUNTER_PRIVATE_PREFIXES: list[str] = []
    COUNTER_REDIS_NAMESPACE = "statboard:counters:"
    COUNTER_BLOCK_POLL_SECONDS = 2

    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    LOG_LEVEL = "INFO"


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"
    DATABASE_URL = "sqlite://"
    MAIL_FROM = "statboard@test.invalid"
    SITE_URL = "http://statboard.test"
