"""Users, login, roles and API tokens."""

from flask import Blueprint

bp = Blueprint("auth", __name__)


def init_app(app):
    from statboard.auth import routes  # noqa: F401
    from statboard.auth.loaders import init_login

    init_login(app)
    app.register_blueprint(bp)
