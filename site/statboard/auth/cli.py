"""`flask --app statboard users create|list|set-password|logout` and
`flask --app statboard tokens create|list|revoke`."""

import sys
from functools import wraps

import click
from flask.cli import AppGroup
from sqlalchemy.exc import OperationalError, ProgrammingError

from statboard.auth.models import ApiToken, User
from statboard.auth.tokens import TokenError, all_tokens, issue_token, revoke_token
from statboard.auth.users import UserError, create_user, find_user, set_password
from statboard.extensions import db

users_cli = AppGroup("users", help="Create users, list them, change passwords, log them out.")
tokens_cli = AppGroup("tokens", help="Make API tokens for machines, list them, revoke them.")


def _needs_tables(command):
    @wraps(command)
    def wrapped(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (OperationalError, ProgrammingError) as error:
            raise click.ClickException(
                f"The database is not ready ({error.orig}): "
                "run `flask --app statboard db upgrade` first."
            ) from None

    return wrapped


def _existing_user(name: str) -> User:
    user = find_user(name)
    if user is None:
        raise click.ClickException(f"There is no user named {name!r}: check `users list`.")
    return user


def _password(password: str | None, from_stdin: bool, prompt: bool) -> str:
    if password is not None and from_stdin:
        raise click.UsageError("Give either --password or --password-stdin, not both.")
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if password is None and prompt:
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if password is None:
        raise click.UsageError("Give the password with --password PW or --password-stdin.")
    return password


@users_cli.command("create")
@click.argument("name")
@click.option("--password", help="The password (visible in the process list: prefer stdin).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--fullname", default="", help="The full name shown on the site.")
@click.option("--email", default="", help="Where change notifications go (admins).")
@click.option("--admin", is_flag=True, help="Make the user an admin.")
@_needs_tables
def create(name, password, password_stdin, fullname, email, admin):
    """Create user NAME."""
    try:
        create_user(name, _password(password, password_stdin, False), fullname, email, admin)
    except UserError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Created {'admin' if admin else 'user'} {name}.")


@users_cli.command("list")
@_needs_tables
def list_users():
    """List the users: name, full name, admin, email."""
    users = db.session.scalars(db.select(User).order_by(User.username)).all()
    rows = [("NAME", "FULL NAME", "ADMIN", "EMAIL")]
    rows += [(u.username, u.fullname, "yes" if u.is_admin else "no", u.email) for u in users]
    _echo_table(rows)


def _echo_table(rows: list[tuple[str, ...]]) -> None:
    """Rows as aligned columns, the first row the headings."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)] + [0]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


@users_cli.command("set-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@_needs_tables
def set_password_command(name, password_stdin):
    """Change the password of user NAME (asked for, or read from stdin); this logs
    NAME out everywhere."""
    _existing_user(name)
    try:
        set_password(name, _password(None, password_stdin, True))
    except UserError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Changed the password of {name} and ended their login sessions.")


@users_cli.command("logout")
@click.argument("name")
@_needs_tables
def logout_command(name):
    """End every login session of user NAME: each browser must log in again."""
    user = _existing_user(name)
    count = len(user.sessions)
    user.end_sessions()
    db.session.commit()
    click.echo(f"Ended {count} login session{'' if count == 1 else 's'} of {name}.")


@tokens_cli.command("create")
@click.argument("name")
@click.option("--user", "username", required=True, help="The user the token acts for.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    help="A right the token carries, like counters or series (repeat for several).",
)
@_needs_tables
def create_token(name, username, scopes):
    """Make a token NAME for a user; its value is printed once, on the last line."""
    try:
        token, plain = issue_token(_existing_user(username), name, list(scopes))
    except TokenError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(
        f"Created token {token.id} {token.name!r} for {username} ({token.scopes}). "
        "Its value is shown only now; send it as 'Authorization: Bearer <token>':",
        err=True,
    )
    click.echo(plain)


@tokens_cli.command("list")
@click.option("--user", "username", help="Only the tokens of this user.")
@_needs_tables
def list_tokens(username):
    """List the tokens (never their values): id, name, user, scopes, dates, state."""
    tokens = all_tokens(_existing_user(username) if username else None)
    rows = [("ID", "NAME", "USER", "SCOPES", "CREATED", "LAST USED", "STATE")]
    rows += [
        (
            str(t.id),
            t.name,
            t.user.username,
            t.scopes or "-",
            f"{t.created_at:%Y-%m-%d %H:%M}",
            f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never",
            f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active",
        )
        for t in tokens
    ]
    _echo_table(rows)


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
@_needs_tables
def revoke_command(token_id):
    """Revoke token TOKEN_ID (see `tokens list`): it stops working at once."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"There is no token {token_id}: check `tokens list`.")
    revoke_token(token)
    db.session.commit()
    click.echo(f"Revoked token {token.id} {token.name!r} of {token.user.username}.")
