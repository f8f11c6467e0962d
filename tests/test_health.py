"""/healthz and /readyz on the site and the counter server, and static files across
origins (STATIC_CORS_ORIGINS)."""

import socket
import time

import httpx
import pytest

from tests.fixtures.servers import (
    START_SECONDS,
    drop_database,
    free_port,
    fresh_database,
    local_env,
    run_server,
    start_site,
    stop,
    stop_group,
    wait_for_port,
)


def test_healthz_answers_without_io(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json["status"] == "ok" and len(answer.json["site"]) == 16
    assert answer.headers["Cache-Control"] == "no-store"
    assert client.post("/healthz").status_code == 405


def test_readyz_when_everything_answers(client):
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.json
    assert answer.json == {"status": "ready"}


def test_readyz_names_the_storage_that_cannot_be_written(settings, tmp_path, app, client):
    app.config["STORAGE_URL"] = str(tmp_path / "missing" / "deeper" / "uploads")
    app.extensions.pop("statboard_storages", None)
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json == {"failed": {"storage": "PermissionError"}}


def test_readyz_gives_up_on_a_storage_that_accepts_and_never_answers(app, client, monkeypatch):
    """A probe is bounded: the S3 client's own waits and retries would hold it (and the
    orchestrator asking) for minutes."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}"
        app.config["STORAGE_URL"] = f"s3://uploads?region=us-east-1&endpoint={endpoint}"
        app.extensions.pop("statboard_storages", None)
        started = time.monotonic()
        answer = client.get("/readyz")
        took = time.monotonic() - started
    assert answer.status_code == 503
    assert answer.json == {"failed": {"storage": "ReadTimeoutError"}}
    assert took < 10, f"the probe took {took:.1f} s"


def test_readyz_is_503_once_the_database_is_gone(tmp_path, postgres_url):
    name = f"ready{time.time_ns()}"
    site = start_site(tmp_path, env={"STATBOARD_DATABASE_URL": fresh_database(postgres_url, name)})
    try:
        assert httpx.get(site.url + "/readyz", timeout=10).status_code == 200
        drop_database(postgres_url, name)
        answer = httpx.get(site.url + "/readyz", timeout=10)
        assert answer.status_code == 503
        assert set(answer.json()["failed"]) == {"database"}
        assert httpx.get(site.url + "/healthz", timeout=10).status_code == 200  # alive
    finally:
        stop(site.proc)


def test_readyz_names_the_broker_that_does_not_answer(tmp_path):
    site = start_site(tmp_path, env={"STATBOARD_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0"})
    try:
        answer = httpx.get(site.url + "/readyz", timeout=10)
        assert answer.status_code == 503
        assert set(answer.json()["failed"]) == {"broker"}
    finally:
        stop(site.proc)


def test_the_development_servers_request_log_leaves_out_the_probes(tmp_path):
    """`flask run` logs each request but the probes (run.py's server keeps no access
    log at all)."""
    port = free_port()
    flask_run = ("-m", "flask", "--app", "statboard", "run", "--port", str(port))
    server = run_server(local_env(tmp_path), *flask_run)
    try:
        wait_for_port(port, server, timeout=START_SECONDS)
        for path in ("/healthz", "/readyz", "/healthz?full=1", "/openapi.json"):
            httpx.get(f"http://127.0.0.1:{port}{path}", timeout=10)
    finally:
        stop_group(server)
    log = server.stdout.read()
    assert '"GET /openapi.json HTTP/1.1" 200' in log  # a request is logged
    assert "/healthz" not in log and "/readyz" not in log


@pytest.fixture
def settings(settings):
    settings["STATIC_CORS_ORIGINS"] = ["https://www.example.com", "https://app.example.com"]
    return settings


@pytest.mark.parametrize("origin", ["https://www.example.com", "https://app.example.com"])
def test_static_files_for_an_allowed_origin(client, origin):
    answer = client.get("/static/css/edit.css", headers={"Origin": origin})
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == origin
    assert "Origin" in answer.headers["Vary"]


@pytest.mark.parametrize("origin", [None, "https://evil.example", "https://www.example.com.evil"])
def test_static_files_for_other_origins_carry_no_allow_origin(client, origin):
    answer = client.get("/static/css/edit.css", headers={"Origin": origin} if origin else {})
    assert answer.status_code == 200
    assert "Access-Control-Allow-Origin" not in answer.headers
    assert "Origin" in answer.headers["Vary"]  # caches keep the answers apart


def test_pages_carry_no_allow_origin(client):
    answer = client.get("/", headers={"Origin": "https://www.example.com"})
    assert "Access-Control-Allow-Origin" not in answer.headers
