"""Change mails worth reading, against a real SMTP server on loopback (aiosmtpd): what
changed, in a text and an HTML part; batches, edit sessions, digests, each admin's
choice, threading and unsubscribing."""

import contextlib
import dataclasses
import io
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, event
from statboard.auth.models import User
from statboard.extensions import db
from statboard.models_base import utcnow
from statboard.notify import delivery
from statboard.notify.choices import period_end
from statboard.notify.models import DAILY, HOURLY, NONE, ChangeBatch, NotifyChoice
from statboard.pages import registry, services
from statboard.pages.models import Block, Page
from statboard.tasks import Task

from tests.conftest import gen_user
from tests.fixtures.images import make_block, picture
from tests.fixtures.servers import make_admin
from tests.pages_helpers import EVENT, HX, TEXT, block_ids, csrf, gen_page
from tests.series_helpers import gen_account

SESSION = 1.0  # NOTIFY_SESSION_SECONDS in these tests


@pytest.fixture
def settings(settings, smtp_server):
    settings.update(
        MAIL_URL=smtp_server[0], NOTIFY_SESSION_SECONDS=SESSION, TIME_ZONE="Europe/Berlin"
    )
    return settings


@pytest.fixture
def inbox(smtp_server):
    return smtp_server[1]


@pytest.fixture
def admin(app, auth, client):
    """Ada, an admin with an address, logged in; the htmx headers of her session."""
    gen_user(app, "ada", "admin-pw", admin=True, email="ada@example.test", fullname="Ada Admin")
    auth.login("ada", "admin-pw")
    return {**HX, **csrf(client)}


@pytest.fixture
def pages(app):
    gen_page(app, "home", "Home", blocks=[TEXT, EVENT])
    gen_page(app, "news", "News", nav=1, blocks=[("text", {"html": "<p>Old news</p>"})])
    return {"home": block_ids(app, "home"), "news": block_ids(app, "news")}


def tasks_done(app, timeout: float = 15.0) -> None:
    """Wait until every mail task has finished (stored its batch, sent what was due)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            states = db.session.scalars(db.select(Task.state).where(Task.kind == "mail.admins"))
            if all(state in ("SUCCESS", "FAILURE") for state in states.all()):
                return
        time.sleep(0.02)
    raise AssertionError("the mail tasks did not finish")


def quiet(app, after: float = SESSION + 1) -> int:
    """Run the periodic job's sending as if `after` seconds had passed in silence."""
    tasks_done(app)
    with app.app_context():
        return delivery.send_due(now=utcnow() + timedelta(seconds=after))


def mails(inbox, count: int, to: str | None = None) -> list:
    received = inbox.wait_for(count)
    found = [msg for rcpt, msg in received if to is None or to in rcpt]
    assert len(found) == count, [m["Subject"] for _, m in received]
    return found


def parts(msg) -> tuple[str, str]:
    assert msg.get_content_type() == "multipart/alternative"
    text, html = (msg.get_body((kind,)).get_content() for kind in ("plain", "html"))
    return text.replace("\r\n", "\n"), html.replace("\r\n", "\n")


def save_text(client, block_id, html, version, headers, autosave=False):
    extra = {"X-Autosave": "1"} if autosave else {}
    response = client.put(
        f"/blocks/{block_id}", data={"html": html, "version": version}, headers={**headers, **extra}
    )
    assert response.status_code in (200, 204), response.get_data(as_text=True)
    return response


# --- what a mail shows, per kind of change -----------------------------------------


def test_a_text_edit_shows_who_where_when_and_a_word_diff(app, client, admin, pages, inbox):
    text_id = pages["home"][0]
    save_text(client, text_id, "<p>Hello <strong>brave new</strong> world</p>", 1, admin)
    assert quiet(app) == 1
    [msg] = mails(inbox, 1)
    text, html = parts(msg)
    assert msg["Subject"].startswith("[Statboard] Home: Ada Admin (ada) edited text block")
    assert "Ada Admin (ada) edited text block" in text and 'on page "Home"' in text
    assert f"http://statboard.test/#block-{text_id}" in text  # home is the site's root
    assert " CET" in text  # in the site's time zone
    assert "Hello {+brave new+} world" in text
    assert "<ins" in html and "brave new" in html.split("<ins", 1)[1].split("</ins>")[0]
    assert "<script" not in html.lower()


