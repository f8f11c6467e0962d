"""The progress partial in a real browser: it polls, stops when done, and cancels."""

import subprocess
import sys

import pytest
from statboard import create_app, tasks
from statboard.tasks.runner import wait_for

from tests.fixtures.servers import ROOT, start_site, stop
from tests.fixtures.tasks import TASK_IMPORTS


@pytest.fixture
def site(tmp_path):
    site = start_site(tmp_path, env={"STATBOARD_TASK_IMPORTS": '["tests.fixtures.tasks"]'})
    create = [sys.executable, "-m", "flask", "--app", "statboard", "users", "create", "alice"]
    subprocess.run(
        [*create, "--password-stdin"],
        input="alice-pw\n",
        env=site.env,
        cwd=ROOT,
        check=True,
        text=True,
    )
    yield site
    stop(site.proc)


@pytest.fixture
def runner_app(site):
    """This process runs the tasks (threads engine) on the site's database."""
    return create_app(
        {"DATABASE_URL": site.env["STATBOARD_DATABASE_URL"], "TASK_IMPORTS": TASK_IMPORTS}
    )


def alice(app) -> int:
    from statboard.auth.users import find_user

    with app.app_context():
        return find_user("alice").id


def log_in(page, site):
    page.goto(f"{site.url}/login")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "alice-pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.url}/**")


def test_the_bar_fills_up_and_stops_polling_when_done(page, site, runner_app):
    log_in(page, site)
    with runner_app.app_context():
        task_id = tasks.submit("test.count", owner=alice(runner_app), steps=20, pause=0.1)
    page.goto(f"{site.url}/tasks/{task_id}")
    page.evaluate("document.body.addEventListener('done', () => { window.sawDone = true })")
    bar = page.locator(f"#task-{task_id} progress")
    # Arrow functions: an expression string would be eval'd in the page, which the CSP refuses.
    page.wait_for_function(
        "id => document.querySelector(`#task-${id} progress`).value > 0.2",
        arg=task_id,
        timeout=10_000,
    )
    page.wait_for_function("() => window.sawDone === true", timeout=15_000)
    assert bar.get_attribute("value") == "1.000"
    assert page.locator(f"#task-{task_id}").get_attribute("hx-trigger") is None
    assert "Done." in page.locator(f"#task-{task_id}").inner_text()


def test_cancel_in_the_browser_stops_the_task(page, site, runner_app):
    log_in(page, site)
    with runner_app.app_context():
        task_id = tasks.submit("test.count", owner=alice(runner_app), steps=600, pause=0.05)
    page.goto(f"{site.url}/tasks/{task_id}")
    page.wait_for_function(
        "id => document.querySelector(`#task-${id} progress`).value > 0",
        arg=task_id,
        timeout=10_000,
    )
    page.click(f"#task-{task_id} button.task-cancel")
    page.locator(f"#task-{task_id}", has_text="Cancelled.").wait_for(timeout=10_000)
    with runner_app.app_context():
        assert wait_for(task_id, timeout=5).state == "REVOKED"
