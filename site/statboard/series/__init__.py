"""Follower graphs: tracked accounts, daily collection, CSV import/export, chart blocks."""

from flask import Blueprint

bp = Blueprint("series", __name__)
# Machine routes: bearer tokens or public reads, no cookie-authenticated writes.
api_bp = Blueprint("series_api", __name__)


def init_app(app):
    from statboard.extensions import csrf
    from statboard.series import api, blocks, jobs, models, routes  # noqa: F401

    blocks.register_kind()
    csrf.exempt(api_bp)
    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    # Loaded when asked for: its progress bars (tqdm) are for the command line, not for
    # every worker.
    app.cli.later("series", "statboard.series.cli:series_cli")
