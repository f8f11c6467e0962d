"""Uploading into image blocks: what is accepted, what is refused and what is kept."""

import io
import re

import pytest
from PIL import Image
from statboard.extensions import db
from statboard.pages.models import Block
from statboard.storage.uploads import original_object

from tests.fixtures.images import block_state, make_block, picture, stored_files, upload
from tests.pages_helpers import assert_fragment

HTMX = {"HX-Request": "true"}


@pytest.fixture
def admin(auth):
    """Logged in as an admin; returns the headers an htmx request carries."""
    headers = auth.csrf()
    auth.login_admin()
    return {**headers, **HTMX}


def uploads_dir(app):
    from pathlib import Path

    return Path(app.config["STORAGE_URL"])


def objects(app) -> list[str]:
    root = uploads_dir(app)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def read_stored(app, stored) -> Image.Image:
    return Image.open(uploads_dir(app) / original_object(stored))


def jpeg_with_exif(size=(400, 200), orientation=6) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, size[0] // 2, size[1]))  # left half blue
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Camera maker"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (52.0, 22.0, 7.5)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    assert Image.open(io.BytesIO(out.getvalue())).getexif().get_ifd(0x8825)  # GPS is in
    return out.getvalue()


def bomb_png() -> bytes:
    """8000×8000 pixels (64 megapixels) in a few kilobytes."""
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, "PNG")
    return out.getvalue()


NASTY = [
    ("text named .png", b"hello, I am not a picture\n" * 20, "photo.png", "not an image"),
    ("truncated JPEG", picture("JPEG", size=(600, 400))[:1500], "cut.jpg", "damaged"),
    ("decompression bomb", bomb_png(), "bomb.png", "too large"),
    ("empty file", b"", "empty.png", "empty"),
    ("missing file field", None, "", "Choose an image file"),
    ("PDF named .jpg", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + b"0" * 200, "doc.jpg", "not an image"),
]


@pytest.mark.parametrize(
    ("data", "filename", "message"), [c[1:] for c in NASTY], ids=[c[0] for c in NASTY]
)
def test_bad_uploads_are_refused_with_a_message_and_nothing_kept(
    app, client, admin, data, filename, message
):
    block_id = make_block(app, "image", {"alt": "A view", "caption": ""})
    plain = upload(client, block_id, data, filename, headers={"X-CSRFToken": admin["X-CSRFToken"]})
    assert plain.status_code == 400
    assert message.lower() in plain.get_data(as_text=True).lower()
    htmx = upload(client, block_id, data, filename, headers=admin)
    assert htmx.status_code == 422
    html = assert_fragment(htmx, "article", f"block-{block_id}")
    assert '<figure class="image-block' in html
    assert message.lower() in html.lower() and 'role="alert"' in html
    assert objects(app) == [] and stored_files(app) == []
    assert block_state(app, block_id) == ({"alt": "A view", "caption": ""}, 1)


def test_a_png_named_jpg_is_kept_as_png(app, client, admin):
    block_id = make_block(app, "image", {"alt": "A view", "caption": ""})
    response = client.post(
        f"/blocks/{block_id}/image",
        data={"version": "1", "file": (io.BytesIO(picture("PNG")), "holiday.jpg", "image/jpeg")},
        headers=admin,
    )
    assert response.status_code == 200
    [stored] = stored_files(app)
    assert stored.content_type == "image/png" and read_stored(app, stored).format == "PNG"
    assert stored.original_name == "holiday.jpg"


def test_a_path_like_file_name_is_only_a_name(app, client, admin, tmp_path):
    block_id = make_block(app, "image", {"alt": "A view", "caption": ""})
    response = upload(client, block_id, picture(), "../../etc/passwd.png", headers=admin)
    assert response.status_code == 200
    [stored] = stored_files(app)
    assert stored.original_name == "etc_passwd.png"
    assert all(name.startswith(stored.key + "/") for name in objects(app))
    assert len(stored.key) == 32 and not (tmp_path / "etc").exists()


