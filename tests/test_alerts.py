"""Alerts set on blocks: rules checked at the door, evaluated against stored data,
fired once and cleared once, one message for many hosts, shown and logged."""

import logging
import re
import time
from datetime import timedelta

import pytest
from statboard.alerts import evaluate
from statboard.alerts.models import AlertEvent, AlertRule
from statboard.counters.models import CounterHistory
from statboard.extensions import db
from statboard.hosts.models import HostSample
from statboard.models_base import utcnow
from statboard.pages import history as pages_history
from statboard.pages.models import Block
from statboard.series.models import Sample

from tests.conftest import AuthActions, gen_user
from tests.fixtures.images import make_block
from tests.live_helpers import Listener
from tests.pages_helpers import HX
from tests.series_helpers import gen_account, gen_chart
from tests.test_hosts_remote import LocalServer, add_host, check_all
from tests.test_notify_channels import add_channel, notes_done


@pytest.fixture
def admin(auth):
    auth.login_admin()
    return {**HX, **auth.csrf()}


def announced(caplog, links=False) -> list[str]:
    """The change log's lines, without the link to the block unless asked."""
    lines = [r.getMessage() for r in caplog.records if r.name == "statboard.changes"]
    return lines if links else [re.sub(r" \(http://\S+\)$", "", line) for line in lines]


def add_rule(client, block_id, headers, **form):
    return client.post(f"/blocks/{block_id}/alerts", data=form, headers=headers)


def run(app, now=None) -> list[tuple[str, str]]:
    """One evaluation, as the periodic job runs it (and commits): (event, text) pairs."""
    with app.app_context():
        events = evaluate.evaluate(now)
        db.session.commit()
        return [(e.event, e.text) for e in events]


def history(app, block_id) -> list[tuple[str, float | None]]:
    with app.app_context():
        query = db.select(AlertEvent).where(AlertEvent.block_id == block_id)
        return [(e.event, e.value) for e in db.session.scalars(query.order_by(AlertEvent.id))]


@pytest.mark.parametrize(
    ("kind", "form", "message"),
    [
        ("host", {"metric": "cpu", "level": "150", "span": "5"}, "from 0 % to 100 %"),
        ("host", {"metric": "cpu", "level": "ninety", "span": "5"}, "as a number"),
        ("host", {"metric": "mem", "level": "90", "span": "0"}, "whole number of min"),
        ("host", {"metric": "disk_full", "span": "2.5"}, "whole number of days"),
        ("host", {"metric": "down", "span": "3"}, "Choose what to watch"),
        ("remote_hosts", {"metric": "down", "span": "1000"}, "from 1 to 100"),
        ("counter", {"metric": "rate_above", "level": "-1"}, "from 0"),
        ("chart", {"metric": "followers_above", "level": "10", "account": "99"}, "accounts"),
    ],
)
def test_a_bad_rule_is_refused_saying_what_to_fix(app, client, admin, kind, form, message):
    block_id = make_block(app, kind, {"key": "song/1"} if kind == "counter" else {})
    response = add_rule(client, block_id, admin, **form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and 'role="alert"' in html and "<html" not in html
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(AlertRule)) == 0


def test_only_admins_set_rules_and_only_with_the_csrf_token(app, client, auth):
    block_id = make_block(app, "host", {})
    form = {"metric": "cpu", "level": "90", "span": "5"}
    headers = {**HX, **auth.csrf()}
    assert add_rule(client, block_id, headers, **form).status_code == 401
    auth.login_user()
    assert add_rule(client, block_id, headers, **form).status_code == 403
    assert client.get(f"/blocks/{block_id}/alerts/panel", headers=HX).status_code == 403
    client = app.test_client()  # an admin's browser
    auth = AuthActions(app, client)
    auth.login_admin()
    assert add_rule(client, block_id, HX, **form).status_code == 400  # no CSRF token
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(AlertRule)) == 0
    response = add_rule(client, block_id, {**HX, **auth.csrf()}, **form)
    assert response.status_code == 200
    assert "CPU above 90% for 5 min" in response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]


