"""API tokens: issuing, listing and revoking them (the token panel).

Checking a token a machine sends is statboard.auth.credentials' job."""

from statboard.auth.models import ApiToken, User
from statboard.auth.scopes import find_scope, scopes_for
from statboard.extensions import db
from statboard.models_base import utcnow


class TokenError(ValueError):
    """A token request that cannot be granted; the message says what to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def issue_token(user: User, name: str, scopes: list[str]) -> tuple[ApiToken, str]:
    """A new token for `user` (added to the session) and its plain value, shown once."""
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise TokenError(
            "name", "Give the token a name of 1 to 100 characters, e.g. 'backup script'."
        )
    usable = scopes_for(user)
    known = ", ".join(usable)
    if not scopes:
        raise TokenError("scopes", f"Choose at least one scope among {known}.")
    unknown = sorted(scope for scope in set(scopes) if find_scope(scope) is None)
    if unknown:
        raise TokenError("scopes", f"Unknown scope {', '.join(unknown)}: choose among {known}.")
    refused = sorted(set(scopes) - set(usable))
    if refused:
        raise TokenError(
            "scopes",
            f"Only admins' tokens may carry {', '.join(refused)}, and {user.username} is not "
            f"an admin: choose among {known}.",
        )
    token, plain = ApiToken.issue(user, name, " ".join(sorted(set(scopes))))
    db.session.add(token)
    return token, plain


def tokens_for(viewer: User) -> list[ApiToken]:
    """The tokens `viewer` may manage: their own, or everybody's for an admin."""
    return all_tokens(None if viewer.is_admin else viewer)


def all_tokens(owner: User | None = None) -> list[ApiToken]:
    """Every token (of `owner` only, if given), by owner, newest first."""
    query = db.select(ApiToken).join(ApiToken.user).order_by(User.username, ApiToken.id.desc())
    if owner is not None:
        query = query.where(ApiToken.user_id == owner.id)
    return list(db.session.scalars(query))


def can_manage_token(viewer: User, token: ApiToken) -> bool:
    return viewer.is_admin or token.user_id == viewer.id


def revoke_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
