"""GET /metrics in-process: who may scrape, and that the numbers follow what happens."""

import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from statboard import create_app, serve, tasks
from statboard.extensions import db
from statboard.metrics.requests import REGISTRY, ROUTE_KEY, TALLY, RequestMetrics
from statboard.models_base import utcnow
from statboard.notify import delivery, mail_admins
from statboard.notify.models import HOURLY, ChangeBatch
from statboard.tasks.runner import wait_for

from tests.conftest import AuthActions, gen_user, make_settings
from tests.fixtures.servers import Inbox, free_port
from tests.metrics_helpers import samples, total, value
from tests.pages_helpers import HX, TEXT, block_ids, gen_page
from tests.series_helpers import gen_token
from tests.test_notify_mail import choose, save_text, tasks_done

LOCAL = {"REMOTE_ADDR": "127.0.0.1"}


def scrape(client, token=None, address="127.0.0.1"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": address})


@pytest.fixture
def admin_token(app):
    gen_user(app, "admin", "admin-pw", admin=True)
    return gen_token(app, "admin", scopes="metrics")


def test_without_a_token_a_scrape_is_refused(client):
    response = scrape(client)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert "Authorization: Bearer" in response.get_data(as_text=True)


def test_a_token_without_the_metrics_scope_is_forbidden(app, client):
    gen_user(app, "admin", "admin-pw", admin=True)
    response = scrape(client, gen_token(app, "admin", scopes="series"))
    assert response.status_code == 403
    assert "lacks the metrics scope" in response.get_data(as_text=True)


def test_a_metrics_token_of_a_user_who_is_not_an_admin_is_forbidden(app, client):
    gen_user(app, "bob")
    response = scrape(client, gen_token(app, "bob", scopes="metrics"))
    assert response.status_code == 403
    assert "Only admins" in response.get_data(as_text=True)


def test_an_admins_metrics_token_scrapes(client, admin_token):
    response = scrape(client, admin_token)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    assert value(response.get_data(as_text=True), "statboard_host_memory_percent") > 0


@pytest.mark.parametrize(
    "settings_networks, address, status",
    [
        (["10.0.0.0/8"], "10.1.2.3", 200),
        (["10.0.0.0/8"], "192.168.1.9", 401),
        (["192.168.1.9"], "192.168.1.9", 200),
        (["::1/128"], "::1", 200),
    ],
)
def test_a_listed_network_scrapes_without_a_token(make_app, settings_networks, address, status):
    app = make_app(METRICS_NETWORKS=settings_networks)
    assert scrape(app.test_client(), address=address).status_code == status


def test_metrics_turned_off_answer_404(make_app):
    app = make_app(METRICS_ENABLED=False)
    assert scrape(app.test_client()).status_code == 404


@pytest.mark.parametrize("networks", [["10.0.0.0/33"], ["intranet"], "10.0.0.0/8,nope", 8])
def test_a_wrong_network_setting_stops_the_start(tmp_path, networks):
    with pytest.raises(ValueError, match="METRICS_NETWORKS.* write CIDRs like"):
        create_app(make_settings(tmp_path, METRICS_NETWORKS=networks))


def test_requests_are_counted_by_route_kind_not_by_path(client, admin_token):
    before = scrape(client, admin_token).get_data(as_text=True)
    for slug in ("no-such-page", "another-missing-one"):
        assert client.get(f"/{slug}").status_code == 404
    client.post("/counters/metrics/a")
    client.post("/counters/metrics/b")
    text = scrape(client, admin_token).get_data(as_text=True)
    name = "statboard_http_requests_total"

    def added(name, **labels):  # the registry is the process's: other tests count too
        return total(text, name, **labels) - total(before, name, **labels)

    assert added(name, route="pages.show", method="GET", status="404") == 2
    assert added(name, route="counters.api", method="POST", status="200") == 2
    routes = {labels["route"] for n, labels, _ in samples(text) if n == name}
    assert not any("/" in route for route in routes), routes
    assert added("statboard_http_request_duration_seconds_count", route="counters.api") == 2


def test_the_counter_apis_hot_path_is_counted_as_the_middleware_counts(make_app):
    """Requests of a known key skip the middleware (CounterApp.wrap): each is counted all
    the same, by method and status, and timed; so is one refused past the largest value."""
    app = make_app(COUNTER_RATE_LIMIT="", COUNTER_TRUSTED_NETWORKS=["127.0.0.1/32"])
    client = app.test_client()
    requests = "statboard_http_requests_total"
    durations = "statboard_http_request_duration_seconds_count"

    def now() -> str:
        TALLY.fold()
        return generate_latest(REGISTRY).decode()

    def added(before: str, after: str, name: str, **labels) -> float:
        return (value(after, name, **labels) or 0) - (value(before, name, **labels) or 0)

    assert client.post("/counters/metrics/hot").data == b"1"  # the key is known now
    before = now()
    for n in range(2, 7):
        assert client.post("/counters/metrics/hot").data == b"%d" % n
    for _ in range(3):
        assert client.get("/counters/metrics/hot").data == b"6"
    client.put(f"/counters/metrics/hot?value={2**63 - 1}")
    assert client.post("/counters/metrics/hot").status_code == 400
    after = now()
    route = {"route": "counters.api"}
    assert added(before, after, requests, **route, method="POST", status="200") == 5
    assert added(before, after, requests, **route, method="GET", status="200") == 3
    assert added(before, after, requests, **route, method="PUT", status="200") == 1
    assert added(before, after, requests, **route, method="POST", status="400") == 1
    assert added(before, after, durations, **route) == 10


def test_counter_values_follow_increments_and_the_prefix_setting(make_app):
    app = make_app(METRICS_COUNTER_PREFIXES=["song/"])
    gen_user(app, "admin", "admin-pw", admin=True)
    token = gen_token(app, "admin", scopes="metrics")
    client = app.test_client()
    for key in ("song/1", "song/1", "song/2", "video/1"):
        assert client.post(f"/counters/{key}").status_code == 200
    text = scrape(client, token).get_data(as_text=True)
    assert value(text, "statboard_counter_value", key="song/1") == 2
    assert value(text, "statboard_counter_value", key="song/2") == 1
    assert value(text, "statboard_counter_value", key="video/1") is None


def test_task_queues_are_counted_by_lane_and_kind(make_app):
    app = make_app(TASK_THREADS=1, TASK_IMPORTS=["tests.fixtures.tasks"])
    gen_user(app, "admin", "admin-pw", admin=True)
    token = gen_token(app, "admin", scopes="metrics")
    client = app.test_client()
    scrape(client, token)  # the first request starts the runner
    with app.app_context():
        busy = [tasks.submit("test.count", steps=400, pause=0.05) for _ in range(3)]
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            text = scrape(client, token).get_data(as_text=True)
            running = value(text, "statboard_tasks_running", kind="test.count", lane="default")
            if running == 1:
                break
            time.sleep(0.05)
        assert running == 1
        assert value(text, "statboard_tasks_queued", kind="test.count", lane="default") == 2
    finally:
        with app.app_context():
            for task_id in busy:
                tasks.cancel(task_id)
            for task_id in busy:
                wait_for(task_id, timeout=10)
    text = scrape(client, token).get_data(as_text=True)
    assert value(text, "statboard_tasks_queued", kind="test.count") is None


def test_a_mail_job_that_fails_after_its_retries_is_counted(make_app):
    app = make_app(MAIL_URL=f"smtp://127.0.0.1:{free_port()}", TASK_RETRY_BACKOFF=0.01)
    gen_user(app, "admin", "admin-pw", admin=True)
    token = gen_token(app, "admin", scopes="metrics")
    client = app.test_client()
    assert value(scrape(client, token).get_data(as_text=True), "statboard_mail_failed_jobs") == 0
    with app.test_request_context():
        mail_admins("Daily digest", "Nothing happened.")
        db.session.commit()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        text = scrape(client, token).get_data(as_text=True)
        if value(text, "statboard_mail_failed_jobs") == 1:
            break
        time.sleep(0.1)
    assert value(text, "statboard_mail_failed_jobs") == 1
    assert value(text, "statboard_mail_retrying_jobs") == 0


def an_admin_saved_text(make_app, port: int, session_seconds: float, html: str, choice=None):
    """A site mailing to `port` (no server there until the test starts one) whose admin,
    with `choice` of notifications if given, saved its home page's text block once, and
    whose mail task has stored the edit session: (app, the admin's client, a metrics
    token)."""
    app = make_app(MAIL_URL=f"smtp://127.0.0.1:{port}", NOTIFY_SESSION_SECONDS=session_seconds)
    gen_user(app, "admin", "admin-pw", admin=True, email="admin@example.test")
    if choice is not None:
        choose(app, "admin", **choice)
    token = gen_token(app, "admin", scopes="metrics")
    gen_page(app, "home", "Home", blocks=[TEXT])
    client = app.test_client()
    auth = AuthActions(app, client)
    auth.login("admin", "admin-pw")
    save_text(client, block_ids(app)[0], html, 1, {**HX, **auth.csrf()})
    tasks_done(app)
    return app, client, token


def send_job_with_the_mail_server_up(app, port: int) -> list:
    """Run notify.send once the mail server is up on `port`: the one mail it sends."""
    from aiosmtpd.controller import Controller  # as tests/fixtures/servers.py starts it

    inbox = Inbox()
    mail_server = Controller(inbox, hostname="127.0.0.1", port=port)
    mail_server.start()
    try:
        with app.app_context():
            delivery.send_job()
        return [msg for _, msg in inbox.wait_for(1)]
    finally:
        mail_server.stop()


def test_an_edit_sessions_mail_that_cannot_be_sent_is_counted_until_it_is(make_app):
    """The mail of an edit session goes from the periodic job notify.send, not a task."""
    port = free_port()  # the mail server is down, then comes up on this port
    app, client, token = an_admin_saved_text(make_app, port, 0.5, "<p>Hello again</p>")

    def due() -> float:
        return value(scrape(client, token).get_data(as_text=True), "statboard_mail_due_changes")

    deadline = time.monotonic() + 10
    while due() == 0 and time.monotonic() < deadline:  # until the session is quiet
        time.sleep(0.1)
    assert due() == 1
    with app.app_context():
        delivery.send_job()  # refused by the closed port: given back to the next run
    assert due() == 1
    [_] = send_job_with_the_mail_server_up(app, port)
    assert due() == 0


def test_a_digest_that_cannot_be_sent_is_counted_until_it_is(make_app):
    port = free_port()  # the mail server is down, then comes up on this port
    hourly = {"mode": HOURLY, "digest_until": utcnow() - timedelta(hours=2)}
    app, client, token = an_admin_saved_text(make_app, port, 0.2, "<p>For the digest</p>", hourly)
    time.sleep(0.3)  # the edit session is quiet
    with app.app_context():
        delivery.send_due()  # closes it; its admin wants it in the hourly digest only
        # ... of the hour that ended: as if the session had closed 90 minutes ago.
        db.session.execute(db.update(ChangeBatch).values(sent_at=utcnow() - timedelta(minutes=90)))
        db.session.commit()

    def overdue() -> float:
        return value(scrape(client, token).get_data(as_text=True), "statboard_mail_overdue_digests")

    assert overdue() == 1  # the hour ended and no run sent it yet
    with app.app_context():
        delivery.send_job()  # refused by the closed port: the period is given back
    assert overdue() == 1
    [mail] = send_job_with_the_mail_server_up(app, port)
    assert "Digest" in str(mail["Subject"])
    assert overdue() == 0


def test_each_run_gets_a_prometheus_folder_and_a_killed_runs_folder_is_removed(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    # "" is unset for serve.py, and unlike delenv, setenv puts back an absent variable
    # (which prometheus_folder sets): later servers must not inherit this test's folder.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    killed = tmp_path / f"{serve.PROMETHEUS_PREFIX}{gone.pid}-abc"
    alive = tmp_path / f"{serve.PROMETHEUS_PREFIX}{os.getppid()}-def"  # pytest's parent
    for folder in (killed, alive):
        folder.mkdir()
        (folder / "counter_1.db").write_bytes(b"")
    made = serve.prometheus_folder()
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == made
    assert Path(made).parent == tmp_path and Path(made).name.startswith(
        f"{serve.PROMETHEUS_PREFIX}{os.getpid()}-"
    )
    assert not killed.exists() and alive.exists()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "/srv/metrics")
    assert serve.prometheus_folder() is None  # the operator's own is left alone


def test_tallied_requests_fold_into_the_buckets_each_one_would_have_been_observed_in():
    route, durations = "tests.tally", [0.001, 0.005, 0.0051, 0.3, 11.0]
    for seconds in durations:
        TALLY.add((route, "GET", "200"), round(seconds * 1e9))
    TALLY.add((route, "other", "405"), 2_000_000)
    TALLY.fold()
    text = generate_latest(REGISTRY).decode()
    bucket = "statboard_http_request_duration_seconds_bucket"
    cumulative = {"0.005": 3, "0.01": 4, "0.25": 4, "0.5": 5, "10.0": 5, "+Inf": 6}
    for le, count in cumulative.items():
        assert value(text, bucket, route=route, le=le) == count, le
    total_seconds = value(text, "statboard_http_request_duration_seconds_sum", route=route)
    assert total_seconds == pytest.approx(sum(durations) + 0.002)
    requests = "statboard_http_requests_total"
    assert value(text, requests, route=route, method="GET", status="200") == 5
    assert value(text, requests, route=route, method="other", status="405") == 1


def wsgi_answer(status: str):
    def app(environ, start_response):
        start_response(status, [("Content-Length", "0")])
        return []

    return app


def test_a_made_up_method_is_counted_as_other():
    app = RequestMetrics(wsgi_answer("405 Method Not Allowed"))
    environ = {"REQUEST_METHOD": "BREW", "PATH_INFO": "/counters/tests/brew"}
    requests = "statboard_http_requests_total"
    labels = {"route": "counters.api", "method": "other", "status": "405"}
    TALLY.fold()
    before = value(generate_latest(REGISTRY).decode(), requests, **labels) or 0
    app(environ, lambda status, headers, exc_info=None: None)
    TALLY.fold()
    assert value(generate_latest(REGISTRY).decode(), requests, **labels) == before + 1


def test_many_threads_requests_at_once_are_all_counted_exactly():
    """Threads answer requests while folds run (the fold thread's and a scrape's): every
    request is counted once, in its count and in its bucket, whatever fold saw it."""
    route, threads, each = "tests.many_threads", 16, 3_000
    app = RequestMetrics(wsgi_answer("200 OK"))
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/x", ROUTE_KEY: route}
    start = threading.Barrier(threads + 1)

    def answer():
        start.wait()
        for _ in range(each):
            app(dict(environ), lambda status, headers, exc_info=None: None)

    workers = [threading.Thread(target=answer) for _ in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    folds = 0
    while any(worker.is_alive() for worker in workers):
        TALLY.fold()  # as a scrape does, beside the fold thread
        folds += 1
    for worker in workers:
        worker.join()
    TALLY.fold()
    text = generate_latest(REGISTRY).decode()
    requests = "statboard_http_requests_total"
    assert value(text, requests, route=route, method="POST", status="200") == threads * each
    count = "statboard_http_request_duration_seconds_count"
    assert value(text, count, route=route) == threads * each
    bucket = "statboard_http_request_duration_seconds_bucket"
    assert value(text, bucket, route=route, le="+Inf") == threads * each
    assert folds > 1  # the folds ran while the threads counted
    TALLY.fold()  # a fold with nothing new adds nothing
    again = generate_latest(REGISTRY).decode()
    assert value(again, requests, route=route, method="POST", status="200") == threads * each


def test_a_forked_child_counts_only_its_own_requests():
    route, requests = "tests.fork", "statboard_http_requests_total"
    labels = {"route": route, "method": "GET", "status": "200"}
    app = RequestMetrics(wsgi_answer("200 OK"))
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/x", ROUTE_KEY: route}
    app(dict(environ), lambda status, headers, exc_info=None: None)  # the parent's, unfolded
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: one request of its own, folded, reported through the pipe
        try:
            app(dict(environ), lambda status, headers, exc_info=None: None)
            TALLY.fold()
            counted = value(generate_latest(REGISTRY).decode(), requests, **labels)
            os.write(write, str(counted).encode())
        finally:
            os._exit(0)
    os.close(write)
    # poll, not select: in the full suite this process holds more than 1,024 descriptors.
    waiting = select.poll()
    waiting.register(read, select.POLLIN)
    ready = waiting.poll(30_000)
    if not ready:  # never hang the suite
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    assert ready, "the forked child did not report"
    reported = os.read(read, 100).decode()
    TALLY.fold()
    assert value(generate_latest(REGISTRY).decode(), requests, **labels) == 1
    assert reported == "1.0"
