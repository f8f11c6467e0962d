"""Several machines, on loopback: two sites (`python run.py`) and one Celery worker, each
with an instance folder of its own, sharing nothing but PostgreSQL, Redis (tasks,
counters), the S3 API server and the SMTP server, all real.

A browser import runs on the worker, which reads the upload from S3; every admin email
of an edit reaches the SMTP server; the periodic jobs run once per period in the whole
cluster, led by one site, and by the other once the first one's processes are killed;
counters hit on both sites at once add up exactly; `flask check` passes with the
cluster's settings and names a missing bucket, an unmigrated database and a wrong
SITE_URL, each with its sentence.
"""

import os
import signal
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, suppress
from pathlib import Path
from types import SimpleNamespace

import boto3
import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.fixtures.images import S3_BUCKET, s3_storage_url
from tests.fixtures.servers import (
    ROOT,
    drop_database,
    flask,
    flask_cli,
    free_port,
    fresh_database,
    kill_group,
    start_site,
    stop,
)
from tests.fixtures.tasks import start_celery_worker
from tests.series_helpers import logged_in

DATA = ROOT / "tests" / "data"
ADMIN = ("boss", "boss-pw-123")
SAMPLE_SECONDS = 1.0  # the period of hosts.sample, the periodic job counted here
LEASE = 3.0  # the leader renews, and the others try to lead, every second
WINDOW = 5.0  # seconds over which runs are counted
HTMX = {"HX-Request": "true"}


def dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(False)


@pytest.fixture
def database(postgres_url):
    """A database of its own on the suite's PostgreSQL server (advisory locks and the
    tables of other tests stay apart), dropped afterwards."""
    name = f"cluster_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn(postgres_url), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = make_url(postgres_url).set(database=name).render_as_string(False)
    yield url
    with psycopg.connect(dsn(postgres_url), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def redis_db(redis_url):
    """A Redis database of its own (the suite's Celery worker uses /0), emptied first."""
    import redis

    url = redis_url.rsplit("/", 1)[0] + "/7"
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


class Output:
    """Reads a process's output as it comes (a full pipe would stall the process)."""

    def __init__(self, proc):
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(proc.stdout,), daemon=True)
        self.thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.append(line)

    def count(self, text: str) -> int:
        return sum(text in line for line in list(self.lines))

    def tail(self) -> str:
        return "".join(self.lines[-40:])


@pytest.fixture
def cluster(tmp_path, database, redis_db, s3_endpoint, smtp_server):
    """Two sites and a worker, each its own "machine" (instance folder, outbox, lock
    file), with the same settings; everything stopped at the end, whatever happens."""
    smtp_url, inbox = smtp_server
    settings = {
        "STATBOARD_DATABASE_URL": database,
        "STATBOARD_TASKS_URL": redis_db,
        "STATBOARD_BROKER_URL": redis_db,
        "STATBOARD_COUNTERS_URL": redis_db,
        "STATBOARD_STORAGE_URL": s3_storage_url(s3_endpoint, prefix=f"cluster-{uuid.uuid4().hex}"),
        "STATBOARD_MAIL_URL": smtp_url,
        "STATBOARD_SECRET_KEY": "cluster-secret",
        "STATBOARD_HOST_SAMPLE_SECONDS": str(SAMPLE_SECONDS),
        "STATBOARD_SCHEDULER_LEASE_SECONDS": str(LEASE),
        "STATBOARD_COUNTER_RATE_LIMIT": '""',
        "STATBOARD_LOG_LEVEL": "INFO",
    }
    with ExitStack() as stack:
        machines = {}
        for name in ("worker", "site-a", "site-b"):
            (tmp_path / name).mkdir()
        worker_env = {
            **os.environ,
            **settings,
            "STATBOARD_INSTANCE_PATH": str(tmp_path / "worker" / "instance"),
            "STATBOARD_OUTBOX_DIR": str(tmp_path / "worker" / "outbox"),
        }
        for name in ("site-a", "site-b"):
            site = start_site(tmp_path / name, env=settings)
            stack.callback(stop_group, site)
            site.output = Output(site.proc)
            machines[name] = site
        log_path = tmp_path / "worker" / "worker.log"
        worker = start_celery_worker(worker_env, log_path)
        stack.callback(stop, worker)
        yield SimpleNamespace(
            a=machines["site-a"],
            b=machines["site-b"],
            worker=worker,
            worker_log=log_path,
            inbox=inbox,
            db=dsn(database),
            postgres_url=database,
            storage=settings["STATBOARD_STORAGE_URL"],
            tmp=tmp_path,
        )


def stop_group(site) -> None:
    """Stop a site, and whatever of its process group is left (a killed one: nothing)."""
    if site.proc.poll() is None:
        stop(site.proc)
    with suppress(ProcessLookupError):
        os.killpg(site.proc.pid, signal.SIGKILL)


