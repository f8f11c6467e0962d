"""Static files: fingerprinted URLs cached a year as immutable, a new version for a
changed file; compression (gzip, brotli) of pages and static text for clients that
accept it, and none for the others, the event stream or the counter API."""

import gzip
import html
import re

import brotli
import httpx
import pytest
from flask import url_for

from tests.fixtures.servers import start_site, stop, wait_for_port
from tests.live_helpers import stream_src
from tests.pages_helpers import EVENT, TEXT, gen_page

IMMUTABLE = "public, max-age=31536000, immutable"
LINK = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def static_links(html: str) -> list[str]:
    return LINK.findall(html)


@pytest.fixture
def client(app, client):
    gen_page(app, "home", "Home", blocks=[TEXT, EVENT])
    return client


def test_a_pages_css_and_js_links_carry_the_version(client):
    page = client.get("/").get_data(as_text=True)
    links = static_links(page)
    assert any(".js?" in link for link in links)
    for link in links:
        assert re.search(r"\?v=[0-9a-f]{12}$", link), link
    # The stylesheets come as one bundle (tests/test_assets_bundle.py), versioned too.
    [bundle] = re.findall(r'href="(/bundle\.css\?[^"]+)"', page)
    assert re.search(r"[?&]v=[0-9a-f]{12}(&|$)", bundle.replace("&amp;", "&")), bundle


def test_a_versioned_request_is_cached_as_immutable_and_a_bare_one_is_not(app, client):
    with app.test_request_context():
        link = url_for("static", filename="css/site.css")
    answer = client.get(link)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == IMMUTABLE
    assert answer.get_data(as_text=True).startswith(client.get("/static/css/site.css").text[:40])
    bare = client.get("/static/css/site.css")
    assert bare.headers["Cache-Control"] == "no-cache"
    again = client.get("/static/css/site.css", headers={"If-None-Match": bare.headers["ETag"]})
    assert again.status_code == 304
    old = client.get("/static/css/site.css?v=000000000000")  # a version no longer served
    assert old.status_code == 200 and old.headers["Cache-Control"] == "no-cache"


def test_a_changed_file_gets_a_new_version(app, tmp_path):
    folder = tmp_path / "static"
    folder.mkdir()
    (folder / "a.css").write_text("body { color: red }")
    app.static_folder = str(folder)
    with app.test_request_context():
        first = url_for("static", filename="a.css")
        (folder / "a.css").write_text("body { color: blue; margin: 0 }")
        second = url_for("static", filename="a.css")
        assert url_for("static", filename="missing.css") == "/static/missing.css"
    assert first != second and first.startswith("/static/a.css?v=")
    answer = app.test_client().get(second)
    assert answer.text == "body { color: blue; margin: 0 }"
    assert answer.headers["Cache-Control"] == IMMUTABLE
    assert app.test_client().get(first).headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize(
    ("accept", "encoding", "decode"),
    [
        ("gzip", "gzip", gzip.decompress),
        ("gzip, deflate, br", "br", brotli.decompress),
        ("br;q=0.5, gzip", "gzip", gzip.decompress),
        ("", None, bytes),
        ("identity", None, bytes),
    ],
)
@pytest.mark.parametrize(
    "url", ["/", "/static/js/live.js", "/static/css/site.css", "the page's stylesheets"]
)
def test_compressed_for_clients_that_accept_it_and_plain_for_the_others(
    client, url, accept, encoding, decode
):
    if url == "the page's stylesheets":  # one bundle (tests/test_assets_bundle.py)
        url = html.unescape(re.search(r'href="(/bundle\.css[^"]+)"', client.get("/").text)[1])
    plain = client.get(url).get_data()
    answer = client.get(url, headers={"Accept-Encoding": accept} if accept else {})
    assert answer.status_code == 200
    assert answer.headers.get("Content-Encoding") == encoding
    assert "Accept-Encoding" in answer.headers["Vary"]
    body = decode(answer.get_data())
    if url == "/":  # a page carries a fresh CSRF token: compare its start
        assert body[:200] == plain[:200]
    else:
        assert body == plain
        assert int(answer.headers["Content-Length"]) == len(answer.get_data())


def test_the_counter_apis_tiny_answers_are_not_compressed(client):
    headers = {"Accept-Encoding": "gzip, br"}
    for answer in (
        client.post("/counters/song/1", headers=headers),
        client.get("/counters/song/1", headers=headers),
    ):
        assert answer.status_code == 200
        assert "Content-Encoding" not in answer.headers


@pytest.fixture(scope="module")
def live_site(tmp_path_factory):
    site = start_site(tmp_path_factory.mktemp("assets"))
    yield site
    stop(site.proc)


def test_served_pages_are_compressed_and_the_event_stream_is_not(live_site):
    headers = {"Accept-Encoding": "gzip, br"}
    page = httpx.get(live_site.url + "/", headers={**headers, "Accept": "text/html"})
    assert page.headers["Content-Encoding"] == "br"
    assert "Content-Security-Policy" in page.headers
    port = int(live_site.env["STATBOARD_LIVE_PORT"])
    wait_for_port(port)
    src, _ = stream_src(page.text)
    with httpx.stream("GET", src, headers=headers, timeout=10) as stream:
        assert stream.status_code == 200
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        assert "Content-Encoding" not in stream.headers
