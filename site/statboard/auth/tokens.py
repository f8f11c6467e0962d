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


# --- issuing, listing and revoking (the token panel) ----------------------------


class TokenError(ValueError):
    """A token request that cannot be granted; the message says what to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def issue_token(user: User, name: str, scopes: list[str]) -> tuple[ApiToken, str]:
    """A new token for `user` (added to the session) and its plain value, shown once."""
    from statboard.auth.scopes import all_scopes

    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise TokenError(
            "name", "Give the token a name of 1 to 100 characters, e.g. 'backup script'."
        )
    known = ", ".join(all_scopes())
    if not scopes:
        raise TokenError("scopes", f"Choose at least one scope among {known}.")
    unknown = sorted(set(scopes) - set(all_scopes()))
    if unknown:
        raise TokenError("scopes", f"Unknown scope {', '.join(unknown)}: choose among {known}.")
    token, plain = ApiToken.issue(user, name, " ".join(sorted(set(scopes))))
    db.session.add(token)
    return token, plain


def tokens_for(viewer: User) -> list[ApiToken]:
    """The tokens `viewer` may manage: their own, or everybody's for an admin."""
    query = db.select(ApiToken).join(ApiToken.user).order_by(User.username, ApiToken.id.desc())
    if not viewer.is_admin:
        query = query.where(ApiToken.user_id == viewer.id)
    return list(db.session.scalars(query))


def can_manage_token(viewer: User, token: ApiToken) -> bool:
    return viewer.is_admin or token.user_id == viewer.id


def revoke_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
