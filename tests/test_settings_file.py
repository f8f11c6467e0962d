"""One configuration for every process: the STATBOARD_* environment over an optional
settings file (STATBOARD_CONFIG, else instance/statboard.env), read the same way by the
site, the Celery worker, the counter server and the CLI."""

import email
import email.policy
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from statboard import create_app, settings
from statboard.auth.users import create_user
from statboard.extensions import db
from statboard.notify import mail_admins

from tests.fixtures.servers import (
    ROOT,
    flask,
    free_port,
    fresh_database,
    run_server,
    start_site,
    stop,
    wait_for_port,
)
from tests.fixtures.tasks import start_celery_worker
from tests.series_helpers import logged_in

BROWSER = {"Accept": "text/html"}
KNOWN = {"DATABASE_URL", "SITE_NAME", "WORKERS", "STATIC_CORS_ORIGINS", "MAIL_URL"}


def write_settings(path: Path, **values) -> Path:
    lines = ["# Statboard settings, one per line", ""]
    lines += [f"STATBOARD_{name}={value}" for name, value in values.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


# --- reading -----------------------------------------------------------------------------


def test_the_file_named_by_statboard_config_and_the_environment_over_it(tmp_path):
    path = tmp_path / "statboard.env"
    path.write_text(
        "# a comment\n\nSTATBOARD_SITE_NAME='Stats of the team'\n"
        'export STATBOARD_WORKERS=4\nSTATBOARD_DATABASE_URL="sqlite:///from-file.db"\n'
    )
    environ = {"STATBOARD_CONFIG": str(path), "STATBOARD_DATABASE_URL": "sqlite:///env.db"}
    sources = settings.read(KNOWN, environ)
    assert sources.file == path
    config = {}
    settings.apply(config, sources)
    assert config == {
        "SITE_NAME": "Stats of the team",
        "WORKERS": 4,  # JSON, as from the environment
        "DATABASE_URL": "sqlite:///env.db",  # the environment wins
    }
    assert sources.given == {"CONFIG", "SITE_NAME", "WORKERS", "DATABASE_URL"}


def test_the_instance_folders_file_when_no_other_is_named(tmp_path):
    write_settings(tmp_path / "statboard.env", SITE_NAME="Instance")
    sources = settings.read(KNOWN, {"STATBOARD_INSTANCE_PATH": str(tmp_path)})
    assert sources.values["STATBOARD_SITE_NAME"] == "Instance"
    assert settings.read(KNOWN, {"STATBOARD_INSTANCE_PATH": str(tmp_path / "x")}).file is None


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("STATBOARD_MAIL_UR=smtp://x\n", "STATBOARD_MAIL_UR is no Statboard setting"),
        ("MAIL_URL=smtp://x\n", "line 1: write STATBOARD_NAME=value"),
        ("STATBOARD_SITE_NAME\n", "line 1: write STATBOARD_NAME=value"),
    ],
)
def test_a_line_the_file_cannot_use_is_named(tmp_path, text, sentence):
    path = tmp_path / "statboard.env"
    path.write_text(text)
    with pytest.raises(settings.SettingsError) as raised:
        settings.read(KNOWN, {"STATBOARD_CONFIG": str(path)})
    assert sentence in str(raised.value)


def test_a_settings_file_that_is_not_there(tmp_path):
    with pytest.raises(settings.SettingsError, match="which is not a file: write the settings"):
        settings.read(KNOWN, {"STATBOARD_CONFIG": str(tmp_path / "nowhere.env")})


# --- SITE_URL: what is served, unless set -------------------------------------------------


