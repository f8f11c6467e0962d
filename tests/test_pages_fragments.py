"""Blocks rendered once per version: a page view joins kept fragments of the kinds that
show nothing live, for visitors and users; an edit shows at the next view; a private
page's fragment never reaches a visitor; the cache keeps at most FRAGMENT_CACHE_SIZE."""

import re

import pytest
from statboard.extensions import db
from statboard.pages import registry
from statboard.pages.models import Block, Page

from tests.conftest import BROWSER_ACCEPT
from tests.pages_helpers import EVENT, HX, block_ids, csrf, gen_page

CSRF_VALUE = re.compile(r'("X-CSRFToken": "|name="csrf_token" type="hidden" value=")[^"]+"')


def kept(app) -> list[tuple]:
    """The keys of the fragments the app keeps, oldest first."""
    return list(app.extensions["pages.fragments"]._items)


def visitor(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT"] = BROWSER_ACCEPT
    return client


def text(words: str) -> tuple:
    return ("text", {"html": f"<p>{words}</p>"})


def save_text(client, block_id: int, words: str, version: int):
    response = client.put(
        f"/blocks/{block_id}",
        data={"html": f"<p>{words}</p>", "version": str(version)},
        headers={**HX, **csrf(client)},
    )
    assert response.status_code == 200, response.get_data(as_text=True)


def test_a_visitors_view_keeps_the_content_blocks_and_shows_them_again(app, client):
    gen_page(app, "home", blocks=[text("Kept words"), EVENT, ("counter", {"key": "song/1"})])
    text_id, event_id, counter_id = block_ids(app)
    first = client.get("/").get_data(as_text=True)
    assert {key[0] for key in kept(app)} == {text_id, event_id}  # never the live counter
    assert all(key[5] == "visitor" for key in kept(app))
    again = client.get("/").get_data(as_text=True)
    assert "Kept words" in again and "Launch" in again and f"block-{counter_id}" in again
    assert CSRF_VALUE.sub("", again) == CSRF_VALUE.sub("", first)


def test_an_edit_shows_at_once_on_the_next_view(app, client, auth):
    gen_page(app, "home", blocks=[text("Before the edit")])
    (block_id,) = block_ids(app)
    outsider = visitor(app)
    assert "Before the edit" in outsider.get("/").get_data(as_text=True)
    auth.login_admin()
    save_text(client, block_id, "After the edit", version=1)
    html = outsider.get("/").get_data(as_text=True)
    assert "After the edit" in html and "Before the edit" not in html
    assert {key[1] for key in kept(app)} == {1, 2}  # the new version, a new key


def test_a_resize_renders_the_image_sizes_again(app, client, auth):
    with app.app_context():
        data = registry.find("image").demo()
        db.session.commit()
    gen_page(app, "home", blocks=[("image", data)])
    (block_id,) = block_ids(app)
    outsider = visitor(app)
    narrow = outsider.get("/").get_data(as_text=True)
    auth.login_admin()
    response = client.post(f"/blocks/{block_id}/span", data={"span": "4"}, headers=csrf(client))
    assert response.status_code in (200, 303)
    wide = outsider.get("/").get_data(as_text=True)
    assert 'sizes="(max-width: 599px) 100vw' in wide
    assert wide.count("100vw") > narrow.count("100vw")  # four columns: more of the screen


def test_a_private_pages_fragment_never_reaches_a_visitor(app, client, auth):
    gen_page(app, "home", blocks=[text("Public words")])
    gen_page(app, "secret", public=False, nav=1, blocks=[text("Secret words")])
    secret_id = block_ids(app, "secret")[0]
    auth.login_user()
    assert "Secret words" in client.get("/secret").get_data(as_text=True)
    assert [key[5] for key in kept(app) if key[0] == secret_id] == ["user"]
    outsider = visitor(app)
    for url in ("/secret", f"/blocks/{secret_id}", "/"):
        assert "Secret words" not in outsider.get(url).get_data(as_text=True)
    assert "Secret words" not in outsider.get("/secret", follow_redirects=True).get_data(
        as_text=True
    )
    # Made public, its visitors get a fragment of their own, rendered for a public page.
    with app.app_context():
        page = db.session.scalar(db.select(Page).where(Page.slug == "secret"))
        page.is_public = True
        db.session.commit()
    assert "Secret words" in outsider.get("/secret").get_data(as_text=True)
    keys = [key for key in kept(app) if key[0] == secret_id]
    assert {(key[4], key[5]) for key in keys} == {(False, "user"), (True, "visitor")}


def test_admins_fragments_are_never_kept(app, client, auth):
    gen_page(app, "home", blocks=[text("Words"), EVENT])
    auth.login_admin()
    html = client.get("/").get_data(as_text=True)
    assert "Words" in html and 'class="block-tools"' in html
    assert kept(app) == []


@pytest.fixture
def settings(tmp_path):
    from tests.conftest import make_settings

    return make_settings(tmp_path, FRAGMENT_CACHE_SIZE=3)


def test_the_cache_keeps_at_most_its_size(app, client):
    gen_page(app, "home", blocks=[text(f"Words number {n}") for n in range(8)])
    for _ in range(2):
        html = client.get("/").get_data(as_text=True)
        assert all(f"Words number {n}" in html for n in range(8))
        assert len(kept(app)) == 3
    # The most recently shown stay: the last three blocks of the page.
    assert [key[0] for key in kept(app)] == block_ids(app)[-3:]


def test_a_draft_is_shown_to_nobody_but_admins(app, client):
    gen_page(app, "home", blocks=[text("Published")])
    with app.app_context():
        page = db.session.scalar(db.select(Page).where(Page.slug == "home"))
        page.blocks.append(
            Block(kind="text", position=1, data={"html": "<p>Draft</p>"}, draft=True)
        )
        db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "Published" in html and "Draft" not in html