def test_an_event_shows_the_fields_that_changed_old_and_new(app, client, admin, pages, inbox):
    event_id = pages["home"][1]
    data = {**EVENT[1], "title": "Party", "start": "2999-01-02T11:30", "version": "1"}
    response = client.put(f"/blocks/{event_id}", data=data, headers=admin)
    assert response.status_code == 200
    quiet(app)
    [msg] = mails(inbox, 1)
    text, html = parts(msg)
    assert "Title:\n    was: Launch\n    now: Party" in text
    assert "Start:\n    was: Tue 1 Jan 2999, 10:00 (Europe/Berlin)" in text
    assert "now: Wed 2 Jan 2999, 11:30 (Europe/Berlin)" in text
    assert "Place:" not in text  # unchanged fields are left out
    assert ">Launch</del>" in html and ">Party</ins>" in html


def test_an_events_end_and_place_show_and_markup_in_a_change_stays_text(
    app, client, admin, pages, inbox
):
    """What people typed is shown as they typed it, never run or fetched by the mail."""
    script, picture_tag = "<script>alert(1)</script>", '<img src="http://127.0.0.1:9/x.png">'
    data = {**EVENT[1], "title": script, "end": "2999-01-01T12:00", "location": picture_tag}
    response = client.put(
        f"/blocks/{pages['home'][1]}", data={**data, "version": "1"}, headers=admin
    )
    assert response.status_code == 200
    quiet(app)
    [msg] = mails(inbox, 1)
    text, html = parts(msg)
    assert f"Title:\n    was: Launch\n    now: {script}" in text
    assert "End:\n    was: (empty)\n    now: Tue 1 Jan 2999, 12:00 (Europe/Berlin)" in text
    assert f"Place:\n    was: Hall\n    now: {picture_tag}" in text
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=" in html


def upload(client, block_id, data, name, version, headers, route="image"):
    field = "file" if route == "image" else "files"
    form = {"version": str(version), field: (io.BytesIO(data), name), "alt": "A picture"}
    response = client.post(f"/blocks/{block_id}/{route}", data=form, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)


def inline_images(msg) -> list:
    return [part for part in msg.walk() if part.get_content_maintype() == "image"]


def test_a_replaced_image_shows_both_thumbnails_in_the_mail(app, client, admin, pages, inbox):
    image_id = make_block(app, "image", {"file_id": None, "alt": "", "caption": ""})
    upload(client, image_id, picture(color="red"), "red.png", 1, admin)
    quiet(app)
    upload(client, image_id, picture(color="blue"), "blue.png", 2, admin)
    quiet(app)
    first, second = mails(inbox, 2)
    text, html = parts(second)
    assert "replaced the image of image block" in text
    assert "+ added A picture" in text and "- removed A picture" in text
    thumbnails = inline_images(second)
    assert len(thumbnails) == 2  # the old one is carried too: its files are gone by now
    assert all(p.get_content_type() == "image/webp" for p in thumbnails)
    assert all(len(p.get_content()) < 100_000 for p in thumbnails)  # thumbnails, not originals
    for part in thumbnails:
        assert f'src="cid:{part["Content-ID"].strip("<>")}"' in html
    assert len(inline_images(first)) == 1


def test_gallery_images_added_show_as_thumbnails(app, client, admin, pages, inbox):
    gallery = make_block(app, "gallery", {"title": "Trips", "items": []})
    files = [(io.BytesIO(picture(color=c)), f"{c}.png") for c in ("red", "green")]
    response = client.post(
        f"/blocks/{gallery}/items", data={"version": "1", "files": files}, headers=admin
    )
    assert response.status_code == 200
    quiet(app)
    [msg] = mails(inbox, 1)
    text, html = parts(msg)
    assert html.count(">added</ins>") == 2 and "red.png" in html
    assert "added 2 images to gallery block" in text and f"gallery block {gallery} “Trips”" in text
    assert text.count("+ added") == 2 and "red.png" in text and "green.png" in text
    assert len(inline_images(msg)) == 2


