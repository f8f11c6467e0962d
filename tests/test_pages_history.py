"""Drafts, undo of a delete and a block's history: the services and the routes.

A new block is a draft that only admins see until its first content change; a delete
can be undone for BLOCK_UNDO_SECONDS, then the block is purged; every content change
is kept as a version (the last BLOCK_HISTORY), and an earlier one can be restored.
"""

import re
from datetime import timedelta

import pytest
from statboard.extensions import db
from statboard.models_base import utcnow
from statboard.notify.facets import merge
from statboard.pages import history
from statboard.pages.models import Block, BlockVersion

from tests.pages_helpers import HX, TEXT, block_ids, csrf, gen_page, get_block

HTML = {"Accept": "text/html"}
VERSION = re.compile(r'name="version" value="(\d+)"')
RESTORE = re.compile(r"/blocks/(\d+)/history/(\d+)/restore")


@pytest.fixture
def home(app):
    gen_page(app, "home", "Home", blocks=[TEXT, ("text", {"html": "<p>second</p>"})])
    return block_ids(app)


@pytest.fixture
def admin(client, auth):
    auth.login_admin()
    return {**HX, **csrf(client)}


def add(client, headers, kind="text", position=0) -> int:
    response = client.post(
        "/pages/home/blocks", data={"kind": kind, "position": str(position)}, headers=headers
    )
    assert response.status_code == 200
    return int(re.search(r'<form id="block-(\d+)"', response.get_data(as_text=True)).group(1))


def save(client, block_id, html, headers, autosave=False):
    version = get_block(client.application, block_id).version
    extra = {"X-Autosave": "1"} if autosave else {}
    return client.put(
        f"/blocks/{block_id}", data={"html": html, "version": version}, headers={**headers, **extra}
    )


def entries(app, block_id) -> list[tuple[int, int, str]]:
    with app.app_context():
        rows = db.session.scalars(
            db.select(BlockVersion)
            .where(BlockVersion.block_id == block_id)
            .order_by(BlockVersion.version)
        )
        return [(row.id, row.version, row.data.get("html", "")) for row in rows]


# --- drafts -----------------------------------------------------------------------


def test_a_new_block_is_a_draft_that_visitors_do_not_see(app, client, admin, home):
    new = add(client, admin, position=1)
    assert get_block(app, new).draft
    html = client.get("/", headers=HTML).get_data(as_text=True)
    assert f'id="block-{new}"' in html and "Draft" in html  # the admin sees it, marked

    visitor = app.test_client()
    page = visitor.get("/", headers=HTML).get_data(as_text=True)
    assert f'id="block-{new}"' not in page and "New text. Click to edit." not in page
    assert visitor.get(f"/blocks/{new}", headers=HX).status_code == 404
    app.config["EMBED_ORIGINS"] = ["https://example.org"]
    assert visitor.get(f"/embed/blocks/{new}").status_code == 404

    # Its first content change publishes it.
    assert save(client, new, "<p>Ready</p>", admin).status_code == 200
    assert not get_block(app, new).draft
    assert "Ready" in visitor.get("/", headers=HTML).get_data(as_text=True)
    assert visitor.get(f"/embed/blocks/{new}").status_code == 200


def test_a_new_event_starts_tomorrow_at_ten_in_the_site_zone(app, client, admin, home):
    app.config["TIME_ZONE"] = "Europe/Berlin"
    new = add(client, admin, kind="event")
    data = get_block(app, new).data
    assert data["tz"] == "Europe/Berlin" and data["start"].endswith("T10:00")
    html = client.get("/", headers=HTML).get_data(as_text=True)
    section = html[html.index(f'id="block-{new}"') :][:3000]
    assert "past" not in section.lower()


# --- undo of a delete ----------------------------------------------------------------


