"""/v3/users/, black-box over HTTP against the running site."""

import sqlite3

import pytest

from tests.fixtures.hosts import ADMIN, CAROL


def user_obj(name, fullname, admin=False):
    return {
        "username": name,
        "fullname": fullname,
        "admin": admin,
        "links": [{"rel": "self", "href": f"/v3/users/{name}"}],
    }


def stored_hash(site, name) -> str:
    path = site.env["STATBOARD_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        row = conn.execute("select password_hash from users where username = ?", (name,))
        return row.fetchone()[0]


def test_list_names_with_limit_and_detail(http):
    names = http.get("/v3/users/", auth=CAROL).json()["users"]
    assert {"root", "carol", "dave"} <= set(names)
    assert http.get("/v3/users/", params={"limit": 2}, auth=CAROL).json()["users"] == names[:2]
    detail = http.get("/v3/users/", params={"detail": 1}, auth=CAROL).json()["users"]
    assert user_obj("carol", "Carol") in detail
    assert all("password" not in user and "password_hash" not in user for user in detail)


@pytest.mark.parametrize("limit", ["0", "-1", "many", "1.5", "²", "9223372036854775808", "9" * 40])
def test_bad_limit_is_a_field_error(http, limit):
    response = http.get("/v3/users/", params={"limit": limit}, auth=CAROL)
    assert response.status_code == 400
    assert list(response.json()["message"]) == ["limit"]


def test_admin_creates_a_user_from_a_form_and_the_password_is_hashed(http, site):
    form = {"username": "erin", "fullname": "Erin E", "password": "erin-pw", "admin": "false"}
    response = http.post("/v3/users/", data=form, auth=ADMIN)
    assert response.status_code == 201
    assert response.json() == user_obj("erin", "Erin E", admin=False)
    assert response.headers["location"].endswith("/v3/users/erin")
    assert "erin-pw" not in response.text
    assert stored_hash(site, "erin") not in ("", "erin-pw")
    assert http.get("/v3/uptime/", auth=("erin", "erin-pw")).status_code == 200
    assert http.post("/v3/users/", data=form, auth=ADMIN).status_code == 409


def test_admin_creates_a_user_from_json_with_admin_true(http):
    body = {"username": "fred", "fullname": "Fred", "password": "fred-pw", "admin": "true"}
    response = http.post("/v3/users/", json=body, auth=ADMIN)
    assert response.status_code == 201
    assert response.json()["admin"] is True
    assert http.get("/v3/users/fred", auth=CAROL).json() == user_obj("fred", "Fred", admin=True)


@pytest.mark.parametrize("missing", ["username", "fullname", "password"])
def test_create_names_the_missing_field(http, missing):
    body = {"username": "gina", "fullname": "Gina", "password": "pw"}
    del body[missing]
    response = http.post("/v3/users/", data=body, auth=ADMIN)
    assert response.status_code == 400
    assert list(response.json()["message"]) == [missing]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"username": "a b", "fullname": "x", "password": "p"}, "username"),
        ({"username": "x" * 65, "fullname": "x", "password": "p"}, "username"),
        ({"username": "hal", "fullname": "x", "password": "p", "admin": "maybe"}, "admin"),
    ],
)
def test_create_refuses_bad_fields(http, body, field):
    response = http.post("/v3/users/", data=body, auth=ADMIN)
    assert response.status_code == 400
    assert field in response.json()["message"]


def test_json_body_that_is_not_an_object_is_refused(http):
    json_type = {"Content-Type": "application/json"}
    response = http.post("/v3/users/", content=b"[1, 2", auth=ADMIN, headers=json_type)
    assert response.status_code == 400
    assert "message" in response.json()


@pytest.mark.parametrize(
    "method, path",
    [
        ("POST", "/v3/users/"),
        ("PUT", "/v3/users/carol"),
        ("PATCH", "/v3/users/carol"),
        ("DELETE", "/v3/users/carol"),
        ("PUT", "/v3/users/new-one"),
    ],
)
def test_non_admins_get_403_before_the_body_is_checked(http, method, path):
    # An empty, invalid body: the 403 comes first, and nothing changes.
    response = http.request(method, path, auth=CAROL, data={})
    assert response.status_code == 403
    assert response.json().keys() == {"message"}
    assert http.get("/v3/users/carol", auth=CAROL).json() == user_obj("carol", "Carol")
    assert http.get("/v3/users/new-one", auth=CAROL).status_code == 404


def test_unknown_user_is_404(http):
    response = http.get("/v3/users/nobody", auth=CAROL)
    assert response.status_code == 404
    assert response.json().keys() == {"message"}
    assert http.patch("/v3/users/nobody", data={"fullname": "x"}, auth=ADMIN).status_code == 404
    assert http.delete("/v3/users/nobody", auth=ADMIN).status_code == 404