def test_cpu_above_fires_once_and_clears_once(app, client, admin, caplog):
    caplog.set_level(logging.INFO, logger="statboard.changes")
    block_id = make_block(app, "host", {"title": "Web"})
    assert add_rule(client, block_id, admin, metric="cpu", level="90", span="5").status_code == 200
    now = utcnow()
    with app.app_context():  # busy for the last 6 minutes, a sample every 10 s
        for i in range(37):
            db.session.add(HostSample(at=now - timedelta(seconds=10 * i), cpu=95.0, mem=10.0))
        db.session.commit()
    assert run(app, now) == [("fired", "this host: CPU above 90% for 5 min (now 95%)")]
    assert run(app, now + timedelta(seconds=5)) == []  # still firing: nothing more
    assert announced(caplog, links=True)[0].endswith(f"(http://statboard.test/#block-{block_id})")
    assert announced(caplog) == [
        "Statboard reports alert fired: this host: CPU above 90% for 5 min (now 95%)"
    ]

    line = client.get(f"/blocks/{block_id}/alerts", headers=HX).get_data(as_text=True)
    assert "Alert: CPU above 90% for 5 min since" in line
    page = client.get("/").get_data(as_text=True)
    assert "Alert: CPU above 90% for 5 min since" in page and "alerts-open" in page

    later = now + timedelta(seconds=10)
    with app.app_context():
        db.session.add(HostSample(at=later, cpu=20.0, mem=10.0))
        db.session.commit()
    assert run(app, later) == [("cleared", "this host: back to normal (now 20%)")]
    assert run(app, later + timedelta(seconds=10)) == []
    assert len(announced(caplog)) == 2
    assert history(app, block_id) == [("fired", 95.0), ("cleared", 20.0)]
    line = client.get(f"/blocks/{block_id}/alerts", headers=HX).get_data(as_text=True)
    assert "Alert:" not in line
    panel = client.get(f"/blocks/{block_id}/alerts/panel", headers=HX).get_data(as_text=True)
    assert panel.count("<tr>") == 3 and "fired" in panel and "cleared" in panel


def test_a_short_burst_does_not_fire(app, client, admin):
    block_id = make_block(app, "host", {})
    add_rule(client, block_id, admin, metric="mem", level="80", span="5")
    now = utcnow()
    with app.app_context():  # high for two minutes only, after a calm hour
        for i in range(60):
            busy = i < 12
            at = now - timedelta(seconds=10 * i)
            db.session.add(HostSample(at=at, cpu=1.0, mem=99.0 if busy else 20.0))
        db.session.commit()
    assert run(app, now) == []


@pytest.fixture
def three_hosts():
    servers = [LocalServer() for _ in range(3)]
    for server in servers:
        server.start()
    yield servers
    for server in servers:
        if server.server.socket.fileno() != -1:
            server.stop()


@pytest.fixture
def settings(settings, smtp_server):
    settings.update(MAIL_URL=smtp_server[0])
    return settings


