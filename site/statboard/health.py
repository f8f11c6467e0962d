"""/healthz and /readyz, for load balancers and orchestrators, on the site and on the
counter server alike.

/healthz: the process is alive (no I/O); its JSON names the site (`checks.site_id`),
which `flask check` uses to tell that SITE_URL reaches this very site.
/readyz: the database, the storage and the Redis servers in use answer; 503 naming
the ones that do not.

A WSGI middleware around the outermost app, so that a probe costs no Flask request,
no session and no log line (the access log leaves them out too).
"""

import json
import logging

from sqlalchemy import text

from statboard import checks, storage
from statboard.extensions import db

PATHS = ("/healthz", "/readyz")
PROBE_TIMEOUT = 2.0  # seconds each server has to answer a readiness probe


class Health:
    def __init__(self, app, flask_app, storage: bool = True):
        self.app, self.flask_app, self.storage = app, flask_app, storage
        self.alive = json.dumps({"status": "ok", "site": checks.site_id(flask_app.config)})

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path not in PATHS:
            return self.app(environ, start_response)
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return answer(start_response, "405 Method Not Allowed", {"status": "GET only"})
        if path == "/healthz":
            return answer(start_response, "200 OK", self.alive)
        failed = self.failed()
        if failed:
            return answer(start_response, "503 Service Unavailable", {"failed": failed})
        return answer(start_response, "200 OK", {"status": "ready"})

    def failed(self) -> dict[str, str]:
        """Each part that does not answer, with a few words on why (no address)."""
        failed = {}
        for name, probe in self.probes():
            try:
                probe()
            except Exception as error:  # any failure makes the process not ready
                failed[name] = type(error).__name__
        return failed

    def probes(self):
        yield "database", self.database
        if self.storage:
            yield "storage", self.storage_probe
        for url, settings in checks.redis_urls(self.flask_app.config).items():
            name = "broker" if {"BROKER_URL", "TASKS_URL"} & set(settings) else "counters"
            yield name, lambda url=url: checks.ping_redis(url, PROBE_TIMEOUT)

    def database(self) -> None:
        with self.flask_app.app_context():
            try:
                db.session.execute(text("SELECT 1"))
            finally:
                db.session.remove()

    def storage_probe(self) -> None:
        with self.flask_app.app_context():
            store = storage.current()
        store.ping(PROBE_TIMEOUT)


def answer(start_response, status: str, body) -> list[bytes]:
    data = (body if isinstance(body, str) else json.dumps(body)).encode()
    start_response(
        status,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-store"),
        ],
    )
    return [data]


class NoProbes(logging.Filter):
    """Leaves the probes out of a request log (the development server's)."""

    def filter(self, record) -> bool:
        message = record.getMessage()
        return not any(f" {path} " in message or f" {path}?" in message for path in PATHS)


def init_app(app) -> None:
    """Answer the probes in front of everything the app serves."""
    app.wsgi_app = Health(app.wsgi_app, app)
    logging.getLogger("werkzeug").addFilter(NoProbes())
