"""Gallery blocks: add, edit, remove and reorder items, each a versioned admin write."""

import io
from pathlib import Path

import pytest
from statboard.extensions import db
from statboard.pages.models import Block

from tests.fixtures.images import block_state, make_block, picture, stored_files
from tests.pages_helpers import assert_fragment

HTMX = {"HX-Request": "true"}


@pytest.fixture
def admin(auth):
    headers = auth.csrf()
    auth.login_admin()
    return {**headers, **HTMX}


@pytest.fixture
def gallery(app):
    return make_block(app, "gallery", {"title": "Trips", "items": []})


def add(client, block_id, files, headers, version=1):
    data = {"version": str(version), "files": [(io.BytesIO(d), n) for d, n in files]}
    return client.post(f"/blocks/{block_id}/items", data=data, headers=headers)


def item_ids(app, block_id) -> list[str]:
    return [item["id"] for item in block_state(app, block_id)[0]["items"]]


def three(app, client, gallery, admin) -> list[str]:
    files = [
        (picture(color=c), f"{n}.png") for n, c in (("a", "red"), ("b", "green"), ("c", "blue"))
    ]
    assert add(client, gallery, files, admin).status_code == 200
    return item_ids(app, gallery)


def test_add_several_images_at_once(app, client, gallery, admin, caplog):
    caplog.set_level("INFO", "statboard.changes")
    files = [(picture(), "one.png"), (picture("JPEG"), "two.jpg")]
    response = add(client, gallery, files, admin)
    assert response.status_code == 200 and "HX-Request" in response.vary
    html = assert_fragment(response, "article", f"block-{gallery}")
    assert '<section class="gallery-block"' in html and html.count('class="gallery-item"') == 2
    assert len(stored_files(app)) == 2 and len(item_ids(app, gallery)) == 2
    assert "added 2 images to gallery block" in caplog.text


def test_one_bad_file_adds_nothing(app, client, gallery, admin):
    files = [(picture(), "good.png"), (b"not an image", "bad.png")]
    response = add(client, gallery, files, admin)
    assert response.status_code == 422
    assert "Nothing was added" in response.get_data(as_text=True)
    assert stored_files(app) == [] and item_ids(app, gallery) == []
    assert not any(Path(app.config["STORAGE_URL"]).rglob("*.*"))


def test_edit_an_items_title_and_caption(app, client, gallery, admin):
    first, *_ = three(app, client, gallery, admin)
    form = client.get(f"/blocks/{gallery}/items/{first}/edit", headers=admin)
    assert form.status_code == 200 and '<li class="gallery-item is-editing"' in form.get_data(
        as_text=True
    )
    response = client.put(
        f"/blocks/{gallery}/items/{first}",
        data={"version": "2", "title": " Rome ", "caption": "The Forum at noon."},
        headers=admin,
    )
    assert response.status_code == 200
    assert "Rome" in response.get_data(as_text=True)
    item = block_state(app, gallery)[0]["items"][0]
    assert (item["title"], item["caption"]) == ("Rome", "The Forum at noon.")


def test_invalid_item_edit_answers_the_form_with_422(app, client, gallery, admin):
    first, *_ = three(app, client, gallery, admin)
    response = client.put(
        f"/blocks/{gallery}/items/{first}",
        data={"version": "2", "title": "x" * 300, "caption": ""},
        headers=admin,
    )
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == f"#gallery-item-{gallery}-{first}"
    assert "under 200 characters" in response.get_data(as_text=True)
    assert block_state(app, gallery)[1] == 2


def test_remove_an_item_deletes_its_files_after_the_commit(app, client, gallery, admin):
    first, second, third = three(app, client, gallery, admin)
    doomed = block_state(app, gallery)[0]["items"][1]["file_id"]
    key = next(s.key for s in stored_files(app) if s.id == doomed)
    root = Path(app.config["STORAGE_URL"])
    assert (root / key).is_dir()
    response = client.delete(
        f"/blocks/{gallery}/items/{second}", data={"version": "2"}, headers=admin
    )
    assert response.status_code == 200
    assert item_ids(app, gallery) == [first, third]
    assert not (root / key).exists() and doomed not in [s.id for s in stored_files(app)]


