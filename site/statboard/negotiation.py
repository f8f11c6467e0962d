"""Content negotiation: one rule, from the value of an Accept header, for the whole site.

Pure (no Flask): the WSGI counter app passes environ.get("HTTP_ACCEPT"), Flask views
request.headers.get("Accept"). htmx requests are told apart by the caller (is_htmx).
"""

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

JSON = "application/json"
HTML = "text/html"
# The types that stand for `other` (XHTML is HTML to a browser).
_ALIASES = {HTML: (HTML, "application/xhtml+xml")}


def wants_json(accept: str | None, default: bool = False, other: str = HTML) -> bool:
    """Should a client sending this Accept value get JSON rather than `other`?

    The type the client ranks higher wins. No header, a tie (such as */*, which
    ranks both alike) or a header matching neither type: the caller's `default`.
    """
    if not accept:
        return default
    if not default and "json" not in accept:  # the hot path: most clients name no JSON
        return False
    others = _ALIASES.get(other, (other,))
    # best_match gives ties to the first offer: put the default first.
    offers = [JSON, *others] if default else [*others, JSON]
    best = parse_accept_header(accept, MIMEAccept).best_match(offers)
    return default if best is None else best == JSON
