"""Pages of blocks, edited in place."""

from flask import Blueprint

bp = Blueprint("pages", __name__)


def init_app(app):
    from statboard.pages import models, routes  # noqa: F401

    app.register_blueprint(bp)