def test_a_gallery_image_removed_shows_its_thumbnail(app, client, admin, pages, inbox):
    gallery = make_block(app, "gallery", {"title": "Trips", "items": []})
    files = [(io.BytesIO(picture(color=c)), f"{c}.png") for c in ("red", "green")]
    form = {"version": "1", "files": files}
    assert client.post(f"/blocks/{gallery}/items", data=form, headers=admin).status_code == 200
    quiet(app)
    with app.app_context():
        red, green = db.session.get(Block, gallery).data["items"]
    gone = client.post(
        f"/blocks/{gallery}/items/{red['id']}/delete", data={"version": "2"}, headers=admin
    )
    assert gone.status_code == 200
    quiet(app)
    _, msg = mails(inbox, 2)
    text, html = parts(msg)
    assert "- removed red.png" in text and "green.png" not in text
    assert ">removed</del>" in html and "red.png" in html and "green.png" not in html
    # Carried in the mail: the removed picture's files are gone by the time it is sent.
    [thumbnail] = inline_images(msg)
    assert thumbnail.get_content_type() == "image/webp"
    assert f'src="cid:{thumbnail["Content-ID"].strip("<>")}"' in html


def test_a_chart_shows_the_accounts_added_and_removed(app, client, admin, pages, inbox):
    kept, gone, new = (gen_account(app, "github", h, public=True) for h in ("kept", "gone", "new"))
    chart = make_block(app, "chart", {"title": "Stars", "accounts": [kept, gone], "range": "30d"})
    data = {"title": "Stars", "accounts": [str(kept), str(new)], "range": "30d", "version": "1"}
    assert client.put(f"/blocks/{chart}", data=data, headers=admin).status_code == 200
    quiet(app)
    [msg] = mails(inbox, 1)
    text, html = parts(msg)
    assert "+ added new (GitHub)" in text and "- removed gone (GitHub)" in text
    assert "kept (GitHub)" not in text
    assert "new (GitHub)" in html and "gone (GitHub)" in html


def test_a_page_shows_its_old_and_new_title_and_address(app, client, admin, pages, inbox):
    form = {"title": "Latest", "slug": "latest", "is_public": "y", "in_nav": "y"}
    assert client.post("/pages/news/settings", data=form, headers=admin).status_code == 200
    tasks_done(app)
    [msg] = mails(inbox, 1)  # not an edit session: sent at once
    text, html = parts(msg)
    assert "Title:\n    was: News\n    now: Latest" in text
    assert "Address:\n    was: /news\n    now: /latest" in text
    assert "changed page 'News'\n" in text  # the page itself: no "on page"
    assert ">/latest</ins>" in html


def test_a_block_move_says_from_where_to_where(app, client, admin, pages, inbox):
    text_id, event_id = pages["home"]
    response = client.post(f"/blocks/{text_id}/move", data={"direction": "down"}, headers=admin)
    assert response.status_code == 200
    tasks_done(app)
    text, html = parts(mails(inbox, 1)[0])
    assert "Place:\n    was: place 1 of 2, first\n    now: place 2 of 2, after event block" in text
    assert ">place 1 of 2, first</del>" in html and ">place 2 of 2, after event block" in html


def test_a_deleted_block_says_what_it_held(app, client, admin, pages, inbox):
    text_id = pages["home"][0]
    assert client.post(f"/blocks/{text_id}/delete", headers=admin).status_code in (200, 303)
    # A delete belongs to the admin's edit session of the block: mailed once quiet,
    # when it can no longer be undone.
    quiet(app)
    text, html = parts(mails(inbox, 1)[0])
    assert "deleted text block" in text and "(removed) Hello world" in text
    assert "Hello world</del>" in html


