"""Machine routes: /twitstats/<handle>, /api/series/<id>.csv|.json, and the push API."""

from datetime import datetime

from flask import Response, abort, jsonify, request
from flask_login import current_user

from statboard import notify
from statboard.auth.credentials import bearer_user, needs_bearer, token_required
from statboard.extensions import db
from statboard.series import api_bp
from statboard.series.export import parse_bound, series_csv, series_json, twitstats_csv
from statboard.series.models import Account
from statboard.series.samples import (
    MAX_COUNT,
    add_samples,
    can_read,
    find_by_handle,
    is_granted,
    now_utc,
)

SCOPE = "series"
TOKEN_HELP = "send `Authorization: Bearer <token>` with a token that has the series scope"


def reader():
    if request.headers.get("Authorization"):
        return bearer_user(SCOPE)
    return current_user if current_user.is_authenticated else None


NOT_FOUND = (
    "No such series for you; check the id or handle. A private series shows only to those "
    f"it is shared with: log in or {TOKEN_HELP}."
)


ANONYMOUS = (
    "This series is not public: send `Authorization: Bearer <token>` with a token that has "
    "the series scope (made at /tokens), or log in."
)


def readable(find, key) -> Account:
    """The series `find(key)` names, or 404 when it is unknown or the reader may not see
    it (the same answer, so private ids and handles cannot be found out). A client with
    neither token nor login gets a 401 asking for a bearer token instead, for unknown
    and private series alike. A bad token is a 401 and a token without the series scope
    a 403, whatever the URL names."""
    user = reader()
    account = find(key)
    if account is not None and account.is_public:
        return account
    if user is None:
        raise needs_bearer(ANONYMOUS)
    if account is None or not can_read(user, account):
        abort(404, NOT_FOUND)
    return account


def account_by_id(account_id: int) -> Account | None:
    return db.session.get(Account, account_id)


@api_bp.get("/twitstats/<handle>")
def twitstats(handle: str):
    account = readable(find_by_handle, handle)
    return Response(twitstats_csv(account), mimetype="text/csv")


def bounds():
    try:
        start = parse_bound(request.args.get("from"), "from")
        end = parse_bound(request.args.get("to"), "to", end=True)
    except ValueError as exc:
        abort(400, str(exc))
    if start and end and start >= end:
        abort(400, "from must come before to; swap them.")
    return start, end


@api_bp.get("/api/series/<int:account_id>.csv")
def series_as_csv(account_id: int):
    account = readable(account_by_id, account_id)
    start, end = bounds()
    response = Response(series_csv(account, start, end), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{account.platform}-{account.id}.csv"'
    )
    return response


@api_bp.get("/api/series/<int:account_id>.json")
def series_as_json(account_id: int):
    account = readable(account_by_id, account_id)
    return jsonify(series_json(account, *bounds()))


def parse_sample(item, index: int) -> tuple[datetime, int]:
    where = f"sample {index}" if index else "the sample"
    if not isinstance(item, dict):
        abort(400, f'{where} must be an object like {{"count": 123}}.')
    count = item.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_COUNT:
        abort(400, f"{where} needs a count that is a whole number of followers, 0 or more.")
    taken_at = item.get("taken_at")
    if taken_at is None:
        return now_utc(), count
    if not isinstance(taken_at, str) or not taken_at:
        abort(400, f"{where}: taken_at must be an ISO time such as 2024-05-01T12:00:00Z.")
    try:
        moment = parse_bound(taken_at, "taken_at")
    except ValueError as exc:
        abort(400, f"{where}: {exc}")
    if moment > now_utc():
        abort(400, f"{where}: taken_at is in the future; send UTC times.")
    return moment, count


@api_bp.post("/api/series/<int:account_id>/samples")
@token_required(SCOPE)
def push_samples(account_id: int, actor):
    """JSON {"count": N, "taken_at": ISO (optional)} or a list of them. Bearer tokens only."""
    account = db.session.get(Account, account_id)
    if account is None or not can_read(actor, account):
        abort(404, NOT_FOUND)
    if not (actor.is_admin or is_granted(actor, account)):
        abort(403, "You may not add samples to this series; ask an admin to share it with you.")
    body = request.get_json(silent=True)
    if body is None:
        abort(400, 'Send JSON like {"count": 123, "taken_at": "2024-05-01T12:00:00Z"}.')
    items = body if isinstance(body, list) else [body]
    if not items or len(items) > 10_000:
        abort(400, "Send between 1 and 10000 samples at once.")
    rows = [
        parse_sample(item, n + 1 if isinstance(body, list) else 0) for n, item in enumerate(items)
    ]
    added = add_samples(account, rows)
    if added:
        notify.announce(actor, f"pushed {added} samples to", f"series {account.label}")
    db.session.commit()
    return jsonify(added=added, duplicates=len(rows) - added), 201 if added else 200