def ada_subjects(inbox, until: str, timeout: float = 20.0) -> list[str]:
    """The subjects of Ada's mails, once one containing `until` has come."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        subjects = [str(m["Subject"]) for rcpt, m in inbox.messages if "ada@" in rcpt[0]]
        if any(until in s for s in subjects):
            return subjects
        time.sleep(0.05)
    raise AssertionError(f"no mail saying {until!r} came: {subjects}")


def test_many_hosts_down_together_is_one_message(
    app, client, admin, three_hosts, smtp_server, caplog
):
    caplog.set_level(logging.INFO, logger="statboard.changes")
    inbox = smtp_server[1]
    gen_user(app, "ada", "ada-pw", admin=True, email="ada@example.test")
    block_id = make_block(app, "remote_hosts", {"title": "Network"})
    with app.app_context():
        for n, server in enumerate(three_hosts, 1):
            add_host(server.url, f"db{n}", None, block_id)
    assert add_rule(client, block_id, admin, metric="down", span="2").status_code == 200
    with app.app_context():
        check_all()
        assert run(app) == []
        for server in three_hosts:
            server.stop()
        check_all()
        assert run(app) == []  # one failed check of two
        check_all()
        fired = run(app)
        assert [event for event, _ in fired] == ["fired"] * 3
        check_all()
        assert run(app) == []
        for server in three_hosts:
            server.start()
        check_all()
        assert [event for event, _ in run(app)] == ["cleared"] * 3
    assert announced(caplog)[-2:] == [
        "Statboard reports alert: 3 hosts are down: db1, db2, db3",
        "Statboard reports alert: 3 hosts are back up: db1, db2, db3",
    ]
    # The block's rule speaks for its hosts: no "host db1 is down" of the checks too.
    assert not [line for line in announced(caplog) if "is down" in line and "3 hosts" not in line]
    subjects = ada_subjects(inbox, until="are back up")
    [down] = [m for r, m in inbox.messages if "ada@" in r[0] and "are down" in str(m["Subject"])]
    assert f"/#block-{block_id}" in down.get_body(("plain",)).get_content()
    assert sum("3 hosts are down: db1, db2, db3" in s for s in subjects) == 1, subjects
    assert not [s for s in subjects if "host db1 is down" in s]


def counter_minutes(app, key: str, total: int) -> None:
    """The counter grew by `total` in each of the last minutes, and so in the last 60
    seconds (one per-second bucket a second ago holds them)."""
    now = utcnow().replace(microsecond=0)
    minute = now.replace(second=0)
    buckets = [("minute", minute - timedelta(minutes=i)) for i in range(3)]
    with app.app_context():
        db.session.execute(
            db.delete(CounterHistory).where(
                CounterHistory.key == key, CounterHistory.resolution == "second"
            )
        )
        for resolution, start in [*buckets, ("second", now - timedelta(seconds=1))]:
            row = db.session.get(CounterHistory, (key, resolution, start))
            if row is None:
                db.session.add(
                    CounterHistory(key=key, resolution=resolution, start=start, total=total)
                )
            else:
                row.total = total
        db.session.commit()


def test_a_counter_rate_above_and_below(app, client, admin):
    block_id = make_block(app, "counter", {"key": "song/1", "title": ""})
    listener = Listener(app)
    assert add_rule(client, block_id, admin, metric="rate_above", level="30").status_code == 200
    assert add_rule(client, block_id, admin, metric="rate_below", level="10").status_code == 200
    counter_minutes(app, "song/1", 50)
    assert run(app) == [("fired", "counter song/1: Rate per minute above 30 (now 50)")]
    with app.app_context():
        page_id = db.session.get(Block, block_id).page_id
    alerted = [(f"page:{page_id}", "alert", {"alerts": block_id})]
    assert [e for e in listener.heard("page:") if e[1] == "alert"] == alerted  # after commit
    assert run(app) == []
    assert [e for e in listener.heard("page:") if e[1] == "alert"] == alerted  # nothing new
    counter_minutes(app, "song/1", 5)
    assert run(app) == [
        ("cleared", "counter song/1: back to normal (now 5)"),
        ("fired", "counter song/1: Rate per minute below 10 (now 5)"),
    ]
    line = client.get(f"/blocks/{block_id}/alerts", headers=HX).get_data(as_text=True)
    assert "Alert: counter song/1: Rate per minute below 10 since" in line


def test_a_follower_count_crossing_a_value(app, client, admin, caplog):
    caplog.set_level(logging.INFO, logger="statboard.changes")
    start = utcnow().replace(microsecond=0) - timedelta(days=2)
    account = gen_account(app, samples=[(start, 900)], public=True)
    block_id = gen_chart(app, [account])
    form = {"metric": "followers_above", "level": "1000", "account": str(account)}
    assert add_rule(client, block_id, admin, **form).status_code == 200
    assert run(app) == []
    with app.app_context():
        db.session.add(Sample(account_id=account, taken_at=start + timedelta(days=1), count=1200))
        db.session.commit()
    assert [e for e, _ in run(app)] == ["fired"]
    assert run(app) == []
    with app.app_context():
        db.session.add(Sample(account_id=account, taken_at=start + timedelta(days=2), count=980))
        db.session.commit()
    assert [e for e, _ in run(app)] == ["cleared"]
    assert history(app, block_id) == [("fired", 1200), ("cleared", 980)]
    panel = client.get(f"/blocks/{block_id}/alerts/panel", headers=HX).get_data(as_text=True)
    assert "Followers at or above 1000 (" in panel and "KevKeeganQuotes" in panel
    assert len([line for line in announced(caplog) if "alert" in line]) == 2


def test_a_removed_rule_is_gone_with_its_history(app, client, admin):
    block_id = make_block(app, "host", {})
    add_rule(client, block_id, admin, metric="disk", level="99.5", span="5")
    with app.app_context():
        rule_id = db.session.scalar(db.select(AlertRule.id))
    response = client.delete(f"/blocks/{block_id}/alerts/{rule_id}", headers=admin)
    assert response.status_code == 200 and "No rules on this block" in response.get_data(
        as_text=True
    )


def test_disk_use_above_fires_after_its_span(app, client, admin):
    """This host's real disks (psutil): any disk in use is above 0.1 %."""
    block_id = make_block(app, "host", {})
    add_rule(client, block_id, admin, metric="disk", level="0.1", span="1")
    now = utcnow()
    assert run(app, now) == []  # above since now: not for a minute yet
    fired = run(app, now + timedelta(seconds=61))
    assert fired and {event for event, _ in fired} == {"fired"}
    assert all(text.startswith("disk /") for _, text in fired)
    assert run(app, now + timedelta(seconds=120)) == []


