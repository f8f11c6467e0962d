"""Notifications beyond email: any service Apprise speaks (ntfy, Slack, Discord,
Matrix, Telegram, Gotify, webhooks …), named by an Apprise URL.

    site_urls()                        NOTIFY_CHANNELS: the site's own channels, which
                                       get every change and host alert at once
    check_url(url)                     the URL, or ValueError saying what to fix
    masked(url)                        the URL with its secrets hidden, for showing
                                       (an admin's channel URL is kept sealed:
                                       auth/sealed.py)
    add(user, url, kinds) / set_kinds(channel, kinds) / channels_of(user)
                                       an admin's channels (the account page); the
                                       caller commits
    notes_now(records) / notes_digest(user, choice, records, since, until)
                                       what goes where: [(target, title, body)]
    dispatch(notes)                    one `notify.channel` task per note

Each note is a task of its own, retried with backoff (TASK_RETRY_BACKOFF) by the task
runner: a channel that is down is tried again and never holds up another channel or
the mail. A task names its channel (an id, or the digest of a site URL), never the
URL: the URL may hold a secret, and a task's arguments are kept in its record.
"""

import hashlib
import logging
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

from flask import current_app
from sqlalchemy import select

from statboard import tasks
from statboard.extensions import db
from statboard.models_base import utcnow
from statboard.notify import compose
from statboard.notify.models import KINDS, NotifyChannel, NotifyChoice
from statboard.tasks import task

log = logging.getLogger(__name__)
CHANNEL_TASK = "notify.channel"
MAX_URL = 2000


def _apprise():
    """Apprise, imported when a channel is first checked or used: it is some 15 MB in
    every process, and most sites have no channel."""
    import apprise

    return apprise


def _asset():
    # Nothing kept on the disk between sends: every process may send any note.
    return _apprise().AppriseAsset(storage_mode="memory")


def site_urls() -> list[str]:
    """NOTIFY_CHANNELS: a list, or a string of URLs separated by white space."""
    value = current_app.config.get("NOTIFY_CHANNELS") or []
    return value.split() if isinstance(value, str) else [str(url) for url in value]


def check_urls(app) -> None:
    """At start: a wrong NOTIFY_CHANNELS stops the site, saying which URL is wrong."""
    with app.app_context():
        for url in site_urls():
            try:
                check_url(url)
            except ValueError as error:
                raise ValueError(f"STATBOARD_NOTIFY_CHANNELS: {error}") from error


def _plugin(url: str):
    return _apprise().Apprise.instantiate(url, asset=_asset(), suppress_exceptions=True)


def check_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise ValueError("Give the Apprise URL of the channel, such as ntfy://ntfy.sh/my-topic.")
    if len(url) > MAX_URL or any(c.isspace() for c in url):
        raise ValueError("An Apprise URL is one line without spaces, at most 2000 characters.")
    if _plugin(url) is None:
        scheme = url.split("://", 1)[0] if "://" in url else url[:20]
        raise ValueError(
            f"{scheme!r} is not an Apprise URL that can be used: check its scheme and "
            "its parts (see https://github.com/caronc/apprise/wiki)."
        )
    return url


UNREADABLE = "(added before the site's secret key changed: remove it and add it again)"


def masked(url: str | None) -> str:
    """The URL as Apprise shows it in privacy mode (tokens and passwords hidden), with
    only the query parameters the URL was given (not Apprise's defaults), and the
    values of extra headers and payload fields (+name, :name, -name) hidden too:
    Apprise shows them as they are, and they may hold a token. None: a channel sealed
    under another SECRET_KEY."""
    if url is None:
        return UNREADABLE
    plugin = _plugin(url)
    if plugin is None:
        return "(not a valid URL)"
    shown = urlsplit(plugin.url(privacy=True))
    given = {_param(key) for key in parse_qs(urlsplit(url).query, keep_blank_values=True)}
    kept = [
        (key, "****" if key[:1] in "+-:" else value)
        for key, value in parse_qsl(shown.query, keep_blank_values=True)
        if _param(key) in given
    ]
    return urlunsplit(shown._replace(query=urlencode(kept, safe="*.+:-")))