def query(cluster, sql: str, *args):
    with psycopg.connect(cluster.db, autocommit=True) as conn:
        return conn.execute(sql, args).fetchall()


def sample_runs(cluster) -> tuple[int, str, int]:
    """(runs of hosts.sample, the process that ran it last, host samples written)."""
    rows = query(cluster, "SELECT runs, runner FROM scheduled_runs WHERE name = 'hosts.sample'")
    runs, runner = rows[0] if rows else (0, "")
    [(samples,)] = query(cluster, "SELECT count(*) FROM host_samples")
    return runs, runner, samples


def one_sample_a_run(runs: int, samples: int, killed: bool = False) -> bool:
    """Whether `samples` written match `runs` claimed. A run is claimed, then writes
    its sample, so a count can fall between the two: one sample more after the first
    count, one fewer by the last; a run claimed as a kill came writes none. A run
    outside the schedule, or two leaders sampling, would write more."""
    return runs - 1 - killed <= samples <= runs + 1


def group_of(runner: str) -> int | None:
    """The process group of the process `host:pid:boot` (a site's server leads one)."""
    pid = int(runner.split(":")[1])
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def wait_until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return found


def task_row(cluster, task_id: str) -> tuple[str, str]:
    [(state, worker)] = query(cluster, "SELECT state, worker FROM tasks WHERE id = %s", task_id)
    return state, worker or ""


def test_a_cluster_of_two_sites_and_a_worker_shares_only_its_engines(cluster):
    flask(
        cluster.a,
        *("users", "create", ADMIN[0], "--admin", "--email", "boss@example.test"),
        "--password-stdin",
        stdin=ADMIN[1],
    )
    leader, follower = check_one_leader(cluster)
    with ExitStack() as stack:
        a = stack.enter_context(logged_in(cluster.a, *ADMIN))
        b = stack.enter_context(logged_in(cluster.b, *ADMIN))
        check_the_import_runs_on_the_worker(cluster, b)
        check_every_admin_mail_reaches_smtp(cluster, a, b)
    check_counters_are_exact_across_sites(cluster)
    check_the_check_command(cluster)

    check_one_run_per_period(cluster, leader)
    runs_before, _, samples_before = sample_runs(cluster)
    killed = time.monotonic()
    kill_group(leader)  # the leading "machine" goes away: power cut, OOM kill
    wait_until(
        lambda: follower.output.count("leads the periodic jobs") == 1,
        LEASE * 2 + 5,
        "the other site to take the lead",
    )
    check_one_run_per_period(cluster, follower)
    # Across the handover too: never more than one run per period.
    runs_after, _, samples_after = sample_runs(cluster)
    elapsed = time.monotonic() - killed
    assert runs_after - runs_before <= elapsed / SAMPLE_SECONDS + 1
    runs = runs_after - runs_before
    assert one_sample_a_run(runs, samples_after - samples_before, killed=True)


def check_one_leader(cluster):
    """Exactly one site leads; the runs of the periodic job are its server's."""
    sites = [cluster.a, cluster.b]
    wait_until(
        lambda: (
            sum(site.output.count("leads the periodic jobs") for site in sites) >= 1
            and sample_runs(cluster)[0] >= 2
        ),
        30,
        "a site to lead and run the periodic jobs",
    )
    time.sleep(LEASE)  # time enough for a second leader, were there one
    leaders = [site for site in sites if site.output.count("leads the periodic jobs")]
    assert len(leaders) == 1, [site.output.tail() for site in sites]
    [leader] = leaders
    return leader, next(site for site in sites if site is not leader)


def check_one_run_per_period(cluster, leader):
    """Over WINDOW seconds the job runs once per SAMPLE_SECONDS (with slack for a busy
    machine, never more), each run writes one sample, and the leader runs it."""
    wait_until(
        lambda: group_of(sample_runs(cluster)[1]) == leader.proc.pid,
        LEASE * 2 + 5,
        "the leader's first run",
    )
    runs0, _, samples0 = sample_runs(cluster)
    started = time.monotonic()
    time.sleep(WINDOW)
    runs1, runner, samples1 = sample_runs(cluster)
    elapsed = time.monotonic() - started
    runs = runs1 - runs0
    assert runs <= elapsed / SAMPLE_SECONDS + 1, f"{runs} runs in {elapsed:.1f} s"
    assert runs >= WINDOW / SAMPLE_SECONDS / 2, f"only {runs} runs in {elapsed:.1f} s"
    assert one_sample_a_run(runs, samples1 - samples0)  # no run outside the schedule
    assert group_of(runner) == leader.proc.pid