def test_too_large_a_body_gets_a_413_sentence(app, client, admin):
    app.config["MAX_CONTENT_LENGTH"] = 100_000
    block_id = make_block(app, "image", {"alt": "A view", "caption": ""})
    big = picture("PNG").ljust(150_000, b"\0")
    htmx = upload(client, block_id, big, "big.png", headers=admin)
    assert htmx.status_code == 413
    html = htmx.get_data(as_text=True)
    assert "<html" not in html and "larger than the 98 kB" in html and "smaller file" in html
    as_json = upload(
        client, block_id, big, "big.png", headers={**admin, "Accept": "application/json"}
    )
    assert as_json.status_code == 413 and "smaller file" in as_json.get_json()["message"]
    assert objects(app) == [] and block_state(app, block_id)[1] == 1


def test_exif_orientation_is_applied_and_metadata_dropped(app, client, admin):
    block_id = make_block(app, "image", {"alt": "A view", "caption": ""})
    assert upload(client, block_id, jpeg_with_exif(), "phone.jpg", headers=admin).status_code == 200
    [stored] = stored_files(app)
    image = read_stored(app, stored)
    # 400×200 turned a quarter: upright it is 200×400, and the blue half is now on top.
    assert (stored.width, stored.height) == image.size == (200, 400)
    red, green, blue = image.convert("RGB").getpixel((100, 20))
    assert blue > 150 and red < 100
    exif = image.getexif()
    assert not exif.get_ifd(0x8825) and 0x0112 not in exif and 0x010F not in exif
    for name in stored.variants.values():
        assert not Image.open(uploads_dir(app) / name).getexif()


def test_rgba_png_keeps_its_transparency(app, client, admin):
    block_id = make_block(app, "image", {"alt": "A logo", "caption": ""})
    data = picture("PNG", size=(1000, 600), mode="RGBA", color=(0, 200, 0, 0))
    assert upload(client, block_id, data, headers=admin).status_code == 200
    [stored] = stored_files(app)
    assert read_stored(app, stored).mode == "RGBA"
    thumb = Image.open(uploads_dir(app) / stored.variants["480"])
    assert thumb.format == "WEBP" and thumb.mode == "RGBA" and thumb.getpixel((5, 5))[3] == 0


def test_palette_gif_keeps_its_palette_and_transparent_colour(app, client, admin):
    block_id = make_block(app, "image", {"alt": "A sprite", "caption": ""})
    image = Image.new("P", (600, 300), 1)
    image.putpalette([255, 255, 255, 200, 0, 0] + [0] * 762)
    out = io.BytesIO()
    image.save(out, "GIF", transparency=1)
    assert upload(client, block_id, out.getvalue(), "sprite.gif", headers=admin).status_code == 200
    [stored] = stored_files(app)
    kept = read_stored(app, stored)
    assert kept.format == "GIF" and kept.mode == "P" and "transparency" in kept.info
    assert kept.convert("RGBA").getpixel((10, 10))[3] == 0
    thumb = Image.open(uploads_dir(app) / stored.variants["480"]).convert("RGBA")
    assert thumb.getpixel((0, 0))[3] == 0


def test_thumbnails_made_at_upload_never_wider_than_the_original(app, client, admin):
    wide, narrow = (make_block(app, "image", {"alt": "A", "caption": ""}) for _ in range(2))
    upload(client, wide, picture(size=(2000, 1000)), headers=admin)
    upload(client, narrow, picture(size=(600, 300)), headers=admin)
    big, small = stored_files(app)
    widths = {"big": sorted(map(int, big.variants)), "small": sorted(map(int, small.variants))}
    # WebP copies at the srcset widths below the original's, and one at its full width.
    assert widths == {"big": [480, 960, 1600, 2000], "small": [480, 600]}
    assert Image.open(uploads_dir(app) / big.variants["1600"]).size == (1600, 800)
    html = upload(client, wide, picture(size=(2000, 1000)), headers={**admin}, version=2)
    srcset = re.search(r'srcset="([^"]+)"', html.get_data(as_text=True)).group(1)
    assert [c.rsplit(" ", 1)[1] for c in srcset.split(", ")] == ["480w", "960w", "1600w", "2000w"]
    assert all(c.split(" ")[0].endswith(".webp") for c in srcset.split(", ")), srcset