@pytest.mark.parametrize(
    ("moved", "direction", "expected"),
    [(0, "down", [1, 0, 2]), (2, "up", [0, 2, 1]), (0, "up", [0, 1, 2]), (2, "down", [0, 1, 2])],
)
def test_move_an_item_up_or_down(app, client, gallery, admin, moved, direction, expected):
    ids = three(app, client, gallery, admin)
    response = client.post(
        f"/blocks/{gallery}/items/{ids[moved]}/move",
        data={"version": "2", "direction": direction},
        headers=admin,
    )
    assert response.status_code == 200
    assert item_ids(app, gallery) == [ids[i] for i in expected]


def test_reorder_by_drag_and_drop(app, client, gallery, admin):
    a, b, c = three(app, client, gallery, admin)
    response = client.put(
        f"/blocks/{gallery}/items/order",
        data={"version": "2", "order": [c, a, b]},
        headers=admin,
    )
    assert response.status_code == 200 and item_ids(app, gallery) == [c, a, b]
    html = response.get_data(as_text=True)
    assert html.index(f'data-item-id="{c}"') < html.index(f'data-item-id="{a}"')


@pytest.mark.parametrize("order", [[], ["nope"], "dup"])
def test_reorder_must_name_every_item_once(app, client, gallery, admin, order):
    a, b, c = three(app, client, gallery, admin)
    order = [a, a, b] if order == "dup" else order
    response = client.put(
        f"/blocks/{gallery}/items/order",
        data={"version": "2", "order": order},
        headers=admin,
    )
    assert response.status_code == 400 and item_ids(app, gallery) == [a, b, c]


def test_stale_gallery_write_gets_409_and_current_gallery(app, client, gallery, admin):
    a, b, c = three(app, client, gallery, admin)
    response = client.post(
        f"/blocks/{gallery}/items/{a}/move",
        data={"version": "1", "direction": "down"},
        headers=admin,
    )
    assert response.status_code == 409
    assert 'data-version="2"' in response.get_data(as_text=True)
    assert item_ids(app, gallery) == [a, b, c]


def test_plain_form_posts_redirect_back(app, client, gallery, admin):
    a, b, _ = three(app, client, gallery, admin)
    plain = {"X-CSRFToken": admin["X-CSRFToken"]}
    moved = client.post(
        f"/blocks/{gallery}/items/{a}/move",
        data={"version": "2", "direction": "down"},
        headers=plain,
    )
    assert moved.status_code == 303 and moved.headers["Location"].endswith(f"#block-{gallery}")
    removed = client.post(
        f"/blocks/{gallery}/items/{b}/delete", data={"version": "3"}, headers=plain
    )
    assert removed.status_code == 303
    page = client.get(f"/blocks/{gallery}/items/{a}/edit")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)


@pytest.mark.parametrize("who", ["visitor", "user"])
def test_gallery_writes_refused_to_non_admins(app, client, auth, gallery, who):
    headers = {**auth.csrf(), **HTMX}
    if who == "user":
        auth.login_user()
    response = add(client, gallery, [(picture(), "x.png")], headers)
    assert response.status_code == (401 if who == "visitor" else 403)
    assert stored_files(app) == [] and block_state(app, gallery)[1] == 1


def test_gallery_visitor_view_has_captions_and_no_controls(app, client, gallery, admin):
    first, *_ = three(app, client, gallery, admin)
    client.put(
        f"/blocks/{gallery}/items/{first}",
        data={"version": "2", "title": "Rome", "caption": "<b>Forum</b>"},
        headers=admin,
    )
    client.post("/logout", headers={"X-CSRFToken": admin["X-CSRFToken"]})
    from statboard.images.rendering import render_block

    with app.test_request_context():
        html = render_block(db.session.get(Block, gallery)).get_data(as_text=True)
    assert "&lt;b&gt;Forum&lt;/b&gt;" in html and 'alt="Rome"' in html
    assert html.count("<img") == 3 and "<form" not in html and "draggable" not in html


def test_demo_home_page_has_an_image_and_a_three_image_gallery(app):
    from statboard.pages.demo import seed_demo

    with app.test_request_context():
        home = seed_demo()
        kinds = {block.kind: block for block in home.blocks}
        assert kinds["image"].data["alt"] and len(kinds["gallery"].data["items"]) == 3
    assert len(stored_files(app)) == 4
    root = Path(app.config["STORAGE_URL"])
    assert len(list(root.glob("*/original.jpg"))) == 4
