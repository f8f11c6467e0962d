"""Change mails as people read them: a plain-text part that stands alone and an HTML
part that looks like the site (templates/mail/), for one recipient.

    change_mail(records, user)            the mail of one batch or edit session
    digest_mail(records, user, since, until)  a period's changes, grouped by page
    change_note / digest_note             their title and plain text, for a channel

The HTML is rendered, then sanitized with nh3 like the site's own content (only the
tags and inline styles a mail needs; links http(s)/mailto, images cid: only), then
set in a fixed frame (templates/mail/frame.html): no script, nothing fetched.
Pictures travel with the mail as inline parts. Mails about one page share a thread
(In-Reply-To and References name the page), and every mail says how to stop them
(List-Unsubscribe, one-click).
"""

import base64
import hashlib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app

import statboard.notify.facets as rules
from statboard.notify.choices import settings_url, unsubscribe_url
from statboard.notify.mailer import build_message, mail_domain

TAGS = {
    "div", "p", "span", "a", "strong", "em", "del", "ins", "img", "h1", "h2", "h3",
    "table", "tbody", "tr", "td", "th", "ul", "li", "br", "hr", "small", "code",
}  # fmt: skip
STYLES = {
    "color", "background-color", "font-family", "font-size", "font-weight", "font-style",
    "line-height", "margin", "margin-top", "margin-bottom", "padding", "border",
    "border-top", "border-bottom", "border-left", "border-radius", "border-collapse",
    "text-decoration", "text-align", "vertical-align", "white-space", "width",
    "max-width", "height", "display", "list-style", "word-break",
}  # fmt: skip


def sanitize(html: str) -> str:
    import nh3  # 1.6 MB: loaded by the first mail, not by every worker

    return nh3.clean(
        html,
        tags=TAGS,
        attributes={
            "*": {"style", "class"},
            "a": {"href"},
            "img": {"src", "alt", "width", "height"},
            "td": {"colspan"},
        },
        url_schemes={"http", "https", "mailto", "cid"},
        filter_style_properties=STYLES,
        link_rel="noopener",
        strip_comments=True,
    )


def site_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIME_ZONE"])


def local_time(iso: str) -> str:
    when = datetime.fromisoformat(iso).replace(tzinfo=UTC).astimezone(site_zone())
    return when.strftime("%a %-d %b %Y, %H:%M %Z")


def who(record: dict) -> str:
    person = record.get("who")
    if not person:
        return current_app.config["SITE_NAME"]
    name = person.get("fullname") or ""
    return (
        f"{name} ({person['username']})"
        if name and name != person["username"]
        else person["username"]
    )


def headline(record: dict) -> str:
    """Who did what: "Ada Admin (ada) edited text block 12 “Welcome”"."""
    title = (record.get("block") or {}).get("title")
    named = f" \u201c{title}\u201d" if title else ""
    return " ".join(f"{who(record)} {record['action']} {record['subject']}".split()) + named


class _Inline:
    """The pictures of one mail: each carried once, named by a cid."""

    def __init__(self):
        self.parts, self.cids = [], {}

    def cid(self, item: dict) -> str | None:
        inline = item.get("inline")
        if not inline:
            return None
        digest = hashlib.sha1(inline["data"].encode()).hexdigest()[:16]
        if digest not in self.cids:
            self.cids[digest] = f"img-{digest}@{mail_domain() or 'statboard'}"
            self.parts.append((self.cids[digest], inline["type"], base64.b64decode(inline["data"])))
        return self.cids[digest]


def _view(record: dict, inline: _Inline) -> dict:
    shown = []
    for facet in record.get("facets", []):
        view = {"type": facet["type"], "name": facet["name"]}
        if facet["type"] == rules.TEXT:
            view["runs"] = rules.word_diff(facet["before"], facet["after"])
            view["plain"] = rules.plain_diff(facet["before"], facet["after"])
            view["gone"] = not facet["after"]
            view["before"], view["after"] = facet["before"], facet["after"]
        elif facet["type"] == rules.FIELD:
            view["before"], view["after"] = facet["before"], facet["after"]
        else:
            changes = rules.item_changes(facet)
            for group in ("added", "removed", "changed"):
                view[group] = [
                    {
                        "label": i.get("label") or i["key"],
                        "cid": inline.cid(i),
                        "link": i.get("link"),
                    }
                    for i in changes[group]
                ]
            view["reordered"] = changes["reordered"]
        shown.append(view)
    page = record.get("page")
    return {
        "headline": headline(record),
        "page": page,
        # "on page X" unless the change is to the page itself
        "on_page": page if page and not record["subject"].startswith("page ") else None,
        "when": local_time(record["at"]),
        "edits": record.get("edits", 1),
        "url": record.get("url"),
        "facets": shown,
    }