def _param(key: str) -> str:
    return key.lower().lstrip("+-: ")


def check_kinds(kinds: list[str]) -> list[str]:
    if not kinds or any(kind not in KINDS for kind in kinds):
        raise ValueError("Tick at least one kind of notification: " + ", ".join(KINDS.values()))
    return [kind for kind in KINDS if kind in kinds]


def channels_of(user) -> list[NotifyChannel]:
    query = select(NotifyChannel).where(NotifyChannel.user_id == user.id)
    return db.session.scalars(query.order_by(NotifyChannel.id)).all()


def add(user, url: str, kinds: list[str]) -> NotifyChannel:
    """Stage a new channel for `user`; ValueError saying what to fix when it is wrong."""
    channel = NotifyChannel(user_id=user.id, url=check_url(url), kinds=check_kinds(kinds))
    choice = db.session.get(NotifyChoice, user.id)
    if choice is not None and not channels_of(user):  # their first: digests start now
        choice.channels_until = utcnow()
    db.session.add(channel)
    return channel


def set_kinds(channel: NotifyChannel, kinds: list[str]) -> None:
    channel.kinds = check_kinds(kinds)


def _site_key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:24]


def notes_now(records: list[dict], admins) -> list[tuple[dict, str, str]]:
    """The notes of a closed group: to every site channel, and to each admin's channels
    (`admins`: [(user, mine)], `mine` the records their choice lets through) that want
    their kind."""
    notes = []
    if site := site_urls():
        title, body = compose.change_note(records)
        notes += [({"site": _site_key(url)}, title, body) for url in site]
    for user, mine in admins:
        notes += _per_channel(user, mine, compose.change_note)
    return notes


def notes_digest(user, records: list[dict], since, until) -> list[tuple[dict, str, str]]:
    return _per_channel(user, records, lambda rs, u: compose.digest_note(rs, u, since, until))


def _per_channel(user, records: list[dict], compose_note) -> list[tuple[dict, str, str]]:
    notes, made = [], {}
    for channel in channels_of(user):
        wanted = [record for record in records if channel.wants(record)]
        if wanted:
            key = tuple(channel.kinds)  # channels of the same kinds get the same text
            made[key] = made.get(key) or compose_note(wanted, user)
            notes.append(({"channel": channel.id}, *made[key]))
    return notes


def dispatch(notes: list[tuple[dict, str, str]]) -> int:
    for target, title, body in notes:
        tasks.submit(CHANNEL_TASK, title=title, body=body, **target)
    return len(notes)


def _url_of(channel: int | None, site: str | None) -> str | None:
    if channel is not None:
        found = db.session.get(NotifyChannel, channel)
        url = found.url if found is not None else None  # unsealed once
        if found is not None and url is None:
            log.warning("Channel %s of user %s: %s", found.id, found.user_id, UNREADABLE)
        return url
    return next((url for url in site_urls() if _site_key(url) == site), None)


def send(url: str, title: str, body: str) -> None:
    """Send one note now; RuntimeError with what Apprise said when it was not taken."""
    apprise = _apprise()
    sender = apprise.Apprise(asset=_asset())
    sender.add(url)
    if not sender.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT):
        # Why is in the log (the "apprise" logger): Apprise does not return it.
        raise RuntimeError(f"{masked(url)} did not take the notification; see the log")


@task(CHANNEL_TASK, retries=10)  # 2 s doubling to 300 s: about 18 minutes in all
def send_note(ctx, title: str = "", body: str = "", channel=None, site=None):
    """One note to one channel; a failure raises, and the runner tries again later."""
    url = _url_of(channel, site)
    if url is None:  # removed meanwhile (nobody wants it any more), or unreadable
        return {"sent": False}
    send(url, title, body)
    return {"sent": True}
