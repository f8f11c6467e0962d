"""Image and gallery blocks: uploads through storage, shown at the sizes pages use."""

from flask import Blueprint

bp = Blueprint("images", __name__)


def init_app(app):
    from statboard.images import routes, services  # noqa: F401  routes: registers views
    from statboard.images.blocks import register_kinds
    from statboard.storage.routes import private_when

    register_kinds()
    private_when(services.on_private_page)
    app.register_blueprint(bp)
