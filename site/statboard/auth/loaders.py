"""Who is logged in: the session cookie names a live login session of a user.

The cookie holds "<user id>:<session key>". Logging out deletes that session; a new
password (or `flask users logout NAME`) deletes all of the user's, so every copy of
an old cookie stops working at once.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy.orm import joinedload

from statboard.auth.models import LoginSession, User
from statboard.extensions import db, login
from statboard.models_base import utcnow


def _lifetime() -> timedelta:
    return timedelta(days=current_app.config["LOGIN_SESSION_DAYS"])


@login.user_loader
def load_user(user_id: str) -> User | None:
    number, _, key = user_id.partition(":")
    if not key or not number.isdigit():
        return None
    found = db.session.scalar(
        db.select(LoginSession)
        .options(joinedload(LoginSession.user))
        .where(LoginSession.key == key, LoginSession.user_id == int(number))
    )
    if found is None or found.created_at < utcnow() - _lifetime():
        return None
    found.user.session_key = key
    return found.user


def start_session(user: User) -> None:
    """A new login session for `user`, staged on db.session (the view commits);
    the user's expired ones go."""
    db.session.execute(
        db.delete(LoginSession).where(
            LoginSession.user_id == user.id, LoginSession.created_at < utcnow() - _lifetime()
        )
    )
    session = LoginSession.open(user)
    db.session.add(session)
    user.session_key = session.key


def end_session(user: User) -> None:
    """End the login session this request came with (the view commits)."""
    if user.session_key:
        db.session.execute(db.delete(LoginSession).where(LoginSession.key == user.session_key))


def init_login(app):
    login.login_view = "auth.login"
    login.login_message = "Please log in to see this page."
