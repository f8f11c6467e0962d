"""Live events, as the event server hears them from the app's broker: each change
publishes once it is committed, in commit order, on the channel of what changed and
with ids or counts only; a rollback publishes nothing, and a broker that is down never
fails a change. A page's signed token names exactly the channels its viewer may read.
"""

import html
import io
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import text
from statboard import create_app, tasks
from statboard.auth.models import User
from statboard.extensions import db
from statboard.hosts import history, jobs, remote
from statboard.hosts.metrics import Meter
from statboard.hosts.models import RemoteHost
from statboard.live.tokens import channels_of
from statboard.pages import services
from statboard.pages.models import Block
from statboard.tasks.runner import wait_for

from tests.conftest import csrf_token, gen_user, make_settings
from tests.fixtures.platforms import github_user
from tests.fixtures.servers import free_port
from tests.live_helpers import Listener
from tests.pages_helpers import HX, TEXT, gen_page, get_block
from tests.series_helpers import gen_account, gen_token, grant, login_htmx

LIVE_PORT = 5999  # pages embed a stream; no event server needs to run for the tests


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path, LIVE_PORT=LIVE_PORT)


@pytest.fixture
def listener(app):
    return Listener(app)


@pytest.fixture
def admin(auth):
    headers = {**auth.csrf(), **HX}
    auth.login_admin()
    return headers


def version_elsewhere(app, block_id: int):
    """The block's version as another connection sees it: what is committed."""

    def probe():
        with db.engine.connect() as other:
            return other.scalar(text("SELECT version FROM blocks WHERE id = :id"), {"id": block_id})

    return probe


def user_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(db.select(User.id).where(User.username == username))


# --- pages: block, layout, page, nav ------------------------------------------------


def test_a_block_save_then_a_move_publish_block_then_layout_after_each_commit(app, client, admin):
    page_id = gen_page(app, blocks=[TEXT, TEXT])
    first, _ = _ids(app, page_id)
    listener = Listener(app, probe=version_elsewhere(app, first))

    saved = client.put(f"/blocks/{first}", data={"html": "<p>New</p>", "version": 1}, headers=admin)
    moved = client.post(f"/blocks/{first}/move", data={"direction": "down"}, headers=admin)

    assert saved.status_code == moved.status_code == 200
    assert listener.heard() == [
        (f"page:{page_id}", "block", {"block": first, "version": 2}),
        (f"page:{page_id}", "layout", {}),
    ]
    assert listener.seen == [2, 2]  # the new version was committed when each event went


def _ids(app, page_id: int) -> list[int]:
    with app.app_context():
        query = db.select(Block.id).where(Block.page_id == page_id).order_by(Block.position)
        return list(db.session.scalars(query))


def test_two_changes_in_one_transaction_are_heard_in_the_order_made(app, listener):
    page_id = gen_page(app, blocks=[TEXT, TEXT])
    first, second = _ids(app, page_id)
    with app.test_request_context():
        one, two = db.session.get(Block, first), db.session.get(Block, second)
        services.change_content(two, {"html": "<p>2</p>"}, 1, None)
        services.change_content(one, {"html": "<p>1</p>"}, 1, None)
        assert listener.heard() == []  # nothing before the commit
        db.session.commit()
    assert listener.heard() == [
        (f"page:{page_id}", "block", {"block": second, "version": 2}),
        (f"page:{page_id}", "block", {"block": first, "version": 2}),
    ]


def test_page_settings_publish_page_then_nav_and_a_new_block_the_layout(
    app, client, admin, listener
):
    page_id = gen_page(app, slug="news", blocks=[TEXT])
    form = {"title": "Latest", "slug": "news", "is_public": "y", "in_nav": "y"}
    assert client.put("/pages/news/settings", data=form, headers=admin).status_code == 200
    added = client.post("/pages/news/blocks", data={"kind": "text", "position": 0}, headers=admin)
    assert added.status_code == 200
    assert listener.heard() == [
        (f"page:{page_id}", "page", {"slug": "news"}),
        ("nav", "nav", {}),
        (f"page:{page_id}:drafts", "layout", {}),  # a new block is a draft: admins only
    ]


