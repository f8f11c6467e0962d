"""Image and gallery blocks: uploads through storage, shown at the sizes pages use."""

from flask import Blueprint

bp = Blueprint("images", __name__)


def init_app(app):
    from statboard.images import routes  # noqa: F401
    from statboard.images.blocks import register_kinds

    register_kinds()
    app.register_blueprint(bp)
