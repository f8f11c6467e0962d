"""The OpenAPI document says what the machine APIs do: it is valid OpenAPI 3.1, it
describes every route of those APIs and no other, and real answers of each operation
(successes and errors) match it."""

import base64
import time
from datetime import datetime

import pytest
from openapi_spec_validator import validate
from statboard.openapi.document import document

from tests.conftest import gen_user
from tests.openapi_check import check, template_regex
from tests.series_helpers import gen_account, gen_token

API_BLUEPRINTS = {"hostapi", "hostapi_v3", "series_api"}
JSON = {"Accept": "application/json"}


@pytest.fixture
def settings(settings):
    settings["COUNTER_RATE_LIMIT"] = "6/minute"
    return settings


@pytest.fixture
def doc(client):
    return client.get("/openapi.json").json


@pytest.fixture
def call(client, doc):
    """Make a request with the test client and check its answer against the document."""

    def request(method, path, **kwargs):
        response = client.open(path, method=method, **kwargs)
        check(doc, method, path, response)
        return response

    return request


def basic(username, password) -> dict:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def bearer(token) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_the_document_is_valid_openapi_3_1(doc):
    validate(doc)
    assert doc["openapi"].startswith("3.1")


def test_the_reference_page_is_made_from_the_document(client, doc):
    html = client.get("/openapi").get_data(as_text=True)
    for path, item in doc["paths"].items():
        for method in ("get", "post", "put", "patch", "delete"):
            if method in item:
                assert f"{method.upper()} {path}" in html.replace("&#39;", "'")


