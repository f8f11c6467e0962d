"""Notifications beyond email, through Apprise, against real receivers on loopback: a
generic webhook (json://) and an ntfy-compatible server (ntfy://), beside a real SMTP
server (aiosmtpd). After the commit only, retried, each channel on its own; each
admin's kinds and choice; secrets masked on the account page."""

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import text
from statboard import create_app
from statboard.auth import sealed as sealing
from statboard.extensions import db
from statboard.hosts import remote
from statboard.models_base import utcnow
from statboard.notify import delivery
from statboard.notify.models import HOURLY, NONE, NotifyChannel, NotifyChoice
from statboard.tasks import Task

from tests import test_notify_mail as mail_tests
from tests.conftest import gen_user, make_settings
from tests.fixtures.servers import free_port
from tests.pages_helpers import HX, csrf
from tests.test_notify_mail import mails, quiet, save_text

admin, inbox, pages = mail_tests.admin, mail_tests.inbox, mail_tests.pages  # their fixtures

BACKOFF = 0.4  # TASK_RETRY_BACKOFF: a refused note is tried again after 0.4 s, then 0.8 s


@pytest.fixture
def settings(request, settings, smtp_server, webhook_receiver):
    """Marked `site_channel`: the webhook is the site's own channel (NOTIFY_CHANNELS);
    `mail_down`: the SMTP server is a closed port."""
    settings.update(
        MAIL_URL=smtp_server[0],
        NOTIFY_SESSION_SECONDS=1.0,
        TASK_RETRY_BACKOFF=BACKOFF,
        TIME_ZONE="Europe/Berlin",
    )
    if request.node.get_closest_marker("site_channel"):
        settings["NOTIFY_CHANNELS"] = [webhook_receiver.url("json", "hook")]
    if request.node.get_closest_marker("mail_down"):
        settings["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"
    return settings


def notes_done(app, timeout: float = 20.0) -> list[Task]:
    """Wait until every mail task and channel note has finished; the channel tasks."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            found = db.session.scalars(
                db.select(Task).where(Task.kind.in_(["mail.admins", "notify.channel"]))
            ).all()
            if all(t.state in ("SUCCESS", "FAILURE") for t in found):
                return [t for t in found if t.kind == "notify.channel"]
        time.sleep(0.02)
    raise AssertionError("the notification tasks did not finish")


def add_channel(client, headers, url, kinds=("changes", "hosts")):
    response = client.post(
        "/account/channels", data={"url": url, "kinds": list(kinds)}, headers=headers
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def rename_page(client, headers, title="Front"):
    """A change that is sent at once (not an edit session)."""
    form = {"title": title, "slug": "home", "is_public": "y", "in_nav": "y"}  # home keeps it
    assert client.post("/pages/home/settings", data=form, headers=headers).status_code == 200


def host_goes_down(app, name="db1"):
    """A remote host that refuses connections: checked once, it is reported down."""
    with app.app_context():
        remote.add_host(f"http://127.0.0.1:{free_port()}/v1/uptime/", name=name)
        db.session.commit()
        remote.check_all()
        db.session.commit()


# --- an edit reaches every channel, after the commit only ------------------------------


@pytest.mark.site_channel
def test_an_edit_reaches_both_channels_and_the_mail_after_commit(
    app, client, admin, pages, webhook_receiver, ntfy_receiver, inbox
):
    headers = admin
    add_channel(client, headers, ntfy_receiver.url("ntfy", "statboard"))
    text_id = pages["home"][0]
    save_text(client, text_id, "<p>Hello <strong>brave new</strong> world</p>", 1, headers)
    assert webhook_receiver.notes == [] and ntfy_receiver.notes == []  # an edit session
    assert quiet(app) == 1
    notes_done(app)
    [hook] = webhook_receiver.wait_for(1)
    [ntfy] = ntfy_receiver.wait_for(1)
    assert hook["path"] == "/hook" and ntfy["topic"] == "statboard"
    for note in (hook, ntfy):
        assert note["title"].startswith("[Statboard] Home: Ada Admin (ada) edited text block")
        assert "Hello {+brave new+} world" in note["message"]
        assert f"http://statboard.test/#block-{text_id}" in note["message"]
        assert "<" not in note["message"].replace("<http", "")  # plain text, no HTML
    assert "choose what you get, and where" in ntfy["message"].lower()
    [msg] = mails(inbox, 1)
    assert "brave new" in msg.get_body(("plain",)).get_content()


@pytest.mark.site_channel
def test_a_rollback_sends_nothing_a_commit_does(app, admin, webhook_receiver):
    with app.app_context():
        remote.add_host("http://127.0.0.1:9/v1/uptime/", name="never")
        db.session.rollback()
        delivery.send_due(now=utcnow() + timedelta(seconds=60))
    assert notes_done(app) == []
    time.sleep(0.3)
    assert webhook_receiver.notes == []
    with app.app_context():
        remote.add_host("http://127.0.0.1:9/v1/uptime/", name="kept")
        db.session.commit()
    notes_done(app)
    [note] = webhook_receiver.wait_for(1)
    assert "added host kept" in note["message"] and "never" not in note["message"]


# --- a failing channel holds nothing back -------------------------------------------


def test_a_refusing_channel_is_retried_and_holds_back_neither_the_other_nor_the_mail(
    app, client, admin, pages, webhook_receiver, ntfy_receiver, inbox
):
    headers = admin
    add_channel(client, headers, webhook_receiver.url("json", "hook"))
    add_channel(client, headers, ntfy_receiver.url("ntfy", "alerts"))
    webhook_receiver.fail(2, status=500)
    rename_page(client, headers)
    [ntfy] = ntfy_receiver.wait_for(1)
    assert mails(inbox, 1)
    assert "Title:\n    was: Home\n    now: Front" in ntfy["message"]
    assert webhook_receiver.notes == []  # refused once, waiting for its retry
    [hook] = webhook_receiver.wait_for(1)
    assert hook["message"] == ntfy["message"] and webhook_receiver.refused == 2
    channel_tasks = notes_done(app)
    assert sorted(t.attempts for t in channel_tasks) == [1, 3]
    assert all(t.state == "SUCCESS" for t in channel_tasks)


@pytest.mark.mail_down
def test_the_channels_do_not_wait_for_a_mail_server_that_is_down(
    app, client, admin, pages, webhook_receiver
):
    headers = admin
    add_channel(client, headers, webhook_receiver.url("form", "hook"))
    rename_page(client, headers)
    [note] = webhook_receiver.wait_for(1)
    assert "Title:" in note["message"] and "Front" in note["message"]


# --- each admin's routing ---------------------------------------------------------


def test_each_admin_sends_each_kind_where_they_chose(
    app, client, admin, webhook_receiver, ntfy_receiver
):
    headers = admin
    add_channel(client, headers, webhook_receiver.url("json", "ada-changes"), kinds=["changes"])
    add_channel(client, headers, ntfy_receiver.url("ntfy", "ada-hosts"), kinds=["hosts"])
    host_goes_down(app)
    notes_done(app)
    changes, hosts = webhook_receiver.wait_for(1), ntfy_receiver.wait_for(1)
    time.sleep(0.3)
    assert [n["path"] for n in webhook_receiver.notes] == ["/ada-changes"]
    assert "added host db1" in changes[0]["message"] and "is down" not in changes[0]["message"]
    assert [n["topic"] for n in ntfy_receiver.notes] == ["ada-hosts"]
    assert "host db1 is down" in hosts[0]["title"] + hosts[0]["message"]
    assert "added host" not in hosts[0]["message"]


def test_the_choice_of_how_often_counts_for_channels_too(
    app, client, auth, admin, webhook_receiver, ntfy_receiver
):
    headers = admin
    add_channel(client, headers, webhook_receiver.url("json", "ada"))
    gen_user(app, "cora", "cora-pw", admin=True, email="")  # channels only, no address
    gen_user(app, "bob", "bob-pw", admin=True, email="bob@example.test")
    for name, mode, url in (("cora", HOURLY, "cora"), ("bob", NONE, "bob")):
        client.post("/logout", headers=headers)
        auth.login(name, f"{name}-pw")
        mine = {**HX, **csrf(client)}
        add_channel(client, mine, ntfy_receiver.url("ntfy", url))
        form = {"mode": mode, "daily_hour": "8", "scope": "all"}
        assert client.post("/account/notifications", data=form, headers=mine).status_code == 200
    host_goes_down(app)
    notes_done(app)
    assert len(webhook_receiver.wait_for(2)) == 2  # ada: every change
    assert ntfy_receiver.notes == []  # cora waits for her digest, bob wants none
    with app.app_context():
        assert delivery.send_digests(now=utcnow() + timedelta(hours=2)) == 0  # no mail
    notes_done(app)
    [digest] = ntfy_receiver.wait_for(1)
    assert digest["topic"] == "cora" and digest["title"] == "[Statboard] Digest: 2 changes"
    assert "host db1 is down" in digest["message"] and "added host db1" in digest["message"]
    with app.app_context():
        assert db.session.get(NotifyChoice, 3).mode == NONE


# --- the account page -------------------------------------------------------------


def test_a_channel_is_shown_masked_and_edited_in_place(app, client, admin, pages, webhook_receiver):
    headers = admin
    secret_url = webhook_receiver.url("json", "hook").replace("json://", "json://me:s3cr3t-pw@")
    secret_url += "?+X-Token=header-secret&method=PUT"
    fragment = add_channel(client, headers, secret_url)
    assert fragment.lstrip().startswith('<section class="notifications channels" id="channels"')
    page = client.get("/account").get_data(as_text=True)
    for html in (fragment, page):
        assert "s3cr3t-pw" not in html and "header-secret" not in html
        assert f"127.0.0.1:{webhook_receiver.port}/hook" in html and "me:****@" in html
        assert "method=PUT&amp;+X-Token=****" in html
    [channel_id] = [int(x) for x in _ids(page)]
    answer = client.post(
        f"/account/channels/{channel_id}", data={f"c{channel_id}-kinds": "hosts"}, headers=headers
    )
    assert answer.status_code == 200
    answer = client.post(f"/account/channels/{channel_id}", data={}, headers=headers)
    assert answer.status_code == 422 and "Tick at least one kind" in answer.get_data(as_text=True)
    rename_page(client, headers)  # a change: this channel now wants host alerts only
    notes_done(app)
    assert webhook_receiver.notes == []
    answer = client.post(f"/account/channels/{channel_id}/delete", headers=headers)
    assert answer.status_code == 200 and "No channels of yours yet" in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("", "Give the Apprise URL"),
        ("nosuch://x/y", "is not an Apprise URL"),
        ("json://a b", "without spaces"),
    ],
)
def test_a_wrong_channel_is_refused_with_what_to_fix(client, admin, url, says):
    data = {"url": url, "kinds": "changes"}
    answer = client.post("/account/channels", data=data, headers=admin)
    assert answer.status_code == 422 and says in answer.get_data(as_text=True)


def test_only_admins_have_channels_and_only_their_own(app, client, auth, admin, webhook_receiver):
    headers = admin
    add_channel(client, headers, webhook_receiver.url("json", "hook"))
    [channel_id] = [int(x) for x in _ids(client.get("/account").get_data(as_text=True))]
    gen_user(app, "bea", "bea-pw", admin=True)
    gen_user(app, "carl", "carl-pw")
    client.post("/logout", headers=headers)
    auth.login("bea", "bea-pw")
    bea = {**HX, **csrf(client)}
    assert client.post(f"/account/channels/{channel_id}/delete", headers=bea).status_code == 404
    client.post("/logout", headers=bea)
    auth.login("carl", "carl-pw")
    carl = {**HX, **csrf(client)}
    data = {"url": webhook_receiver.url("json", "x"), "kinds": "changes"}
    assert client.post("/account/channels", data=data, headers=carl).status_code == 403


def _ids(html: str) -> list[str]:
    return re.findall(r'id="channel-(\d+)"', html)


# --- channel URLs are kept sealed -------------------------------------------------------


def stored_urls(app) -> list[str]:
    """The channels' URLs as the database holds them."""
    with app.app_context():
        return list(db.session.scalars(text("SELECT url FROM notify_channels ORDER BY id")))


def test_a_channel_url_is_kept_sealed_and_still_delivers(
    app, client, admin, pages, webhook_receiver
):
    secret_url = webhook_receiver.url("json", "hook").replace("json://", "json://me:s3cr3t-pw@")
    add_channel(client, admin, secret_url, kinds=("changes",))
    [stored] = stored_urls(app)
    assert stored.startswith("sealed:v1:") and "s3cr3t-pw" not in stored and "hook" not in stored
    rename_page(client, admin)
    notes_done(app)
    [note] = webhook_receiver.wait_for(1)
    assert note["path"] == "/hook" and "Front" in note["title"]


def test_a_channel_sealed_under_another_secret_key_says_so_and_sends_nothing(
    app, client, admin, pages, webhook_receiver
):
    add_channel(client, admin, webhook_receiver.url("json", "hook"), kinds=("changes",))
    with app.app_context():  # as if the site's SECRET_KEY had changed since
        sealed = sealing.seal(webhook_receiver.url("json", "hook"), "an earlier secret key")
        db.session.execute(text("UPDATE notify_channels SET url = :url"), {"url": sealed})
        db.session.commit()
    page = client.get("/account")
    assert page.status_code == 200
    assert "remove it and add it again" in page.get_data(as_text=True)
    rename_page(client, admin)
    [note] = notes_done(app)
    assert note.state == "SUCCESS" and note.result == {"sent": False}
    time.sleep(0.3)
    assert webhook_receiver.notes == []


def test_upgrading_seals_the_channel_urls_kept_plain_and_downgrading_unseals_them(tmp_path):
    app = create_app(make_settings(tmp_path))
    cli = app.test_cli_runner()
    assert cli.invoke(args=["db", "upgrade", "0013"]).exit_code == 0
    user = gen_user(app, "ada", "ada-pw", admin=True)
    plain = "json://me:s3cr3t-pw@127.0.0.1:9/hook"
    with app.app_context():
        db.session.execute(
            text("INSERT INTO notify_channels (user_id, url, kinds, created_at)"
                 " VALUES (:user, :url, '[\"changes\"]', CURRENT_TIMESTAMP)"),
            {"user": user.id, "url": plain},
        )  # fmt: skip
        db.session.commit()
    result = cli.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    [stored] = stored_urls(app)
    assert stored.startswith("sealed:v1:") and "s3cr3t" not in stored
    with app.app_context():
        assert db.session.scalars(db.select(NotifyChannel)).one().url == plain
    result = cli.invoke(args=["db", "downgrade", "0013"])
    assert result.exit_code == 0, result.output
    assert stored_urls(app) == [plain]
    with app.app_context():
        db.engine.dispose()
