"""Who is this machine client: the one door for bearer tokens and HTTP Basic auth.

Bearer tokens (`Authorization: Bearer <token>`) follow one scope rule: a token
grants a scope when it is live, names that scope (a token naming none carries its
owner's own rights) and its owner may use the scope: admin-only scopes need an
admin (auth/scopes.py). A token never grants more than its owner may do.

HTTP Basic (the /v3 API) goes through the login form's throttle, with the same
keys (username and address), and an unknown username costs as much as a wrong
password.

No check commits, or even flushes, the caller's session; see `_stamp_used`.
"""

import logging
from datetime import timedelta
from functools import wraps

from flask import abort, current_app, request
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import TooManyRequests, Unauthorized

from statboard.auth.models import ApiToken, User
from statboard.auth.scopes import find_scope
from statboard.auth.throttle import login_throttle, too_many_message
from statboard.auth.users import authenticate
from statboard.extensions import db, side_engine
from statboard.models_base import utcnow

log = logging.getLogger(__name__)

STAMP_EVERY = timedelta(minutes=1)
BEARER_HELP = "send 'Authorization: Bearer <token>' with a token made at /tokens"


class CredentialError(Exception):
    """Credentials that do not let the client in: a 401, 403 or 429 and what to do next."""

    def __init__(self, status: int, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


# --- bearer tokens ---------------------------------------------------------------


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization` header value of the Bearer scheme, else None.

    Pure: the WSGI counter app passes environ["HTTP_AUTHORIZATION"], Flask views
    request.headers.get("Authorization").
    """
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def grants(token: ApiToken, scope_name: str) -> bool:
    """The scope rule: does this live token let its owner act in `scope_name`?"""
    scope = find_scope(scope_name)
    if token.revoked_at is not None or scope is None:
        return False
    named = not token.scopes or scope_name in token.scopes.split()
    return named and scope.usable_by(token.user)


def token_owner(plain: str | None, scope_name: str | None) -> User:
    """The owner of a live token that grants `scope_name`; CredentialError otherwise
    (401: no token, unknown or revoked; 403: the token or its owner lacks the scope).
    With scope_name None, only that the token is live is checked."""
    if not plain:
        raise CredentialError(401, f"This needs an API token: {BEARER_HELP}.")
    with db.session.no_autoflush:  # what the caller staged stays unflushed
        token = db.session.scalar(
            db.select(ApiToken)
            .options(joinedload(ApiToken.user))
            .where(ApiToken.token_hash == ApiToken.hash(plain))
        )
    if token is None or token.revoked_at is not None:
        raise CredentialError(
            401,
            f"That API token is unknown or revoked: make a new one at /tokens and {BEARER_HELP}.",
        )
    if scope_name is not None and not grants(token, scope_name):
        scope = find_scope(scope_name)
        if scope is not None and not scope.usable_by(token.user):
            raise CredentialError(
                403,
                f"Only admins may use the {scope_name} scope, and this token's owner is not "
                "an admin: ask an admin for a token.",
            )
        raise CredentialError(
            403, f"That API token lacks the {scope_name} scope: make one with it at /tokens."
        )
    _stamp_used(token)
    return token.user


def user_for_token(plain: str | None, scope_name: str | None = None) -> User | None:
    """The owner of a live token that grants `scope_name` (None: whatever it grants), or None."""
    try:
        return token_owner(plain, scope_name)
    except CredentialError:
        return None


def _stamp_used(token: ApiToken) -> None:
    """Set last_used_at in a short transaction of its own, at most once a minute per token.

    The caller's session is never committed by a check (a view commits once, at its
    end, or not at all for a read), so the stamp cannot ride on it. Writing it at
    most once a minute keeps a busy token from writing on every increment. Checks
    come before a view writes anything, so the caller holds no write lock; a missed
    stamp (a locked SQLite file, say) is logged and otherwise harmless.
    """
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < STAMP_EVERY:
        return
    engine = _stamp_engine()
    if engine is db.engine and engine.url.get_backend_name() == "sqlite":
        return  # an in-memory database: its one connection is the caller's own
    try:
        with engine.begin() as connection:
            connection.execute(
                update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now)
            )
    except SQLAlchemyError as error:
        log.warning("Could not note that token %s was used: %s", token.id, error)


def _stamp_engine():
    """A connection beside the request's (its own small pool): a request holding a
    connection of the site's pool never waits for a second one from it."""
    app = current_app._get_current_object()
    if "auth.stamp_engine" not in app.extensions:
        app.extensions["auth.stamp_engine"] = side_engine(app, 1)
    return app.extensions["auth.stamp_engine"]


def needs_bearer(message: str, error: str | None = None) -> Unauthorized:
    """A 401 that asks for a bearer token (`WWW-Authenticate: Bearer realm=...`, with
    RFC 6750's `error` when the token sent was refused): raise it."""
    values = {"realm": current_app.config["SITE_NAME"]}
    if error:
        values["error"] = error
    return Unauthorized(message, www_authenticate=WWWAuthenticate("Bearer", values))


def bearer_user(scope_name: str) -> User:
    """In a Flask view: the owner of the request's bearer token; aborts 401 (asking for
    a bearer token) or 403."""
    plain = bearer_token(request.headers.get("Authorization"))
    try:
        return token_owner(plain, scope_name)
    except CredentialError as error:
        if error.status == 401:
            raise needs_bearer(error.message, "invalid_token" if plain else None) from None
        abort(error.status, error.message)


def token_required(scope_name: str):
    """Decorator: the view runs only for a bearer token granting `scope_name`, and gets
    its owner as the `actor` keyword argument."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            return view(*args, actor=bearer_user(scope_name), **kwargs)

        return wrapped

    return decorator


# --- HTTP Basic ----------------------------------------------------------------------


def basic_owner() -> User:
    """In a Flask request: the user named by HTTP Basic auth; CredentialError otherwise
    (401: no or wrong credentials; 429: too many failures for this user or address)."""
    credentials = request.authorization
    if credentials is None or credentials.type != "basic" or not credentials.username:
        raise CredentialError(401, "Send a valid username and password with HTTP Basic auth.")
    throttle = login_throttle()
    wait = throttle.retry_after(credentials.username)
    if wait:
        raise CredentialError(429, too_many_message(wait), retry_after=wait)
    user = authenticate(credentials.username, credentials.password or "")
    if user is None:
        throttle.failed(credentials.username)
        raise CredentialError(401, "Send a valid username and password with HTTP Basic auth.")
    return user


def basic_user() -> User:
    """In a Flask view: the user named by HTTP Basic auth; aborts 401, or 429 with
    `retry_after` set on the exception (an error handler sends it as Retry-After)."""
    try:
        return basic_owner()
    except CredentialError as error:
        if error.status == 429:
            raise TooManyRequests(error.message, retry_after=error.retry_after) from None
        abort(error.status, error.message)