def test_a_stale_save_a_raced_save_and_form_errors_publish_nothing(
    app, client, admin, listener, monkeypatch
):
    (block_id,) = _ids(app, gen_page(app, slug="news", blocks=[TEXT]))
    stale = client.put(
        f"/blocks/{block_id}", data={"html": "<p>x</p>", "version": 0}, headers=admin
    )
    assert stale.status_code == 409

    original = services.change_content

    def raced(block, *args, **kwargs):  # another editor commits between our read and write
        changed = original(block, *args, **kwargs)
        with db.engine.connect() as other:
            other.execute(
                text("UPDATE blocks SET version = version + 1 WHERE id = :id"), {"id": block.id}
            )
            other.commit()
        return changed

    monkeypatch.setattr(services, "change_content", raced)
    lost = client.put(f"/blocks/{block_id}", data={"html": "<p>y</p>", "version": 1}, headers=admin)
    assert lost.status_code == 409
    monkeypatch.undo()

    empty = {"title": "", "slug": "news", "is_public": "y", "in_nav": "y"}
    assert client.put("/pages/news/settings", data=empty, headers=admin).status_code == 422
    remote_block = gen_page(app, slug="hosts", blocks=[("remote_hosts", {"title": "H"})])
    (remote_id,) = _ids(app, remote_block)
    bad = client.post(f"/blocks/{remote_id}/hosts", data={"url": "ftp://x"}, headers=admin)
    assert bad.status_code == 422

    assert listener.heard() == []
    assert get_block(app, block_id).version == 2  # only the other editor's save landed


def test_a_rolled_back_change_publishes_nothing(app, listener):
    page_id = gen_page(app, blocks=[TEXT])
    (block_id,) = _ids(app, page_id)
    with app.test_request_context():
        services.change_content(db.session.get(Block, block_id), {"html": "<p>no</p>"}, 1, None)
        history.record(Meter().read(min_interval=0))
        db.session.rollback()
        db.session.commit()  # a later commit does not bring them back
    assert listener.heard() == []


def test_a_broker_that_is_down_never_fails_a_change(tmp_path, caplog):
    closed = f"redis://127.0.0.1:{free_port()}/0"
    app = create_app(make_settings(tmp_path, BROKER_URL=closed, LIVE_PORT=LIVE_PORT))
    with app.app_context():
        db.create_all()
    try:
        client = app.test_client()
        token = csrf_token(client)
        gen_user(app, "admin", "admin-pw", admin=True)
        client.post(
            "/login", data={"username": "admin", "password": "admin-pw", "csrf_token": token}
        )
        headers = {"X-CSRFToken": token, **HX}
        page_id = gen_page(app, blocks=[TEXT])
        (block_id,) = _ids(app, page_id)

        saved = client.put(
            f"/blocks/{block_id}", data={"html": "<p>Kept</p>", "version": 1}, headers=headers
        )
        assert saved.status_code == 200
        assert get_block(app, block_id).version == 2
        assert get_block(app, block_id).data["html"] == "<p>Kept</p>"
        assert client.get("/").status_code == 200  # the page renders, it will poll
        with app.app_context():
            jobs.sample_this_host()
            owner = user_id(app, "admin")
            assert wait_for(tasks.submit("test.count", owner=owner, steps=1)).state == "SUCCESS"
        published = [r.getMessage() for r in caplog.records if r.name == "statboard.live"]
        assert "The live event block on page:1 could not be published" in published
        assert "The live event host on host:local could not be published" in published
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# --- hosts ------------------------------------------------------------------------


def test_each_sample_of_this_host_publishes_host_after_its_commit(app, listener):
    with app.app_context():
        history.record(Meter().read(min_interval=0))
        assert listener.heard() == []
        db.session.commit()
        jobs.sample_this_host()
    assert listener.heard() == [("host:local", "host", {})] * 2