def test_undo_brings_a_deleted_block_back_in_its_place(app, client, admin, home):
    response = client.post(f"/blocks/{home[0]}/delete", headers=admin)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'id="undo-{home[0]}"' in html and "Deleted" in html
    assert block_ids(app) == [home[1]]
    assert "Hello" not in app.test_client().get("/", headers=HTML).get_data(as_text=True)
    assert client.get(f"/blocks/{home[0]}", headers=HX).status_code == 404

    response = client.post(f"/blocks/{home[0]}/undo", headers=admin)
    assert response.status_code == 200
    assert block_ids(app) == home
    assert get_block(app, home[0]).data == TEXT[1]
    assert f'id="undo-{home[0]}"' not in response.get_data(as_text=True)


def test_undo_without_javascript_posts_a_form(app, client, auth, home):
    auth.login_admin()
    token = csrf(client)["X-CSRFToken"]
    response = client.post(f"/blocks/{home[1]}/delete", data={"csrf_token": token})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'action="/blocks/{home[1]}/undo"' in page
    response = client.post(f"/blocks/{home[1]}/undo", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"#block-{home[1]}")
    assert block_ids(app) == home


def test_a_late_undo_says_it_is_too_late_and_the_block_is_purged(app, client, admin, home):
    assert client.post(f"/blocks/{home[0]}/delete", headers=admin).status_code == 200
    with app.app_context():
        block = db.session.get(Block, home[0])
        block.deleted_at = utcnow() - timedelta(seconds=31)
        db.session.commit()
    response = client.post(f"/blocks/{home[0]}/undo", headers=admin)
    assert response.status_code == 410 and "Too late to undo" in response.get_data(as_text=True)
    assert "undo-" not in client.get("/", headers=HTML).get_data(as_text=True)

    with app.app_context():
        assert history.purge() == 1
        db.session.commit()
    response = client.post(f"/blocks/{home[0]}/undo", headers=admin)
    assert response.status_code == 404 and "Too late to undo" in response.get_data(as_text=True)
    assert entries(app, home[0]) == []


def test_undo_of_a_block_not_deleted_is_refused(client, admin, home):
    response = client.post(f"/blocks/{home[0]}/undo", headers=admin)
    assert response.status_code == 409 and "nothing to undo" in response.get_data(as_text=True)


def test_a_delete_undone_in_the_session_is_no_deletion_in_the_mail():
    deleted = {"action": "deleted", "at": "1", "facets": [_facet("Hello", "")]}
    restored = {"action": "restored", "at": "2", "facets": [_facet("", "Hello")]}
    edited = {"action": "edited", "at": "0", "facets": [_facet("Hi", "Hello")]}
    assert merge([deleted, restored])["void"]
    both = merge([edited, deleted, restored])
    assert both["action"] == "edited" and not both.get("void")
    assert both["facets"] == [_facet("Hi", "Hello")]
    assert merge([restored, deleted])["action"] == "edited"  # still deleted: claimed
    assert merge([deleted])["action"] == "deleted"


def _facet(before, after):
    return {"type": "text", "name": "Text", "before": before, "after": after}


# --- history --------------------------------------------------------------------------


def test_every_save_is_kept_and_an_earlier_one_restored(app, client, admin, home):
    for html in ("<p>one</p>", "<p>two</p>", "<p>three</p>"):
        assert save(client, home[0], html, admin).status_code == 200
    kept = entries(app, home[0])
    assert [(v, h) for _, v, h in kept] == [
        (1, TEXT[1]["html"]),
        (2, "<p>one</p>"),
        (3, "<p>two</p>"),
        (4, "<p>three</p>"),
    ]
    panel = client.get(f"/blocks/{home[0]}/history", headers=HX).get_data(as_text=True)
    assert "Version 3" in panel and "admin" in panel and "two" in panel

    one = kept[1][0]
    response = client.post(
        f"/blocks/{home[0]}/history/{one}/restore", data={"version": "4"}, headers=admin
    )
    assert response.status_code == 200 and "one" in response.get_data(as_text=True)
    block = get_block(app, home[0])
    assert block.version == 5 and block.data["html"] == "<p>one</p>"
    assert entries(app, home[0])[-1][1:] == (5, "<p>one</p>")


