"""Chart blocks: range swaps, downsampling, gaps, in-place account admin, demo data."""

import json
import math
import re
from datetime import datetime, timedelta

import pytest
from statboard.extensions import db
from statboard.pages.demo import seed_demo
from statboard.pages.models import Block
from statboard.series.demo import OUTAGE
from statboard.series.downsample import lttb
from statboard.series.models import Account, Sample
from statboard.series.samples import now_utc
from statboard.tasks.models import Task

from tests.series_helpers import daily, gen_account, gen_chart, login_htmx

DATA_RE = re.compile(r'<script type="application/json">(.*?)</script>', re.S)


def chart_series(html: str) -> list[dict]:
    return json.loads(DATA_RE.search(html).group(1))


def test_lttb_caps_points_and_keeps_peaks_and_dips():
    xs = list(range(3650))
    ys = [1000 + 10 * math.sin(i / 30) for i in xs]
    ys[1234], ys[2345] = 5000, -400  # one viral day, one purge
    kept = lttb(xs, ys, 1000)
    assert len(kept) == 1000
    assert kept[0] == 0 and kept[-1] == 3649
    assert 1234 in kept and 2345 in kept
    assert kept == sorted(set(kept))
    assert lttb(xs[:10], ys[:10], 1000) == list(range(10))


def test_range_swap_returns_the_chart_body_fragment(app, client):
    account_id = gen_account(app, "github", "octocat", public=True, samples=daily(400))
    block_id = gen_chart(app, [account_id])
    response = client.get(f"/blocks/{block_id}/chart?range=7d", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert "<html" not in html
    assert html.lstrip().startswith(f'<div class="chart-body" id="chart-body-{block_id}"')
    assert 'aria-current="true">7 days' in html
    page = client.get(f"/blocks/{block_id}/chart?range=7d")
    assert "<html" in page.get_data(as_text=True)
    assert "HX-Request" in page.headers["Vary"]


def test_each_range_shows_its_own_window_latest_value_and_change(app, client):
    start = now_utc() - timedelta(days=399)
    account_id = gen_account(
        app, "github", "octocat", public=True, samples=daily(400, start=start, first=100, step=2)
    )
    block_id = gen_chart(app, [account_id])
    hx = {"HX-Request": "true"}
    week = client.get(f"/blocks/{block_id}/chart?range=7d", headers=hx).get_data(as_text=True)
    year = client.get(f"/blocks/{block_id}/chart?range=1y", headers=hx).get_data(as_text=True)
    assert len(chart_series(week)[0]["x"]) in (7, 8)
    assert len(chart_series(year)[0]["x"]) in (365, 366)
    assert "898" in week  # the latest count, 100 + 399 * 2
    assert "(+2.0 a day)" in week and "(+2.0 a day)" in year


def test_long_series_send_at_most_the_point_cap_and_keep_gaps(app, client):
    start = datetime(2014, 1, 1)
    rows = [(start + timedelta(days=d), 10 + d) for d in range(3650) if not 500 <= d < 510]
    account_id = gen_account(app, "github", "long", public=True, samples=rows)
    block_id = gen_chart(app, [account_id], range_key="all")
    html = client.get(f"/blocks/{block_id}/chart", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    series = chart_series(html)[0]
    points = [y for y in series["y"] if y is not None]
    assert len(points) <= 1000
    assert series["y"].count(None) == 1  # the missing ten days, drawn as a gap
    gap = series["y"].index(None)
    assert series["x"][gap - 1] < (start + timedelta(days=505)).timestamp() < series["x"][gap + 1]


def test_visitors_see_public_series_only_and_no_admin_controls(app, client):
    public_id = gen_account(app, "github", "public", public=True, samples=daily(5))
    private_id = gen_account(app, "github", "private", samples=daily(5))
    block_id = gen_chart(app, [public_id, private_id])
    html = client.get(f"/blocks/{block_id}/chart").get_data(as_text=True)
    assert "public (GitHub)" in html and "private (GitHub)" not in html
    assert "Add account" not in html and "Collect now" not in html


def test_admin_adds_an_account_in_place_and_its_first_collection_is_queued(app, client, auth):
    block_id = gen_chart(app, [])
    headers = login_htmx(auth)
    response = client.post(
        f"/blocks/{block_id}/accounts",
        data={"platform": "mastodon", "handle": "alice@mastodon.test", "is_public": "y"},
        headers=headers,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<section class="chart-block" id="chart-{block_id}"')
    assert "alice@mastodon.test (Mastodon)" in html
    with app.app_context():
        account = db.session.scalar(db.select(Account))
        assert db.session.get(Block, block_id).data["accounts"] == [account.id]
        task = db.session.scalar(db.select(Task).where(Task.kind == "series.collect"))
        assert task.args == {"account_ids": [account.id]}


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"platform": "mastodon", "handle": "alice"}, "needs its instance"),
        ({"platform": "github", "handle": "a b/../c"}, "Use the handle"),
        ({"platform": "myspace", "handle": "tom"}, "Not a valid choice"),
        ({"platform": "github", "handle": ""}, "required"),
    ],
)
def test_bad_accounts_get_the_form_back_with_422(app, client, auth, form, message):
    block_id = gen_chart(app, [])
    response = client.post(f"/blocks/{block_id}/accounts", data=form, headers=login_htmx(auth))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Account.id))) == 0