def test_a_round_of_checks_publishes_once_per_block_with_host_ids(app, listener):
    first_page = gen_page(app, slug="a", blocks=[("remote_hosts", {"title": "A"})])
    second_page = gen_page(app, slug="b", blocks=[("remote_hosts", {"title": "B"})])
    (block_a,), (block_b,) = _ids(app, first_page), _ids(app, second_page)
    closed = f"http://127.0.0.1:{free_port()}/v1/uptime/"  # refused at once: down
    with app.app_context():
        hosts = [
            RemoteHost(block_id=b, name=n, url=closed)
            for b, n in [(block_a, "x"), (block_a, "y"), (block_b, "z")]
        ]
        db.session.add_all(hosts)
        db.session.commit()
        x, y, z = (h.id for h in hosts)
        remote.check_all()
        assert listener.heard() == []
        db.session.commit()
        assert db.session.get(RemoteHost, x).state == "down"
    assert listener.heard() == [
        (f"hosts:{block_a}", "hosts", {"block": block_a, "hosts": [x, y]}),
        (f"hosts:{block_b}", "hosts", {"block": block_b, "hosts": [z]}),
    ]


def test_adding_and_removing_a_host_publish_on_its_block(app, client, admin, listener):
    page_id = gen_page(app, slug="hosts", blocks=[("remote_hosts", {"title": "H"})])
    (block_id,) = _ids(app, page_id)
    form = {"url": "http://127.0.0.1:9/v1/uptime/", "name": "nine"}
    assert client.post(f"/blocks/{block_id}/hosts", data=form, headers=admin).status_code == 200
    with app.app_context():
        host_id = db.session.scalar(db.select(RemoteHost.id))
    assert client.delete(f"/blocks/{block_id}/hosts/{host_id}", headers=admin).status_code == 200
    event = (f"hosts:{block_id}", "hosts", {"block": block_id, "hosts": [host_id]})
    assert listener.heard() == [event, event]


# --- series -----------------------------------------------------------------------


def test_pushed_samples_publish_the_account_and_how_many_are_new(app, client, listener):
    gen_user(app, "kevin")
    account_id = gen_account(app, "x", "Kev")
    grant(app, account_id, "kevin")
    headers = {"Authorization": f"Bearer {gen_token(app, 'kevin')}"}
    body = [{"count": 5, "taken_at": "2024-05-01T12:00:00Z"}, {"count": 6}]
    url = f"/api/series/{account_id}/samples"
    assert client.post(url, json=body, headers=headers).status_code == 201
    assert client.post(url, json=body[:1], headers=headers).status_code == 200  # a duplicate
    assert listener.heard() == [
        (f"account:{account_id}", "samples", {"account": account_id, "added": 2})
    ]


def test_collect_now_publishes_samples_then_the_owners_task_events(
    platforms, app, client, auth, listener
):
    platforms.answer("/users/octocat", github_user("octocat", 9001))
    account_id = gen_account(app, "github", "octocat")
    headers = login_htmx(auth)
    response = client.post("/series/collect", headers=headers)
    task_id = re.search(r'id="task-([0-9a-f-]+)"', response.get_data(as_text=True)).group(1)
    owner = user_id(app, "admin")
    done = (f"user:{owner}", "task", {"task": task_id, "state": "SUCCESS"})
    heard = listener.wait_for(lambda events: done in events)
    samples = (f"account:{account_id}", "samples", {"account": account_id, "added": 1})
    assert heard.index(samples) < heard.index(done)
    states = [e[2]["state"] for e in heard if e[0] == f"user:{owner}"]
    assert states[:2] == ["QUEUED", "STARTED"] and states[-1] == "SUCCESS"