def test_a_disk_filling_fast_fires(app, client, admin):
    block_id = make_block(app, "host", {})
    add_rule(client, block_id, admin, metric="disk_full", span="7")
    now = utcnow()
    assert run(app, now) == []  # the first reading: no rate yet
    with app.app_context():  # as if each disk had been empty an hour ago
        rule = db.session.scalar(db.select(AlertRule))
        hour_ago = (now - timedelta(hours=1)).isoformat()
        rule.memo = {key: [hour_ago, 0] for key in rule.memo}
        db.session.commit()
    fired = run(app, now + timedelta(seconds=1))
    assert fired and all("Disk full within 7 days (in " in text for _, text in fired)


def test_a_deleted_block_takes_its_rules_and_history(app, client, admin):
    block_id = make_block(app, "counter", {"key": "song/2", "title": ""})
    add_rule(client, block_id, admin, metric="rate_below", level="1")
    counter_minutes(app, "song/2", 0)
    assert [e for e, _ in run(app)] == ["fired"]
    version = client.get(f"/blocks/{block_id}/delete", headers=admin)
    assert version.status_code == 200
    response = client.post(f"/blocks/{block_id}/delete", headers=admin)
    assert response.status_code in (200, 303)
    with app.app_context():  # once the delete can no longer be undone
        assert db.session.scalar(db.select(db.func.count()).select_from(AlertRule)) == 1
        assert pages_history.purge(now=utcnow() + timedelta(minutes=1)) == 1
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count()).select_from(AlertRule)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(AlertEvent)) == 0


def test_a_deleted_block_falls_silent_at_once_and_speaks_again_when_undone(app, client, admin):
    block_id = make_block(app, "counter", {"key": "song/3", "title": ""})
    add_rule(client, block_id, admin, metric="rate_below", level="1")
    counter_minutes(app, "song/3", 0)
    assert client.post(f"/blocks/{block_id}/delete", headers=admin).status_code in (200, 303)
    assert run(app) == []  # deleted, though its undo time is not over: no alert
    assert client.post(f"/blocks/{block_id}/undo", headers=admin).status_code in (200, 303)
    assert [e for e, _ in run(app)] == ["fired"]


def test_counter_alerts_go_to_the_channels_ticked_for_them(
    app, client, admin, webhook_receiver, ntfy_receiver
):
    add_channel(client, admin, webhook_receiver.url("json", "alerts"), kinds=["alerts"])
    add_channel(client, admin, ntfy_receiver.url("ntfy", "hosts"), kinds=["hosts"])
    block_id = make_block(app, "counter", {"key": "song/3", "title": ""})
    add_rule(client, block_id, admin, metric="rate_above", level="5")
    counter_minutes(app, "song/3", 9)
    assert [e for e, _ in run(app)] == ["fired"]
    [note] = webhook_receiver.wait_for(1)
    assert "counter song/3: Rate per minute above 5 (now 9)" in note["title"] + note["message"]
    notes_done(app)
    assert ntfy_receiver.notes == []
