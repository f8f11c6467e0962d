"""Users, login, roles and API tokens."""

from flask import Blueprint

bp = Blueprint("auth", __name__)


def init_app(app):
    from statboard.auth import account, channel_routes, routes, token_routes  # noqa: F401
    from statboard.auth.loaders import init_login
    from statboard.auth.throttle import LoginThrottle

    init_login(app)
    app.extensions["statboard.login_throttle"] = LoginThrottle(app)
    # Loaded when asked for: the command line's, not every worker's.
    app.cli.later("users", "statboard.auth.cli:users_cli")
    app.cli.later("tokens", "statboard.auth.cli:tokens_cli")
    app.register_blueprint(bp)
