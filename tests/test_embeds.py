"""Embeds in-process: which blocks, which headers, and the setting."""

import pytest
from statboard import create_app
from statboard.extensions import db
from statboard.pages.models import Block, Page

from tests.conftest import make_settings

BLOG = "https://blog.example"


def site_with_blocks(make_app, origins):
    # A live port (no event server runs in-process): pages name their stream and channels.
    app = make_app(EMBED_ORIGINS=origins, LIVE_PORT=5999)
    with app.app_context():
        public = Page(slug="stats", title="Stats", is_public=True)
        public.blocks.append(Block(kind="text", position=0, data={"html": "<p>open</p>"}))
        private = Page(slug="desk", title="Desk", is_public=False)
        private.blocks.append(Block(kind="text", position=0, data={"html": "<p>secret</p>"}))
        db.session.add_all([public, private])
        db.session.commit()
        ids = public.blocks[0].id, private.blocks[0].id
    return app.test_client(), ids


def test_a_public_block_may_be_framed_by_the_listed_origins_only(make_app):
    client, (public, _) = site_with_blocks(make_app, [BLOG + "/", "http://localhost:8080"])
    response = client.get(f"/embed/blocks/{public}")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://blog.example http://localhost:8080;" in policy + ";"
    assert "script-src 'self'" in policy
    assert "X-Frame-Options" not in response.headers
    html = response.get_data(as_text=True)
    assert "<p>open</p>" in html and 'class="site-header"' not in html
    assert f'data-live-channels="page:{public}"' in html  # its page's changes, not the nav


def test_every_other_page_still_refuses_to_be_framed(make_app):
    client, _ = site_with_blocks(make_app, [BLOG])
    for url in ("/stats", "/login", "/blocks/1"):
        response = client.get(url)
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert "frame-ancestors 'self';" in response.headers["Content-Security-Policy"] + ";"


def test_a_private_or_missing_block_is_404_never_a_login(make_app):
    client, (_, private) = site_with_blocks(make_app, [BLOG])
    for block_id in (private, 999):
        response = client.get(f"/embed/blocks/{block_id}")
        assert response.status_code == 404
        assert "secret" not in response.get_data(as_text=True)


def test_without_listed_origins_embeds_are_off(make_app):
    client, (public, _) = site_with_blocks(make_app, [])
    response = client.get(f"/embed/blocks/{public}", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert "STATBOARD_EMBED_ORIGINS" in response.json["message"]


@pytest.mark.parametrize("origins", [["blog.example"], ["https://blog.example/page"], BLOG])
def test_a_wrong_origin_setting_stops_the_start(tmp_path, origins):
    with pytest.raises(ValueError, match="EMBED_ORIGINS"):
        create_app(make_settings(tmp_path, EMBED_ORIGINS=origins))
