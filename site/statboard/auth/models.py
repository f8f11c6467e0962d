import hashlib
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from statboard.extensions import db
from statboard.models_base import utcnow


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    fullname: Mapped[str] = mapped_column(String(200), default="")
    # Where change notifications go; admins without one get no email.
    email: Mapped[str] = mapped_column(String(254), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    is_admin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    tokens: Mapped[list["ApiToken"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    sessions: Mapped[list["LoginSession"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # The login session this request came with (set by the user loader and at login):
    # the cookie names it, so that logging out ends it alone.
    session_key = None  # not a column

    def get_id(self) -> str:
        """What the session cookie holds: "<user id>:<login session key>"."""
        return f"{self.id}:{self.session_key or ''}"

    def set_password(self, password: str) -> None:
        """A new password ends every login session of the user (the caller commits)."""
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def end_sessions(self) -> None:
        self.sessions.clear()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class ApiToken(db.Model):
    """A bearer token for machines. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Space-separated scopes, e.g. "series counters". Empty: the owner's own rights.
    # What a token grants is decided by statboard.auth.credentials.grants.
    scopes: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str, scopes: str = "") -> tuple["ApiToken", str]:
        """A new token record and the plain token, which is never stored."""
        plain = "sb_" + secrets.token_urlsafe(32)
        return cls(user=user, name=name, scopes=scopes, token_hash=cls.hash(plain)), plain


class LoginSession(db.Model):
    """One logged-in browser. The session cookie names it; deleting it logs that browser out."""

    __tablename__ = "login_sessions"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="sessions")

    @classmethod
    def open(cls, user: User) -> "LoginSession":
        return cls(key=secrets.token_urlsafe(16), user=user)