def test_replacing_deletes_the_old_files_after_the_commit(app, client, admin):
    block_id = make_block(app, "image", {"alt": "A view", "caption": ""})
    first = upload(client, block_id, picture(size=(900, 600)), headers=admin)
    assert first.status_code == 200 and first.headers["Vary"].count("HX-Request")
    [old] = stored_files(app)
    response = upload(client, block_id, picture(size=(700, 500)), headers=admin, version=2)
    assert response.status_code == 200
    [new] = stored_files(app)
    assert new.id != old.id
    assert all(name.startswith(new.key) for name in objects(app))
    assert block_state(app, block_id)[0]["file_id"] == new.id


def test_old_files_stay_until_commit_and_after_a_rollback(app):
    from statboard.images import services

    block_id = make_block(app, "image", {"alt": "A view", "caption": ""})
    with app.test_request_context():
        block = db.session.get(Block, block_id)
        services.set_image(block, 1, picture(), "one.png", None)
        db.session.commit()
        before = objects(app)
        block = db.session.get(Block, block_id)
        services.set_image(block, 2, picture(size=(300, 300)), "two.png", None)
        assert set(before) < set(objects(app))  # both kept until the commit
        db.session.rollback()
        assert objects(app) == before  # the new one's objects are gone, the old ones stay
        block = db.session.get(Block, block_id)
        services.set_image(block, 2, picture(size=(300, 300)), "three.png", None)
        db.session.commit()
        assert not set(before) & set(objects(app))


@pytest.mark.parametrize("who", ["visitor", "user"])
def test_only_admins_upload_and_nothing_is_written_otherwise(app, client, auth, who):
    block_id = make_block(app, "image", {"alt": "A view", "caption": ""})
    headers = auth.csrf()
    if who == "user":
        auth.login_user()
    response = upload(client, block_id, picture(), headers={**headers, **HTMX})
    assert response.status_code == (401 if who == "visitor" else 403)
    assert objects(app) == [] and stored_files(app) == []
    assert block_state(app, block_id)[1] == 1


def test_upload_without_csrf_token_is_refused(app, client, auth):
    auth.login_admin()
    block_id = make_block(app, "image", {"alt": "A view", "caption": ""})
    assert upload(client, block_id, picture(), headers=HTMX).status_code == 400
    assert objects(app) == []


def test_stale_version_gets_409_and_the_current_block(app, client, admin):
    block_id = make_block(app, "image", {"alt": "A view", "caption": "Now"})
    upload(client, block_id, picture(), headers=admin)
    response = upload(client, block_id, picture(size=(50, 50)), headers=admin, version=1)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "changed this block" in html and 'data-version="2"' in html and "Now" in html
    assert len(stored_files(app)) == 1


def test_an_image_needs_alt_text(app, client, admin):
    block_id = make_block(app, "image", {"alt": "", "caption": ""})
    response = upload(client, block_id, picture(), headers=admin)
    assert response.status_code == 422 and "alt text" in response.get_data(as_text=True)
    assert objects(app) == []
    response = upload(client, block_id, picture(), headers=admin, alt="A blue square")
    assert response.status_code == 200
    assert 'alt="A blue square"' in response.get_data(as_text=True)


def test_plain_form_post_redirects_back_to_the_page(app, client, admin):
    block_id = make_block(app, "image", {"alt": "A view", "caption": ""})
    headers = {"X-CSRFToken": admin["X-CSRFToken"]}
    response = upload(client, block_id, picture(), headers=headers)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"#block-{block_id}")


def test_visitors_see_the_image_without_edit_controls(app, client, admin):
    block_id = make_block(app, "image", {"alt": "A view", "caption": "Hello"})
    upload(client, block_id, picture(size=(1300, 600)), headers=admin)
    client.post("/logout", headers={"X-CSRFToken": admin["X-CSRFToken"]})
    from statboard.images.rendering import render_block

    with app.test_request_context():
        html = render_block(db.session.get(Block, block_id)).get_data(as_text=True)
    assert 'alt="A view"' in html and "srcset=" in html and "Hello" in html
    assert "<form" not in html and "data-upload-url" not in html
