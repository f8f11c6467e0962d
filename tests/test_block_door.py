"""The one door from block kinds into pages: one loader, one version rule, one URL scheme.

Every change of a block's content, from the generic editor or from a kind's own
tools (an upload, a gallery item, a chart's accounts), moves the block's version, so
an editor left open on it gets 409 with the current content instead of saving over it.
"""

import io
import re

import pytest
from statboard.extensions import db
from statboard.pages import registry
from statboard.pages.models import Block
from statboard.series.models import Account

from tests.fixtures.images import make_block, picture
from tests.pages_helpers import HX, gen_page, get_block
from tests.series_helpers import gen_account

# A valid editor save for each kind, different from the kind's defaults.
EDITS = {
    "text": {"html": "<p>Mine</p>"},
    "event": {"title": "Mine", "start": "2999-01-01T10:00", "tz": "UTC"},
    "image": {"alt": "Mine", "caption": "mine"},
    "gallery": {"title": "Mine"},
    "chart": {"title": "Mine", "range": "7d"},
    "counter": {"key": "mine/1", "title": "Mine"},
    "host": {"title": "Mine", "range": "24h"},
    "remote_hosts": {"title": "Mine", "range": "1h"},
}
VERSION = re.compile(r'name="version" value="(\d+)"')


@pytest.fixture
def admin(auth):
    headers = {**auth.csrf(), **HX}
    auth.login_admin()
    return headers


def new_block(app, kind: str) -> int:
    with app.app_context():
        data = registry.get(kind).defaults()
    return make_block(app, kind, data)


def open_editor(client, block_id: int, headers) -> int:
    """Open the block's editor as an admin's browser does; the version it edits."""
    response = client.get(f"/blocks/{block_id}/edit", headers=headers)
    assert response.status_code == 200
    return int(VERSION.search(response.get_data(as_text=True)).group(1))


def save(client, block_id: int, data: dict, version: int, headers):
    return client.put(f"/blocks/{block_id}", data={**data, "version": version}, headers=headers)


# --- what changes a block, kind by kind ----------------------------------------------


def editor_save(client, block_id, headers, kind):
    data = {**EDITS[kind]}
    data = {k: (v + " theirs" if k in ("title", "alt") else v) for k, v in data.items()}
    if kind == "text":
        data["html"] = "<p>Theirs</p>"
    version = open_editor(client, block_id, headers)
    assert save(client, block_id, data, version, headers).status_code == 200


def upload_image(client, block_id, headers, kind):
    files = {"file": (io.BytesIO(picture()), "photo.png"), "alt": "A photo"}
    version = get_block(client.application, block_id).version
    response = client.post(
        f"/blocks/{block_id}/image", data={**files, "version": version}, headers=headers
    )
    assert response.status_code == 200


def add_gallery_items(client, block_id, headers, kind):
    version = get_block(client.application, block_id).version
    files = [(io.BytesIO(picture(color=c)), f"{c}.png") for c in ("red", "blue")]
    response = client.post(
        f"/blocks/{block_id}/items", data={"files": files, "version": version}, headers=headers
    )
    assert response.status_code == 200


def gallery_item_change(action):
    def change(client, block_id, headers, kind):
        add_gallery_items(client, block_id, headers, kind)
        block = get_block(client.application, block_id)
        first, second = [item["id"] for item in block.data["items"]]
        version = {"version": block.version}
        url = f"/blocks/{block_id}/items"
        response = {
            "edit item": lambda: client.put(
                f"{url}/{first}", data={**version, "title": "Theirs"}, headers=headers
            ),
            "remove item": lambda: client.delete(f"{url}/{first}", data=version, headers=headers),
            "move item": lambda: client.post(
                f"{url}/{first}/move", data={**version, "direction": "down"}, headers=headers
            ),
            "reorder items": lambda: client.put(
                f"{url}/order", data={**version, "order": [second, first]}, headers=headers
            ),
        }[action]()
        assert response.status_code == 200

    return change


def add_chart_account(client, block_id, headers, kind):
    form = {"platform": "github", "handle": "octocat", "is_public": "y"}
    response = client.post(f"/blocks/{block_id}/accounts", data=form, headers=headers)
    assert response.status_code == 200


def remove_chart_account(client, block_id, headers, kind):
    app = client.application
    account_id = gen_account(app, "github", "gone", public=True)
    with app.app_context():
        block = db.session.get(Block, block_id)
        block.data = {**block.data, "accounts": [account_id]}
        block.version += 1
        db.session.commit()
    open_version = open_editor(client, block_id, headers)
    response = client.delete(f"/blocks/{block_id}/accounts/{account_id}", headers=headers)
    assert response.status_code == 200
    return open_version


CHANGES = [
    *[(kind, "editor save", editor_save) for kind in EDITS],
    ("image", "upload", upload_image),
    ("gallery", "add items", add_gallery_items),
    *[
        ("gallery", action, gallery_item_change(action))
        for action in ("edit item", "remove item", "move item", "reorder items")
    ],
    ("chart", "add account", add_chart_account),
    ("chart", "remove account", remove_chart_account),
]


