"""Badge routes: SVG in the shields.io look, or shields.io's endpoint JSON.

GET /badges/counters/<key>.svg|.json    ?hit=1 counts a view; ?label= ?color=
GET /badges/series/<id or handle>.svg|.json    ?period=30d ?label= ?color=
"""

from flask import Response, current_app, jsonify, render_template, request

from statboard.badges import bp
from statboard.badges.svg import BadColor, Badge, clean_text, color_of
from statboard.badges.values import (
    BadgeError,
    count_view,
    counter_value,
    followers,
    followers_message,
    period_days,
)
from statboard.counters.keys import key_problem
from statboard.series.api import account_by_id, readable
from statboard.series.samples import find_by_handle

FORMATS = "<any(svg, json):fmt>"
YES, NO = {"1", "true", "yes"}, {"", "0", "false", "no"}


@bp.errorhandler(BadgeError)
def badge_error(error: BadgeError):
    response = Response(error.message + "\n", status=error.status, mimetype="text/plain")
    response.headers.extend(error.headers)
    return response


@bp.get(f"/badges/counters/<path:key>.{FORMATS}")
def counter_badge(key: str, fmt: str):
    if problem := key_problem(key):
        raise BadgeError(400, problem)
    hit = request.args.get("hit", "").lower()
    if hit not in YES | NO:
        raise BadgeError(400, f"?hit={hit[:20]} means nothing: send ?hit=1 to count a view.")
    if hit in YES:
        value, headers = count_view(key, request.remote_addr or "")
    else:
        value, headers = counter_value(key), []
    response = answer(Badge(key, f"{value:,}", "blue"), fmt, counted=hit in YES)
    response.headers.extend(headers)
    return response


@bp.get(f"/badges/series/<int:account_id>.{FORMATS}")
def series_badge_by_id(account_id: int, fmt: str):
    return series_badge(readable(account_by_id, account_id), fmt)


@bp.get(f"/badges/series/<handle>.{FORMATS}")
def series_badge_by_handle(handle: str, fmt: str):
    return series_badge(readable(find_by_handle, handle), fmt)


def series_badge(account, fmt: str):
    """An account the reader may see (refused otherwise, as the series API refuses)."""
    days = period_days(request.args.get("period") or current_app.config["BADGE_SERIES_PERIOD"])
    message, color = followers_message(followers(account, days), days)
    return answer(Badge("followers", message, color), fmt, private=not account.is_public)


def answer(badge: Badge, fmt: str, counted: bool = False, private: bool = False) -> Response:
    """The badge as asked (?label= and ?color= override), with cache headers: a view
    that was counted is never stored; others briefly, and revalidated by ETag."""
    label = request.args.get("label")
    color = request.args.get("color") or badge.color
    try:
        color_of(color)
    except BadColor as error:
        raise BadgeError(400, str(error)) from None
    badge = Badge(clean_text(badge.label if label is None else label), badge.message, color)
    if fmt == "json":
        response = jsonify(
            schemaVersion=1, label=badge.label, message=badge.message, color=color.lstrip("#")
        )
    else:
        svg = render_template("badges/flat.svg", b=badge.layout())
        response = Response(svg, mimetype="image/svg+xml")
    if counted:
        response.headers["Cache-Control"] = "no-store"
        return response
    max_age = int(current_app.config["BADGE_MAX_AGE"])
    response.headers["Cache-Control"] = f"{'private' if private else 'public'}, max-age={max_age}"
    response.add_etag()
    return response.make_conditional(request)
