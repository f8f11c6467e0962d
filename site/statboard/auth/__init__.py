"""Users, login, roles and API tokens."""

from flask import Blueprint

bp = Blueprint("auth", __name__)


def init_app(app):
    from statboard.auth import account, channel_routes, routes, token_routes  # noqa: F401
    from statboard.auth.loaders import init_login
    from statboard.auth.throttle import LoginThrottle

    init_login(app)
    app.extensions["statboard.login_throttle"] = LoginThrottle(app)
    app.cli.later("users", users_commands)
    app.cli.later("tokens", tokens_commands)
    app.register_blueprint(bp)


def users_commands():
    """`flask users ...`, loaded when asked for: the command line's, not every worker's."""
    from statboard.auth.cli import users_cli

    return users_cli


def tokens_commands():
    """`flask tokens ...`, loaded when asked for."""
    from statboard.auth.cli import tokens_cli

    return tokens_cli