@pytest.fixture
def own_instance(tmp_path, monkeypatch):
    monkeypatch.setenv("STATBOARD_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("STATBOARD_STORAGE_URL", str(tmp_path / "uploads"))
    return monkeypatch


@pytest.mark.parametrize(
    ("env", "site_url"),
    [
        ({"STATBOARD_PORT": "6503"}, "http://127.0.0.1:6503"),
        ({"STATBOARD_HOST": "10.1.2.3", "STATBOARD_PORT": "80"}, "http://10.1.2.3:80"),
        (
            {"STATBOARD_PORT": "6503", "STATBOARD_SITE_URL": "https://s.example"},
            "https://s.example",
        ),
    ],
)
def test_site_url_is_what_is_served_unless_set(own_instance, env, site_url):
    for name, value in env.items():
        own_instance.setenv(name, value)
    assert create_app().config["SITE_URL"] == site_url


def test_a_wildcard_host_is_this_machines_name_for_people():
    assert settings.served_url("0.0.0.0", 80, for_people=True).startswith("http://")
    assert "0.0.0.0" not in settings.served_url("0.0.0.0", 80, for_people=True)
    assert settings.served_url("0.0.0.0", 80) == "http://127.0.0.1:80"
    assert settings.served_url("::1", 80) == "http://[::1]:80"


def test_a_served_site_without_site_url_names_its_own_address(tmp_path):
    site = start_site(tmp_path, env={"STATBOARD_SITE_URL": ""})
    try:
        home = httpx.get(site.url + "/", headers=BROWSER, timeout=10).text
        # The demo's "this site" host is checked at the address served, not at :5000.
        assert f'title="{site.url}/v1/uptime/"' in home
        assert "Nothing answers at SITE_URL" not in "".join(drain(site.proc, 2.0))
        # The admins' mail links to it too (an edit's mail, sent by the site's tasks).
        flask(
            site,
            *("users", "create", "boss", "--admin", "--email", "boss@example.test"),
            "--password-stdin",
            stdin="boss-pw-123",
        )
        with logged_in(site, "boss", "boss-pw-123") as browser:
            added = browser.post(
                "/pages/home/blocks",
                data={"kind": "text", "position": "0"},
                headers={"HX-Request": "true"},
            )
            assert added.status_code == 200, added.text
        body = outbox_text(tmp_path / "outbox")
        assert f"{site.url}/" in body
        assert ":5000" not in body
    finally:
        stop(site.proc)


def outbox_text(folder: Path, timeout: float = 30.0) -> str:
    """The plain text of the first mail the outbox gets, waited for a bounded time."""
    deadline = time.monotonic() + timeout
    while not (mails := sorted(folder.glob("*.eml"))):
        assert time.monotonic() < deadline, f"no mail in {folder} within {timeout} s"
        time.sleep(0.1)
    message = email.message_from_bytes(mails[0].read_bytes(), policy=email.policy.default)
    return message.get_body(("plain",)).get_content()


def drain(proc, seconds: float) -> list[str]:
    """The lines a server printed so far (it keeps running); bounded in time."""
    os.set_blocking(proc.stdout.fileno(), False)
    deadline, lines = time.monotonic() + seconds, []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line:
            lines.append(line)
        else:
            time.sleep(0.1)
    return lines


# --- every process reads the file ----------------------------------------------------------


def test_the_site_reads_the_settings_file(tmp_path):
    path = write_settings(
        tmp_path / "site.env",
        SITE_NAME="Filed Stats",
        STATIC_CORS_ORIGINS='["https://www.example.com"]',
    )
    site = start_site(tmp_path, env={"STATBOARD_CONFIG": str(path)})
    try:
        assert "Filed Stats" in httpx.get(site.url + "/", headers=BROWSER, timeout=10).text
        css = httpx.get(
            site.url + "/static/css/edit.css",
            headers={"Origin": "https://www.example.com"},
            timeout=10,
        )
        assert css.headers["Access-Control-Allow-Origin"] == "https://www.example.com"
    finally:
        stop(site.proc)


def run_counters(env: dict, *args: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    return run_server(env, "run.py", "counters", "--port", str(port), *args), port


def test_the_counter_server_reads_the_file_and_refuses_an_unmigrated_database(tmp_path):
    path = write_settings(
        tmp_path / "counters.env",
        INSTANCE_PATH=tmp_path / "instance",
        DATABASE_URL=f"sqlite:///{tmp_path / 'counters.db'}",
    )
    env = {**os.environ, "STATBOARD_CONFIG": str(path)}
    proc, _ = run_counters(env)
    try:
        out, _ = proc.communicate(timeout=60)
    finally:
        stop(proc)
    assert proc.returncode != 0
    assert f"The database sqlite:///{tmp_path / 'counters.db'} has no tables yet" in out
    assert "`python run.py --migrate`" in out

    proc, port = run_counters(env, "--migrate")  # applies the migrations itself
    try:
        wait_for_port(port, proc, timeout=60)
        base = f"http://127.0.0.1:{port}"
        assert httpx.post(base + "/counters/filed", timeout=10).status_code == 200
        assert httpx.get(base + "/healthz", timeout=10).json()["status"] == "ok"
        assert httpx.get(base + "/readyz", timeout=10).status_code == 200
    finally:
        stop(proc)


# --- the Celery worker --------------------------------------------------------------------


def tasks_url(redis_url: str) -> str:
    return redis_url.rpartition("/")[0] + "/7"  # a Redis database of its own


def worker_settings(tmp_path, postgres_url, redis_url, **more) -> Path:
    return write_settings(
        tmp_path / "worker.env",
        DATABASE_URL=fresh_database(postgres_url, f"worker{time.time_ns()}"),
        TASKS_URL=tasks_url(redis_url),
        SECRET_KEY="cluster-secret",
        TASK_IMPORTS='["tests.fixtures.tasks"]',
        **more,
    )


def test_a_worker_without_the_sites_mail_storage_and_broker_refuses_to_start(
    tmp_path, postgres_url, redis_url
):
    path = worker_settings(tmp_path, postgres_url, redis_url)
    env = {**os.environ, "STATBOARD_CONFIG": str(path)}
    env["STATBOARD_INSTANCE_PATH"] = str(tmp_path / "worker-instance")
    migrate = [sys.executable, "-m", "flask", "--app", "statboard", "db", "upgrade"]
    subprocess.run(migrate, env=env, cwd=ROOT, check=True, capture_output=True, timeout=120)
    celery = Path(sys.executable).with_name("celery")
    worker = subprocess.run(
        [celery, "-A", "statboard.tasks.celery_app", "worker", "--pool", "threads"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode != 0
    assert "Celery workers would write the admins' mail into their own" in worker.stderr
    assert "set STATBOARD_MAIL_URL=smtp://host:port" in worker.stderr
    assert "Celery workers would keep uploads in their own uploads/ folder" in worker.stderr
    assert "set STATBOARD_BROKER_URL=redis://host:port/db, as on the site" in worker.stderr


def test_a_worker_reads_the_settings_file_and_sends_the_admins_mail(
    tmp_path, postgres_url, redis_url, smtp_server, monkeypatch
):
    url, inbox = smtp_server
    path = worker_settings(
        tmp_path,
        postgres_url,
        redis_url,
        MAIL_URL=url,
        STORAGE_URL=tmp_path / "shared-uploads",
        BROKER_URL=redis_url,
    )
    # Each process has its own instance folder; only the file's settings are shared.
    env = {**os.environ, "STATBOARD_CONFIG": str(path)}
    worker_env = {**env, "STATBOARD_INSTANCE_PATH": str(tmp_path / "worker-instance")}
    migrate = [sys.executable, "-m", "flask", "--app", "statboard", "db", "upgrade"]
    subprocess.run(migrate, env=env, cwd=ROOT, check=True, capture_output=True, timeout=120)
    # (start_celery_worker pings the broker it is given; the worker reads the file.)
    worker = start_celery_worker(
        {**worker_env, "STATBOARD_TASKS_URL": tasks_url(redis_url)}, tmp_path / "worker.log"
    )
    try:
        monkeypatch.setenv("STATBOARD_CONFIG", str(path))
        monkeypatch.setenv("STATBOARD_INSTANCE_PATH", str(tmp_path / "site-instance"))
        app = create_app()  # the site's view of the same file
        with app.app_context():
            create_user("boss", "boss-password", "Boss", "boss@example.com", admin=True)
            db.session.commit()
            mail_admins("Filed", "sent by the worker")
            db.session.commit()
            db.engine.dispose()
        messages = inbox.wait_for(1, timeout=30)
        assert [rcpt for rcpt, _ in messages] == [["boss@example.com"]]
        assert messages[0][1]["Subject"] == "Filed"
        assert not (tmp_path / "worker-instance" / "outbox").exists()
    finally:
        stop(worker)
