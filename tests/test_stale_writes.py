"""Stale and raced block writes answer 409 with the block as saved, never 500: plain
form posts (no JavaScript) as well as htmx, and a race found at any flush."""

import io

import pytest
from sqlalchemy import text
from statboard.extensions import db
from statboard.images import services as image_services

from tests.fixtures.images import block_state, make_block, picture, upload

HTMX = {"HX-Request": "true"}


@pytest.fixture
def csrf(auth):
    headers = auth.csrf()
    auth.login_admin()
    return headers


def gallery_with_one(app, client, csrf) -> tuple[int, str]:
    gallery = make_block(app, "gallery", {"title": "Trips", "items": []})
    data = {"version": "1", "files": [(io.BytesIO(picture()), "a.png")]}
    assert client.post(f"/blocks/{gallery}/items", data=data, headers=csrf).status_code == 303
    return gallery, block_state(app, gallery)[0]["items"][0]["id"]


@pytest.mark.parametrize(
    ("url", "form"),
    [
        ("/blocks/{g}/items", {"files": "upload"}),
        ("/blocks/{g}/items/{a}", {"title": "T", "caption": "C"}),
        ("/blocks/{g}/items/{a}/delete", {}),
        ("/blocks/{g}/items/{a}/move", {"direction": "down"}),
        ("/blocks/{g}/items/order", {"order": "{a}"}),
        ("/blocks/{i}/image", {"alt": "A view", "files": "upload"}),
    ],
    ids=["add", "edit", "remove", "move", "reorder", "image"],
)
def test_stale_write_without_javascript_gets_a_409_page(app, client, csrf, url, form):
    gallery, item = gallery_with_one(app, client, csrf)
    image = make_block(app, "image", {"alt": "A view"})
    data = {"version": "0"}
    for name, value in form.items():
        if value == "upload":
            data["file" if "image" in url else "files"] = (io.BytesIO(picture()), "b.png")
        else:
            data[name] = value.format(a=item)
    response = client.post(url.format(g=gallery, a=item, i=image), data=data, headers=csrf)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "<html" in html and "make your change again" in html
    assert block_state(app, gallery)[1] == 2 and block_state(app, image)[1] == 1


def bump_elsewhere(app, block_id: int) -> None:
    """Another editor's save, committed on a connection of its own."""
    with db.engine.connect() as other:
        other.execute(
            text("UPDATE blocks SET version = version + 1 WHERE id = :id"), {"id": block_id}
        )
        other.commit()


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "plain"])
def test_a_race_found_at_an_autoflush_is_a_409(app, client, csrf, monkeypatch, headers):
    gallery, item = gallery_with_one(app, client, csrf)
    original = image_services.change_content

    def raced_change(block, *args, **kwargs):
        changed = original(block, *args, **kwargs)
        bump_elsewhere(app, block.id)
        db.session.execute(text("SELECT 1 FROM blocks"))  # any read autoflushes the change
        return changed

    monkeypatch.setattr(image_services, "change_content", raced_change)
    response = client.post(
        f"/blocks/{gallery}/items/{item}",
        data={"version": "2", "title": "Rome", "caption": ""},
        headers={**csrf, **headers},
    )
    assert response.status_code == 409
    assert 'data-version="3"' in response.get_data(as_text=True)
    assert block_state(app, gallery)[0]["items"][0]["title"] == ""


def test_stale_image_upload_with_htmx_still_gets_the_fragment(app, client, csrf):
    image = make_block(app, "image", {"alt": "A view"})
    response = upload(client, image, picture(), version=0, headers={**csrf, **HTMX})
    assert response.status_code == 409 and "<html" not in response.get_data(as_text=True)
