"""Badges: counters and follower counts as SVG in the shields.io look, and as the
shields.io endpoint JSON, for READMEs and other sites.

- svg.py: the flat badge (widths, colours, what XML may hold); templates/badges/
- values.py: what a badge shows, counting a view as the counter API would
- routes.py: /badges/counters/<key>.svg|.json and /badges/series/<account>.svg|.json
"""

from flask import Blueprint

bp = Blueprint("badges", __name__)


def init_app(app):
    from statboard.badges import routes  # noqa: F401
    from statboard.badges.values import BadgeError, period_days

    try:
        period_days(app.config["BADGE_SERIES_PERIOD"])
    except BadgeError as error:  # a wrong default stops the start
        raise ValueError(f"STATBOARD_BADGE_SERIES_PERIOD: {error.message}") from None
    app.register_blueprint(bp)
