"""Smaller leaks (issue 9, section 6): what platforms report is checked before it is
stored, JSON in pages cannot end its script, images of private pages are not cached
publicly, JPEG metadata of every kind is stripped."""

import io
import io
import json
import re

from PIL import Image
from statboard.extensions import db
from statboard.series.charts import script_json
from statboard.series.models import Account

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
    from PIL import Image, ImageCms

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
    from statboard.storage.images import process_image

    processed = process_image(jpeg_with_metadata(), 10_000_000)
    for encoded in (processed.original, *processed.thumbnails.values()):
        assert b"com-secret" not in encoded.data and b"xmp-secret" not in encoded.data
    # The colour profile is how to draw the image, not about who took it: it is kept.
    assert b"ICC_PROFILE" in processed.original.data
