"""Creating users and changing passwords, with the checks every entry point shares."""

import re
import secrets
from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash

from statboard.auth.models import User
from statboard.extensions import db

USERNAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MAX_PASSWORD = 200


class UserError(ValueError):
    """Input that cannot make a valid user; the message says what to fix."""


def check_username(username: str) -> str:
    if not USERNAME_RE.fullmatch(username or ""):
        raise UserError(
            f"The username {username!r} is not allowed: use 1 to 64 letters, digits, "
            "dots, dashes or underscores, starting with a letter or digit."
        )
    return username


def check_password(password: str) -> str:
    if not password:
        raise UserError("The password is empty: give a password.")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"The password is too long: use at most {MAX_PASSWORD} characters.")
    return password


def check_fullname(fullname: str) -> str:
    """The full name with its whitespace tidied."""
    fullname = " ".join((fullname or "").split())
    if len(fullname) > 200:
        raise UserError("The full name is too long: use at most 200 characters.")
    return fullname


def check_email(email: str) -> str:
    email = (email or "").strip()
    # A dotless domain is allowed: admin@localhost is the first admin's default.
    if email and not re.fullmatch(r"[^@\s<>,;\"]+@[^@\s<>,;\".][^@\s<>,;\"]*", email):
        raise UserError(f"The email address {email!r} does not look right: use name@example.org.")
    return email


def find_user(username: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.username == username))


@cache
def _dummy_hash() -> str:
    """A hash made like every user's, checked when the username is unknown."""
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(username: str, password: str) -> User | None:
    """The user with this name and password, or None.

    An unknown name costs one password check too, so that a wrong name takes as
    long as a wrong password and the timing does not tell which usernames exist.
    """
    user = find_user(username) if username else None
    if user is None:
        check_password_hash(_dummy_hash(), password or "")
        return None
    return user if user.check_password(password or "") else None


def create_user(
    username: str, password: str, fullname: str = "", email: str = "", admin: bool = False
) -> User:
    """Add a user to the session (the caller commits); UserError when input is wrong."""
    check_username(username)
    check_password(password)
    if find_user(username) is not None:
        raise UserError(f"A user named {username!r} exists already: choose another name.")
    user = User(
        username=username,
        fullname=check_fullname(fullname),
        email=check_email(email),
        is_admin=admin,
    )
    user.set_password(password)
    db.session.add(user)
    return user


def set_password(username: str, password: str) -> User:
    user = find_user(username)
    if user is None:
        raise UserError(f"There is no user named {username!r}: check `users list`.")
    user.set_password(check_password(password))
    return user
