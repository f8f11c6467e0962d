"""The two storages behind one interface: a local folder and S3 (moto's server)."""

import json

import boto3
import httpx
import pytest
from statboard import create_app, storage
from statboard.extensions import db
from statboard.pages.models import Block

from tests.conftest import make_settings
from tests.fixtures.images import (
    block_state,
    make_block,
    picture,
    s3_storage_url,
    stored_files,
    upload,
)


@pytest.fixture(params=["local", "s3"])
def engine(request, settings):
    """Run the test once on each storage engine."""
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        settings["STORAGE_URL"] = s3_storage_url(endpoint, prefix=request.node.name[:40])
    return request.param


def fetch(client, url: str) -> httpx.Response | object:
    """A stored object as a browser gets it: from the site, or straight from S3."""
    if url.startswith("/"):
        return client.get(url)
    return httpx.get(url, timeout=10)


def body(response) -> bytes:
    return response.content if isinstance(response, httpx.Response) else response.data


def test_save_read_url_delete(engine, app, client):
    with app.app_context():
        store = storage.current()
        store.save("abc/original.png", b"\x89PNG fake", "image/png")
        store.save("abc/w480.webp", b"RIFF fake", "image/webp")
        store.save("abd/original.png", b"neighbour", "image/png")
        assert store.read("abc/original.png") == b"\x89PNG fake"
        store.delete("abc")
        for name in ("abc/original.png", "abc/w480.webp"):
            with pytest.raises(KeyError):
                store.read(name)
        assert store.read("abd/original.png") == b"neighbour"


def test_uploaded_image_is_fetched_by_its_url(engine, app, client, auth):
    headers = auth.csrf()
    auth.login_admin()
    block_id = make_block(app, "image", {"alt": "Blue", "caption": ""})
    assert upload(client, block_id, picture(size=(1000, 500)), headers=headers).status_code == 303
    [stored] = stored_files(app)
    with app.test_request_context():
        from statboard.storage.uploads import image_view

        view = image_view(stored)
    assert stored.storage == app.config["STORAGE_URL"]
    assert (engine == "s3") == view.src.startswith("http://127.0.0.1")
    response = fetch(client, view.src)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert "immutable" in response.headers["Cache-Control"]
    assert body(response).startswith(b"\x89PNG")
    thumb_url = view.srcset.split(",")[0].split()[0]
    thumb = fetch(client, thumb_url)
    assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/webp"


@pytest.fixture
def public_s3(settings, s3_endpoint):
    """A bucket whose public/ objects anyone may read, as a bucket policy makes it."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::statboard-test/public/*",
            }
        ],
    }
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    s3_storage_url(s3_endpoint)
    client.put_bucket_policy(Bucket="statboard-test", Policy=json.dumps(policy))
    settings.update(STORAGE_URL=s3_storage_url(s3_endpoint, "public"), STORAGE_PRESIGNED=False)


def test_images_of_a_private_page_are_private_to_caches_on_both_engines(engine, app, client, auth):
    """Served by the site or straight from S3 (a signed URL that names the header)."""
    headers = auth.csrf()
    auth.login_admin()
    block_id = make_block(app, "image", {"alt": "In", "caption": ""}, slug="closed")
    with app.app_context():
        db.session.get(Block, block_id).page.is_public = False
        db.session.commit()
    assert upload(client, block_id, picture(), headers=headers).status_code == 303
    [stored] = stored_files(app)
    with app.test_request_context():
        from statboard.storage.uploads import image_view

        view = image_view(stored)
    for url in (view.src, view.srcset.split(",")[0].split()[0]):
        response = fetch(client, url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"].startswith("private"), url


def test_public_s3_urls_when_not_presigned(public_s3, s3_endpoint, app):
    with app.app_context():
        store = storage.current()
        store.save("k1/original.gif", picture("GIF", size=(4, 4)), "image/gif")
        address = store.url("k1/original.gif")
    assert address == f"{s3_endpoint}/statboard-test/public/k1/original.gif"
    assert "X-Amz-Signature" not in address
    assert httpx.get(address, timeout=10).headers["Content-Type"] == "image/gif"


def test_old_local_images_still_served_after_switching_to_s3(s3_endpoint, tmp_path, auth):
    local = make_settings(tmp_path)
    app = create_app(local)
    with app.app_context():
        db.create_all()
    client = app.test_client()
    auth.app, auth.client = app, client
    headers = auth.csrf()
    auth.login_admin()
    old_block = make_block(app, "image", {"alt": "Old", "caption": ""})
    assert upload(client, old_block, picture(), headers=headers).status_code == 303
    [old] = stored_files(app)

    switched = create_app({**local, "STORAGE_URL": s3_storage_url(s3_endpoint, "switched")})
    client = switched.test_client()
    auth.app, auth.client = switched, client
    headers = auth.csrf()
    auth.login()
    new_block = make_block(switched, "image", {"alt": "New", "caption": ""})
    assert upload(client, new_block, picture(), headers=headers).status_code == 303
    _, new = stored_files(switched)
    assert new.storage.startswith("s3://") and old.storage == local["STORAGE_URL"]
    old_html = client.get(f"/uploads/{old.key}/original.png")
    assert old_html.status_code == 200 and old_html.data.startswith(b"\x89PNG")
    # The new one lives in S3 only; the site does not serve it from disk.
    assert client.get(f"/uploads/{new.key}/original.png").status_code == 404


@pytest.mark.parametrize("name", ["../secret", "..%2Fsecret", "nokey/../../secret"])
def test_uploads_route_never_leaves_the_folder(app, client, tmp_path, name):
    (tmp_path / "secret").write_text("do not serve")
    assert client.get(f"/uploads/{name}").status_code == 404


@pytest.mark.parametrize("refusal", ["missing bucket", "folder that cannot be made"])
def test_an_upload_the_storage_refuses_is_a_503_that_says_why_and_changes_nothing(
    refusal, request, settings, tmp_path
):
    if refusal == "missing bucket":
        endpoint = request.getfixturevalue("s3_endpoint")
        settings["STORAGE_URL"] = f"s3://no-such-bucket/site?region=us-east-1&endpoint={endpoint}"
        reason = "the bucket no-such-bucket does not exist"
    else:
        (tmp_path / "a-file").write_text("")
        settings["STORAGE_URL"] = str(tmp_path / "a-file" / "uploads")
        reason = "cannot be written"
    app, client, auth = (request.getfixturevalue(name) for name in ("app", "client", "auth"))
    headers = auth.csrf()
    auth.login_admin()
    block_id = make_block(app, "image", {"alt": "Blue", "caption": ""})
    before = block_state(app, block_id)
    answer = upload(client, block_id, picture(), headers=headers)
    assert answer.status_code == 503
    assert reason in answer.get_data(as_text=True)
    assert "Retry-After" in answer.headers
    assert stored_files(app) == [] and block_state(app, block_id) == before