def test_a_delete_undone_in_the_session_mails_only_what_stuck(app, client, admin, pages, inbox):
    text_id, event_id = pages["home"]
    assert client.post(f"/blocks/{event_id}/delete", headers=admin).status_code == 200
    assert client.post(f"/blocks/{event_id}/undo", headers=admin).status_code == 200
    save_text(client, text_id, "<p>Hello there</p>", 1, admin)
    assert client.post(f"/blocks/{text_id}/delete", headers=admin).status_code == 200
    assert client.post(f"/blocks/{text_id}/undo", headers=admin).status_code == 200
    assert quiet(app) == 1  # the event's session changed nothing: no mail for it
    text, _ = parts(mails(inbox, 1)[0])
    assert "edited text block" in text and "deleted" not in text
    assert "event block" not in text


def test_a_kind_that_cannot_describe_itself_never_fails_the_save(
    app, client, admin, pages, inbox, monkeypatch
):
    def broken(data):
        raise RuntimeError("no words today")

    text_kind = registry.find("text")
    monkeypatch.setitem(registry._kinds, "text", dataclasses.replace(text_kind, describe=broken))
    save_text(client, pages["home"][0], "<p>Saved all the same</p>", 1, admin)
    quiet(app)
    text, _ = parts(mails(inbox, 1)[0])
    assert "edited text block" in text and "Text:" not in text


# --- one mail for what belongs together ----------------------------------------------


def test_changes_committed_together_are_one_mail_in_order(app, admin, pages, inbox):
    with app.test_request_context():
        ada = db.session.scalar(db.select(User).where(User.username == "ada"))
        page = db.session.scalar(db.select(Page).where(Page.slug == "home"))
        text, event = page.blocks
        services.move_block(text, 1, ada)
        services.set_span(event, 2, ada)
        services.update_page(page, "Start", "home", True, True, ada)
        db.session.commit()
    tasks_done(app)
    [msg] = mails(inbox, 1)
    assert msg["Subject"] == "[Statboard] Start: 3 changes by Ada Admin (ada)"
    text, html = parts(msg)
    order = [text.index(word) for word in ("moved text", "resized event", "changed page")]
    assert order == sorted(order)
    assert [html.index(w) for w in ("moved text", "resized event", "changed page")] == sorted(
        [html.index(w) for w in ("moved text", "resized event", "changed page")]
    )


def test_an_edit_session_of_ten_autosaves_is_one_mail_with_the_final_state(
    app, client, admin, pages, inbox
):
    text_id = pages["home"][0]
    for version in range(1, 11):
        words = " ".join(f"w{n}" for n in range(version))
        save_text(client, text_id, f"<p>Hello {words}</p>", version, admin, autosave=True)
    tasks_done(app)
    with app.app_context():
        assert delivery.send_due() == 0  # the session is still open
    assert quiet(app) == 1
    [msg] = mails(inbox, 1)
    text, _ = parts(msg)
    assert "10 saves, final state shown" in text
    assert "Hello [-world-]{+w0 w1 w2 w3 w4 w5 w6 w7 w8 w9+}" in text
    time.sleep(0.2)
    assert len(inbox.messages) == 1


def test_an_edit_session_waits_for_its_last_save_and_a_save_writes_one_batch(
    app, client, admin, pages, inbox
):
    """The session is due when its newest save has been quiet for SESSION, though its
    first one's time is over; a save adds its batch and rewrites none of the earlier."""
    text_id = pages["home"][0]
    save_text(client, text_id, "<p>Hello brave</p>", 1, admin, autosave=True)
    with app.app_context():
        [first] = db.session.scalars(db.select(ChangeBatch)).all()
        first_due = first.due_at
    time.sleep(0.3)
    save_text(client, text_id, "<p>Hello brave world</p>", 2, admin, autosave=True)
    with app.app_context():
        rows = db.session.scalars(db.select(ChangeBatch).order_by(ChangeBatch.id)).all()
        assert len(rows) == 2 and rows[0].due_at == first_due < rows[1].due_at
        between = first_due + (rows[1].due_at - first_due) / 2
        assert delivery.send_due(now=between) == 0  # the session goes on
        assert delivery.send_due(now=rows[1].due_at) == 1
    [msg] = mails(inbox, 1)
    assert "2 saves, final state shown" in parts(msg)[0]


