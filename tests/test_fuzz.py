"""Property-based fuzzing: random and boundary paths, query strings, bodies and headers
against every machine API and the id-taking site routes. Whatever comes in, the answer
is never a server error (5xx). Bounded (a few hundred requests per API) and derandomized,
so a run is the same every time. Under TESTING an unhandled exception propagates, so a
crash fails here with its own traceback."""

import base64
import json
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st
from statboard.extensions import db
from statboard.pages.demo import seed_demo
from statboard.pages.models import Block

from tests.conftest import gen_user, make_settings
from tests.series_helpers import daily, gen_account, gen_token

FUZZ = fuzz_settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SITE_FUZZ = fuzz_settings(FUZZ, max_examples=100)

HUGE = [2**31, 2**63 - 1, 2**63, 2**64, 10**30]
IDS = st.one_of(st.sampled_from([0, 1, 2, 3, 5, *HUGE]), st.integers(-5, 10**25))
BOUNDARY = st.sampled_from(
    [
        "",
        "0",
        "1",
        "-1",
        "²",
        "٣",
        "1.5",
        "1e9",
        "NaN",
        "true",
        "null",
        "\x00",
        "\n",
        "%0a",
        "9" * 40,
        str(2**63),
        str(2**63 - 1),
        "9999-12-31",
        "0001-01-01",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "2024-02-30",
        "../../etc/passwd",
        "<!--<script>",
        "a" * 300,
    ]
)
TEXT = st.text(max_size=40)
NUMBERS = st.one_of(st.sampled_from([-1, 0, 1, 2, *HUGE]), st.integers(-(2**70), 2**70))
VALUES = st.one_of(BOUNDARY, BOUNDARY, BOUNDARY, IDS.map(str), TEXT)
JSON_SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, st.floats(), VALUES)


def forms(keys):
    """Form fields or query values: the names the routes read, and now and then junk."""
    return st.one_of(
        st.dictionaries(st.sampled_from(keys), VALUES, min_size=1, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(keys), TEXT), VALUES, max_size=4),
    )


def json_bodies(keys):
    names = st.sampled_from(keys)
    return st.recursive(
        JSON_SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(names, inner, max_size=4)
        ),
        max_leaves=8,
    )


ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE"]
PRINTABLE = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60)


@pytest.fixture
def settings(tmp_path):
    """Sampling bounded to a second, so that iostat requests stay quick."""
    return make_settings(tmp_path, IOSTAT_MAX_COUNT=2, IOSTAT_MAX_SECONDS=1)


@pytest.fixture
def world(app):
    """A site with one block of every kind, a private series, users and tokens."""
    gen_user(app, "admin", "admin-pw", admin=True)
    gen_user(app, "alice")
    with app.app_context():
        seed_demo()
        block_ids = list(db.session.scalars(db.select(Block.id)))
    account = gen_account(app, "x", "KevKeeganQuotes", samples=daily(3))
    public = gen_account(app, "x", "weatherbot", public=True, samples=daily(3))
    tokens = {
        "series": gen_token(app, "admin"),
        "counters": gen_token(app, "admin", scopes="counters"),
        "alice": gen_token(app, "alice"),
    }
    return {"blocks": block_ids, "account": account, "public": public, "tokens": tokens}


def headers_strategy(world):
    basic = base64.b64encode(b"admin:admin-pw").decode()
    valid = [*(f"Bearer {t}" for t in world["tokens"].values()), f"Basic {basic}"]
    auth = st.sampled_from(
        [
            None,
            *valid,
            *valid,
            "Bearer sb_not-a-real-token",
            "Bearer ",
            f"Basic {basic}",
            "Basic !!!",
            "Bearer " + "x" * 300,
            "Basic " + base64.b64encode(b"\xff\xfe:\x00").decode(),
            "Basic " + base64.b64encode(b"nobody").decode(),
        ]
    )
    accept = st.sampled_from(
        [None, "application/json", "text/html", "text/plain", "*/*", "text/event-stream"]
    )
    content = st.sampled_from(
        [None, "application/json", "application/x-www-form-urlencoded", "text/plain", "a/b"]
    )
    return st.fixed_dictionaries(
        {"Authorization": st.one_of(st.sampled_from(valid), auth, PRINTABLE)},
        optional={
            "Accept": st.one_of(accept, PRINTABLE),
            "Content-Type": st.one_of(content, PRINTABLE),
            "HX-Request": st.just("true"),
            "X-CSRFToken": PRINTABLE,
            "Last-Event-ID": PRINTABLE,
        },
    ).map(lambda h: {k: v for k, v in h.items() if v is not None})


