"""Collectors against a local server answering like the platforms, errors included."""

import time

from statboard.extensions import db
from statboard.series.collect import collect
from statboard.series.models import Account, Sample
from statboard.tasks.models import Task

from tests.fixtures.platforms import bluesky_profile, github_user, mastodon_account, x_user
from tests.series_helpers import gen_account

MASTODON = "/api/v1/accounts/lookup"
BLUESKY = "/xrpc/app.bsky.actor.getProfile"


def run_collection(app, **kwargs):
    with app.app_context():
        report = collect(**kwargs)
        accounts = {a.handle: a for a in db.session.scalars(db.select(Account))}
        counts = {
            a.handle: db.session.scalars(
                db.select(Sample.count).where(Sample.account_id == a.id)
            ).all()
            for a in accounts.values()
        }
        return report, accounts, counts


def test_each_platform_is_collected_from_its_real_response_shape(platforms, settings, app):
    app.config["SERIES_X_BEARER_TOKEN"] = "x-secret"
    app.config["SERIES_GITHUB_TOKEN"] = "gh-secret"
    platforms.answer(MASTODON, mastodon_account("alice", 1520))
    platforms.answer(BLUESKY, bluesky_profile("bob.bsky.social", 88))
    platforms.answer("/users/octocat", github_user("octocat", 9001))
    platforms.answer("/2/users/by/username/KevKeeganQuotes", x_user("KevKeeganQuotes", 911))
    gen_account(app, "mastodon", "alice@mastodon.test")
    gen_account(app, "bluesky", "bob.bsky.social")
    gen_account(app, "github", "octocat")
    gen_account(app, "x", "KevKeeganQuotes")

    report, accounts, counts = run_collection(app)

    assert counts == {
        "alice@mastodon.test": [1520],
        "bob.bsky.social": [88],
        "octocat": [9001],
        "KevKeeganQuotes": [911],
    }
    assert report.failed == []
    assert accounts["bob.bsky.social"].external_id == "did:plc:z72i7hdynmk6r22z27h6tvur"
    assert accounts["alice@mastodon.test"].display_name == "Alice"
    assert platforms.hits(MASTODON)[0]["query"] == "acct=alice"
    assert platforms.hits("/users/octocat")[0]["authorization"] == "Bearer gh-secret"
    assert platforms.hits("/2/users/by/username/KevKeeganQuotes")[0]["authorization"] == (
        "Bearer x-secret"
    )


def test_bluesky_asks_by_did_once_known_and_follows_a_handle_change(platforms, app):
    did = "did:plc:abc"
    platforms.answer(BLUESKY, bluesky_profile("new.bsky.social", 5, did=did))
    gen_account(app, "bluesky", "old.bsky.social", external_id=did)
    _, accounts, counts = run_collection(app)
    assert platforms.hits(BLUESKY)[0]["query"] == "actor=did%3Aplc%3Aabc"
    assert list(accounts) == ["new.bsky.social"] and counts["new.bsky.social"] == [5]


def test_one_failing_account_never_stops_the_others(platforms, app):
    platforms.answer("/users/octocat", github_user("octocat", 10))
    gen_account(app, "github", "ghost-that-does-not-exist")
    gen_account(app, "x", "NoTokenSet")
    gen_account(app, "github", "octocat")

    report, accounts, counts = run_collection(app)

    assert counts["octocat"] == [10]
    missing = accounts["ghost-that-does-not-exist"]
    assert "no such account" in missing.last_error and missing.last_error_at is not None
    assert "not configured" in accounts["NoTokenSet"].last_error
    assert [o.account for o in report.failed] == ["ghost-that-does-not-exist (GitHub)"]
    assert accounts["octocat"].last_error is None


def test_429_with_retry_after_waits_then_succeeds(platforms, app):
    platforms.answer(
        "/users/octocat",
        (429, {"message": "API rate limit exceeded"}, {"Retry-After": "1"}),
        github_user("octocat", 42),
    )
    gen_account(app, "github", "octocat")
    started = time.monotonic()
    _, _, counts = run_collection(app)
    assert counts["octocat"] == [42]
    assert len(platforms.hits("/users/octocat")) == 2
    assert time.monotonic() - started >= 0.9


