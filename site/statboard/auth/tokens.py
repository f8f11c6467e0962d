"""API tokens: `Authorization: Bearer <token>` for machines, checked against the hash."""

from flask import request
from flask_login import current_user

from statboard.auth.models import ApiToken, User
from statboard.extensions import db
from statboard.models_base import utcnow


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer` header, if the request has one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def user_for_token(plain: str, scope: str | None = None) -> User | None:
    """The user a live token belongs to, if it grants `scope`; marks the token used."""
    token = db.session.scalar(
        db.select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(plain))
    )
    if token is None or token.revoked_at is not None or (scope and not token.allows(scope)):
        return None
    token.last_used_at = utcnow()
    db.session.commit()
    return token.user


def api_user(scope: str | None = None) -> User | None:
    """Who is asking: the logged-in user, else the owner of a valid bearer token."""
    if current_user.is_authenticated:
        return current_user._get_current_object()
    plain = bearer_token()
    return user_for_token(plain, scope) if plain else None