def test_every_api_route_is_described_and_nothing_else(app):
    with app.app_context():
        namespace = app.config["COUNTER_PLAY_NAMESPACE"]
        described = {
            (path, method.upper())
            for path, item in document("http://x", "x", namespace)["paths"].items()
            for method in item
            if method in ("get", "post", "put", "patch", "delete")
        }
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in API_BLUEPRINTS:
            continue
        path = rule.rule.replace("<int:", "<").replace("<", "{").replace(">", "}")
        routed |= {(path, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    wsgi_paths = {"/", "/counters/", "/counters/{key}", f"/{namespace}/{{id}}"}
    assert {p for p, _ in described} >= wsgi_paths
    assert routed == {p for p in described if p[0] not in wsgi_paths}


def test_without_a_play_namespace_its_path_is_not_described(make_app):
    doc = make_app(COUNTER_PLAY_NAMESPACE="").test_client().get("/openapi.json").json
    validate(doc)
    assert not [p for p in doc["paths"] if p.endswith("/{id}")]
    assert "play" not in {tag["name"] for tag in doc["tags"]}


@pytest.mark.parametrize(
    "template, path, matches",
    [
        ("/counters/{key}", "/counters/song/1", True),
        ("/song/{id}", "/song/1/2", False),
        ("/v3/users/{name}", "/v3/users/ann/x", False),
        ("/api/series/{account_id}.json", "/api/series/12.json", True),
    ],
)
def test_path_templates(template, path, matches):
    assert bool(template_regex(template).match(path)) is matches


def test_the_counter_api_answers_as_described(app, call):
    gen_user(app, "admin", "admin-pw", admin=True)
    token = bearer(gen_token(app, "admin", scopes="counters"))
    call("GET", "/counters/song/1")
    call("GET", "/counters/song/1", headers=JSON)
    call("HEAD", "/counters/song/1")
    call("POST", "/counters/song/1")
    call("POST", "/counters/song/1?by=3", headers=JSON)
    call("POST", "/counters/song/1?by=0", headers=JSON)
    call("GET", "/counters/bad%20key")
    call("PUT", "/counters/song/2?value=5")
    call("PUT", "/counters/song/2?value=5", headers=token)
    call("PUT", "/counters/song/2", headers=token, data="7", content_type="text/plain")
    call("PUT", "/counters/song/2?value=-1", headers={**token, **JSON})
    call("GET", "/counters/")
    call("GET", "/counters/?prefix=song/", headers={"Accept": "text/plain"})
    call("GET", "/counters/?prefix=%3Cx%3E")
    call("DELETE", "/counters/song/2", headers=token)
    call("DELETE", "/counters/song/2")
    call("DELETE", "/counters/?prefix=song/", headers=token)
    statuses = [call("POST", "/counters/busy").status_code for _ in range(5)]
    assert statuses[-1] == 429  # 6 a minute, 3 spent above


def test_the_play_counter_protocol_answers_as_described(call):
    call("GET", "/song/1")
    call("HEAD", "/song/1")
    call("POST", "/song/1")
    call("POST", "/song/007", headers=JSON)
    call("GET", "/song/1", headers=JSON)  # the protocol's plain text, whatever is asked
    call("GET", "/song/one")
    call("HEAD", "/song/-1")
    call("POST", f"/song/{2**63}", headers=JSON)
    statuses = [call("POST", "/song/2").status_code for _ in range(5)]
    assert statuses[-1] == 429  # 6 a minute, 2 spent above


def test_a_private_play_namespace_answers_as_described(make_app, doc):
    app = make_app(COUNTER_PRIVATE_PREFIXES=["song/"])
    gen_user(app, "admin", "admin-pw", admin=True)
    client = app.test_client()
    answers = [
        ("POST", "/song/1", {}, 401),
        ("POST", "/song/1", bearer(gen_token(app, "admin", scopes="series")), 403),
        ("POST", "/song/1", bearer(gen_token(app, "admin", scopes="counters")), 200),
    ]
    for method, path, headers, status in answers:
        response = client.open(path, method=method, headers=headers)
        assert response.status_code == status, response.get_data(as_text=True)
        check(doc, method, path, response)


def test_the_series_api_answers_as_described(app, call):
    gen_user(app, "alice", admin=True)
    gen_user(app, "bob")
    samples = [(datetime(2024, 5, d), 100 + d) for d in range(1, 4)]
    public = gen_account(app, "x", "open", public=True, samples=samples)
    private = gen_account(app, "github", "closed", samples=samples)
    token = bearer(gen_token(app, "alice", scopes="series"))
    call("GET", "/twitstats/open")
    call("GET", "/twitstats/closed", headers=JSON)
    call("GET", f"/api/series/{public}.csv")
    call("GET", f"/api/series/{public}.json?from=2024-05-02")
    call("GET", f"/api/series/{public}.json?from=yesterday")
    call("GET", f"/api/series/{private}.json")
    call("GET", f"/api/series/{private}.csv", headers=token)
    call("GET", f"/api/series/{public}.json", headers=bearer("sb_unknown"))
    samples_url = f"/api/series/{private}/samples"
    call("POST", samples_url, headers=token, json={"count": 5})
    call(
        "POST", samples_url, headers=token, json=[{"count": 6, "taken_at": "2024-05-01T00:00:00Z"}]
    )
    call(
        "POST", samples_url, headers=token, json=[{"count": 6, "taken_at": "2024-05-01T00:00:00Z"}]
    )
    call("POST", samples_url, headers=token, json={"count": -1})
    call("POST", samples_url, json={"count": 1})
    call("POST", samples_url, headers=bearer(gen_token(app, "bob", scopes="series")), json={})
    call("POST", samples_url, headers=bearer(gen_token(app, "alice", scopes="counters")), json={})


def wait_finished(call, url, headers=None) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if call("GET", url, headers=headers).json["state"] in ("SUCCESS", "FAILURE", "REVOKED"):
            return
        time.sleep(0.1)
    raise AssertionError(f"{url} did not finish")


def test_the_host_api_answers_as_described(app, call):
    call("GET", "/", headers=JSON)
    for version in ("v1", "v2"):
        call("GET", f"/{version}/")
        call("GET", f"/{version}/uptime/")
    call("GET", "/v1/iostat/")
    call("GET", "/v1/iostat/?count=two")
    started = call("POST", "/v2/iostat/", data={"count": "1"})
    task_url = started.headers["Location"]
    wait_finished(call, task_url)
    call("GET", "/v2/task/no-such-task")
    call("DELETE", task_url)
    call("DELETE", "/v2/task/no-such-task")
    call("GET", "/v2/iostat/?count=1&wait=5")


def test_the_v3_api_answers_as_described(app, call):
    gen_user(app, "root", "root-pw", admin=True)
    gen_user(app, "carol", "carol-pw")
    root, carol = basic("root", "root-pw"), basic("carol", "carol-pw")
    call("GET", "/v3/")
    call("GET", "/v3/", headers=basic("root", "wrong"))
    call("GET", "/v3/", headers=root)
    call("GET", "/v3/uptime/", headers=root)
    started = call("POST", "/v3/iostat/", headers=root, json={"count": 1})
    wait_finished(call, started.headers["Location"], headers=root)
    call("GET", "/v3/task/unknown", headers=root)
    call("GET", "/v3/users/", headers=root)
    call("GET", "/v3/users/?detail=true&limit=1", headers=root)
    call("GET", "/v3/users/?limit=none", headers=root)
    ann = {"username": "ann", "fullname": "Ann", "password": "ann-password-1"}
    call("POST", "/v3/users/", headers=root, json=ann)
    call("POST", "/v3/users/", headers=root, json=ann)
    call("POST", "/v3/users/", headers=root, json={"username": "x"})
    call("POST", "/v3/users/", headers=carol, json=ann)
    call("GET", "/v3/users/ann", headers=root)
    call("GET", "/v3/users/nobody", headers=root)
    call(
        "PUT", "/v3/users/ann", headers=root, data={"fullname": "Ann B", "password": "pw-ann-2222"}
    )
    call("PUT", "/v3/users/ben", headers=root, json={"fullname": "Ben", "password": "pw-ben-2222"})
    call("PATCH", "/v3/users/ann", headers=root, json={"admin": "maybe"})
    call("PATCH", "/v3/users/ann", headers=root, json={"admin": True})
    call("DELETE", "/v3/users/ben", headers=root)
    call("DELETE", "/v3/users/ben", headers=root)
    call("PATCH", "/v3/users/root", headers=root, json={"admin": False})
