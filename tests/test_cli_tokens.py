"""`flask --app statboard tokens create|list|revoke` through the CLI runner; the tokens
it makes are tried on the counter API."""

import pytest
from statboard.auth.models import ApiToken
from statboard.extensions import db

from tests.conftest import gen_user


@pytest.fixture
def app(app):
    gen_user(app, "robot", admin=True)
    gen_user(app, "friend")
    yield app
    app.extensions["counters"].store.close()


def create(runner, *args):
    return runner.invoke(args=["tokens", "create", *args])


def clear_with(client, plain: str) -> int:
    headers = {"Authorization": f"Bearer {plain}"}
    return client.delete("/counters/?prefix=song/", headers=headers).status_code


def test_create_prints_the_token_once_and_it_works(app, runner, client):
    result = create(runner, "counter servers", "--user", "robot", "--scope", "counters")
    assert result.exit_code == 0, result.output
    plain = result.stdout.strip().splitlines()[-1]
    assert plain.startswith("sb_") and "shown only now" in result.stderr
    assert clear_with(client, plain) == 204
    with app.app_context():
        token = db.session.scalar(db.select(ApiToken))
        assert token.name == "counter servers" and token.scopes == "counters"
        assert plain not in token.token_hash  # only the hash is kept
    listing = runner.invoke(args=["tokens", "list"]).output
    assert "counter servers" in listing and "robot" in listing and plain not in listing


def test_several_scopes_and_the_list_of_one_user(runner):
    both = create(runner, "both", "--user", "robot", "--scope", "series", "--scope", "counters")
    assert both.exit_code == 0, both.output
    create(runner, "mine", "--user", "friend", "--scope", "series")
    lines = runner.invoke(args=["tokens", "list", "--user", "friend"]).output.splitlines()
    assert lines[0].split() == ["ID", "NAME", "USER", "SCOPES", "CREATED", "LAST", "USED", "STATE"]
    assert len(lines) == 2 and "mine" in lines[1] and "series" in lines[1]
    both = runner.invoke(args=["tokens", "list", "--user", "robot"]).output
    assert "counters series" in both and "active" in both


def test_revoke_stops_the_token_at_once(runner, client):
    plain = create(runner, "t", "--user", "robot", "--scope", "counters").stdout.split()[-1]
    token_id = runner.invoke(args=["tokens", "list"]).output.splitlines()[1].split()[0]
    result = runner.invoke(args=["tokens", "revoke", token_id])
    assert result.exit_code == 0 and "Revoked token" in result.output
    assert clear_with(client, plain) == 401
    assert "revoked" in runner.invoke(args=["tokens", "list"]).output


@pytest.mark.parametrize(
    "args, says",
    [
        (["t", "--user", "friend", "--scope", "counters"], "Only admins' tokens may carry"),
        (["t", "--user", "nobody", "--scope", "series"], "There is no user named 'nobody'"),
        (["t", "--user", "robot", "--scope", "nope"], "Unknown scope nope"),
        (["t", "--user", "robot"], "Missing option '--scope'"),
        (["t", "--scope", "series"], "Missing option '--user'"),
        ([" ", "--user", "robot", "--scope", "series"], "Give the token a name"),
    ],
)
def test_bad_requests_are_refused_with_a_sentence(app, runner, args, says):
    result = create(runner, *args)
    assert result.exit_code != 0 and says in result.output
    with app.app_context():
        assert db.session.scalar(db.select(ApiToken)) is None


def test_revoking_an_unknown_token_says_so(runner):
    result = runner.invoke(args=["tokens", "revoke", "99"])
    assert result.exit_code == 1 and "There is no token 99" in result.output
