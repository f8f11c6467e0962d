"""Pages of blocks, edited in place."""

from flask import Blueprint

from statboard.htmx import vary_on_htmx
from statboard.notify import choices

bp = Blueprint("pages", __name__)
# Most URLs here answer a page or a fragment depending on HX-Request.
bp.after_request(vary_on_htmx)


def init_app(app):
    from statboard.pages import (  # noqa: F401
        block_routes,
        deletion,
        fragments,
        models,
        routes,
        services,
        visitor_pages,
    )
    from statboard.pages.kinds import register_kinds
    from statboard.pages.templating import init_templating

    register_kinds()
    init_templating(app)
    fragments.init_app(app)
    visitor_pages.init_app(app)
    # The account page offers the pages for the admin's choice of change mail.
    choices.pages_from(lambda: [(page.id, page.title) for page in services.all_pages()])
    app.register_blueprint(bp)
