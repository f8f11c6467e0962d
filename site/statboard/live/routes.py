"""/events on the site's own port: the way to the event server, for one address."""

from flask import Blueprint, abort, redirect, request

from statboard.live import stream_url

bp = Blueprint("live", __name__)


@bp.get("/events")
def events():
    url = stream_url()
    if url is None or url.startswith("/"):
        abort(404, "Live updates are not served here; pages refresh themselves instead.")
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    return redirect(url, 307)
