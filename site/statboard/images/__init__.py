"""Image and gallery blocks: uploads through storage, shown at the sizes pages use."""

from flask import Blueprint

bp = Blueprint("images", __name__, url_prefix="/images")


def init_app(app):
    from statboard.images import routes  # noqa: F401
    from statboard.images.kinds import register_kinds
    from statboard.images.services import media_for

    register_kinds()
    # Partials fall back on this when the page did not hand them their context.
    app.add_template_global(media_for, "media_for")
    app.register_blueprint(bp)