def test_put_creates_replaces_and_renames(http):
    body = {"fullname": "Ivy", "password": "ivy-pw", "admin": "false"}
    created = http.put("/v3/users/ivy", data=body, auth=ADMIN)
    assert created.status_code == 201
    assert created.json() == user_obj("ivy", "Ivy")

    replacement = {"fullname": "Ivy Two", "password": "pw2", "admin": False}
    replaced = http.put("/v3/users/ivy", json=replacement, auth=ADMIN)
    assert replaced.status_code == 200
    assert replaced.json() == user_obj("ivy", "Ivy Two")
    assert http.get("/v3/uptime/", auth=("ivy", "pw2")).status_code == 200

    renamed = http.put("/v3/users/ivy", data={**body, "username": "ivy2"}, auth=ADMIN)
    assert renamed.json() == user_obj("ivy2", "Ivy")
    assert http.get("/v3/users/ivy", auth=CAROL).status_code == 404
    taken = http.put("/v3/users/ivy2", data={**body, "username": "carol"}, auth=ADMIN)
    assert taken.status_code == 409
    missing = http.put("/v3/users/ivy2", data={"fullname": "no password"}, auth=ADMIN)
    assert missing.status_code == 400
    assert sorted(missing.json()["message"]) == ["admin", "password"]


ADMIN_VALUES = [("true", True), ("false", False), ("1", True), ("0", False), (True, True)]


@pytest.mark.parametrize("value, expected", [*ADMIN_VALUES, (False, False)])
def test_patch_admin_flag_parses_strings_and_booleans(http, value, expected):
    http.put("/v3/users/jo", data={"fullname": "Jo", "password": "jo-pw", "admin": 0}, auth=ADMIN)
    send = {"json": {"admin": value}} if isinstance(value, bool) else {"data": {"admin": value}}
    response = http.patch("/v3/users/jo", auth=ADMIN, **send)
    assert response.status_code == 200
    assert response.json() == user_obj("jo", "Jo", admin=expected)


def test_patch_changes_only_what_it_names(http):
    kim = {"fullname": "Kim", "password": "kim-pw", "admin": 0}
    http.put("/v3/users/kim", data=kim, auth=ADMIN)
    response = http.patch("/v3/users/kim", json={"fullname": "Kim K"}, auth=ADMIN)
    assert response.json() == user_obj("kim", "Kim K")
    assert http.get("/v3/uptime/", auth=("kim", "kim-pw")).status_code == 200  # password kept


def test_delete_is_204_and_empty(http):
    http.put("/v3/users/lee", data={"fullname": "Lee", "password": "pw", "admin": 0}, auth=ADMIN)
    response = http.delete("/v3/users/lee", auth=ADMIN)
    assert response.status_code == 204
    assert response.content == b""
    assert http.get("/v3/users/lee", auth=CAROL).status_code == 404
    assert http.get("/v3/uptime/", auth=("lee", "pw")).status_code == 401


def test_the_last_admin_can_be_neither_deleted_nor_demoted(http):
    admins = [
        u["username"]
        for u in http.get("/v3/users/", params={"detail": "1"}, auth=ADMIN).json()["users"]
        if u["admin"]
    ]
    for name in admins:  # leave root as the only admin
        if name != "root":
            assert http.patch(f"/v3/users/{name}", data={"admin": "false"}, auth=ADMIN).is_success
    for response in (
        http.delete("/v3/users/root", auth=ADMIN),
        http.patch("/v3/users/root", data={"admin": "false"}, auth=ADMIN),
        http.put("/v3/users/root", data={"fullname": "R", "password": "x", "admin": 0}, auth=ADMIN),
    ):
        assert response.status_code == 409
        assert response.json().keys() == {"message"}
    assert http.get("/v3/users/root", auth=ADMIN).json()["admin"] is True
    # With a second admin, root may step down.
    second = {"fullname": "Max", "password": "pw", "admin": "true"}
    assert http.put("/v3/users/max", data=second, auth=ADMIN).status_code == 201
    assert http.patch("/v3/users/root", data={"admin": "false"}, auth=ADMIN).status_code == 200
    assert http.patch("/v3/users/root", data={"admin": "true"}, auth=("max", "pw")).is_success


def test_users_api_sets_no_cookie(http):
    response = http.get("/v3/users/", auth=CAROL)
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("name", ["ann@example.org", "ann+1", "-ann", "ann b"])
def test_usernames_follow_the_same_rules_as_everywhere(http, name):
    """The CLI's rules (auth/users.py): letters, digits, dots, dashes, underscores."""
    body = {"username": name, "fullname": "Ann", "password": "ann-pw"}
    response = http.post("/v3/users/", data=body, auth=ADMIN)
    assert response.status_code == 400
    assert list(response.json()["message"]) == ["username"]
    assert "letters, digits" in response.json()["message"]["username"]
    put = http.put(
        f"/v3/users/{name}", data={"fullname": "Ann", "password": "pw", "admin": 0}, auth=ADMIN
    )
    assert put.status_code == 400 and list(put.json()["message"]) == ["username"]
    assert name not in http.get("/v3/users/", auth=ADMIN).json()["users"]