def test_an_edit_session_undone_by_esc_sends_nothing(app, client, admin, pages, inbox):
    """Autosaves, then Esc restores the version the editor opened on: nothing changed in
    the end, so there is nothing to show and no mail; the next real edit is mailed."""
    text_id = pages["home"][0]
    first = save_text(client, text_id, "<p>Hello brave</p>", 1, admin, autosave=True)
    save_text(client, text_id, "<p>Hello brave world</p>", 2, admin, autosave=True)
    # The editor keeps the first autosave's X-Restore-Url: the version it opened on.
    back = client.post(first.headers["X-Restore-Url"], data={"version": "3"}, headers=admin)
    assert back.status_code == 200
    with app.app_context():
        assert db.session.get(Block, text_id).data == TEXT[1]  # as it opened
    assert quiet(app) == 0
    save_text(client, text_id, "<p>Hello there</p>", 4, admin)
    assert quiet(app) == 1
    [msg] = mails(inbox, 1)
    text, _ = parts(msg)
    assert "Hello [-world-]{+there+}" in text and "restored version" not in text


def test_a_text_save_is_one_write_transaction_and_still_mailed(app, client, admin, pages, inbox):
    """The save's change batch is committed with the block: no task record, no second
    write; the periodic job mails it once the session is quiet."""
    text_id = pages["home"][0]
    save_text(client, text_id, "<p>Warm-up</p>", 1, admin)  # the runner starts once
    quiet(app)
    mails(inbox, 1)
    commits = []

    def count(conn) -> None:
        commits.append(conn)

    with app.app_context():
        tasks_before = db.session.scalar(db.select(db.func.count(Task.id)))
    event.listen(Engine, "commit", count)
    try:
        save_text(client, text_id, "<p>Hello brave world</p>", 2, admin)
        time.sleep(0.5)  # after-commit work on other threads, if there were any
    finally:
        event.remove(Engine, "commit", count)
    assert len(commits) == 1
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Task.id))) == tasks_before
    assert quiet(app) == 1
    [_, msg] = mails(inbox, 2)
    assert "Hello brave world" in parts(msg)[0]


def test_a_rollback_sends_nothing(app, admin, pages, inbox):
    with app.test_request_context():
        ada = db.session.scalar(db.select(User).where(User.username == "ada"))
        block = db.session.get(Block, pages["home"][0])
        services.change_content(block, {"html": "<p>never</p>"}, 1, ada)
        db.session.rollback()
        page = db.session.scalar(db.select(Page).where(Page.slug == "news"))
        services.update_page(page, "Kept", "news", True, True, ada)
        db.session.commit()
    quiet(app)
    [msg] = mails(inbox, 1)
    assert "Kept" in msg["Subject"] and "never" not in parts(msg)[0]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Task)) == 1


# --- each admin's choice -----------------------------------------------------------


def choose(app, username, **fields):
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == username))
        db.session.add(NotifyChoice(user_id=user.id, **fields))
        db.session.commit()


def test_the_hourly_digest_groups_the_hours_changes_by_page(app, client, admin, pages, inbox):
    gen_user(app, "quiet", "pw-quiet", admin=True, email="quiet@example.test")
    choose(app, "quiet", mode=NONE)
    start = utcnow() - timedelta(hours=1)
    choose(app, "ada", mode=HOURLY, digest_until=start)
    save_text(client, pages["home"][0], "<p>Hello home</p>", 1, admin)
    save_text(client, pages["news"][0], "<p>New news</p>", 1, admin)
    save_text(client, pages["home"][0], "<p>Hello again home</p>", 2, admin, autosave=True)
    assert quiet(app) == 0  # nobody wants every change: no mail now
    with app.app_context():
        assert delivery.send_digests(now=utcnow() + timedelta(hours=1, seconds=SESSION + 2)) == 1
        assert delivery.send_digests(now=utcnow() + timedelta(hours=1, seconds=SESSION + 2)) == 0
    [msg] = mails(inbox, 1)
    assert msg["To"] == "ada@example.test"
    assert msg["Subject"].startswith("[Statboard] Digest: 2 changes on 2 pages")
    text, html = parts(msg)
    home, news = text.index('== Page "Home" =='), text.index('== Page "News" ==')
    assert home < text.index("Hello [-world-]{+again home+}") < news
    assert news < text.index("[-Old-]{+New+} news")
    assert html.index("Page Home") < html.index("Page News")
    assert all("quiet@example.test" not in rcpt for rcpt, _ in inbox.messages)


