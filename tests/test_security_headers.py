"""Every response carries the security headers: pages, fragments, JSON APIs, static
files, errors and the pure-WSGI counter API in front of Flask."""

import pytest
from statboard import create_app
from statboard.extensions import db
from statboard.security import content_security_policy, storage_origins

from tests.conftest import make_settings

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "SAMEORIGIN",
}


def directives(policy: str) -> dict[str, list[str]]:
    parts = [part.split() for part in policy.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/", {}),  # a page
        ("/login", {}),
        ("/", {"HX-Request": "true"}),  # a fragment
        ("/v3/uptime/", {"Accept": "application/json"}),  # a JSON API, 401
        ("/v1/uptime/", {"Accept": "application/json"}),
        ("/static/js/site.js", {}),
        ("/static/css/site.css", {}),
        ("/no-such-page/at-all", {}),  # an error page
        ("/counters/demo", {}),  # the pure-WSGI counter API
        ("/counters/demo", {"Accept": "application/json"}),
    ],
)
def test_every_response_carries_the_headers(app, client, path, headers):
    response = client.get(path, headers=headers)
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (path, name)
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert "Strict-Transport-Security" not in response.headers


def test_a_post_to_the_counter_api_carries_them_too(app, client):
    response = client.post("/counters/demo", headers={"Accept": "text/plain"})
    assert response.status_code < 500
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]


def test_hsts_when_the_cookie_is_secure(tmp_path):
    app = create_app(make_settings(tmp_path, SESSION_COOKIE_SECURE=True))
    with app.app_context():
        db.create_all()
    response = app.test_client().get("/static/js/site.js")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    response = app.test_client().get("/counters/demo")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


@pytest.mark.parametrize(
    ("url", "origins"),
    [
        ("uploads", []),
        ("/srv/statboard/uploads", []),
        ("s3://pics/site?endpoint=http://127.0.0.1:9000/&region=eu", ["http://127.0.0.1:9000"]),
        (
            "s3://pics/site?region=eu-west-1",
            ["https://pics.s3.amazonaws.com", "https://pics.s3.eu-west-1.amazonaws.com"],
        ),
    ],
)
def test_images_may_come_from_the_s3_endpoint(url, origins):
    assert storage_origins(url) == origins
    images = directives(content_security_policy({"STORAGE_URL": url}))["img-src"]
    assert images == ["'self'", "data:", *origins]


def test_a_header_a_response_sets_itself_is_kept(app):
    @app.get("/test-own-policy")
    def own_policy():
        return "x", 200, {"Referrer-Policy": "no-referrer"}

    response = app.test_client().get("/test-own-policy")
    assert response.headers.getlist("Referrer-Policy") == ["no-referrer"]