def test_history_is_bounded(app, client, admin, home):
    app.config["BLOCK_HISTORY"] = 3
    for n in range(5):
        save(client, home[0], f"<p>{n}</p>", admin)
    assert [v for _, v, _ in entries(app, home[0])] == [4, 5, 6]


def test_an_autosave_says_where_the_opening_version_is_kept(app, client, admin, home):
    response = save(client, home[0], "<p>typing</p>", admin, autosave=True)
    assert response.status_code == 204
    block_id, entry = map(int, RESTORE.search(response.headers["X-Restore-Url"]).groups())
    assert block_id == home[0] and entries(app, home[0])[0][0] == entry
    # Esc: the editor restores it, a new version.
    response = client.post(response.headers["X-Restore-Url"], data={"version": "2"}, headers=admin)
    assert response.status_code == 200
    block = get_block(app, home[0])
    assert block.data == TEXT[1] and block.version == 3


def test_esc_after_the_first_autosave_of_a_new_block_leaves_a_draft(app, client, admin, home):
    new = add(client, admin)
    response = save(client, new, "<p>half a thought</p>", admin, autosave=True)
    assert not get_block(app, new).draft
    assert "half a thought" in app.test_client().get("/", headers=HTML).get_data(as_text=True)
    back = client.post(response.headers["X-Restore-Url"], data={"version": "2"}, headers=admin)
    assert back.status_code == 200
    block = get_block(app, new)
    assert block.draft and block.version == 3
    page = app.test_client().get("/", headers=HTML).get_data(as_text=True)
    assert f'id="block-{new}"' not in page and "half a thought" not in page


def test_restores_that_cannot_be_are_refused_clearly(app, client, admin, home):
    save(client, home[0], "<p>one</p>", admin)
    save(client, home[1], "<p>other</p>", admin)
    theirs = entries(app, home[1])[0][0]
    mine = entries(app, home[0])[0][0]
    url = f"/blocks/{home[0]}/history/{{}}/restore"
    response = client.post(url.format(theirs), data={"version": "2"}, headers=admin)
    assert response.status_code == 404 and "no such earlier version" in response.get_data(
        as_text=True
    )
    assert client.post(url.format(999999), data={"version": "2"}, headers=admin).status_code == 404
    response = client.post(url.format(mine), data={"version": "1"}, headers=admin)  # stale
    assert response.status_code == 409
    response = client.post(url.format(mine), data={}, headers=admin)
    assert response.status_code == 400 and "reload the page" in response.get_data(as_text=True)
    assert client.get("/blocks/999999/history", headers=HX).status_code == 404
    assert get_block(app, home[0]).data["html"] == "<p>one</p>"


def test_only_admins_undo_and_restore(app, client, auth, home):
    auth.login_admin()
    admin = {**HX, **csrf(client)}
    save(client, home[0], "<p>one</p>", admin)
    client.post(f"/blocks/{home[1]}/delete", headers=admin)
    entry = entries(app, home[0])[0][0]
    client.post("/logout", data={"csrf_token": admin["X-CSRFToken"]})
    auth.login_user()
    user = {**HX, **csrf(client)}
    assert client.post(f"/blocks/{home[1]}/undo", headers=user).status_code == 403
    restore = f"/blocks/{home[0]}/history/{entry}/restore"
    assert client.post(restore, data={"version": "2"}, headers=user).status_code == 403
    assert client.get(f"/blocks/{home[0]}/history", headers=user).status_code == 403
    assert block_ids(app) == [home[0]] and get_block(app, home[0]).version == 2


def test_undo_and_restore_need_the_csrf_token(app, client, admin, home):
    save(client, home[0], "<p>one</p>", admin)
    client.post(f"/blocks/{home[1]}/delete", headers=admin)
    entry = entries(app, home[0])[0][0]
    assert client.post(f"/blocks/{home[1]}/undo", headers=HX).status_code == 400
    restore = f"/blocks/{home[0]}/history/{entry}/restore"
    assert client.post(restore, data={"version": "2"}, headers=HX).status_code == 400
    assert block_ids(app) == [home[0]] and get_block(app, home[0]).version == 2
