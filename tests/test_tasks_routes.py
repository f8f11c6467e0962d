"""The progress partial at /tasks/<id>: owner checks, the htmx contract, cancel."""

import re

import pytest
from statboard import tasks
from statboard.tasks.routes import progress_response
from statboard.tasks.runner import wait_for

from tests.conftest import gen_user, make_settings
from tests.fixtures.tasks import TASK_IMPORTS

HTMX = {"HX-Request": "true"}


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path, TASK_IMPORTS=TASK_IMPORTS)


def submit(app, owner, kind="test.count", **args):
    with app.app_context():
        return tasks.submit(kind, owner=owner, **args)


def finish(app, task_id):
    with app.app_context():
        return wait_for(task_id, timeout=10)


def root_element(html: str) -> str:
    return re.match(r"\s*(<\w+[^>]*>)", html).group(1)


def test_a_running_task_polls_itself_and_a_finished_one_says_done(app, client, auth):
    alice = gen_user(app, "alice")
    auth.login("alice", "secret-pw")
    task_id = submit(app, alice, steps=400, pause=0.05)

    running = client.get(f"/tasks/{task_id}", headers=HTMX)
    html = running.get_data(as_text=True)
    assert running.status_code == 200
    assert "<html" not in html
    root = root_element(html)
    assert f'id="task-{task_id}"' in root and 'class="task-progress' in root
    assert 'hx-trigger="every 500ms"' in root and 'hx-swap="outerHTML"' in root
    assert "HX-Request" in running.headers["Vary"]
    assert "HX-Trigger" not in running.headers
    assert "Cancel" in html and "<progress" in html

    cancelled = client.post(f"/tasks/{task_id}/cancel", headers={**HTMX, **auth.csrf()})
    assert cancelled.status_code == 200
    assert root_element(cancelled.get_data(as_text=True)).startswith('<div class="task-progress')
    assert finish(app, task_id).state == "REVOKED"

    done = client.get(f"/tasks/{task_id}", headers=HTMX)
    assert done.headers["HX-Trigger"] == "done"
    assert "hx-trigger" not in root_element(done.get_data(as_text=True))
    assert "Cancelled." in done.get_data(as_text=True)


def test_without_htmx_the_task_is_a_full_page(app, client, auth):
    alice = gen_user(app, "alice")
    auth.login("alice", "secret-pw")
    task_id = submit(app, alice, kind="test.fail", message="the feed went away")
    finish(app, task_id)
    page = client.get(f"/tasks/{task_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert f'id="task-{task_id}"' in html
    assert "Failed: RuntimeError: the feed went away" in html
    assert "HX-Request" in page.headers["Vary"]


def test_cancel_without_javascript_redirects_back_to_the_task(app, client, auth):
    alice = gen_user(app, "alice")
    auth.login("alice", "secret-pw")
    task_id = submit(app, alice, steps=400, pause=0.05)
    response = client.post(
        f"/tasks/{task_id}/cancel", data={"csrf_token": auth.csrf()["X-CSRFToken"]}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/tasks/{task_id}"
    assert finish(app, task_id).state == "REVOKED"


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("admin", 200), ("other", 403), ("nobody", 401)],
)
def test_only_the_owner_or_an_admin_sees_a_task(app, client, auth, who, status):
    owner = gen_user(app, "owner")
    gen_user(app, "other")
    gen_user(app, "admin", "admin-pw", admin=True)
    if who == "owner":
        auth.login("owner", "secret-pw")
    elif who == "other":
        auth.login("other", "secret-pw")
    elif who == "admin":
        auth.login("admin", "admin-pw")
    task_id = submit(app, owner.id, steps=1, pause=0)
    finish(app, task_id)
    assert client.get(f"/tasks/{task_id}", headers=HTMX).status_code == status


@pytest.mark.parametrize(("who", "status"), [("other", 403), ("nobody", 401)])
def test_others_cannot_cancel_a_task(app, client, auth, who, status):
    owner = gen_user(app, "owner")
    gen_user(app, "other")
    if who == "other":
        auth.login("other", "secret-pw")
    task_id = submit(app, owner.id, steps=400, pause=0.05)
    response = client.post(f"/tasks/{task_id}/cancel", headers={**HTMX, **auth.csrf()})
    assert response.status_code == status
    with app.app_context():
        assert not tasks.get(task_id).cancel_requested
        tasks.cancel(task_id)
        wait_for(task_id)


def test_a_browser_is_sent_to_log_in(app, client):
    owner = gen_user(app, "owner")
    task_id = submit(app, owner.id, steps=1, pause=0)
    response = client.get(f"/tasks/{task_id}", headers={"Accept": "text/html"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/tasks/")


def test_cancel_needs_the_csrf_token(app, client, auth):
    alice = gen_user(app, "alice")
    auth.login("alice", "secret-pw")
    task_id = submit(app, alice, steps=400, pause=0.05)
    assert client.post(f"/tasks/{task_id}/cancel", headers=HTMX).status_code == 400
    with app.app_context():
        assert not tasks.get(task_id).cancel_requested
        tasks.cancel(task_id)
        wait_for(task_id)


def test_an_unknown_task_is_404_with_a_sentence(app, client, auth):
    auth.login_admin()
    response = client.get("/tasks/not-a-task", headers=HTMX)
    assert response.status_code == 404
    assert "There is no such task" in response.get_data(as_text=True)


def test_system_tasks_without_owner_are_for_admins_only(app, client, auth):
    task_id = submit(app, None, steps=1, pause=0)
    finish(app, task_id)
    auth.login_user("alice")
    assert client.get(f"/tasks/{task_id}", headers=HTMX).status_code == 403


def test_a_progress_answer_is_never_older_than_the_events_it_follows(app):
    """A view holds a task read while it ran; the task ends (publishing its events)
    before the answer is rendered. The answer must show the end: it follows only the
    events after its data-live-since, so a stale state there would never be corrected."""
    alice = gen_user(app, "alice")
    task_id = submit(app, alice, steps=5, pause=0.2)
    with app.test_request_context(headers=HTMX):
        held = tasks.get(task_id)
        assert not held.finished
        assert wait_for(task_id, timeout=10).state == "SUCCESS"
        html = progress_response(held).get_data(as_text=True)
    assert 'data-state="SUCCESS"' in root_element(html)