@pytest.mark.parametrize(
    ("kind", "change"),
    [(kind, fn) for kind, _, fn in CHANGES],
    ids=[f"{k}-{n}" for k, n, _ in CHANGES],
)
def test_an_editor_left_open_gets_409_after_any_change_of_the_block(
    app, client, admin, kind, change
):
    block_id = new_block(app, kind)
    stale = open_editor(client, block_id, admin)
    stale = change(client, block_id, admin, kind) or stale
    before = get_block(app, block_id)
    assert before.version > stale, "the change did not move the block's version"

    response = save(client, block_id, EDITS[kind], stale, admin)

    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert f'name="version" value="{before.version}"' in html  # the next save builds on it
    after = get_block(app, block_id)
    assert (after.data, after.version) == (before.data, before.version)  # nothing lost


def test_a_chart_editor_does_not_drop_an_account_added_from_the_panel(app, client, admin):
    """The lost update: editor opened at version 1, an account added from the chart's
    panel, then the editor saved with version 1. It used to answer 200 and drop it."""
    block_id = new_block(app, "chart")
    assert open_editor(client, block_id, admin) == 1
    add_chart_account(client, block_id, admin, "chart")

    response = save(client, block_id, EDITS["chart"], 1, admin)

    assert response.status_code == 409
    with app.app_context():
        account = db.session.scalar(db.select(Account).where(Account.handle == "octocat"))
        assert db.session.get(Block, block_id).data["accounts"] == [account.id]
    html = response.get_data(as_text=True)
    assert re.search(rf'name="accounts" value="{account.id}"\s*checked', html)  # shown as saved


# --- one loader: the same answers for every kind ----------------------------------------

KIND_URLS = [
    ("counter", "get", "/values"),
    ("host", "get", "/tile"),
    ("remote_hosts", "get", "/tile"),
    ("chart", "get", "/chart"),
    ("image", "post", "/image"),
    ("gallery", "post", "/items"),
    ("remote_hosts", "post", "/hosts"),
    ("chart", "post", "/accounts"),
]


@pytest.mark.parametrize(("kind", "method", "suffix"), KIND_URLS)
def test_a_kind_url_of_another_kind_of_block_is_404(app, client, admin, kind, method, suffix):
    other = new_block(app, "text")
    response = getattr(client, method)(f"/blocks/{other}{suffix}", headers=admin)
    assert response.status_code == 404
    assert getattr(client, method)(f"/blocks/99999{suffix}", headers=admin).status_code == 404


@pytest.mark.parametrize(("kind", "suffix"), [(k, s) for k, m, s in KIND_URLS if m == "get"])
def test_a_block_on_a_private_page_needs_a_login_for_every_kind(app, client, kind, suffix):
    with app.app_context():
        data = registry.get(kind).defaults()
    gen_page(app, "private", public=False, blocks=[(kind, data)])
    with app.app_context():
        block_id = db.session.scalar(db.select(Block.id).where(Block.kind == kind))
    assert client.get(f"/blocks/{block_id}{suffix}", headers=HX).status_code == 401
    browser = client.get(f"/blocks/{block_id}{suffix}")
    assert browser.status_code == 302 and "/login?next=" in browser.headers["Location"]


def test_every_block_url_sits_under_the_blocks_own(app):
    """One URL scheme: each route that takes a block id is /blocks/<id>..., except the
    old addresses kept alive by redirects and the embed, /embed/blocks/<id> (the block
    alone for other sites, answered by the embeds feature, not by the door)."""
    for rule in app.url_map.iter_rules():
        if "block_id" in rule.arguments and not rule.endpoint.split(".")[-1].startswith("moved"):
            if rule.endpoint == "embeds.embed_block":
                assert rule.rule == "/embed/blocks/<int:block_id>"
                continue
            assert rule.rule.startswith("/blocks/<int:block_id>"), rule.rule


@pytest.mark.parametrize(
    ("method", "old", "new"),
    [
        ("get", "/counters-block/7", "/blocks/7/values"),
        ("get", "/hosts/blocks/7?range=24h&part=rows", "/blocks/7/tile?range=24h&part=rows"),
        ("get", "/series/blocks/7?range=7d", "/blocks/7/chart?range=7d"),
        ("post", "/series/blocks/7/accounts", "/blocks/7/accounts"),
        ("delete", "/series/blocks/7/accounts/3", "/blocks/7/accounts/3"),
        ("post", "/images/blocks/7/image", "/blocks/7/image"),
        ("put", "/images/blocks/7/items/ab12/edit", "/blocks/7/items/ab12/edit"),
        ("post", "/hosts/remote?block_id=7", "/blocks/7/hosts"),
        ("delete", "/hosts/remote/3?block_id=7", "/blocks/7/hosts/3"),
        ("post", "/hosts/remote/3/delete?block_id=7", "/blocks/7/hosts/3/delete"),
    ],
)
def test_old_block_urls_redirect_keeping_the_method(client, admin, method, old, new):
    response = getattr(client, method)(old, headers=admin)
    assert response.status_code == 308  # browsers repeat the same method and body
    assert response.headers["Location"] == new


def test_an_old_counter_poll_still_gets_its_fragment(app, client):
    block_id = make_block(app, "counter", {"key": "song/1", "title": ""})
    response = client.get(f"/counters-block/{block_id}", headers=HX, follow_redirects=True)
    assert response.status_code == 200
    assert 'class="counter-values"' in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "url",
    [
        "/blocks/9223372036854775808",
        "/blocks/99999999999999999999/values",
        "/blocks/9223372036854775808/edit",
        "/counters-block/99999999999999999999",
        "/api/series/99999999999999999999.json",
    ],
)
def test_ids_past_64_bits_are_404_not_500(client, admin, url):
    assert client.get(url, headers=admin).status_code == 404
