"""CSV imports make accounts of their own kind, which collection leaves alone; "Collect
now" on a chart collects that chart's accounts and says which failed and why; tasks are
titled in words."""

import io
import os
import re
import subprocess
import sys

from statboard import tasks
from statboard.extensions import db
from statboard.series.collect import collect
from statboard.series.importer import import_files
from statboard.series.models import Account
from statboard.tasks.runner import wait_for

from tests.fixtures.platforms import github_user
from tests.fixtures.servers import ROOT
from tests.series_helpers import gen_account, gen_chart, login_htmx

HX = {"HX-Request": "true"}


def test_a_csv_import_makes_an_imported_account_that_collection_skips(platforms, app, client, auth):
    with app.app_context():
        report = import_files([("alpha-followers.csv", b"01-01-2020 03:50:00, 5\n")])
        account = db.session.scalar(db.select(Account).where(Account.handle == "alpha"))
        assert account.platform == "imported" and account.label == "alpha (imported)"
        assert report.accounts == ["alpha (imported)"]
        assert collect().outcomes == []  # nothing asked of any platform, no error kept
        assert account.last_error is None
    assert platforms.hits("/2/users/by/username/alpha") == []
    block_id = gen_chart(app, [account.id])
    login_htmx(auth)
    html = client.get(f"/blocks/{block_id}/chart").get_data(as_text=True)
    assert "not configured" not in html
    assert "Filled by CSV imports; never collected" in html


def test_a_file_for_a_tracked_handle_adds_to_that_account(app):
    """History of an account already collected goes into it, not into a second one; a
    handle tracked on two platforms is ambiguous, so the file gets an account of its own."""
    tracked = gen_account(app, platform="x", handle="alpha")
    gen_account(app, platform="x", handle="beta")
    gen_account(app, platform="mastodon", handle="beta")
    with app.app_context():
        report = import_files(
            [
                ("alpha-followers.csv", b"2020-01-01T03:50:00,5\n"),
                ("beta-followers.csv", b"2020-01-01,7\n"),
            ]
        )
        db.session.commit()
        alphas = db.session.scalars(db.select(Account).where(Account.handle == "alpha")).all()
        assert [a.id for a in alphas] == [tracked] and report.account_ids[0] == tracked
        betas = db.session.scalars(db.select(Account).where(Account.handle == "beta")).all()
        assert sorted(a.platform for a in betas) == ["imported", "mastodon", "x"]


def task_id_of(response) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    return html.split('data-task-id="', 1)[1].split('"', 1)[0]


def test_collect_now_collects_the_charts_own_accounts_and_says_what_failed(
    platforms, app, client, auth
):
    platforms.answer("/users/octocat", github_user("octocat", 10))
    platforms.answer("/users/elsewhere", github_user("elsewhere", 99))
    mine = gen_account(app, "github", "octocat")
    gone = gen_account(app, "github", "ghost")  # the platform answers 404
    x = gen_account(app, "x", "NoToken")  # no X token set
    imported = gen_account(app, "imported", "alpha")
    other = gen_account(app, "github", "elsewhere")
    block_id = gen_chart(app, [mine, gone, x, imported])
    gen_chart(app, [other], range_key="7d")
    headers = login_htmx(auth)

    task_id = task_id_of(client.post(f"/blocks/{block_id}/collect", headers=headers))
    with app.app_context():
        task = wait_for(task_id, 20)
        assert task.state == "SUCCESS"
        assert sorted(task.args["account_ids"]) == sorted([mine, gone, x])
    assert platforms.hits("/users/elsewhere") == []  # another chart's account: left alone
    done = client.get(f"/tasks/{task_id}", headers=HX).get_data(as_text=True)
    assert "Collected 1 of 3 accounts; 2 not collected." in done
    assert "ghost (GitHub)</span>: GitHub has no such account" in done
    assert "NoToken (X)</span>: X is not configured" in done
    assert "Done." not in done and "collecting" not in done  # the result is the last word
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "<h1>Collecting followers of @octocat and 2 more</h1>" in page
    assert "series.collect" not in page.split("<main", 1)[1]


def test_collect_now_on_a_chart_of_nothing_to_collect_says_so(app, client, auth):
    headers = login_htmx(auth)
    empty = gen_chart(app, [])
    response = client.post(f"/blocks/{empty}/collect", headers=headers)
    assert response.status_code == 422 and "no accounts to collect" in response.get_data(True)
    imported = gen_chart(app, [gen_account(app, "imported", "alpha")], range_key="7d")
    response = client.post(f"/blocks/{imported}/collect", headers=headers)
    assert response.status_code == 422 and "imported accounts only" in response.get_data(True)


def test_only_admins_collect_a_chart(app, client, auth):
    block_id = gen_chart(app, [gen_account(app, "github", "octocat")])
    assert client.post(f"/blocks/{block_id}/collect", headers=HX).status_code in (400, 401)
    headers = login_htmx(auth, admin=False)
    assert client.post(f"/blocks/{block_id}/collect", headers=headers).status_code == 403


def test_an_import_task_is_titled_by_what_it_imports(app, client, auth):
    headers = login_htmx(auth)
    response = client.post(
        "/series/import",
        data={"file": (io.BytesIO(b"01-01-2020 03:50:00, 5\n"), "alpha-followers.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )
    task_id = task_id_of(response)
    with app.app_context():
        assert wait_for(task_id, 20).state == "SUCCESS"
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "<title>Importing followers of @alpha — " in page
    assert "<h1>Importing followers of @alpha</h1>" in page
    assert 'aria-label="Importing followers of @alpha"' in page
    assert "Imported 1 sample into alpha (imported); 0 were there already; no bad lines." in page


def test_task_titles_by_kind(app):
    with app.app_context():
        assert tasks.title_of("series.import", {"name": "old.zip"}) == (
            "Importing followers from old.zip"
        )
        assert tasks.title_of("series.collect", {}) == "Collecting followers of every account"
        assert tasks.title_of("reports.build_all", {}) == "Reports build all"  # no title given


def test_the_import_commands_log_lines_stay_off_its_progress_bar(tmp_path):
    """Each log line is a line of its own: the bar is cleared first and drawn again below."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "site"),
        "STATBOARD_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "STATBOARD_INSTANCE_PATH": str(tmp_path / "instance"),
        "STATBOARD_LOG_LEVEL": "INFO",
    }
    flask = [sys.executable, "-m", "flask", "--app", "statboard"]
    subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    result = subprocess.run(
        [*flask, "series", "import", str(ROOT / "tests" / "data")],
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode()
    logged = [
        line.rsplit(b"\r", 1)[-1].decode()  # what is left on the terminal's line
        for line in result.stderr.split(b"\n")
        if b" INFO statboard.series: " in line
    ]
    assert len(logged) > 3  # the import logs as it goes, while the bar moves
    for line in logged:
        assert re.match(r"^\d{4}-\d\d-\d\d [\d:,]+ INFO statboard\.series: ", line), line
        assert "%|" not in line, line
    assert b"100%|" in result.stderr