def test_admin_renames_shares_and_removes_an_account(app, client, auth):
    gen_account(app, "github", "taken")
    account_id = gen_account(app, "github", "octocat", samples=daily(3))
    block_id = gen_chart(app, [account_id])
    headers = login_htmx(auth)
    from tests.conftest import gen_user

    gen_user(app, "kevin")
    url = f"/series/accounts/{account_id}?block={block_id}"
    clash = client.put(url, data={"handle": "taken"}, headers=headers)
    assert clash.status_code == 422 and "already tracked" in clash.get_data(as_text=True)
    nobody = client.put(url, data={"handle": "octo", "readers": "ghost"}, headers=headers)
    assert nobody.status_code == 422 and "No user called ghost" in nobody.get_data(as_text=True)
    ok = client.put(url, data={"handle": "octo", "readers": "kevin"}, headers=headers)
    assert ok.status_code == 200
    assert ok.get_data(as_text=True).lstrip().startswith('<li class="series-account"')
    with app.app_context():
        account = db.session.get(Account, account_id)
        assert account.handle == "octo" and [g.user.username for g in account.grants] == ["kevin"]
    gone = client.delete(f"/blocks/{block_id}/accounts/{account_id}", headers=headers)
    assert gone.status_code == 200
    with app.app_context():
        assert db.session.get(Account, account_id) is None
        assert db.session.scalar(db.select(db.func.count(Sample.id))) == 0
        assert db.session.get(Block, block_id).data["accounts"] == []


def test_an_account_opened_without_htmx_is_a_whole_page(app, client, auth):
    """A row's link opened in a new tab, or its form posted without JavaScript."""
    account_id = gen_account(app, "github", "octocat")
    block_id = gen_chart(app, [account_id])
    headers = login_htmx(auth)
    plain = {k: v for k, v in headers.items() if k != "HX-Request"}
    url = f"/series/accounts/{account_id}?block={block_id}"
    for path in (url, url.replace("?", "/edit?")):
        html = client.get(path).get_data(as_text=True)
        assert html.lstrip().lower().startswith("<!doctype html>")
        assert "series-account" in html and f'#block-{block_id}"' in html
    refused = client.post(url, data={"handle": ""}, headers=plain)
    assert refused.status_code == 422
    assert refused.get_data(as_text=True).lstrip().lower().startswith("<!doctype html>")
    assert client.get(url, headers=headers).get_data(as_text=True).lstrip().startswith("<li")


def test_an_account_in_no_block_can_be_shared(app, client, auth):
    """Imported accounts sit in no chart block yet: their row has no Remove button."""
    account_id = gen_account(app, "x", "weatherbot")
    headers = login_htmx(auth)
    from tests.conftest import gen_user

    gen_user(app, "kevin")
    url = f"/series/accounts/{account_id}"
    response = client.put(url, data={"handle": "weatherbot", "readers": "kevin"}, headers=headers)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<li class="series-account"') and "Remove" not in html
    assert client.get(f"{url}/edit", headers=headers).status_code == 200


def test_users_cannot_change_accounts(app, client, auth):
    account_id = gen_account(app, "github", "octocat")
    block_id = gen_chart(app, [account_id])
    headers = login_htmx(auth, admin=False)
    assert (
        client.put(
            f"/series/accounts/{account_id}", data={"handle": "x"}, headers=headers
        ).status_code
        == 403
    )
    assert (
        client.delete(f"/blocks/{block_id}/accounts/{account_id}", headers=headers).status_code
        == 403
    )
    assert client.post("/series/collect", headers=headers).status_code == 403


