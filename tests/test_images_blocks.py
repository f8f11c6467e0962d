"""Image and gallery blocks inside the pages engine: one version mechanism for every
write, the block answered in the pages engine's wrapper, and files let go of when
the pages engine deletes the block."""

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from statboard.extensions import db
from statboard.models_base import utcnow
from statboard.pages import history

from tests.fixtures.images import block_state, make_block, picture, stored_files, upload
from tests.pages_helpers import assert_fragment

HTMX = {"HX-Request": "true"}
CSRF_VALUE = re.compile(r'(csrf_token" value="|X-CSRFToken": ")[^"]+')


@pytest.fixture
def admin(auth):
    headers = auth.csrf()
    auth.login_admin()
    return {**headers, **HTMX}


def without_tokens(html: str) -> str:
    return CSRF_VALUE.sub(r"\1TOKEN", html)


def add_three(client, gallery, headers, version=1):
    files = [(io.BytesIO(picture(color=c)), f"{c}.png") for c in ("red", "green", "blue")]
    data = {"version": str(version), "files": files}
    response = client.post(f"/blocks/{gallery}/items", data=data, headers=headers)
    assert response.status_code == 200
    return [item["id"] for item in block_state(client.application, gallery)[0]["items"]]


def test_image_routes_answer_the_block_as_the_pages_engine_renders_it(app, client, admin):
    image = make_block(app, "image", {"alt": "A view", "caption": "Hi"})
    gallery = make_block(app, "gallery", {"title": "Trips", "items": []})
    uploaded = upload(client, image, picture(), headers=admin)
    add_three(client, gallery, admin)
    for block_id, answer in ((image, uploaded), (gallery, None)):
        shown = client.get(f"/blocks/{block_id}", headers=admin)
        html = assert_fragment(shown, "article", f"block-{block_id}")
        if answer is not None:
            assert without_tokens(answer.get_data(as_text=True)) == without_tokens(html)
        assert 'class="block-tools"' in html  # the pages engine's tools, around the kind's view


@pytest.mark.parametrize(
    ("method", "url", "form"),
    [
        ("post", "/blocks/{g}/items", {"files": "upload"}),
        ("put", "/blocks/{g}/items/{a}", {"title": "T", "caption": "C"}),
        ("delete", "/blocks/{g}/items/{a}", {}),
        ("post", "/blocks/{g}/items/{a}/move", {"direction": "down"}),
        ("put", "/blocks/{g}/items/order", {"order": "reversed"}),
    ],
    ids=["add", "edit", "remove", "move", "reorder"],
)
def test_every_stale_gallery_write_gets_409_and_changes_nothing(
    app, client, admin, method, url, form
):
    gallery = make_block(app, "gallery", {"title": "Trips", "items": []})
    ids = add_three(client, gallery, admin)
    before = block_state(app, gallery)
    data = {**form, "version": "1"}
    if form.get("files"):
        data["files"] = [(io.BytesIO(picture()), "late.png")]
    if form.get("order"):
        data["order"] = ids[::-1]
    target = url.format(g=gallery, a=ids[0])
    response = getattr(client, method)(target, data=data, headers=admin)
    assert response.status_code == 409
    html = assert_fragment(response, "article", f"block-{gallery}")
    assert "changed this block" in html and 'data-version="2"' in html
    assert block_state(app, gallery) == before and len(stored_files(app)) == 3


def test_each_write_bumps_the_version_once_and_a_no_op_not_at_all(app, client, admin, caplog):
    gallery = make_block(app, "gallery", {"title": "Trips", "items": []})
    a, b, _ = add_three(client, gallery, admin)
    assert block_state(app, gallery)[1] == 2
    move = f"/blocks/{gallery}/items/{a}/move"
    moved = client.post(move, data={"version": "2", "direction": "down"}, headers=admin)
    assert moved.status_code == 200
    assert block_state(app, gallery)[1] == 3
    caplog.clear()
    caplog.set_level("INFO", "statboard.changes")
    top = f"/blocks/{gallery}/items/{b}/move"  # b is first now: up moves nothing
    response = client.post(top, data={"version": "3", "direction": "up"}, headers=admin)
    assert response.status_code == 200 and block_state(app, gallery)[1] == 3
    assert "reordered" not in caplog.text


def test_the_generic_editor_and_uploads_share_one_version(app, client, admin):
    image = make_block(app, "image", {"alt": "A view", "caption": ""})
    assert upload(client, image, picture(), headers=admin).status_code == 200
    editor = client.get(f"/blocks/{image}/edit", headers=admin)
    html = assert_fragment(editor, "form", f"block-{image}")
    assert html.count("<form") == 1 and 'name="version" value="2"' in html
    saved = client.put(
        f"/blocks/{image}",
        data={"version": "2", "alt": "Hills at dusk", "caption": "Taken in May."},
        headers=admin,
    )
    assert saved.status_code == 200 and block_state(app, image)[1] == 3
    assert "Taken in May." in assert_fragment(saved, "article", f"block-{image}")
    stale = upload(client, image, picture(size=(50, 50)), headers=admin, version=2)
    assert stale.status_code == 409 and "Taken in May." in stale.get_data(as_text=True)
    data, version = block_state(app, image)
    assert (data["alt"], version, len(stored_files(app))) == ("Hills at dusk", 3, 1)


def test_a_write_without_a_version_is_refused(app, client, admin):
    gallery = make_block(app, "gallery", {"title": "Trips", "items": []})
    files = [(io.BytesIO(picture()), "a.png")]
    response = client.post(f"/blocks/{gallery}/items", data={"files": files}, headers=admin)
    assert response.status_code == 400 and "reload the page" in response.get_data(as_text=True)
    assert stored_files(app) == []


@pytest.mark.parametrize("kind", ["image", "gallery"])
def test_deleting_the_block_deletes_its_files_after_the_commit(app, client, admin, kind):
    block_id = make_block(app, kind, {"alt": "A", "caption": "", "title": "", "items": []})
    keep = make_block(app, "image", {"alt": "Kept", "caption": ""})
    upload(client, keep, picture(), headers=admin)
    if kind == "image":
        upload(client, block_id, picture(), headers=admin)
    else:
        add_three(client, block_id, admin)
    root = Path(app.config["STORAGE_URL"])
    kept_key = next(
        s.key for s in stored_files(app) if s.id == block_state(app, keep)[0]["file_id"]
    )
    held = sorted(s.key for s in stored_files(app))
    response = client.post(f"/blocks/{block_id}/delete", headers=admin)
    assert response.status_code == 200
    # The delete may be undone for a while: the files stay until the block is purged.
    assert sorted(s.key for s in stored_files(app)) == held
    assert client.post(f"/blocks/{block_id}/undo", headers=admin).status_code == 200
    assert block_state(app, block_id) is not None
    assert client.post(f"/blocks/{block_id}/delete", headers=admin).status_code == 200
    with app.app_context():
        assert history.purge(now=utcnow() + timedelta(seconds=31)) == 1
        db.session.commit()
    assert [s.key for s in stored_files(app)] == [kept_key]
    assert sorted(p.name for p in root.iterdir()) == [kept_key]
