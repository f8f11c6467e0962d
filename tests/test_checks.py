"""`flask --app statboard check` and the same checks when a process starts: each
problem one sentence that says what to do, and a non-zero exit; real servers."""

import subprocess
import time

import httpx
import pytest

from tests.fixtures.servers import (
    START_SECONDS,
    flask_cli,
    free_port,
    fresh_database,
    local_env,
    run_server,
    start_site,
    stop,
    stop_group,
    wait_for_port,
)


def check(env: dict, *args: str) -> subprocess.CompletedProcess:
    return flask_cli(env, "check", *args, timeout=120)


def upgrade(env: dict, *revision: str) -> None:
    done = flask_cli(env, "db", "upgrade", *revision, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """A folder with a migrated SQLite database (checks only read it)."""
    tmp = tmp_path_factory.mktemp("checked")
    upgrade(local_env(tmp))
    return tmp


def test_a_served_site_passes_every_check(tmp_path):
    site = start_site(tmp_path)
    try:
        result = check(site.env)
        assert result.returncode == 0, result.stderr
        assert "All is well" in result.stdout
    finally:
        stop(site.proc)


def test_a_missing_bucket(migrated, s3_endpoint):
    url = f"s3://no-such-bucket/uploads?endpoint={s3_endpoint}&region=us-east-1"
    result = check(local_env(migrated, STORAGE_URL=url), "--skip", "site-url")
    assert result.returncode != 0
    assert "The S3 bucket 'no-such-bucket' does not exist: create it" in result.stderr
    assert "aws s3 mb s3://no-such-bucket" in result.stderr


def test_a_bucket_that_exists_is_written_and_left_clean(migrated, s3_endpoint):
    import boto3

    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="checked")
    url = f"s3://checked/uploads?endpoint={s3_endpoint}&region=us-east-1"
    result = check(local_env(migrated, STORAGE_URL=url), "--skip", "site-url")
    assert result.returncode == 0, result.stderr
    assert "Contents" not in s3.list_objects_v2(Bucket="checked")  # the test object went


def test_an_unmigrated_database(migrated, postgres_url):
    database = fresh_database(postgres_url, f"unmigrated{time.time_ns()}")
    result = check(local_env(migrated, DATABASE_URL=database), "--skip", "site-url")
    assert result.returncode != 0
    assert "has no tables yet: run `flask --app statboard db upgrade`" in result.stderr
    assert "python run.py --migrate" in result.stderr
    assert "statboard@127.0.0.1" in result.stderr  # which database, without a password


def test_a_database_behind_the_latest_migration(tmp_path):
    env = local_env(tmp_path)
    upgrade(env, "0005")
    result = check(env, "--skip", "site-url")
    assert result.returncode != 0
    assert "is at revision 0005, not at " in result.stderr  # the latest, whichever it is
    assert ", the latest: run `flask --app statboard db upgrade`" in result.stderr


def test_a_database_that_does_not_answer(migrated):
    gone = f"postgresql+psycopg://statboard:pw-not-shown@127.0.0.1:{free_port()}/statboard"
    result = check(local_env(migrated, DATABASE_URL=gone), "--skip", "site-url")
    assert result.returncode != 0
    assert "does not answer" in result.stderr and "fix STATBOARD_DATABASE_URL" in result.stderr
    assert "pw-not-shown" not in result.stderr


def test_a_wrong_site_url(migrated):
    result = check(local_env(migrated, SITE_URL=f"http://127.0.0.1:{free_port()}"))
    assert result.returncode != 0
    assert "Nothing answers at SITE_URL http://127.0.0.1:" in result.stderr
    assert "set STATBOARD_SITE_URL to the address people use" in result.stderr


def test_a_site_url_that_reaches_another_site(migrated, live_site):
    result = check(local_env(migrated, SITE_URL=live_site.url))
    assert result.returncode != 0
    assert f"SITE_URL {live_site.url} is served by something else than this site" in (result.stderr)


def test_an_smtp_server_that_does_not_answer(migrated):
    mail = f"smtp://127.0.0.1:{free_port()}"
    result = check(local_env(migrated, MAIL_URL=mail), "--skip", "site-url")
    assert result.returncode != 0
    assert "The SMTP server 127.0.0.1:" in result.stderr
    assert "does not answer" in result.stderr and "fix STATBOARD_MAIL_URL" in result.stderr


def test_an_smtp_server_is_greeted_and_sent_nothing(migrated, smtp_server):
    url, inbox = smtp_server
    result = check(local_env(migrated, MAIL_URL=url), "--skip", "site-url")
    assert result.returncode == 0, result.stderr
    assert inbox.messages == []


def test_redis_that_does_not_answer(migrated):
    redis = f"redis://127.0.0.1:{free_port()}/0"
    result = check(local_env(migrated, COUNTERS_URL=redis), "--skip", "site-url")
    assert result.returncode != 0
    assert "(STATBOARD_COUNTERS_URL) does not answer" in result.stderr


def test_a_shared_database_wants_one_secret_key_and_the_workers_settings(
    tmp_path, postgres_url, redis_url
):
    env = local_env(
        tmp_path,
        DATABASE_URL=fresh_database(postgres_url, f"shared{time.time_ns()}"),
        TASKS_URL=redis_url,
    )
    del env["STATBOARD_SECRET_KEY"], env["STATBOARD_STORAGE_URL"], env["STATBOARD_OUTBOX_DIR"]
    upgrade(env)
    result = check(env, "--skip", "site-url")
    assert result.returncode != 0
    assert "set STATBOARD_SECRET_KEY to one long random value for every process" in result.stderr
    assert "Celery workers would write the admins' mail into their own" in result.stderr
    assert "Celery workers would keep uploads in their own uploads/ folder" in result.stderr
    assert "set STATBOARD_BROKER_URL=redis://host:port/db" in result.stderr


def run_site(env: dict, port: int, *args: str) -> subprocess.Popen:
    return run_server(env, "run.py", "--port", str(port), *args)


def test_a_site_checks_at_its_start_refusing_an_unmigrated_database(tmp_path):
    """Without its tables the site refuses to start, saying so; `--migrate` applies them.
    What it can serve without (an SMTP server that does not answer) is a warning."""
    port = free_port()
    env = local_env(
        tmp_path,
        LIVE_PORT=str(free_port()),
        SCHEDULER_LOCK=str(tmp_path / "scheduler.lock"),
        MAIL_URL=f"smtp://127.0.0.1:{free_port()}",
    )
    site = run_site(env, port)
    try:
        out, _ = site.communicate(timeout=START_SECONDS)
    finally:
        stop_group(site)
    assert site.returncode != 0
    assert "statboard.db has no tables yet: run `flask --app statboard db upgrade`" in out

    site = run_site(env, port, "--migrate")
    try:
        wait_for_port(port, site, timeout=START_SECONDS)
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10).status_code == 200
    finally:
        stop_group(site)
    out = site.stdout.read()
    assert "has no tables yet" not in out
    assert "Warning: The SMTP server 127.0.0.1:" in out and "fix STATBOARD_MAIL_URL" in out