def test_admins_see_an_accounts_last_error_on_its_chart(app, client, auth):
    account_id = gen_account(
        app,
        "github",
        "ghost",
        last_error="GitHub has no such account.",
        last_error_at=datetime(2024, 5, 1, 3, 50),
    )
    x_id = gen_account(app, "x", "NoToken")
    block_id = gen_chart(app, [account_id, x_id])
    login_htmx(auth)
    html = client.get(f"/blocks/{block_id}/chart").get_data(as_text=True)
    assert "Failed 2024-05-01 03:50 UTC: GitHub has no such account." in html
    assert "X is not configured" in html


def test_collect_now_shows_a_progress_bar_that_polls(app, client, auth):
    headers = login_htmx(auth)
    response = client.post("/series/collect", headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div class="task-progress ')
    assert "<progress" in html
    task_id = html.split('data-task-id="', 1)[1].split('"', 1)[0]
    assert f'hx-get="/tasks/{task_id}"' in html and 'hx-trigger="every 500ms"' in html
    assert "HX-Request" in response.headers["Vary"]


def test_collect_now_without_htmx_goes_to_the_task_page(app, client, auth):
    login_htmx(auth)
    response = client.post("/series/collect", headers=auth.csrf())
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/tasks/")
    page = client.get(response.headers["Location"])
    assert "<html" in page.get_data(as_text=True) and "task-progress" in page.get_data(as_text=True)


def test_demo_home_page_gets_a_chart_with_a_year_of_samples(app, client):
    with app.app_context():
        seed_demo()
        block = db.session.scalar(db.select(Block).where(Block.kind == "chart"))
        count = db.session.scalar(db.select(db.func.count(Sample.id)))
        assert 330 < count <= 365
        block_id = block.id
    html = client.get(f"/blocks/{block_id}/chart?range=1y").get_data(as_text=True)
    series = chart_series(html)[0]
    assert series["label"] == "demo@example.social (Mastodon)"
    # The demo job "did not run" on a few days: a day here and there is joined over,
    # its four-day outage is a gap (a null between the days around it).
    assert series["y"].count(None) < 365 - count
    outage = [x for x, y in zip(series["x"], series["y"], strict=True) if y is None]
    from_, to = (now_utc() - timedelta(days=d) for d in (OUTAGE[1], OUTAGE[0]))
    assert any(from_.timestamp() < x < to.timestamp() for x in outage)


def test_removing_an_account_works_without_javascript(app, client, auth):
    account_id = gen_account(app, "github", "octocat", samples=daily(3))
    block_id = gen_chart(app, [account_id])
    token = login_htmx(auth)["X-CSRFToken"]
    url = f"/blocks/{block_id}/accounts/{account_id}/delete"
    confirm = client.get(url)  # the Remove link's href, followed without JavaScript
    assert confirm.status_code == 200
    assert f'action="{url}"' in confirm.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Account, account_id) is not None  # asking changes nothing
    gone = client.post(url, data={"csrf_token": token})
    assert gone.status_code == 303 and gone.headers["Location"].endswith(f"#block-{block_id}")
    with app.app_context():
        assert db.session.get(Account, account_id) is None


def test_a_range_without_samples_says_when_the_last_was_and_draws_no_plot(app, client):
    samples = [(datetime(2026, 3, 1, 9), 1200), (datetime(2026, 3, 3, 9, 30), 1234)]
    account_id = gen_account(app, "github", "quiet", public=True, samples=samples)
    block_id = gen_chart(app, [account_id], range_key="7d")
    hx = {"HX-Request": "true"}
    week = client.get(f"/blocks/{block_id}/chart?range=7d", headers=hx).text
    assert "No samples in the last 7 days; the last was on 3 March 2026 (1,234)." in week
    assert "data-chart" not in week and "Data table" not in week
    year = client.get(f"/blocks/{block_id}/chart?range=all", headers=hx).text
    assert "No samples in" not in year and "data-chart" in year


def test_one_missing_day_is_joined_and_longer_gaps_stay(app, client):
    start = now_utc() - timedelta(days=29)
    missing = {10, 20, 21}  # one day alone, then two in a row
    rows = [row for d, row in enumerate(daily(30, start=start)) if d not in missing]
    account_id = gen_account(app, "github", "gappy", public=True, samples=rows)
    block_id = gen_chart(app, [account_id])
    series = chart_series(client.get(f"/blocks/{block_id}/chart?range=30d").text)[0]
    assert series["y"].count(None) == 1
    gap = series["y"].index(None)
    assert series["x"][gap - 1] < (start + timedelta(days=20)).timestamp() < series["x"][gap + 1]
