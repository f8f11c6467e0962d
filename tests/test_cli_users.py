"""`flask --app statboard users ...` through the CLI runner."""

import pytest
from statboard.auth.models import User
from statboard.extensions import db


def user(app, name) -> User | None:
    with app.app_context():
        return db.session.scalar(db.select(User).where(User.username == name))


def test_create_a_user_with_every_field(app, runner):
    result = runner.invoke(
        args=["users", "create", "ada", "--password", "s3cret pw", "--fullname", "Ada Lovelace",
              "--email", "ada@example.test", "--admin"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Created admin ada." in result.output
    ada = user(app, "ada")
    assert ada.fullname == "Ada Lovelace" and ada.email == "ada@example.test" and ada.is_admin
    assert ada.check_password("s3cret pw") and "s3cret" not in ada.password_hash


def test_create_with_the_password_on_stdin(app, runner):
    result = runner.invoke(
        args=["users", "create", "bob", "--password-stdin"], input="from stdin\n"
    )
    assert result.exit_code == 0, result.output
    assert user(app, "bob").check_password("from stdin")
    assert not user(app, "bob").is_admin


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["bad name", "--password", "pw"], None, "is not allowed: use 1 to 64 letters"),
        (["-dash", "--password", "pw"], None, "No such option"),
        (["x" * 65, "--password", "pw"], None, "is not allowed"),
        (["ünïcode", "--password", "pw"], None, "is not allowed"),
        (["a/b", "--password", "pw"], None, "is not allowed"),
        (["carol", "--password", ""], None, "The password is empty: give a password."),
        (["carol", "--password-stdin"], "\n", "The password is empty"),
        (["carol"], None, "Give the password with --password PW or --password-stdin."),
        (["carol", "--password", "a", "--password-stdin"], "b\n", "not both"),
        (["carol", "--password", "pw", "--email", "not-an-address"], None, "does not look right"),
    ],
)
def test_bad_input_is_refused_with_a_sentence(app, runner, args, stdin, message):
    result = runner.invoke(args=["users", "create", *args], input=stdin)
    assert result.exit_code != 0
    assert message in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


def test_an_existing_name_is_refused(app, runner):
    assert runner.invoke(args=["users", "create", "dan", "--password", "one"]).exit_code == 0
    result = runner.invoke(args=["users", "create", "dan", "--password", "two"])
    assert result.exit_code == 1
    assert "A user named 'dan' exists already: choose another name." in result.output
    assert user(app, "dan").check_password("one")


def test_list_shows_a_table(app, runner):
    runner.invoke(args=["users", "create", "zed", "--password", "pw", "--fullname", "Zed Z"])
    runner.invoke(
        args=["users", "create", "amy", "--password", "pw", "--email", "amy@example.test",
              "--admin"],
    )  # fmt: skip
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0
    lines = [line.split() for line in result.output.splitlines()]
    assert lines[0] == ["NAME", "FULL", "NAME", "ADMIN", "EMAIL"]
    assert lines[1] == ["amy", "yes", "amy@example.test"]
    assert lines[2] == ["zed", "Zed", "Z", "no"]


def test_set_password_by_prompt_and_by_stdin(app, runner):
    runner.invoke(args=["users", "create", "eve", "--password", "old"])
    prompted = runner.invoke(args=["users", "set-password", "eve"], input="new pw\nnew pw\n")
    assert prompted.exit_code == 0, prompted.output
    assert user(app, "eve").check_password("new pw")
    piped = runner.invoke(args=["users", "set-password", "eve", "--password-stdin"], input="p2\n")
    assert piped.exit_code == 0
    assert user(app, "eve").check_password("p2")


def test_set_password_refuses_unknown_users_and_empty_passwords(app, runner):
    unknown = runner.invoke(
        args=["users", "set-password", "ghost", "--password-stdin"], input="x\n"
    )
    assert unknown.exit_code == 1 and "There is no user named 'ghost'" in unknown.output
    runner.invoke(args=["users", "create", "fay", "--password", "kept"])
    empty = runner.invoke(args=["users", "set-password", "fay", "--password-stdin"], input="\n")
    assert empty.exit_code == 1 and "The password is empty" in empty.output
    assert user(app, "fay").check_password("kept")


def test_without_tables_the_cli_says_to_upgrade(tmp_path):
    from statboard import create_app

    from tests.conftest import make_settings

    app = create_app(make_settings(tmp_path))
    result = app.test_cli_runner().invoke(args=["users", "list"])
    assert result.exit_code == 1
    assert "run `flask --app statboard db upgrade` first" in result.output
