"""Who may write counters: a client on a trusted network (COUNTER_TRUSTED_NETWORKS),
an admin's session (with its CSRF header) or a bearer token that grants the counters
scope (statboard.auth.credentials decides; the scope is for admins' tokens only).

Only write paths come here. The Flask app's session interface, Flask-Login and
the database are used only inside a context built for the check,
so reads and anonymous increments never pay for them. A token's answer is
remembered for TOKEN_CACHE_SECONDS, so that trusted increments skip the database.
"""

import time

from statboard.auth.credentials import CredentialError, bearer_token, token_owner
from statboard.counters.keys import ApiError
from statboard.networks import Networks

SCOPE = "counters"
TOKEN_CACHE_SECONDS = 30.0  # how long an increment trusts a token it has checked

NEED_CREDENTIALS = (
    "Log in as an admin (and send the X-CSRFToken header) or send "
    "'Authorization: Bearer <token>' with a token that has the counters scope "
    "(or call from a network listed in COUNTER_TRUSTED_NETWORKS)."
)


def unauthorized(message: str = NEED_CREDENTIALS) -> ApiError:
    return ApiError("401 Unauthorized", message, [("WWW-Authenticate", 'Bearer realm="counters"')])


def forbidden(message: str) -> ApiError:
    return ApiError("403 Forbidden", message)


def bearer(environ) -> str | None:
    return bearer_token(environ.get("HTTP_AUTHORIZATION"))


class WriteAccess:
    def __init__(self, flask_app, trusted_networks=()):
        self.flask_app = flask_app
        self.networks = Networks(trusted_networks, "COUNTER_TRUSTED_NETWORKS")
        self._trusted: dict[str, float] = {}  # token -> when the trust ends

    def on_trusted_network(self, environ) -> bool:
        return environ.get("REMOTE_ADDR", "") in self.networks

    def unlimited(self, environ) -> bool:
        """For increments: is the client on a trusted network or does it send a valid
        counters token (cached)? Neither is rate-limited."""
        return self.on_trusted_network(environ) or self.token_trusted(environ)

    def check(self, environ) -> None:
        """Return if the request may change counters; raise 401/403/400 otherwise."""
        if self.on_trusted_network(environ):
            return
        token = bearer(environ)
        if token:
            self._check_token(token)
        elif "HTTP_COOKIE" in environ:
            self._check_admin_session(environ)
        else:
            raise unauthorized()

    def token_trusted(self, environ) -> bool:
        """For increments: does the request carry a valid counters token? (cached)"""
        token = bearer(environ)
        if not token:
            return False
        if self._trusted.get(token, 0.0) > time.monotonic():
            return True
        try:
            self._check_token(token)
        except ApiError:
            return False
        return True

    def _check_token(self, plain: str) -> None:
        """The credential layer's answer for this token, remembered for a short while."""
        with self.flask_app.app_context():
            try:
                token_owner(plain, SCOPE)
            except CredentialError as error:
                if error.status == 401:
                    raise unauthorized(error.message) from None
                raise forbidden(error.message) from None
        if len(self._trusted) > 10_000:
            self._trusted.clear()
        self._trusted[plain] = time.monotonic() + TOKEN_CACHE_SECONDS

    def _check_admin_session(self, environ) -> None:
        from flask_login import current_user
        from flask_wtf.csrf import validate_csrf
        from wtforms import ValidationError

        with self.flask_app.request_context(environ):
            if not current_user.is_authenticated:
                raise unauthorized()
            if not current_user.is_admin:
                raise forbidden("Only admins can change counters.")
            try:
                validate_csrf(environ.get("HTTP_X_CSRFTOKEN"))
            except ValidationError as error:
                raise ApiError(
                    "400 Bad Request",
                    f"{error} Send the page's CSRF token in the X-CSRFToken header, "
                    "or reload the page and try again.",
                ) from None