def test_two_processes_sending_the_digests_at_once_send_each_one_once(
    app, client, admin, pages, inbox
):
    """Two runs of the job side by side (a leader handing over), both having read the
    admin's last digest before either claims the period: the claim is a conditional
    UPDATE, so that the digest goes once."""
    choose(app, "ada", mode=HOURLY, digest_until=utcnow() - timedelta(hours=1))
    save_text(client, pages["home"][0], "<p>Hello home</p>", 1, admin)
    quiet(app)
    later = utcnow() + timedelta(hours=1)
    both_read, sent = threading.Barrier(2), []

    def claiming(conn, cursor, statement, *args) -> None:
        if statement.startswith("UPDATE notify_choices"):
            with contextlib.suppress(threading.BrokenBarrierError):
                both_read.wait(timeout=5)  # each run claims only once both have read

    def run() -> None:
        with app.app_context():
            sent.append(delivery.send_digests(now=later))

    runs = [threading.Thread(target=run) for _ in range(2)]
    event.listen(Engine, "before_cursor_execute", claiming)
    try:
        for thread in runs:
            thread.start()
        for thread in runs:
            thread.join(timeout=30)
    finally:
        event.remove(Engine, "before_cursor_execute", claiming)
    assert both_read.n_waiting == 0 and not both_read.broken  # they did meet
    assert sorted(sent) == [0, 1]
    [msg] = mails(inbox, 1)
    assert msg["Subject"].startswith("[Statboard] Digest: 1 change on 1 page")
    time.sleep(0.3)
    assert len(inbox.messages) == 1


@pytest.mark.parametrize(
    ("mode", "hour", "now", "end"),
    [
        (HOURLY, 8, datetime(2026, 12, 4, 22, 17), datetime(2026, 12, 4, 22, 0)),
        # 07:00 in Berlin (CET, UTC+1) is 06:00 UTC; before it, yesterday's counts
        (DAILY, 7, datetime(2026, 12, 4, 6, 30), datetime(2026, 12, 4, 6, 0)),
        (DAILY, 7, datetime(2026, 12, 4, 5, 59), datetime(2026, 12, 3, 6, 0)),
        (DAILY, 7, datetime(2026, 7, 4, 5, 30), datetime(2026, 7, 4, 5, 0)),  # CEST, UTC+2
    ],
)
def test_a_digest_period_ends_on_the_hour_in_the_sites_time_zone(mode, hour, now, end):
    choice = NotifyChoice(mode=mode, daily_hour=hour)
    assert period_end(choice, now, ZoneInfo("Europe/Berlin")) == end


def test_an_admin_who_chose_none_gets_nothing(app, client, admin, pages, inbox):
    gen_user(app, "root", "pw-root", admin=True, email="root@example.test")
    choose(app, "ada", mode=NONE)
    save_text(client, pages["home"][0], "<p>Quietly</p>", 1, admin)
    quiet(app)
    [msg] = mails(inbox, 1)
    assert msg["To"] == "root@example.test"


def test_an_admin_gets_only_the_pages_they_chose(app, client, admin, pages, inbox):
    news = gen_page(app, "extra", "Extra", nav=2)
    choose(app, "ada", pages=[news])
    save_text(client, pages["home"][0], "<p>Not for her</p>", 1, admin)
    quiet(app)
    time.sleep(0.3)
    assert inbox.messages == []


# --- threads and unsubscribing -----------------------------------------------------------


