"""First run: an admin to log in with, and a demo home page to look at."""

import secrets

from flask import current_app

from statboard.auth.models import User
from statboard.auth.users import create_user
from statboard.extensions import db
from statboard.pages.demo import seed_demo


def ensure_admin() -> tuple[User, str] | None:
    """Create an admin when there is none; returns it with its one-time password."""
    if db.session.scalar(db.select(User).where(User.is_admin).limit(1)):
        return None
    password = secrets.token_urlsafe(12)
    email = current_app.config["ADMIN_EMAIL"]
    user = create_user("admin", password, "Administrator", email, admin=True)
    db.session.commit()
    return user, password


def first_run() -> None:
    created = ensure_admin()
    if created:
        user, password = created
        print(
            f"\n  Statboard made an admin for you: log in as {user.username!r} "
            f"with password {password!r}\n  (shown once; change it with "
            f"`flask --app statboard users set-password {user.username}`).\n",
            flush=True,
        )
    seed_demo()