def _context(user, records: list[dict], inline: "_Inline", **context) -> dict:
    views = [_view(record, inline) for record in records]
    sections = []
    for view in views:
        page_id = view["page"]["id"] if view["page"] else None
        if not sections or sections[-1]["page_id"] != page_id:
            sections.append({"page_id": page_id, "page": view["page"], "changes": []})
        sections[-1]["changes"].append(view)
    return dict(
        context,
        changes=views,
        sections=sections,
        site_name=current_app.config["SITE_NAME"],
        site_url=current_app.config["SITE_URL"],
        settings_url=settings_url(),
        user=user,
    )


def _render(template: str, user, records: list[dict], **context):
    inline = _Inline()
    context = _context(user, records, inline, **context)
    text = _render_alone(f"mail/{template}.txt", **context)
    body = sanitize(_render_alone(f"mail/{template}.html", **context))
    html = _render_alone("mail/frame.html", body=body, **context)
    return text, html, inline.parts


def _render_alone(name: str, **context) -> str:
    """A template with only what it is given: mail is made off any request, and the
    site's context processors (the viewer, the CSRF token) have no place in it."""
    return current_app.jinja_env.get_template(name).render(**context)


def _headers(user, page_id: int | None) -> dict:
    headers = {
        "List-Unsubscribe": f"<{unsubscribe_url(user.id)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"{current_app.config['SITE_NAME']} changes <changes.{_site_tag()}>",
        "Auto-Submitted": "auto-generated",
    }
    if page_id is not None:
        thread = f"<page-{page_id}.{_site_tag()}@{mail_domain() or 'statboard'}>"
        headers["In-Reply-To"] = thread
        headers["References"] = thread
    return headers


def _site_tag() -> str:
    """Tells two sites mailing from one domain apart, in thread ids."""
    return hashlib.sha1(current_app.config["SITE_URL"].encode()).hexdigest()[:10]


def _subject(records: list[dict], views_pages: set) -> str:
    prefix = f"[{current_app.config['SITE_NAME']}]"
    if len(views_pages) == 1 and None not in views_pages:
        page = records[-1]["page"]
        if len(records) == 1:
            what = headline(records[0])
        else:
            names = ", ".join(dict.fromkeys(who(r) for r in records))
            what = f"{len(records)} changes by {names}"
        return f"{prefix} {page['title']}: {what}"
    if len(records) == 1:
        return f"{prefix} {records[0]['line']}"
    pages = len(views_pages - {None})
    on_pages = f" on {pages} pages" if pages > 1 else ""
    return f"{prefix} {len(records)} changes{on_pages}"


def change_mail(records: list[dict], user):
    """The mail telling `user` about a batch (or an edit session) of changes."""
    pages = {r["page"]["id"] if r.get("page") else None for r in records}
    text, html, related = _render("changes", user, records)
    page_id = next(iter(pages)) if len(pages) == 1 else None
    return build_message(
        _subject(records, pages),
        text,
        [user.email],
        html=html,
        related=related,
        headers=_headers(user, page_id),
    )


def digest_mail(records: list[dict], user, since: datetime, until: datetime):
    """One mail with the period's changes, grouped by page (pages in order of their first
    change, each page's changes in order)."""
    records = _in_page_order(records)
    text, html, related = _render("digest", user, records, period=_period(since, until))
    return build_message(
        _digest_subject(records), text, [user.email], html=html, related=related,
        headers=_headers(user, None),
    )  # fmt: skip


def _in_page_order(records: list[dict]) -> list[dict]:
    order = list(dict.fromkeys(r["page"]["id"] if r.get("page") else None for r in records))
    return sorted(records, key=lambda r: order.index(r["page"]["id"] if r.get("page") else None))


def _period(since: datetime, until: datetime) -> dict:
    zone = site_zone()
    return {
        "since": since.replace(tzinfo=UTC).astimezone(zone).strftime("%a %-d %b %Y, %H:%M"),
        "until": until.replace(tzinfo=UTC).astimezone(zone).strftime("%H:%M %Z"),
    }


def _digest_subject(records: list[dict]) -> str:
    count = len(records)
    pages = len({r["page"]["id"] for r in records if r.get("page")})
    return (
        f"[{current_app.config['SITE_NAME']}] Digest: {count} change{'s' if count != 1 else ''}"
        + (f" on {pages} page{'s' if pages != 1 else ''}" if pages else "")
    )


def change_note(records: list[dict], user=None) -> tuple[str, str]:
    """The title and plain text of a change mail, for a channel (notify/channels.py):
    `user` None for the site's own channels."""
    pages = {r["page"]["id"] if r.get("page") else None for r in records}
    context = _context(user, records, _Inline(), channel=True)
    return _subject(records, pages), _render_alone("mail/changes.txt", **context)


def digest_note(records: list[dict], user, since: datetime, until: datetime) -> tuple[str, str]:
    """The title and plain text of a digest, for a channel."""
    records = _in_page_order(records)
    context = _context(user, records, _Inline(), period=_period(since, until), channel=True)
    return _digest_subject(records), _render_alone("mail/digest.txt", **context)