def test_an_import_publishes_each_account_that_got_samples(app, client, auth, listener):
    headers = login_htmx(auth)
    csv = b"01-01-2020 03:50:00, 5\n02-01-2020 03:50:00, 6\n"
    response = client.post(
        "/series/import",
        data={"file": (io.BytesIO(csv), "weatherbot-followers.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )
    task_id = re.search(r'id="task-([0-9a-f-]+)"', response.get_data(as_text=True)).group(1)
    with app.app_context():
        assert wait_for(task_id, 20).state == "SUCCESS"
    heard = listener.wait_for(lambda events: any(e[0].startswith("account:") for e in events))
    samples = [e for e in heard if e[0].startswith("account:")]
    account_id = samples[0][2]["account"]
    assert samples == [(f"account:{account_id}", "samples", {"account": account_id, "added": 2})]


# --- tasks ------------------------------------------------------------------------


def test_an_owned_task_publishes_its_states_and_progress_to_its_owner(app, listener):
    owner = gen_user(app, "alice").id
    with app.app_context():
        task_id = tasks.submit("test.count", owner=owner, steps=2, pause=0.01)
        failing = tasks.submit("test.fail", owner=owner)
    mine = f"user:{owner}"
    heard = listener.wait_for(
        lambda events: sum(e[2].get("state") in ("SUCCESS", "FAILURE") for e in events) == 2
    )
    assert all(channel == mine and kind == "task" for channel, kind, _ in heard)
    counted = [data for _, _, data in heard if data["task"] == task_id]
    assert counted == [
        {"task": task_id, "state": "QUEUED"},
        {"task": task_id, "state": "STARTED"},
        {"task": task_id, "state": "STARTED", "progress": 0.5},
        {"task": task_id, "state": "STARTED", "progress": 1.0},
        {"task": task_id, "state": "SUCCESS"},
    ]
    failed = [data["state"] for _, _, data in heard if data["task"] == failing]
    assert failed == ["QUEUED", "STARTED", "FAILURE"]


def test_a_task_without_an_owner_publishes_nothing(app, listener):
    with app.app_context():
        assert wait_for(tasks.submit("test.count", steps=2, pause=0.01)).state == "SUCCESS"
    time.sleep(0.1)
    assert listener.heard() == []


# --- the channels a page's token names -----------------------------------------------


def token_channels(app, response) -> list[str]:
    page = response.get_data(as_text=True)
    src = html.unescape(re.search(r'<body[^>]*data-live-src="([^"]+)"', page).group(1))
    token = parse_qs(urlsplit(src).query)["token"][0]
    return channels_of(app.config["SECRET_KEY"], token, max_age=60)[0]


def chart(*account_ids):
    return ("chart", {"title": "Followers", "accounts": list(account_ids), "range": "30d"})


@pytest.fixture
def two_pages(app):
    """A public page and a private one, each with a chart and a remote hosts block."""
    public_account = gen_account(app, "x", "open", public=True)
    private_account = gen_account(app, "x", "closed")
    secret_account = gen_account(app, "x", "secret")
    hosts = ("remote_hosts", {"title": "Other hosts", "range": "24h"})
    public = gen_page(
        app,
        blocks=[
            TEXT,
            ("host", {"title": "This host", "range": "1h"}),
            hosts,
            chart(public_account, private_account),
        ],
    )
    private = gen_page(
        app, slug="inside", public=False, nav=1, blocks=[hosts, chart(secret_account)]
    )
    public_hosts, private_hosts = _ids(app, public)[2], _ids(app, private)[0]
    return {
        "public": public,
        "private": private,
        "public_hosts": public_hosts,
        "private_hosts": private_hosts,
        "accounts": (public_account, private_account, secret_account),
    }


def test_a_visitors_token_names_the_public_pages_channels_and_no_user(app, client, two_pages):
    pages = two_pages
    public_account = pages["accounts"][0]
    channels = token_channels(app, client.get("/"))
    assert channels == sorted(
        {
            f"page:{pages['public']}",
            "nav",
            "host:local",
            f"hosts:{pages['public_hosts']}",
            f"account:{public_account}",
        }
    )


def test_a_private_pages_channels_never_reach_a_public_pages_token(app, client, auth, two_pages):
    pages = two_pages
    public_account, private_account, secret_account = pages["accounts"]
    auth.login_admin()
    admin_id = user_id(app, "admin")
    on_public = token_channels(app, client.get("/"))
    assert f"user:{admin_id}" in on_public
    assert f"account:{private_account}" in on_public  # an admin reads every account
    for private in (
        f"page:{pages['private']}",
        f"hosts:{pages['private_hosts']}",
        f"account:{secret_account}",
    ):
        assert private not in on_public
    on_private = token_channels(app, client.get("/inside"))
    assert {f"page:{pages['private']}", f"hosts:{pages['private_hosts']}"} <= set(on_private)
    assert f"account:{secret_account}" in on_private


def test_a_users_token_names_their_own_channel_and_only_accounts_they_may_read(
    app, client, auth, two_pages
):
    public_account, private_account, _ = two_pages["accounts"]
    auth.login_user("alice")
    alice = user_id(app, "alice")
    channels = token_channels(app, client.get("/"))
    assert f"user:{alice}" in channels and f"account:{public_account}" in channels
    assert f"account:{private_account}" not in channels
    assert [c for c in channels if c.startswith("user:")] == [f"user:{alice}"]
