"""Statboard settings.

Every value below is a default. Any of them can be overridden by an environment
variable with the STATBOARD_ prefix: STATBOARD_DATABASE_URL, STATBOARD_SECRET_KEY,
STATBOARD_STORAGE_URL, ... or by the same `STATBOARD_NAME=value` line in a settings
file: the one STATBOARD_CONFIG names, else instance/statboard.env when it exists (an
environment variable wins over the file). Every process (the site, the Celery worker,
the counter server, the CLI) reads them the same way: statboard/settings.py. Values
are parsed as JSON when they can be (so STATBOARD_WORKERS=4 is a number and
STATBOARD_SESSION_COOKIE_SECURE=true a boolean), and used as plain strings otherwise.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent


class Config:
    # Where the site listens when served by `python run.py` / `make run`.
    HOST = "127.0.0.1"
    PORT = 5000
    WORKERS = 1
    # WSGI threads per worker of the site and of a dedicated counter server (run.py
    # counters). 0: 16 for the site, 2 × CPU cores + 1 for a counter server (see the
    # README's Threads and database connections).
    SERVER_THREADS = 0
    COUNTER_SERVER_THREADS = 0
    # The address people use to reach the site, for links in emails. None: the host and
    # port served (`run.py --port 6503`: http://127.0.0.1:6503; a wildcard host such as
    # 0.0.0.0 gives this machine's name). Behind a reverse proxy, set the public address.
    SITE_URL = None
    SITE_NAME = "Statboard"
    # The time zone mails and digests show times in (an IANA name, e.g. Europe/Berlin).
    TIME_ZONE = "UTC"

    # The instance folder (secret key, SQLite database, outbox, scheduler lock) is
    # instance/ beside this file; STATBOARD_INSTANCE_PATH=/some/folder moves it. Only
    # the environment variable (or STATBOARD_CONFIG's file) counts: the folder is chosen
    # before this file is read.

    # None: a random key is generated once and kept in instance/secret_key.
    SECRET_KEY = None
    # The email address of the admin made on the first run (change notifications go there).
    ADMIN_EMAIL = "admin@localhost"

    # Engines (see the README): the embedded default, or the URL of a real server.
    DATABASE_URL = None  # None: sqlite:///instance/statboard.db
    # The site's pool holds SERVER_THREADS + TASK_THREADS + TASK_ANONYMOUS_THREADS
    # connections per process (one for each thread that may hold one), and up
    # to DB_POOL_SPARE more (the scheduler, a CLI command); the task runner's records and
    # the counter store have small pools of their own. See the README's Performance.
    DB_POOL_SPARE = 4
    STORAGE_URL = "uploads"  # a folder, or s3://bucket/prefix?region=..&endpoint=..
    STORAGE_PRESIGNED = True  # S3: presigned URLs (True) or public object URLs (False)
    STORAGE_URL_SECONDS = 86400  # S3: how long a presigned URL works (at most 7 days)
    MAIL_URL = None  # None: .eml files in instance/outbox/; or smtp[s]://user:pw@host:port
    # (smtp://host:port?starttls=true for STARTTLS; user:password@ before the host)
    MAIL_FROM = "statboard@localhost"
    MAIL_TIMEOUT = 10.0  # seconds for each SMTP connection and command
    OUTBOX_DIR = None  # None: instance/outbox/ (where mail goes without MAIL_URL)
    # Change mail: one admin's saves of one block less than NOTIFY_SESSION_SECONDS apart
    # are one edit session, mailed once it has been quiet that long; every
    # NOTIFY_SEND_SECONDS the site sends quiet sessions and the digests that are due.
    NOTIFY_SESSION_SECONDS = 180
    NOTIFY_SEND_SECONDS = 30
    # Blocks: a delete can be undone for BLOCK_UNDO_SECONDS (then the block is purged,
    # at the next delete or by the periodic job every BLOCK_PURGE_SECONDS); each block
    # keeps its last BLOCK_HISTORY versions, which admins may look at and restore.
    BLOCK_UNDO_SECONDS = 30
    BLOCK_PURGE_SECONDS = 60
    BLOCK_HISTORY = 50
    # Rendered blocks kept in each process's memory, so that a page view joins them:
    # those of kinds that show no live values, per version and viewer class (0: none).
    FRAGMENT_CACHE_SIZE = 512
    # Visitors' whole pages kept in each process's memory (0: none), each renewed after
    # PAGE_CACHE_SECONDS at most, and at once after a change (pages/visitor_pages.py).
    PAGE_CACHE_SIZE = 64
    PAGE_CACHE_SECONDS = 1.0
    # The site's own notification channels: Apprise URLs (ntfy://, slack://, json:// …),
    # a list or one string separated by spaces; they get every change and host alert.
    NOTIFY_CHANNELS = []
    COUNTERS_URL = "memory://"  # or redis://host:port/db
    BROKER_URL = "memory://"  # live events: in-process, or redis://host:port/db
    TASKS_URL = "threads://"  # or redis://host:port/db (Celery with a Redis broker)
    TASK_THREADS = 4  # worker threads of the threads:// engine
    # The anonymous lane: tasks anyone may start (POST /v2/iostat/) run on threads of
    # their own, and at most TASK_ANONYMOUS_QUEUE of them wait; more are refused (503).
    # With Celery they go to the queue statboard.anonymous.
    TASK_ANONYMOUS_THREADS = 2
    TASK_ANONYMOUS_QUEUE = 8
    TASK_RETRY_BACKOFF = 2.0  # seconds before a failed task's first retry; doubled each time
    # Finished task records are kept this long (for their owner's task page, for reading
    # what failed), then pruned by the periodic job tasks.prune (every SWEEP_SECONDS).
    TASK_RETENTION_HOURS = 168
    TASK_IMPORTS = []  # extra modules whose @task functions the runner and workers load
    SCHEDULER = True  # periodic jobs (samplings, collections) in the served site
    # One process of the cluster leads and runs the periodic jobs. None: chosen by the
    # engines in use: the PostgreSQL database (an advisory lock), else the Redis of
    # TASKS_URL or BROKER_URL (a key with an expiry), else the file SCHEDULER_LOCK.
    # Or set it: a postgresql:// or redis:// URL, or the path of a lock file.
    LEADERSHIP_URL = None
    # A leader that stops renewing (a vanished machine) loses the lead after this long;
    # the others try to lead, and the leader renews, every third of it.
    SCHEDULER_LEASE_SECONDS = 30.0
    # The lock file of the embedded engines (one machine). None: instance/scheduler.lock.
    # Sites sharing an instance folder but not a database (e.g. two checkouts' test
    # servers) each need their own.
    SCHEDULER_LOCK = None

    # Origins (e.g. ["https://www.example.com"], or ["*"]) whose pages may load the
    # site's static files (fonts, CSS) across origins: their responses carry
    # Access-Control-Allow-Origin and Vary: Origin. Empty: none.
    STATIC_CORS_ORIGINS: list[str] = []

    # Uploads
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024  # bytes per request; larger gets 413
    MAX_IMAGE_PIXELS = 40_000_000  # larger images are refused as decompression bombs
    # What a killed server leaves behind (stored objects no image refers to, import
    # uploads no task waits for) is removed by the served site at start-up and every
    # SWEEP_SECONDS, once it is SWEEP_GRACE_SECONDS old (younger: maybe still in use).
    SWEEP_SECONDS = 3600
    SWEEP_GRACE_SECONDS = 3600

    # Pages: a deleted page can be restored ("Deleted · Undo") for PAGE_UNDO_SECONDS and
    # keeps its address meanwhile; then the periodic job pages.purge (every
    # PAGE_PURGE_SECONDS) removes it for good, with its blocks and earlier addresses.
    PAGE_UNDO_SECONDS = 600
    PAGE_PURGE_SECONDS = 300

    # Login and session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set true behind HTTPS
    REMEMBER_COOKIE_HTTPONLY = True
    # Failed logins allowed per username and address, in growing windows (each tier
    # its own limit: a guesser waits longer and longer), and per address across
    # usernames. Failures from one address never slow the user down elsewhere.
    LOGIN_FAILURES_ALLOWED = "5/minute;10/10minute;20/hour;50/day"
    LOGIN_ADDRESS_FAILURES_ALLOWED = "30/10minute;100/day"
    LOGIN_SESSION_DAYS = 30  # a login lasts this long at most (or until logout)
    # Where failed logins are counted: memory:// (per process) or redis://host:port/db.
    LOGIN_LIMITS_URL = "memory://"

    # Follower graphs (series)
    COLLECT_AT = "03:50"  # daily collection time, HH:MM in UTC, while the site runs
    SERIES_HTTP_TIMEOUT = 10.0  # seconds for each request to a platform
    SERIES_HTTP_RETRIES = 3  # further tries after a timeout, a 5xx or a short rate limit
    SERIES_HTTP_BACKOFF = 1.0  # seconds before the first retry; doubles each time
    SERIES_RATE_LIMIT_MAX_WAIT = 60.0  # wait this long at most for a rate limit, else skip
    SERIES_MASTODON_URL = "https://{instance}"  # {instance}: the part after user@
    SERIES_BLUESKY_URL = "https://public.api.bsky.app"
    SERIES_GITHUB_URL = "https://api.github.com"
    SERIES_GITHUB_TOKEN = None  # optional: higher rate limits
    SERIES_X_URL = "https://api.x.com"
    SERIES_X_BEARER_TOKEN = None  # without one, X accounts show "not configured"
    SERIES_MAX_POINTS = 1000  # points per series sent to a chart (LTTB downsampling)
    SERIES_CHART_CACHE = 512  # downsampled series kept in memory per process
    SERIES_IMPORT_MAX_BYTES = 50_000_000  # uncompressed CSV bytes in one uploaded zip
    SERIES_IMPORT_MAX_FILES = 500  # CSV files in one uploaded zip

    # Host status: this host's samples, roll-ups and retention; remote host checks.
    HOST_SAMPLE_SECONDS = 10  # how often this host is sampled while the site runs
    HOST_ROLLUP_SECONDS = 60  # how often samples are rolled up and old ones dropped
    HOST_RAW_RETENTION_DAYS = 1  # raw samples; minute averages are kept longer
    HOST_MINUTE_RETENTION_DAYS = 30  # minute averages; hour averages are kept for ever
    HOST_CHECK_SECONDS = 60  # how often each remote host is checked
    HOST_CHECK_TIMEOUT = 5  # seconds a remote host has to answer a check
    HOST_CHECK_RETENTION_DAYS = 30  # history of remote host checks
    HOST_REFRESH_SECONDS = 5  # how often an open host tile refreshes itself
    ALERTS_EVALUATE_SECONDS = 60  # how often alert rules are evaluated (once per cluster)
    # The host API: limits of one iostat sampling (count reports, count x wait seconds).
    IOSTAT_MAX_COUNT = 60
    IOSTAT_MAX_SECONDS = 300
    # The anonymous /v1 and /v2 iostat: smaller limits (a /v1 call holds a server thread
    # for count x wait seconds), and samplings per client address (limits' syntax).
    IOSTAT_ANONYMOUS_MAX_COUNT = 10
    IOSTAT_ANONYMOUS_MAX_SECONDS = 20
    IOSTAT_RATE_LIMIT = "20/minute"

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
    # The original play-counter protocol: /song/<id> is the counter song/<id>; a
    # dedicated counter server (`run.py counters`) also answers GET / and DELETE /
    # for that namespace. "" turns the protocol off.
    COUNTER_PLAY_NAMESPACE = "song"
    # Networks (CIDRs, e.g. ["10.0.0.0/8", "127.0.0.1/32"]) whose clients are trusted
    # as the original utility trusted its network: their increments are not
    # rate-limited and they may set and clear counters without a token. Empty: none.
    COUNTER_TRUSTED_NETWORKS: list[str] = []
    # How many reverse proxies stand in front of the site (or counter server): the
    # client address (and scheme) is then read from X-Forwarded-For (and -Proto) as the
    # outermost of them saw it. 0: those headers are ignored (anyone can send them).
    PROXY_HOPS = 0

    # Prometheus metrics at /metrics (see the README's Prometheus): served to a bearer
    # token with the "metrics" scope, and without one to clients whose address is in
    # METRICS_NETWORKS (CIDRs such as "10.0.0.0/8"). METRICS_ENABLED = False: 404.
    METRICS_ENABLED = True
    METRICS_NETWORKS: list[str] = []
    # Counter keys exported: those under these prefixes ([]: every counter).
    METRICS_COUNTER_PREFIXES: list[str] = []

    # Sites that may show a public block in an <iframe> (/embed/blocks/<id>), as origins:
    # ["https://blog.example"]. []: embeds are off (404). Nothing else may be framed.
    EMBED_ORIGINS: list[str] = []

    # Badges (/badges/...): how long browsers and caches may keep one, in seconds.
    BADGE_MAX_AGE = 60
    BADGE_SERIES_PERIOD = "7d"  # the follower change a series badge shows by default

    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    LOG_LEVEL = "INFO"

    # Live pages: each site process serves the event stream on LIVE_PORT (None: the
    # site's port + 1; 0: no stream, pages poll). Behind a reverse proxy that routes
    # /events to that port, LIVE_URL = "/events" keeps everything on one origin.
    LIVE_PORT = None
    LIVE_HOST = None  # None: HOST
    LIVE_URL = ""
    LIVE_TOKEN_SECONDS = 600  # a page's channel token; renewed with the viewer's rights
    LIVE_REPLAY = 4096  # recent events an event server keeps for pages that reconnect
    LIVE_COUNTER_SECONDS = 0.25  # at most this often a counter's value is pushed


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"
    DATABASE_URL = "sqlite://"
    MAIL_FROM = "statboard@test.invalid"
    SITE_URL = "http://statboard.test"
    LIVE_PORT = 0  # the test client has no event server
