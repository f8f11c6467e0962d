"""Smaller leaks (issue 9, section 6): what platforms report is checked before it is
stored, JSON in pages cannot end its script, images of private pages are not cached
publicly, JPEG metadata of every kind is stripped."""

import io
import json
import re

from PIL import Image, ImageCms
from statboard.extensions import db
from statboard.pages.models import Page
from statboard.series.charts import script_json
from statboard.series.models import Account
from statboard.storage.images import process_image

from tests.fixtures.images import make_block, picture, upload
from tests.fixtures.platforms import bluesky_profile
from tests.series_helpers import gen_account, gen_chart
from tests.test_series_collectors import BLUESKY, run_collection

HOSTILE = "<!--<script>"


def test_a_hostile_handle_reported_by_a_platform_is_not_stored(platforms, app):
    did = "did:plc:abc"
    platforms.answer(BLUESKY, bluesky_profile(f"x{HOSTILE}", 5, did=did))
    gen_account(app, "bluesky", "old.bsky.social", external_id=did)
    _, accounts, counts = run_collection(app)
    assert list(accounts) == ["old.bsky.social"] and counts["old.bsky.social"] == [5]


def test_chart_json_escapes_what_could_end_its_script():
    text = script_json({"label": f"</script>{HOSTILE}&amp;"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"label": f"</script>{HOSTILE}&amp;"}


def test_a_hostile_label_stays_inside_the_charts_json(app, client):
    account = gen_account(app, "x", "fine", public=True)
    with app.app_context():
        db.session.get(Account, account).display_name = HOSTILE
        db.session.get(Account, account).handle = f"h{HOSTILE}"  # as stored before the fix
        db.session.commit()
    block = gen_chart(app, [account])
    make_block(app, "text", {"html": "<p>after the chart</p>"}, slug="p1-30d")
    html = client.get("/p1-30d").get_data(as_text=True)
    script = re.search(r'<script type="application/json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in script and json.loads(script)[0]["label"]
    assert f'id="block-{block}"' in html and "after the chart" in html.split(script, 1)[1]


def jpeg_with_metadata() -> bytes:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>xmp-secret</rdf:RDF></x:xmpmeta>'
    out = io.BytesIO()
    Image.new("RGB", (600, 400), (40, 120, 200)).save(
        out, "JPEG", comment=b"com-secret", xmp=xmp, icc_profile=icc
    )
    data = out.getvalue()
    assert b"com-secret" in data and b"xmp-secret" in data and b"ICC_PROFILE" in data
    return data


def test_jpeg_comments_and_xmp_do_not_survive_re_encoding():
    processed = process_image(jpeg_with_metadata(), 10_000_000)
    for encoded in (processed.original, *processed.thumbnails.values()):
        assert b"com-secret" not in encoded.data and b"xmp-secret" not in encoded.data
    # The colour profile is how to draw the image, not about who took it: it is kept.
    assert b"ICC_PROFILE" in processed.original.data


def test_images_of_private_pages_are_not_cached_publicly(app, client, auth):
    headers = auth.csrf()
    auth.login_admin()
    public = make_block(app, "image", {"alt": "Out"}, slug="open")
    private = make_block(app, "image", {"alt": "In"}, slug="closed")
    with app.app_context():
        db.session.scalar(db.select(Page).where(Page.slug == "closed")).is_public = False
        db.session.commit()
    cache = {}
    for block in (public, private):
        assert upload(client, block, picture(), headers=headers).status_code == 303
        page = client.get(f"/blocks/{block}", headers={"HX-Request": "true"})
        src = re.search(r'src="(/uploads/[^"]+)"', page.get_data(as_text=True)).group(1)
        cache[block] = client.get(src).headers["Cache-Control"]
    assert cache[public] == "public, max-age=31536000, immutable"
    assert cache[private].startswith("private")