def test_a_pages_mails_thread_together(app, client, admin, pages, inbox):
    save_text(client, pages["home"][0], "<p>One</p>", 1, admin)
    quiet(app)
    save_text(client, pages["home"][0], "<p>Two</p>", 2, admin)
    quiet(app)
    save_text(client, pages["news"][0], "<p>Three</p>", 1, admin)
    quiet(app)
    one, two, three = mails(inbox, 3)
    assert len({one["Message-ID"], two["Message-ID"], three["Message-ID"]}) == 3
    assert one["References"] == two["References"] == one["In-Reply-To"] == two["In-Reply-To"]
    assert three["References"] != one["References"]
    assert one["Subject"].startswith("[Statboard] Home: ") and two["Subject"].startswith(
        "[Statboard] Home: "
    )


def test_list_unsubscribe_one_click_stops_the_mail(app, client, admin, pages, inbox):
    save_text(client, pages["home"][0], "<p>One</p>", 1, admin)
    quiet(app)
    [msg] = mails(inbox, 1)
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = msg["List-Unsubscribe"].strip("<>")
    assert link.startswith("http://statboard.test/account/notifications/unsubscribe/")
    path = link.removeprefix("http://statboard.test")
    stranger = app.test_client()  # a mail client: no session, no CSRF token
    asked = stranger.get(path)  # a person who follows the link gets a button
    assert asked.status_code == 200 and "Stop change mail" in asked.get_data(as_text=True)
    assert 'href="/account#notifications"' in asked.get_data(as_text=True)  # the settings
    assert stranger.post(path[:-2] + "xx", data="List-Unsubscribe=One-Click").status_code == 404
    answer = stranger.post(path, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200 and "no more change mail" in answer.get_data(as_text=True)
    save_text(client, pages["home"][0], "<p>Two</p>", 2, admin)
    quiet(app)
    time.sleep(0.3)
    assert len(inbox.messages) == 1


def test_the_account_page_saves_the_choice_in_place(app, client, admin, pages):
    page = client.get("/account")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="notifications"' in html and "Every change" in html
    with app.app_context():
        news = db.session.scalar(db.select(Page.id).where(Page.slug == "news"))
    wrong = {"mode": "daily", "daily_hour": "7", "scope": "chosen"}  # and no page ticked
    bad = client.post("/account/notifications", data=wrong, headers=admin)
    assert bad.status_code == 422 and "Tick at least one page" in bad.get_data(as_text=True)
    form = {"mode": "daily", "daily_hour": "7", "scope": "chosen", "pages": [str(news)]}
    saved = client.post("/account/notifications", data=form, headers=admin)
    fragment = saved.get_data(as_text=True)
    assert saved.status_code == 200
    assert fragment.lstrip().startswith('<section class="notifications"')
    assert "<html" not in fragment and "Saved." in fragment
    with app.app_context():
        choice = db.session.get(NotifyChoice, 1)
        assert (choice.mode, choice.daily_hour, choice.pages) == ("daily", 7, [news])


def test_only_admins_choose_change_mail(app, client, auth):
    auth.login_user("bob", "bob-pw-1")
    assert "notifications" not in client.get("/account").get_data(as_text=True)
    response = client.post("/account/notifications", data={"mode": "none"}, headers=csrf(client))
    assert response.status_code == 403


# --- the HTML part in a real browser ---------------------------------------------------

MAIL_URL = "http://mail.test/message"
# What a careful mail client allows: nothing fetched, no script; the parts' pictures.
MAIL_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def as_a_mail_client_shows_it(msg) -> str:
    """The HTML part with each cid: picture taken from its part, as mail clients do."""
    import base64

    html = msg.get_body(("html",)).get_content()
    for part in inline_images(msg):
        cid = part["Content-ID"].strip("<>")
        data = base64.b64encode(part.get_content()).decode()
        html = html.replace(f"cid:{cid}", f"data:{part.get_content_type()};base64,{data}")
    return html


def serve(html: str):
    def fulfill(route, request):
        headers = {"Content-Security-Policy": MAIL_CSP}
        route.fulfill(body=html, content_type="text/html; charset=utf-8", headers=headers)

    return fulfill


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_html_part_in_chromium_fetches_nothing_runs_nothing_and_shows_the_change(
    app, client, admin, pages, inbox, page, scheme, tmp_path
):
    save_text(client, pages["home"][0], "<p>Hello <strong>brave</strong> world</p>", 1, admin)
    image_id = make_block(app, "image", {"file_id": None, "alt": "", "caption": ""})
    quiet(app)
    upload(client, image_id, picture(color="red"), "red.png", 1, admin)
    upload(client, image_id, picture(color="blue"), "blue.png", 2, admin)
    quiet(app)
    with app.test_request_context():  # a batch too: a move and a page's new title
        ada = db.session.scalar(db.select(User).where(User.username == "ada"))
        home = db.session.scalar(db.select(Page).where(Page.slug == "home"))
        services.move_block(home.blocks[0], 1, ada)
        services.update_page(home, "Front", "home", True, True, ada)
        db.session.commit()
    tasks_done(app)
    received = mails(inbox, 3)
    requests, failed = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.emulate_media(color_scheme=scheme)
    for number, msg in enumerate(received):
        page.route(MAIL_URL, serve(as_a_mail_client_shows_it(msg)))
        requests.clear()
        page.goto(MAIL_URL)
        page.wait_for_load_state("load")
        assert page.evaluate("document.scripts.length") == 0
        assert not failed, failed
        assert all(u == MAIL_URL or u.startswith("data:") for u in requests), requests
        broken = page.evaluate(
            "[...document.images].filter(i => !i.complete || i.naturalWidth === 0).length"
        )
        assert broken == 0
        page.screenshot(path=str(tmp_path / f"mail-{number}-{scheme}.png"), full_page=True)
        page.unroute(MAIL_URL)
    page.route(MAIL_URL, serve(as_a_mail_client_shows_it(received[0])))
    page.goto(MAIL_URL)
    added = page.locator("ins").first
    assert added.inner_text().strip() == "brave"
    background = added.evaluate("e => getComputedStyle(e).backgroundColor")
    text_colour = page.locator("body").evaluate("e => getComputedStyle(e).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", text_colour)  # highlighted
    assert page.locator("del").count() == 0  # nothing was removed from that text
    dark = page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    assert dark == (scheme == "dark")
    assert (text_colour == "rgb(18, 21, 27)") == dark  # the site's own dark background
    page.unroute(MAIL_URL)
    page.route(MAIL_URL, serve(as_a_mail_client_shows_it(received[2])))
    page.goto(MAIL_URL)
    removed = page.locator("del").first  # the block's old place, struck through
    assert removed.inner_text().strip() == "place 1 of 3, first"
    assert "line-through" in removed.evaluate("e => getComputedStyle(e).textDecorationLine")


def test_an_admin_chooses_a_digest_on_the_account_page_in_a_browser(live_site, page, tmp_path):
    """In place, with htmx, under the site's Content-Security-Policy (no violation)."""
    make_admin(live_site)
    page.goto(live_site.url + "/login")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", "boss-password")
    page.click("button[type=submit]")
    page.click("a.whoami")  # the name in the header leads to the account page
    page.wait_for_url("**/account")
    panel = page.locator("#notifications")
    assert panel.locator("input[value=every]").is_checked()
    panel.locator("input[value=daily]").check()
    panel.locator("select[name=daily_hour]").select_option("7")
    panel.locator("input[value=chosen]").check()
    panel.get_by_label("Home").check()
    panel.locator("button[type=submit]").click()
    page.locator("#notifications .saved").wait_for()
    assert page.url.endswith("/account")  # swapped in place, no page load
    assert page.locator("#notifications input[value=daily]").is_checked()
    assert page.locator("#notifications select[name=daily_hour]").input_value() == "7"
    page.screenshot(path=str(tmp_path / "account.png"), full_page=True)
    page.reload()
    assert page.locator("#notifications input[value=daily]").is_checked()
    assert page.get_by_label("Home").is_checked()