def test_rate_limit_resetting_too_late_is_skipped_with_an_error(platforms, app):
    reset = str(int(time.time()) + 3600)
    platforms.answer(
        "/users/octocat",
        (
            403,
            {"message": "API rate limit exceeded"},
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
        ),
    )
    gen_account(app, "github", "octocat")
    _, accounts, counts = run_collection(app)
    assert counts["octocat"] == []
    assert "rate limit" in accounts["octocat"].last_error
    assert len(platforms.hits("/users/octocat")) == 1


def test_a_used_up_allowance_holds_back_the_next_request_to_that_host(platforms, app):
    reset = str(int(time.time()) + 3600)
    platforms.answer(
        "/users/first",
        (200, github_user("first", 1), {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}),
    )
    platforms.answer("/users/second", github_user("second", 2))
    gen_account(app, "github", "first")
    gen_account(app, "github", "second")
    _, accounts, counts = run_collection(app)
    assert counts == {"first": [1], "second": []}
    assert "rate limit" in accounts["second"].last_error
    assert platforms.hits("/users/second") == []


def test_bluesky_ratelimit_reset_header_is_respected(platforms, app):
    platforms.answer(
        BLUESKY,
        (
            429,
            {"error": "RateLimitExceeded"},
            {"RateLimit-Remaining": "0", "RateLimit-Reset": str(int(time.time()) + 1)},
        ),
        bluesky_profile("bob.bsky.social", 7),
    )
    gen_account(app, "bluesky", "bob.bsky.social")
    _, _, counts = run_collection(app)
    assert counts["bob.bsky.social"] == [7]


def test_server_errors_are_retried_with_backoff(platforms, app):
    platforms.answer(
        MASTODON,
        (503, {"error": "busy"}, {}),
        (502, b"<html>bad gateway</html>", {}),
        mastodon_account("alice", 3),
    )
    gen_account(app, "mastodon", "alice@mastodon.test")
    _, _, counts = run_collection(app)
    assert counts["alice@mastodon.test"] == [3]
    assert len(platforms.hits(MASTODON)) == 3


def test_persistent_server_errors_give_up_with_a_clear_error(platforms, app):
    platforms.answer(MASTODON, (500, {"error": "down"}, {}))
    gen_account(app, "mastodon", "alice@mastodon.test")
    _, accounts, _ = run_collection(app)
    assert "answered 500 4 times" in accounts["alice@mastodon.test"].last_error


def test_a_collection_sends_one_digest_to_admins(platforms, app):
    platforms.answer("/users/up", github_user("up", 150))
    platforms.answer("/users/down", github_user("down", 40))
    gen_account(app, "github", "up", samples=[(time_ago(1), 100)])
    gen_account(app, "github", "down", samples=[(time_ago(1), 50)])
    gen_account(app, "github", "gone")
    run_collection(app)
    with app.app_context():
        mails = db.session.scalars(db.select(Task).where(Task.kind == "mail.admins")).all()
    assert len(mails) == 1
    body = mails[0].args["body"]
    assert "Accounts collected: 2 of 3" in body
    assert "gone (GitHub): GitHub has no such account" in body
    assert body.index("+50  up (GitHub)") < body.index("-10  down (GitHub)")
    assert "1 failed" in mails[0].args["subject"]


def test_collecting_chosen_accounts_sends_no_digest(platforms, app):
    platforms.answer("/users/octocat", github_user("octocat", 1))
    account_id = gen_account(app, "github", "octocat")
    run_collection(app, account_ids=[account_id], digest=False)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Task.id))) == 0


def test_flask_series_collect_reports_and_exits_nonzero_on_failure(platforms, app, runner):
    platforms.answer("/users/octocat", github_user("octocat", 12))
    gen_account(app, "github", "octocat")
    gen_account(app, "github", "nobody")
    result = runner.invoke(args=["series", "collect"])
    assert result.exit_code == 1
    assert "octocat (GitHub): 12" in result.output
    assert "1 collected, 1 failed." in result.output


def time_ago(days):
    from datetime import timedelta

    from statboard.series.samples import now_utc

    return now_utc() - timedelta(days=days)
