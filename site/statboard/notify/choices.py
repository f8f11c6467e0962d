"""Each admin's choice of change mail: every change, an hourly or a daily digest, or
none; and which pages. The account page edits it (statboard.auth), mails link to it.

    choice_for(user)                  their NotifyChoice (not stored until changed)
    set_choice(user, mode, hour, pages)   stages the change; the caller commits
    unsubscribe_url(user_id)          the signed one-click link of List-Unsubscribe
    user_of_token(token)              whose link it is, or None
    pages_from(func)                  pages names where the pages to choose from are:
                                      func() -> [(id, title)] (notify imports no pages)
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from statboard.extensions import db
from statboard.models_base import utcnow
from statboard.notify.models import DAILY, EVERY, HOURLY, MODES, NONE, NotifyChoice

SETTINGS_PATH = "/account#notifications"
UNSUBSCRIBE_PATH = "/account/notifications/unsubscribe/"
_SALT = "notify-unsubscribe"
_page_lists = []


def pages_from(func) -> None:
    """Register where the pages an admin may choose from come from."""
    _page_lists[:] = [func]


def known_pages() -> list[tuple[int, str]]:
    return _page_lists[0]() if _page_lists else []


def choice_for(user) -> NotifyChoice:
    choice = db.session.get(NotifyChoice, user.id)
    return choice or NotifyChoice(user_id=user.id, mode=EVERY, daily_hour=8, pages=None)


def set_choice(user, mode: str, daily_hour: int = 8, pages: list[int] | None = None):
    """Stage `user`'s choice; ValueError saying what to fix when it is wrong."""
    if mode not in MODES:
        raise ValueError(f"Choose one of: {', '.join(MODES.values())}.")
    if not 0 <= daily_hour <= 23:
        raise ValueError("Pick the hour of the daily digest, from 0 to 23.")
    choice = db.session.get(NotifyChoice, user.id)
    if choice is None:
        choice = NotifyChoice(user_id=user.id)
        db.session.add(choice)
    if mode != choice.mode and mode in (HOURLY, DAILY):
        choice.digest_until = choice.channels_until = utcnow()  # the first digest: from now
    choice.mode, choice.daily_hour = mode, daily_hour
    choice.pages = None if pages is None else sorted(set(pages))
    return choice


def turn_off(user_id: int) -> None:
    """No more change mail for the user (the one-click unsubscribe); the caller commits."""
    choice = db.session.get(NotifyChoice, user_id)
    if choice is None:
        db.session.add(NotifyChoice(user_id=user_id, mode=NONE))
    else:
        choice.mode = NONE


def _site_url(path: str) -> str:
    return current_app.config["SITE_URL"].rstrip("/") + path


def settings_url() -> str:
    return _site_url(SETTINGS_PATH)


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def unsubscribe_url(user_id: int) -> str:
    return _site_url(UNSUBSCRIBE_PATH + _signer().dumps(user_id))


def user_of_token(token: str) -> int | None:
    try:
        user_id = _signer().loads(token)
    except BadSignature:
        return None
    return user_id if isinstance(user_id, int) else None


def period_end(choice: NotifyChoice, now: datetime, zone: ZoneInfo) -> datetime:
    """The end (naive UTC) of the latest digest period that has ended by `now`: the last
    full hour, or the last time the clock showed the chosen hour, in the site's zone."""
    local = now.replace(tzinfo=UTC).astimezone(zone)
    if choice.mode == HOURLY:
        end = local.replace(minute=0, second=0, microsecond=0)
    else:
        end = local.replace(hour=choice.daily_hour, minute=0, second=0, microsecond=0)
        if end > local:
            end -= timedelta(days=1)
    return end.astimezone(UTC).replace(tzinfo=None)