def segment(draw, ids=IDS) -> str:
    return draw(st.one_of(ids.map(str), TEXT.map(lambda t: quote(t, safe=""))))


@st.composite
def requests(draw, templates, keys, world):
    """(method, path, query, body, headers); a template is "METHODS /path/{id}/{text}"."""
    known = st.sampled_from([*world["blocks"], world["account"]])
    ids = st.one_of(known, known, IDS)
    methods, template = draw(st.sampled_from(templates)).split(" ")
    method = draw(st.one_of(st.sampled_from(methods.split(",")), st.sampled_from(ANY_METHOD)))
    path = template.format_map(
        {
            "id": segment(draw, ids),
            "text": segment(draw),
            "other": segment(draw, ids),
            "account": draw(st.sampled_from([world["public"], world["account"]])),
            "block": draw(st.sampled_from(world["blocks"])),
        }
    )
    query = draw(st.one_of(forms(keys).map(urlencode), TEXT.map(lambda t: quote(t, safe="=&"))))
    kind = draw(st.sampled_from(["none", "form", "json", "raw"]))
    body = {
        "none": {},
        "form": {"data": draw(forms(keys))},
        "json": {"data": json.dumps(draw(json_bodies(keys))), "content_type": "application/json"},
        "raw": {"data": draw(st.binary(max_size=200))},
    }[kind]
    headers = draw(headers_strategy(world))
    if kind == "json":
        headers.pop("Content-Type", None)
    return method, path, query, body, headers


def check(client, request) -> None:
    method, path, query, body, headers = request
    response = client.open(path, method=method, query_string=query, headers=headers, **body)
    assert response.status_code < 500, (method, path, query, body, headers, response.data[:300])


# Each API: its URLs, and the names its query strings, forms and JSON bodies use.
API_TEMPLATES = {
    "counters": (
        [
            "GET,POST /counters",
            "GET,DELETE /counters/",
            "GET,POST,PUT,DELETE /counters/{text}",
            "GET,POST,PUT /counters/{text}/{other}",
            "GET,POST,PUT,DELETE /counters/a",
        ],
        ["by", "value", "prefix", "key"],
    ),
    "series": (
        [
            "GET /api/series/{id}.json",
            "GET /api/series/{account}.json",
            "GET /api/series/{account}.csv",
            "POST /api/series/{account}/samples",
            "POST /api/series/{id}/samples",
            "GET /twitstats/{text}",
            "GET /twitstats/KevKeeganQuotes",
        ],
        ["from", "to", "count", "taken_at"],
    ),
    "v1_v2": (
        [
            "GET /v1/",
            "GET /v1/uptime/",
            "GET /v1/iostat/",
            "GET /v2/",
            "GET,POST /v2/iostat/",
            "GET,DELETE /v2/task/{text}",
        ],
        ["count", "wait"],
    ),
    "v3": (
        [
            "GET /v3/",
            "GET /v3/uptime/",
            "GET,POST /v3/iostat/",
            "GET,DELETE /v3/task/{text}",
            "GET,POST /v3/users/",
            "GET,PUT,PATCH,DELETE /v3/users/{text}",
            "GET,PUT,PATCH,DELETE /v3/users/alice",
        ],
        ["limit", "detail", "count", "wait", "username", "password", "fullname", "admin"],
    ),
}
SITE_KEYS = [
    "block",
    "block_id",
    "version",
    "direction",
    "position",
    "span",
    "range",
    "part",
    "title",
    "caption",
    "order",
    "url",
    "name",
    "handle",
    "platform",
    "is_public",
    "readers",
    "kind",
    "key",
]