def check_the_import_runs_on_the_worker(cluster, browser: httpx.Client):
    data = (DATA / "weatherbot-followers.csv").read_bytes()
    response = browser.post(
        "/series/import",
        files={"file": ("weatherbot-followers.csv", data, "text/csv")},
        headers=HTMX,
    )
    assert response.status_code == 200, response.text
    task_id = response.text.split('id="task-', 1)[1].split('"', 1)[0]
    state, worker = wait_until(
        lambda: (row := task_row(cluster, task_id))[0] in ("SUCCESS", "FAILURE") and row,
        30,
        "the import",
    )
    assert state == "SUCCESS", cluster.worker_log.read_text()[-3000:]
    assert worker.split(":")[1] == str(cluster.worker.pid)  # run by the worker
    [(count,)] = query(
        cluster,
        "SELECT count(*) FROM series_samples s JOIN series_accounts a ON a.id = s.account_id"
        " WHERE a.handle = 'weatherbot'",
    )
    assert count > 600
    # The upload travelled through S3, and is gone from it once imported.
    s3 = boto3.client("s3", endpoint_url=cluster.storage.split("endpoint=")[1])
    prefix = cluster.storage.split(f"{S3_BUCKET}/")[1].split("?")[0]
    listed = s3.list_objects_v2(Bucket=S3_BUCKET, Prefix=f"{prefix}/series-imports/")
    assert listed.get("KeyCount", 0) == 0
    for name in ("site-a", "site-b", "worker"):
        assert not list(Path(cluster.tmp / name).rglob("series-imports"))


def check_every_admin_mail_reaches_smtp(cluster, a: httpx.Client, b: httpx.Client):
    """Edits on both sites; their admin emails are sent by the worker, over SMTP."""
    edits = 4
    for n in range(edits):
        browser = (a, b)[n % 2]
        response = browser.post(
            "/pages/home/blocks", data={"kind": "text", "position": "0"}, headers=HTMX
        )
        assert response.status_code == 200, response.text

    def added() -> Counter:  # mails per recipient: each admin gets one per edit
        mails = [(to, msg) for to, msg in cluster.inbox.messages if " added " in msg["Subject"]]
        return Counter(rcpt for to, _ in mails for rcpt in to)

    wait_until(lambda: added()["boss@example.test"] >= edits, 30, f"{edits} admin emails")
    time.sleep(0.5)
    assert set(added().values()) == {edits}, added()
    mail_workers = query(cluster, "SELECT state, worker FROM tasks WHERE kind = 'mail.admins'")
    assert mail_workers and all(state == "SUCCESS" for state, _ in mail_workers)
    assert {worker.split(":")[1] for _, worker in mail_workers} == {str(cluster.worker.pid)}
    for name in ("site-a", "site-b", "worker"):  # no email fell into an outbox
        assert not list(Path(cluster.tmp / name).rglob("*.eml"))


def check_counters_are_exact_across_sites(cluster):
    hits_per_thread, threads = 40, 4
    sites = [cluster.a.url, cluster.b.url]

    def hit(n: int) -> int:
        with httpx.Client(base_url=sites[n % 2], timeout=15) as client:
            for _ in range(hits_per_thread):
                assert client.post("/counters/cluster/plays").status_code == 200
        return hits_per_thread

    with ThreadPoolExecutor(threads * 2) as pool:
        total = sum(pool.map(hit, range(threads * 2)))
    for url in sites:
        answer = httpx.get(f"{url}/counters/cluster/plays", headers={"Accept": "text/plain"})
        assert answer.text.strip() == str(total)


def check_the_check_command(cluster):
    """`flask check` with a site's settings finds every engine of the cluster; with a
    missing bucket, an unmigrated database and a SITE_URL where nothing answers, it says
    each one in its sentence and exits non-zero."""
    env = cluster.a.env
    result = flask_cli(env, "check", timeout=120)
    assert result.returncode == 0, result.stderr
    assert "All is well" in result.stdout
    name = f"unmigrated_{uuid.uuid4().hex[:12]}"
    unmigrated = fresh_database(cluster.postgres_url, name)
    try:
        nowhere = f"http://127.0.0.1:{free_port()}"
        broken = {
            **env,
            "STATBOARD_STORAGE_URL": cluster.storage.replace(f"s3://{S3_BUCKET}/", "s3://gone/"),
            "STATBOARD_DATABASE_URL": unmigrated,
            "STATBOARD_SITE_URL": nowhere,
        }
        result = flask_cli(broken, "check", timeout=120)
    finally:
        drop_database(cluster.postgres_url, name)
    assert result.returncode != 0
    assert "The S3 bucket 'gone' does not exist: create it (`aws s3 mb s3://gone`)" in (
        result.stderr
    )
    assert f"/{name} has no tables yet: run `flask --app statboard db upgrade`" in result.stderr
    assert f"Nothing answers at SITE_URL {nowhere}" in result.stderr
