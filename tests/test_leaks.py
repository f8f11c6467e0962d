"""Smaller leaks (issue 9, section 6): what platforms report is checked before it is
stored, JSON in pages cannot end its script, images of private pages are not cached
publicly, JPEG metadata of every kind is stripped."""

import io
import json
import re
import sqlite3
import subprocess
import sys
from datetime import timedelta
from unittest.mock import patch

from PIL import Image, ImageCms
from statboard.extensions import db
from statboard.hosts import remote
from statboard.hosts.models import RemoteCheck, RemoteHost
from statboard.hosts.remote import Probe, add_host
from statboard.models_base import utcnow
from statboard.pages import history
from statboard.pages.models import Block, Page
from statboard.series.charts import script_json
from statboard.series.models import Account
from statboard.series.samples import now_utc
from statboard.storage.images import process_image

from tests.fixtures.images import make_block, picture, upload
from tests.fixtures.platforms import bluesky_profile
from tests.fixtures.servers import ROOT
from tests.series_helpers import gen_account, gen_chart
from tests.test_series_collectors import BLUESKY, run_collection

HOSTILE = "<!--<script>"
DOWN_PROBE = Probe(False, None, None, "connection refused or host unreachable")


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
    drawn = [(now_utc() - timedelta(days=1), 5)]  # a chart with no samples draws no plot
    account = gen_account(app, "x", "fine", public=True, samples=drawn)
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


# --- remote hosts belong to the block they were added on ------------------------


def two_host_blocks(app) -> tuple[int, int]:
    with app.app_context():
        home = Page(slug="home", title="Home", is_public=True, nav_position=0)
        ops = Page(slug="ops", title="Ops", is_public=False)
        home.blocks.append(Block(kind="remote_hosts", data={"title": "Ours", "range": "24h"}))
        ops.blocks.append(Block(kind="remote_hosts", data={"title": "Secret", "range": "24h"}))
        db.session.add_all([home, ops])
        db.session.commit()
        return home.blocks[0].id, ops.blocks[0].id


def test_a_host_added_on_a_private_page_is_not_listed_on_the_public_one(app, client, auth):
    public, private = two_host_blocks(app)
    headers = auth.csrf()
    auth.login_admin()
    url = "http://10.1.2.3:8080/v1/uptime/"
    form = {"url": url, "name": "hidden-db", "csrf_token": headers["X-CSRFToken"]}
    assert client.post(f"/blocks/{private}/hosts", data=form).status_code == 303
    client.post("/logout", data={"csrf_token": headers["X-CSRFToken"]})
    home = client.get("/").get_data(as_text=True)
    assert "hidden-db" not in home and url not in home
    auth.login("admin", "admin-pw")
    assert "hidden-db" in client.get("/ops").get_data(as_text=True)
    # ... and a block cannot remove another block's host.
    with app.app_context():
        host = db.session.scalar(db.select(RemoteHost))
    client.post(f"/blocks/{public}/hosts/{host.id}/delete", data=form)
    with app.app_context():
        assert db.session.get(RemoteHost, host.id) is not None


def test_deleting_the_block_deletes_its_hosts_and_checks_every_host_once(app, client, auth):
    public, private = two_host_blocks(app)
    with app.app_context():
        for block_id, name in ((public, "a"), (private, "b")):
            add_host(f"http://127.0.0.1:9/{name}", name, block_id=block_id)
        db.session.commit()
        probed = []
        with patch.object(remote, "probe", lambda url, timeout: probed.append(url) or DOWN_PROBE):
            assert remote.check_all() == 2
        assert sorted(probed) == ["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"]
        db.session.commit()
    headers = auth.csrf()
    auth.login_admin()
    assert client.post(f"/blocks/{private}/delete", headers=headers).status_code == 303
    with app.app_context():
        names = [h.name for h in db.session.scalars(db.select(RemoteHost))]
        assert names == ["a", "b"]  # kept while "Undo" can bring the block back
        assert history.purge(utcnow() + timedelta(hours=1)) == 1  # that time is over
        db.session.commit()
        assert [h.name for h in db.session.scalars(db.select(RemoteHost))] == ["a"]
        assert db.session.scalar(db.select(db.func.count(RemoteCheck.id))) == 1


def test_the_migration_gives_existing_hosts_to_the_first_remote_hosts_block(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    env = {
        "STATBOARD_DATABASE_URL": url,
        "STATBOARD_SECRET_KEY": "x",
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT / "site"),
    }
    flask = [sys.executable, "-m", "flask", "--app", "statboard", "db", "upgrade"]
    run = {"env": env, "cwd": ROOT, "capture_output": True, "text": True}
    assert subprocess.run([*flask, "0004"], **run).returncode == 0
    with sqlite3.connect(tmp_path / "old.db") as con:
        con.execute(
            "INSERT INTO pages (id, slug, title, is_public, created_at, updated_at) "
            "VALUES (1, 'home', 'H', 1, '2024-01-01', '2024-01-01')"
        )
        for block_id, kind in ((3, "text"), (5, "remote_hosts"), (7, "remote_hosts")):
            con.execute(
                "INSERT INTO blocks (id, page_id, kind, position, span, data, version, "
                "created_at, updated_at) "
                "VALUES (?, 1, ?, 0, 1, '{}', 1, '2024-01-01', '2024-01-01')",
                (block_id, kind),
            )
        con.execute(
            "INSERT INTO remote_hosts (name, url, state, last_error, created_at) "
            "VALUES ('old', 'http://old.test/', 'unknown', '', '2024-01-01')"
        )
    upgrade = subprocess.run(flask, **run)
    assert upgrade.returncode == 0, upgrade.stderr
    with sqlite3.connect(tmp_path / "old.db") as con:
        assert con.execute("SELECT block_id FROM remote_hosts").fetchall() == [(5,)]