def boundary_requests(api: str, world) -> list:
    """The cases seen to fail once, always tried before the random ones."""
    basic = {"Authorization": "Basic " + base64.b64encode(b"admin:admin-pw").decode()}
    bearer = {"Authorization": f"Bearer {world['tokens']['series']}"}
    account, huge = world["account"], 2**63
    cases = {
        "counters": [
            ("POST", f"/counters/a?by={huge}", {}),
            ("PUT", f"/counters/a?value={huge}", {}),
        ],
        "series": [
            ("GET", f"/api/series/{account}.json?to=9999-12-31", bearer),
            ("GET", f"/api/series/{account}.csv?from=0001-01-01T00:00:00%2B14:00", bearer),
            ("POST", f"/api/series/{account}/samples", bearer, {"count": 1, "taken_at": ""}),
            ("POST", f"/api/series/{account}/samples", bearer, {"count": huge}),
        ],
        "v1_v2": [
            ("GET", f"/v1/iostat/?count={huge}", {}),
            ("POST", "/v2/iostat/?wait=%C2%B2", {}),
        ],
        "v3": [
            ("GET", "/v3/users/?limit=%C2%B2", basic),
            ("GET", f"/v3/users/?limit={10**30}", basic),
        ],
    }[api]
    return [
        (method, *path.partition("?")[::2], {"json": rest[0]} if rest else {}, headers)
        for method, path, headers, *rest in cases
    ]


@pytest.mark.parametrize("api", sorted(API_TEMPLATES))
def test_machine_apis_never_answer_5xx(app, client, world, api):
    for request in boundary_requests(api, world):
        check(client, request)

    @FUZZ
    @given(requests(*API_TEMPLATES[api], world))
    def fuzz(request):
        check(client, request)

    fuzz()


SITE_TEMPLATES = [
    "GET,POST,PUT /blocks/{id}",
    "GET,POST,PUT /blocks/{block}",
    "GET /blocks/{id}/edit",
    "POST /blocks/{id}/move",
    "POST /blocks/{block}/move",
    "POST /blocks/{id}/span",
    "POST /blocks/{id}/rows",
    "POST /blocks/{id}/undo",
    "GET /blocks/{id}/history",
    "GET /blocks/{id}/tile",
    "GET /blocks/{block}/tile",
    "GET /blocks/{id}/values",
    "GET /blocks/{id}/chart",
    "GET /blocks/{block}/chart",
    "POST /blocks/{id}/accounts",
    "POST /blocks/{block}/accounts",
    "DELETE /blocks/{id}/accounts/{other}",
    "GET,POST /blocks/{id}/accounts/{other}/delete",
    "POST /blocks/{id}/hosts",
    "POST /blocks/{block}/hosts",
    "DELETE /blocks/{id}/hosts/{other}",
    "POST /blocks/{id}/hosts/{other}/delete",
    "POST /blocks/{id}/image",
    "POST /blocks/{id}/items",
    "POST /blocks/{block}/items",
    "GET,PUT,POST,DELETE /blocks/{id}/items/{text}",
    "GET /blocks/{id}/items/{text}/edit",
    "POST /blocks/{id}/items/{text}/move",
    "PUT,POST /blocks/{id}/items/order",
    "PUT,POST /blocks/{block}/items/order",
    "GET /counters-block/{id}",
    "GET /hosts/blocks/{id}",
    "GET /series/blocks/{id}",
    "GET,POST /images/blocks/{id}/{text}",
    "POST /hosts/remote",
    "DELETE /hosts/remote/{id}",
    "POST /tokens/{id}/revoke",
    "GET,PUT,POST /series/accounts/{id}",
    "GET /series/accounts/{id}/edit",
]


@pytest.mark.parametrize("who", ["visitor", "admin"])
def test_id_taking_site_routes_never_answer_5xx(app, client, auth, world, who):
    csrf = auth.csrf()
    if who == "admin":
        auth.login("admin", "admin-pw")
    huge = str(2**63)
    for block in world["blocks"]:
        for method, path, form in [
            ("GET", f"/series/accounts/{world['account']}?block={huge}", {}),
            ("GET", f"/series/accounts/{world['account']}/edit?block={huge}", {}),
            ("POST", f"/blocks/{block}/move", {"position": huge}),
            ("POST", f"/blocks/{block}/span", {"span": huge}),
            ("POST", f"/blocks/{block}/rows", {"rows": huge}),
            ("POST", f"/blocks/{block}", {"version": huge}),
            ("POST", "/hosts/remote", {"block_id": huge}),
            ("POST", f"/blocks/{block}/items/x/move", {"version": huge, "direction": "up"}),
        ]:
            path, _, query = path.partition("?")
            check(client, (method, path, query, {"data": form}, csrf))

    with_csrf = st.tuples(requests(SITE_TEMPLATES, SITE_KEYS, world), st.booleans()).map(
        lambda pair: (*pair[0][:4], {**pair[0][4], **(csrf if pair[1] else {})})
    )

    @SITE_FUZZ
    @given(with_csrf)
    def fuzz(request):
        check(client, request)

    fuzz()
