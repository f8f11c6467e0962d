"""Pages of blocks, edited in place."""

from flask import Blueprint, request

bp = Blueprint("pages", __name__)


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


@bp.after_request
def vary_on_htmx(response):
    # Most URLs here answer a page or a fragment depending on HX-Request.
    response.vary.add("HX-Request")
    return response


def init_app(app):
    from statboard.pages import block_routes, models, routes  # noqa: F401
    from statboard.pages.kinds import register_kinds
    from statboard.pages.templating import init_templating

    register_kinds()
    init_templating(app)
    app.register_blueprint(bp)
