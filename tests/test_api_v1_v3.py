"""The host API, black-box over HTTP against the running site (python run.py).

A client written for the original API must get the same answers: exact paths,
status codes, headers and JSON shapes.
"""

import re
import time

import psutil
import pytest

from tests.fixtures.hosts import ADMIN, CAROL, DAVE, wait_for_state

UPTIME = re.compile(  # the uptime command's line, stripped of surrounding whitespace
    r"^\d\d:\d\d:\d\d up (\d+ days?, )?(\s?\d+:\d\d|\d+ min), +\d+ users?, "
    r" load average: \d+\.\d\d, \d+\.\d\d, \d+\.\d\d$"
)
DEVICE_HEADER = "Device:            tps    kB_read/s    kB_wrtn/s    kB_read    kB_wrtn"


def assert_no_cookie(response):
    assert "set-cookie" not in response.headers


# --- discovery ---------------------------------------------------------------

ROOT_LINKS = {
    "links": [
        {"rel": "v1", "href": "/v1/"},
        {"rel": "v2", "href": "/v2/"},
        {"rel": "v3", "href": "/v3/"},
    ]
}


@pytest.mark.parametrize("accept", ["*/*", "application/json", "application/json, */*;q=0.5"])
def test_root_lists_the_versions_to_machines(http, accept):
    response = http.get("/", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == ROOT_LINKS
    assert "Accept" in response.headers["vary"]


def test_root_still_gives_browsers_the_home_page(http):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = http.get("/", headers={"Accept": browser})
    assert response.headers["content-type"].startswith("text/html")
    assert "Accept" in response.headers["vary"]
    assert '"links"' not in response.text


@pytest.mark.parametrize(
    "path, links",
    [
        ("/v1/", [("uptime", "/v1/uptime/"), ("iostat", "/v1/iostat/")]),
        ("/v2/", [("uptime", "/v2/uptime/"), ("iostat", "/v2/iostat/")]),
    ],
)
def test_version_link_lists(http, path, links):
    response = http.get(path)
    assert response.status_code == 200
    assert response.json() == {"links": [{"rel": r, "href": h} for r, h in links]}
    assert_no_cookie(response)


def test_v1_without_slash_redirects(http):
    response = http.get("/v1")
    assert response.status_code in (301, 308)
    assert response.headers["location"].endswith("/v1/")


def test_unknown_api_paths_answer_json(http):
    assert http.get("/v2/nothing-here").json().keys() == {"msg"}
    assert http.get("/v2/nothing-here").status_code == 404
    assert http.post("/v1/uptime/").status_code == 405
    assert "msg" in http.post("/v1/uptime/").json()


# --- uptime and synchronous iostat ---------------------------------------------


@pytest.mark.parametrize("path", ["/v1/uptime/", "/v2/uptime/"])
def test_uptime_is_one_line_like_the_uptime_command(http, path):
    body = http.get(path).json()
    assert body.keys() == {"uptime"}
    assert UPTIME.match(body["uptime"]), body["uptime"]


@pytest.mark.parametrize("path", ["/v1/uptime/", "/v2/uptime/", "/v3/uptime/"])
def test_uptime_has_no_surrounding_whitespace(task_http, path):
    uptime = task_http.get(path, auth=CAROL).json()["uptime"]
    assert uptime == uptime.strip()
    assert uptime[:2].isdigit() and " up " in uptime


def test_iostat_defaults_to_one_report(http):
    body = http.get("/v1/iostat/").json()
    assert body.keys() == {"iostat"}
    assert body["iostat"].count(DEVICE_HEADER) == 1
    assert body["iostat"].startswith("Linux ")


def test_iostat_count_and_wait_sample_several_reports(http):
    started = time.monotonic()
    body = http.get("/v1/iostat/", params={"count": 2, "wait": 1}).json()
    assert time.monotonic() - started >= 1.0  # it really waited between the two
    assert body["iostat"].count(DEVICE_HEADER) == 2


BAD_PARAMS = [
    {"count": "x"},
    {"count": "1.5"},
    {"count": "0"},
    {"count": "-3"},
    {"wait": "soon"},
    {"count": "2", "wait": "0"},
    {"count": "1", "wait": "2"},
    {"count": "61"},  # above IOSTAT_MAX_COUNT
    {"count": "60", "wait": "6"},  # 360 s, above IOSTAT_MAX_SECONDS
]


@pytest.mark.parametrize("params", BAD_PARAMS)
def test_v1_iostat_refuses_bad_parameters(http, params):
    response = http.get("/v1/iostat/", params=params)
    assert response.status_code == 400
    assert response.json().keys() == {"msg"}
    assert response.json()["msg"].endswith(".")


@pytest.mark.parametrize("params", BAD_PARAMS)
def test_v2_iostat_refuses_bad_parameters_without_starting_a_task(http, params):
    response = http.post("/v2/iostat/", data=params)
    assert response.status_code == 400
    assert response.json().keys() == {"msg"}


# --- v2 tasks: on both task engines (worker threads, a Celery worker) --------------


def test_v2_iostat_task_runs_to_success(task_http):
    response = task_http.post("/v2/iostat/", data={"count": 2, "wait": 1})
    assert response.status_code == 201
    body = response.json()
    task_id = body["task_id"]
    href = f"/v2/task/{task_id}"
    assert body == {"task_id": task_id, "links": [{"rel": "task", "href": href}]}
    assert response.headers["location"].endswith(href)
    assert_no_cookie(response)

    running = task_http.get(href).json()
    assert running["state"] in ("QUEUED", "STARTED")
    assert {"rel": "cancel", "method": "DELETE", "href": href} in running["links"]
    assert "result" not in running

    done = wait_for_state(task_http, href, {"SUCCESS", "FAILURE"})
    assert done == {
        "task_id": task_id,
        "state": "SUCCESS",
        "links": [{"rel": "self", "href": href}],
        "result": {"iostat": done["result"]["iostat"]},
    }
    assert done["result"]["iostat"].count(DEVICE_HEADER) == 2


def test_samplings_run_on_the_engine_the_site_is_set_to(task_site, task_http):
    """With STATBOARD_TASKS_URL=redis://, the Celery worker runs them, not the site."""
    href = task_http.post("/v2/iostat/").json()["links"][0]["href"]
    wait_for_state(task_http, href, {"SUCCESS"})
    task = task_site.app.extensions["statboard.tasks"].get(href.rsplit("/", 1)[1])
    pid = int(task.worker.split(":")[1])
    if task_site.worker is not None:
        assert pid == task_site.worker.pid
    else:
        site_pids = {task_site.proc.pid} | {
            p.pid for p in psutil.Process(task_site.proc.pid).children(recursive=True)
        }
        assert pid in site_pids


def test_v2_iostat_get_also_starts_a_task(task_http):
    response = task_http.get("/v2/iostat/")
    assert response.status_code == 201
    href = response.json()["links"][0]["href"]
    assert (
        wait_for_state(task_http, href, {"SUCCESS"})["result"]["iostat"].count(DEVICE_HEADER) == 1
    )


def test_v2_json_body_is_accepted(task_http):
    response = task_http.post("/v2/iostat/", json={"count": 1, "wait": 1})
    assert response.status_code == 201


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_unknown_task_is_404_json(task_http, method):
    response = task_http.request(method, "/v2/task/no-such-task")
    assert response.status_code == 404
    assert response.json().keys() == {"msg"}


def test_delete_stops_a_running_sampling(task_http):
    started = time.monotonic()
    href = task_http.post("/v2/iostat/", data={"count": 5, "wait": 1}).json()["links"][0]["href"]
    wait_for_state(task_http, href, {"STARTED"})
    response = task_http.delete(href)
    assert response.status_code == 204
    assert response.content == b""
    body = wait_for_state(task_http, href, {"REVOKED", "SUCCESS", "FAILURE"}, timeout=6)
    assert body["state"] == "REVOKED"
    assert time.monotonic() - started < 3.5  # well before the 4 s the sampling needs
    assert body["links"] == [{"rel": "self", "href": href}]
    assert "result" not in body


@pytest.mark.parametrize("version, auth", [("v2", None), ("v3", CAROL)])
def test_a_poll_right_after_cancelling_reads_revoked(task_http, version, auth):
    """The original rule: once DELETE answered, the task is REVOKED, never STARTED,
    though the sampling stops only at its next check."""
    response = task_http.post(f"/{version}/iostat/", data={"count": 5, "wait": 1}, auth=auth)
    href = response.json()["links"][0]["href"]
    wait_for_state(task_http, href, {"STARTED"}, auth=auth)
    assert task_http.delete(href, auth=auth).status_code == 204
    body = task_http.get(href, auth=auth).json()
    assert body["state"] == "REVOKED"
    assert body["links"] == [{"rel": "self", "href": href}]
    assert "result" not in body
    assert task_http.delete(href, auth=auth).status_code == 204  # cancelling twice is harmless
    time.sleep(1.2)  # past the sampling's next check: it stopped, and stays REVOKED
    assert task_http.get(href, auth=auth).json()["state"] == "REVOKED"


def test_delete_revokes_a_queued_sampling_before_it_starts(task_site, task_http):
    slots = 2  # celery -c 2; TASK_ANONYMOUS_THREADS (ownerless /v2 samplings run there)
    hrefs = [
        task_http.post("/v2/iostat/", data={"count": 3, "wait": 1}).json()["links"][0]["href"]
        for _ in range(slots + 1)
    ]
    for href in hrefs[:slots]:
        wait_for_state(task_http, href, {"STARTED"})
    queued = hrefs[slots]
    assert task_http.get(queued).json()["state"] == "QUEUED"
    assert task_http.delete(queued).status_code == 204
    assert task_http.get(queued).json()["state"] == "REVOKED"  # at once, not when run
    for href in hrefs[:slots]:
        assert task_http.delete(href).status_code == 204
    for href in hrefs:
        assert wait_for_state(task_http, href, {"REVOKED", "SUCCESS", "FAILURE"})["state"] == (
            "REVOKED"
        )
    time.sleep(0.3)  # a worker handed the revoked id must still not run it
    assert task_http.get(queued).json()["state"] == "REVOKED"


# --- v3: basic auth, tasks per user --------------------------------------------


@pytest.mark.parametrize("auth", [None, ("root", "wrong"), ("nobody", "x"), ("", "")])
def test_v3_needs_basic_auth(http, auth):
    response = http.get("/v3/uptime/", auth=auth)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Basic realm="')
    assert response.json().keys() == {"message"}


def test_v3_root_lists_its_links_to_anyone(task_http):
    for auth in (None, ("nobody", "x")):
        response = task_http.get("/v3/", auth=auth)
        assert response.status_code == 200
        assert response.json() == V3_LINKS
        assert_no_cookie(response)
    for path in ("/v3/uptime/", "/v3/users/", "/v3/users/carol", "/v3/task/x"):
        response = task_http.get(path)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"].startswith('Basic realm="')
    assert task_http.post("/v3/iostat/").status_code == 401


V3_LINKS = {
    "links": [
        {"rel": "uptime", "href": "/v3/uptime/"},
        {"rel": "iostat", "href": "/v3/iostat/"},
        {"rel": "users", "href": "/v3/users/"},
    ]
}


def test_v3_mirrors_v2(task_http):
    assert task_http.get("/v3/", auth=CAROL).json() == V3_LINKS
    assert UPTIME.match(task_http.get("/v3/uptime/", auth=CAROL).json()["uptime"])
    response = task_http.post("/v3/iostat/", auth=CAROL, data={"count": "x"})
    assert response.status_code == 400
    assert response.json().keys() == {"message"}
    response = task_http.post("/v3/iostat/", auth=CAROL)
    assert response.status_code == 201
    href = response.json()["links"][0]["href"]
    assert href.startswith("/v3/task/")
    assert wait_for_state(task_http, href, {"SUCCESS"}, auth=CAROL)["result"]["iostat"]


def test_v3_users_cannot_see_or_cancel_other_users_tasks(task_http):
    href = task_http.post("/v3/iostat/", auth=CAROL, data={"count": 10, "wait": 1}).json()["links"][
        0
    ]["href"]
    task_id = href.rsplit("/", 1)[1]
    for auth in (DAVE, ADMIN):
        assert task_http.get(href, auth=auth).status_code == 404
        assert task_http.delete(href, auth=auth).status_code == 404
    assert task_http.get(f"/v2/task/{task_id}").status_code == 404  # not through v2 either
    assert task_http.delete(f"/v2/task/{task_id}").status_code == 404
    assert task_http.get(href, auth=CAROL).json()["state"] in ("QUEUED", "STARTED")
    assert task_http.delete(href, auth=CAROL).status_code == 204
    assert wait_for_state(task_http, href, {"REVOKED"}, auth=CAROL)["state"] == "REVOKED"


# --- v3 users: PUT replaces the whole record, PATCH changes some fields -----------------

FULL = {"fullname": "Pat", "password": "pat-pw", "admin": "false"}


@pytest.mark.parametrize(
    "missing",
    [("password",), ("fullname",), ("admin",), ("password", "admin"), FULL.keys()],
)
def test_put_without_every_field_names_the_missing_ones(task_http, missing):
    body = {name: value for name, value in FULL.items() if name not in missing}
    for name in ("pat", "carol"):  # a new user and an existing one alike
        response = task_http.put(f"/v3/users/{name}", data=body, auth=ADMIN)
        assert response.status_code == 400
        assert response.json().keys() == {"message"}
        assert sorted(response.json()["message"]) == sorted(missing)
    assert task_http.get("/v3/users/pat", auth=ADMIN).status_code == 404
    assert task_http.get("/v3/users/carol", auth=ADMIN).json()["fullname"] == "Carol"


def test_put_replaces_and_patch_updates(task_http):
    created = task_http.put("/v3/users/pat", data=FULL, auth=ADMIN)
    assert created.status_code == 201
    assert created.headers["location"].endswith("/v3/users/pat")
    replaced = task_http.put("/v3/users/pat", json={**FULL, "admin": True}, auth=ADMIN)
    assert replaced.status_code == 200
    assert (replaced.json()["fullname"], replaced.json()["admin"]) == ("Pat", True)
    patched = task_http.patch("/v3/users/pat", json={"fullname": "Pat P"}, auth=ADMIN)
    assert patched.status_code == 200
    assert (patched.json()["fullname"], patched.json()["admin"]) == ("Pat P", True)
    assert task_http.get("/v3/uptime/", auth=("pat", "pat-pw")).status_code == 200
    assert task_http.delete("/v3/users/pat", auth=ADMIN).status_code == 204
