"""Which one process of the cluster runs the periodic jobs: the leader.

    leadership = from_url(url, lease=30)
    leadership.acquire()   # True: this process leads now
    leadership.renew()     # True while it still does (call every lease / 3)
    leadership.release()

The engine follows the engines in use (see `url_for(config)`):

- PostgreSQL: an advisory lock held by a connection of its own. A process that dies
  closes it and frees the lock at once; a machine that vanishes, or a process frozen
  for longer than the lease, is cut off by the server (TCP keepalives and
  idle_session_timeout of that one session, both the lease).
- Redis: a key with an expiry (SET NX PX), renewed by its holder with a script that
  checks it still holds it; a leader that stops renewing loses it after the lease.
  The key names the cluster's database, so sites that share a Redis but not a
  database each have their leader.
- the embedded engines (one machine): a lock on a file in the instance folder.

A leader that cannot renew stops leading; each run is also claimed in the database
(tasks.schedule), so even two leaders at once never run a job twice in one period.
"""

import contextlib
import fcntl
import hashlib
import logging
import secrets
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

LOCK_NAME = "statboard:scheduler"
# pg_try_advisory_lock's key: any number, the same in every process of a cluster.
ADVISORY_KEY = int.from_bytes(LOCK_NAME.encode()[:8], "big") >> 1


class Leadership(Protocol):
    lease: float | None  # seconds a leader that stops renewing keeps leading; None: until it ends

    def acquire(self) -> bool:
        """Try once to become the leader; True when this process leads now."""

    def renew(self) -> bool:
        """Still the leader? (and extend the lease); False once leadership is lost."""

    def release(self) -> None:
        """Stop leading, so that another process takes over now."""


def url_for(config) -> str:
    """The leadership URL of these settings: LEADERSHIP_URL when set, else the database
    when it is PostgreSQL, else Redis when the task engine or the broker is Redis, else
    the scheduler's lock file (SCHEDULER_LOCK, or instance/scheduler.lock)."""
    if config.get("LEADERSHIP_URL"):
        return config["LEADERSHIP_URL"]
    database = config.get("SQLALCHEMY_DATABASE_URI") or config.get("DATABASE_URL") or ""
    if database.startswith("postgresql"):
        return database
    for setting in ("TASKS_URL", "BROKER_URL"):
        if urlsplit(config.get(setting) or "").scheme in ("redis", "rediss"):
            return config[setting]
    return config["SCHEDULER_LOCK"]


def cluster_of(config) -> str:
    """What names the cluster in a Redis shared with others: its database (every process
    of a cluster has the same DATABASE_URL), without its password."""
    database = make_url(config.get("SQLALCHEMY_DATABASE_URI") or config["DATABASE_URL"])
    return hashlib.sha256(database.render_as_string(True).encode()).hexdigest()[:16]


def from_url(url: str, *, lease: float = 30.0, cluster: str = "") -> Leadership:
    """postgresql[+driver]://…, redis[s]://…, or the path of a lock file (file:///… too);
    ValueError saying what to use otherwise. `cluster` keeps the Redis key of one
    cluster apart from others' on the same Redis (see cluster_of)."""
    scheme = urlsplit(url).scheme
    if scheme.startswith("postgresql"):
        return PostgresLeadership(url, lease)
    if scheme in ("redis", "rediss"):
        key = f"{LOCK_NAME}:{cluster}:leader" if cluster else f"{LOCK_NAME}:leader"
        return RedisLeadership(url, lease, key)
    if scheme == "file":
        return FileLeadership(Path(urlsplit(url).path))
    if "://" not in url:
        return FileLeadership(Path(url))
    raise ValueError(
        f"STATBOARD_LEADERSHIP_URL {url!r} is not understood: use the PostgreSQL database "
        "URL, a redis://host:port/db URL, or the path of a lock file."
    )


class FileLeadership:
    """One process per machine: whoever holds the lock on a file (an flock)."""

    lease = None

    def __init__(self, path: Path):
        self.path = path
        self._handle = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._handle = handle  # kept open (and so locked) while this process leads
        return True

    def renew(self) -> bool:
        return self._handle is not None

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class PostgresLeadership:
    """A session-level advisory lock on a connection of its own (not the site's pool)."""

    def __init__(self, url: str, lease: float):
        self.lease = lease
        self.dsn = make_url(url).set(drivername="postgresql").render_as_string(False)
        self._conn = None

    def _connect(self):
        import psycopg  # optional: only with a PostgreSQL database

        seconds = max(1, int(self.lease))
        # The server ends this session when its leader went quiet for a lease: a
        # vanished machine (keepalives) or a frozen process (idle_session_timeout).
        options = (
            f"-c idle_session_timeout={seconds * 1000} -c tcp_keepalives_idle={seconds // 3 or 1}"
            f" -c tcp_keepalives_interval={seconds // 6 or 1} -c tcp_keepalives_count=3"
        )
        return psycopg.connect(
            self.dsn,
            autocommit=True,
            connect_timeout=max(2, seconds // 3),
            options=options,
            keepalives=1,
            keepalives_idle=seconds // 3 or 1,
            keepalives_interval=seconds // 6 or 1,
            keepalives_count=3,
            tcp_user_timeout=seconds * 1000,
            application_name="statboard scheduler",
        )

    def acquire(self) -> bool:
        """Try the lock on this object's session (kept between tries, made anew after a
        failure or a release)."""
        try:
            if self._conn is None:
                self._conn = self._connect()
            got = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_KEY,))
            return bool(got.fetchone()[0])
        except Exception as exc:
            log.warning("could not ask PostgreSQL for the scheduler's lock: %s", exc)
            self.release()
            return False

    def renew(self) -> bool:
        """The lock lives as long as its session: a query on it that works says so."""
        try:
            self._conn.execute("SELECT 1").fetchone()
            return True
        except Exception as exc:
            log.warning("lost the scheduler's PostgreSQL session: %s", exc)
            self.release()
            return False

    def release(self) -> None:
        if self._conn is not None:
            # Unlocked before the close, which the server sees a moment later: the next
            # leader may take over at once. A session that is gone took its lock along.
            with contextlib.suppress(Exception):
                self._conn.execute("SELECT pg_advisory_unlock_all()")
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None


# Renew or release the key only while it still names us (KEYS[1], ARGV[1] our token).
RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class RedisLeadership:
    """A key holding the leader's random token, with an expiry its leader renews."""

    def __init__(self, url: str, lease: float, key: str):
        import redis  # optional: only with Redis engines

        self.lease = lease
        self.key = key
        self.token = ""
        timeout = max(0.5, lease / 6)
        self.redis = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self._renew = self.redis.register_script(RENEW)
        self._release = self.redis.register_script(RELEASE)

    def acquire(self) -> bool:
        token = secrets.token_hex(16)
        try:
            if self.redis.set(self.key, token, nx=True, px=int(self.lease * 1000)):
                self.token = token
                return True
        except Exception as exc:
            log.warning("could not ask Redis for the scheduler's lock: %s", exc)
        return False

    def renew(self) -> bool:
        try:
            held = self._renew(keys=[self.key], args=[self.token, int(self.lease * 1000)])
        except Exception as exc:
            log.warning("could not renew the scheduler's lock in Redis: %s", exc)
            return False
        return bool(held)

    def release(self) -> None:
        if self.token:
            with contextlib.suppress(Exception):  # else it expires after the lease
                self._release(keys=[self.key], args=[self.token])
            self.token = ""
