"""Upload storage (local folder or S3) and image processing."""

from flask import Blueprint

bp = Blueprint("storage", __name__)


def init_app(app):
    from statboard.storage import models  # noqa: F401

    app.register_blueprint(bp)
