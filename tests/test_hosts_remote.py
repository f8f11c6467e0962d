"""Other hosts: checked over HTTP against servers the test starts and stops on loopback."""

import logging
import socket
import ssl
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from statboard.extensions import db
from statboard.hosts import remote
from statboard.hosts.models import DOWN, UNKNOWN, UP, RemoteCheck, RemoteHost
from statboard.pages import services as pages_services
from statboard.pages.models import Block

from tests.fixtures.images import make_block
from tests.fixtures.servers import free_port


class Answer(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):
        body = b'{"uptime": " 10:00:00 up 1 min,  1 user,  load average: 0.00, 0.00, 0.00"}'
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Broken(Answer):
    status = 503


class LocalServer:
    """An HTTP server on 127.0.0.1 that a test can stop and start again on its port."""

    def __init__(self, handler=Answer):
        self.port, self.handler, self.server = free_port(), handler, None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/v1/uptime/"

    def start(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def other_host():
    server = LocalServer()
    server.start()
    yield server
    if server.server.socket.fileno() != -1:
        server.stop()


def announced(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "statboard.changes"]


def check_all():
    """One round of checks, as the periodic job runs it (and commits)."""
    remote.check_all()
    db.session.commit()


def add_host(*args):
    """Add a host as the site's route does: the service stages it, the caller commits."""
    host = remote.add_host(*args)
    db.session.commit()
    return host


def test_down_and_back_up_are_announced_once_each(app, other_host, caplog):
    caplog.set_level(logging.INFO, logger="statboard.changes")
    with app.app_context():
        host = add_host(other_host.url, "db1")
        caplog.clear()
        assert host.state == UNKNOWN

        check_all()
        check_all()
        assert host.state == UP and host.latency_ms is not None
        other_host.stop()
        check_all()
        check_all()
        check_all()
        assert host.state == DOWN
        assert "connection refused" in host.last_error
        other_host.start()
        check_all()
        check_all()
        assert host.state == UP

        assert announced(caplog) == [
            "Statboard reports host db1 is down",
            "Statboard reports host db1 is back up",
        ]
        checks = remote.history(host.id, since=host.created_at)
        assert [c.up for c in checks] == [True, True, False, False, False, True, True]
        assert remote.availability(host.id, span=timedelta(days=1)) == 57.1


def test_an_error_status_is_down(app):
    server = LocalServer(Broken)
    server.start()
    try:
        with app.app_context():
            host = add_host(server.url)
            check_all()
            assert host.state == DOWN
            assert host.last_error == "HTTP 503"
            assert host.name == "127.0.0.1"  # named after its host when no name is given
    finally:
        server.stop()


def test_an_https_probe_verifies_certificates_and_an_http_one_loads_no_authorities(
    monkeypatch,
):
    import httpx

    contexts = []

    def get(url, **options):
        contexts.append(options["verify"])
        return httpx.Response(200)

    monkeypatch.setattr(httpx, "get", get)
    for url in ("https://example.com/", "HTTPS://example.com/", "http://127.0.0.1:9/"):
        assert remote.probe(url, 1.0).up
    secure, also_secure, plain = contexts
    assert secure is also_secure  # one context for every https probe of the process
    assert secure.verify_mode == ssl.CERT_REQUIRED and secure.check_hostname
    assert secure.cert_store_stats()["x509_ca"] > 0
    # No TLS on an http:// probe (no redirect is followed): no authorities held for it.
    assert plain.cert_store_stats()["x509_ca"] == 0


def test_a_host_that_does_not_answer_in_time_is_down(app):
    app.config["HOST_CHECK_TIMEOUT"] = 0.3
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        with app.app_context():
            host = add_host(f"http://127.0.0.1:{port}/")
            check_all()
            assert host.state == DOWN
            assert host.last_error == "no answer within the timeout"


@pytest.mark.parametrize(
    "url", ["", "ftp://127.0.0.1/", "127.0.0.1:5000", "http://", "javascript:alert(1)"]
)
def test_bad_urls_are_refused_with_a_message(app, url):
    with app.app_context():
        with pytest.raises(remote.InvalidHost, match="http"):
            add_host(url)
        assert db.session.scalar(db.select(db.func.count()).select_from(RemoteHost)) == 0


def test_removing_a_host_removes_its_history(app, other_host):
    with app.app_context():
        host = add_host(other_host.url, "gone")
        check_all()
        remote.remove_host(host)
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count()).select_from(RemoteCheck)) == 0


def test_the_hosts_of_a_deleted_block_are_not_checked(app, other_host):
    block_id = make_block(app, "remote_hosts", {})
    with app.test_request_context():
        host = add_host(other_host.url, "db1", None, block_id)
        check_all()
        assert len(remote.history(host.id, since=host.created_at)) == 1
        pages_services.delete_block(db.session.get(Block, block_id), None)
        db.session.commit()
        check_all()  # the block waits out its undo time: its hosts are left alone
        assert len(remote.history(host.id, since=host.created_at)) == 1
