"""The stylesheets of a page as one bundle: one link, the files concatenated in the
order of the cascade, fingerprinted and cached a year as immutable, and served only
for the part lists the site itself signed (compressed: tests/test_assets.py)."""

import html
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from statboard import assets
from statboard.pages import registry

from tests.pages_helpers import EVENT, TEXT, gen_page

IMMUTABLE = "public, max-age=31536000, immutable"
STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)"')
STATIC = Path(__file__).resolve().parent.parent / "static"


def stylesheets(page: str) -> list[str]:
    return [html.unescape(href) for href in STYLESHEET.findall(page)]


def parts_of(url: str) -> list[str]:
    return parse_qs(urlsplit(url).query)["f"][0].split(",")


def version_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["v"][0]


def concatenation(folder: Path, names: list[str]) -> bytes:
    """The parts in order, each ending with a newline."""
    texts = [(folder / name).read_bytes() for name in names]
    return b"".join(text if text.endswith(b"\n") else text + b"\n" for text in texts)


@pytest.fixture
def client(app, client):
    gen_page(app, "home", "Home", blocks=[TEXT, EVENT])
    return client


@pytest.fixture
def bundle(client):
    """The visitor's bundle URL of the home page."""
    [url] = stylesheets(client.get("/").get_data(as_text=True))
    return url


def test_a_page_links_one_stylesheet_holding_the_parts_in_cascade_order(client, bundle):
    assert bundle.startswith("/bundle.css?")
    styles, _ = registry.assets(False)
    assert parts_of(bundle) == ["css/site.css", *styles]
    answer = client.get(bundle)
    assert answer.status_code == 200
    assert answer.mimetype == "text/css"
    assert answer.get_data() == concatenation(STATIC, parts_of(bundle))


def test_a_visitors_bundle_leaves_the_editor_out_and_an_admins_ends_with_it(client, auth):
    visitor = stylesheets(client.get("/").get_data(as_text=True))
    assert len(visitor) == 1 and "css/edit.css" not in parts_of(visitor[0])
    editor_rules = (STATIC / "css/edit.css").read_bytes()
    assert editor_rules not in client.get(visitor[0]).get_data()

    auth.login_admin()
    admin = stylesheets(client.get("/").get_data(as_text=True))
    assert len(admin) == 1
    styles, _ = registry.assets(True)
    assert parts_of(admin[0]) == ["css/site.css", *styles, "css/edit.css"]
    assert client.get(admin[0]).get_data().endswith(editor_rules)
    assert version_of(admin[0]) != version_of(visitor[0])


def test_the_versioned_bundle_is_immutable_and_revalidated_without_its_version(client, bundle):
    answer = client.get(bundle)
    assert answer.headers["Cache-Control"] == IMMUTABLE
    again = client.get(bundle, headers={"If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304 and not again.get_data()

    unversioned = bundle.replace(f"v={version_of(bundle)}", "v=000000000000")
    old = client.get(unversioned)  # a page rendered before a deploy: the current content
    assert old.status_code == 200 and old.headers["Cache-Control"] == "no-cache"
    assert old.get_data() == answer.get_data()
    assert (
        client.get(unversioned, headers={"If-None-Match": old.headers["ETag"]}).status_code == 304
    )


@pytest.mark.parametrize(
    "change",
    [
        lambda url: url.replace("css/site.css,", "css/edit.css,css/site.css,"),  # a list not signed
        lambda url: url.replace("css/site.css,", ""),
        lambda url: re.sub(r"s=[0-9a-f]+", "s=" + "0" * 16, url),
        lambda url: re.sub(r"&s=[0-9a-f]+", "", url),
        lambda url: url.replace("css/site.css", "../config.py"),
    ],
)
def test_only_the_lists_the_site_signed_are_served(client, bundle, change):
    assert client.get(change(bundle)).status_code == 404


def test_another_process_of_the_site_serves_a_bundle_from_its_url_alone(app, bundle, make_app):
    assets._bundles.clear()  # a process that has not rendered a page yet
    other = make_app(SECRET_KEY=app.config["SECRET_KEY"]).test_client()
    answer = other.get(bundle)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == IMMUTABLE
    assert answer.get_data() == concatenation(STATIC, parts_of(bundle))
    stranger = make_app(SECRET_KEY="another-secret").test_client()
    assert stranger.get(bundle).status_code == 404


def test_a_changed_part_gets_a_new_url(app, tmp_path):
    folder = tmp_path / "static"
    (folder / "css").mkdir(parents=True)
    (folder / "css/a.css").write_text("body { color: red }")
    (folder / "css/b.css").write_text("p { margin: 0 }\n")
    app.static_folder = str(folder)
    names = ["css/a.css", "css/b.css"]
    with app.test_request_context():
        first = assets.bundle_url(names)
        (folder / "css/b.css").write_text("p { margin: 1px }\n")
        second = assets.bundle_url(names)
        assert assets.bundle_url(names) == second  # built once per version
    assert first != second and parts_of(first) == parts_of(second) == names
    client = app.test_client()
    answer = client.get(second)
    assert answer.get_data() == b"body { color: red }\np { margin: 1px }\n"
    assert answer.headers["Cache-Control"] == IMMUTABLE
    assert client.get(first).headers["Cache-Control"] == "no-cache"
    (folder / "css/b.css").unlink()  # a part gone: left out, as its own link would 404
    assert client.get(second).get_data() == b"body { color: red }\n"


def test_relative_urls_in_a_part_still_resolve_from_the_bundle(app, tmp_path):
    folder = tmp_path / "static"
    (folder / "css").mkdir(parents=True)
    (folder / "css/a.css").write_text(
        ".a { background: url(../img/dot.png) }\n"
        '.b { background: url( "fonts/x.woff2" ) }\n'
        ".c { background: url('/static/y.png') url(data:image/png;base64,AA==) }\n"
        ".d { mask: url(#m) url(https://example.test/z.svg) }\n"
    )
    app.static_folder = str(folder)
    with app.test_request_context():
        url = assets.bundle_url(["css/a.css"])
    body = app.test_client().get(url).get_data(as_text=True)
    assert body == (
        ".a { background: url(/static/img/dot.png) }\n"
        '.b { background: url("/static/css/fonts/x.woff2") }\n'
        ".c { background: url('/static/y.png') url(data:image/png;base64,AA==) }\n"
        ".d { mask: url(#m) url(https://example.test/z.svg) }\n"
    )


def test_no_part_holds_a_rule_that_only_counts_at_the_top_of_a_file(bundle):
    """@import and @charset are ignored after the first rule: in a bundle, a later part's
    would be lost. None of the site's stylesheets may use them."""
    for name in parts_of(bundle) + ["css/edit.css"]:
        text = (STATIC / name).read_text()
        assert not re.search(r"@(import|charset|namespace)\b", text), name
