"""Users, login, roles and API tokens."""

from flask import Blueprint

bp = Blueprint("auth", __name__)


def init_app(app):
    from statboard.auth import account, channel_routes, routes, token_routes  # noqa: F401
    from statboard.auth.cli import tokens_cli, users_cli
    from statboard.auth.loaders import init_login
    from statboard.auth.throttle import LoginThrottle

    init_login(app)
    app.extensions["statboard.login_throttle"] = LoginThrottle(app)
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
    app.register_blueprint(bp)
