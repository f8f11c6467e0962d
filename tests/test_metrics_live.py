"""/metrics on the real server with two worker processes: requests that either worker
answered add up in one scrape, and the scraped values follow real actions."""

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from statboard.extensions import db
from statboard.hosts import remote
from statboard.series.models import Account
from statboard.series.samples import add_samples, now_utc

from tests.fixtures.hosts import serve_with_users
from tests.fixtures.processes import children
from tests.fixtures.servers import free_port, stop
from tests.metrics_helpers import total, value
from tests.series_helpers import gen_token

WORKERS = 2


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("metrics-site")
    (tmp / "tmp").mkdir()
    env = {
        "STATBOARD_WORKERS": str(WORKERS),
        "STATBOARD_COUNTER_FLUSH_SECONDS": "0.2",
        "STATBOARD_COUNTER_RATE_LIMIT": "",
        "TMPDIR": str(tmp / "tmp"),  # where the run's Prometheus folder is made
    }
    live = serve_with_users(tmp, env)
    live.token = gen_token(live.app, "root", scopes="metrics")
    yield live
    stop(live.proc)
    assert not list((tmp / "tmp").glob("statboard-prometheus-*")), "the run's folder is left"


def scrape(site, token: str | None = "site") -> httpx.Response:
    token = site.token if token == "site" else token
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(f"{site.url}/metrics", headers=headers, timeout=10)


def worker_files(site, wait: float = 0.0) -> set[int]:
    """The pids of the processes that counted requests in the run's folder, once there
    are two of them or `wait` seconds have passed."""
    deadline = time.monotonic() + wait
    while True:
        pids = {
            int(path.stem.removeprefix("counter_"))
            for path in (site.tmp / "tmp").glob("statboard-prometheus-*/counter_*.db")
        }
        if len(pids) >= WORKERS or time.monotonic() >= deadline:
            return pids
        time.sleep(0.1)


def post_from_fresh_connections(url: str, count: int) -> int:
    def one(_):
        return httpx.post(url, timeout=10).status_code == 200  # a connection of its own

    with ThreadPoolExecutor(8) as pool:
        return sum(pool.map(one, range(count)))


def test_without_the_token_the_real_server_refuses(site):
    assert scrape(site, None).status_code == 401
    assert scrape(site, "sb_not-a-token").status_code == 401
    assert scrape(site, gen_token(site.app, "carol", scopes="series")).status_code == 403


def test_requests_answered_by_both_workers_add_up_in_one_scrape(site):
    workers = {p.pid for p in children(site.proc.pid) if "run.py" in p.command}
    assert len(workers) == WORKERS
    url, sent = f"{site.url}/counters/live/hits", 0
    for _ in range(10):  # bounded: until both workers have answered some
        sent += post_from_fresh_connections(url, 20)
        if workers <= worker_files(site, wait=1.5):  # each worker folds once a second
            break
    assert workers <= worker_files(site), "one worker answered every request"
    deadline = time.monotonic() + 10
    # The counter store writes behind every 0.2 s, and each worker folds its request
    # counts into its file every second.
    while time.monotonic() < deadline:
        text = scrape(site).text
        posts = total(text, "statboard_http_requests_total", route="counters.api", method="POST")
        if value(text, "statboard_counter_value", key="live/hits") == sent and posts == sent:
            break
        time.sleep(0.1)
    assert value(text, "statboard_counter_value", key="live/hits") == sent
    assert posts == sent
    assert total(text, "statboard_http_requests_total", route="metrics.scrape") >= 1


def test_followers_and_remote_hosts_are_read_at_scrape_time(site):
    down_url = f"http://127.0.0.1:{free_port()}/"
    with site.app.test_request_context():
        account = Account(platform="github", handle="octo", is_public=False)
        db.session.add(account)
        db.session.flush()
        add_samples(account, [(now_utc(), 1234)])
        up = remote.add_host(f"{site.url}/v1/uptime/", "self")
        down = remote.add_host(down_url, "gone")
        db.session.flush()
        remote.check_all()
        db.session.commit()
        ids = (str(account.id), str(up.id), str(down.id))
    text = scrape(site).text
    assert value(text, "statboard_followers", account=ids[0], handle="octo") == 1234
    assert value(text, "statboard_remote_host_up", host=ids[1], name="self") == 1
    assert value(text, "statboard_remote_host_up", host=ids[2], url=down_url) == 0
    assert value(text, "statboard_remote_host_latency_seconds", host=ids[1]) > 0
