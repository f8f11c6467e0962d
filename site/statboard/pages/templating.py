"""What every page template may use: the navigation, edit rights, block kinds."""

from urllib.parse import urlsplit

from flask import current_app, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from statboard import live
from statboard.pages import fragments, history, registry, services


def can_edit() -> bool:
    return bool(current_user.is_authenticated and current_user.is_admin)


def block_kind(block):
    return registry.find(block.kind)


def block_context(block) -> dict:
    kind = registry.find(block.kind)
    return kind.context(block) if kind and kind.context else {}


# The grid's columns up to each screen width, as site.css sets them (--cols).
GRID_COLUMNS = ((599, 1), (959, 2), (1279, 3), (1699, 4), (2099, 5), (None, 6))


def block_sizes(block) -> str:
    """`sizes` for an image as wide as the block: its share of the screen at each width,
    so that the browser fetches the smallest copy that fills it."""
    shares = []
    for widest, columns in GRID_COLUMNS:
        share = f"{round(100 * min(block.span, columns) / columns)}vw"
        shares.append(f"(max-width: {widest}px) {share}" if widest else share)
    return ", ".join(shares)


def shown_blocks(page) -> list:
    """The page's blocks this viewer sees: drafts for admins only."""
    return [block for block in page.blocks if can_edit() or not block.draft]


def grid(page) -> list[tuple]:
    """What the page's grid shows this viewer, in order, as (block, deleted) pairs:
    for admins, a block deleted that may still be undone stands in its old place."""
    shown = [(block, False) for block in shown_blocks(page)]
    if not can_edit():
        return shown
    for block in history.undoable(page):
        shown.insert(min(block.position, len(shown)), (block, True))
    return shown


def page_channels(page) -> list[str]:
    """What an open page reads live: its own changes, the navigation, the viewer's
    tasks, and what its blocks show (each kind names its channels); admins also read
    what happens to drafts."""
    channels = [f"page:{page.id}", "nav"]
    if current_user.is_authenticated:
        channels.append(f"user:{current_user.id}")
    if can_edit():
        channels.append(f"page:{page.id}:drafts")
    for block in shown_blocks(page):
        kind = registry.find(block.kind)
        if kind and kind.channels:
            channels += kind.channels(block)
    return channels


def current_slug() -> str | None:
    """The address of the page the viewer is on, for the navigation's aria-current: the
    page of this request, or, for a fragment (htmx) fetched from a page, that page's
    (the URL htmx names in HX-Current-URL)."""
    if request.endpoint and request.endpoint.startswith("pages.") and request.view_args:
        slug = request.view_args.get("slug")
        if slug:
            return slug
    current = request.headers.get("HX-Current-URL")
    if not current:
        return None
    try:
        adapter = current_app.url_map.bind(request.host)
        endpoint, args = adapter.match(urlsplit(current).path, method="GET")
    except HTTPException:
        return None
    return args.get("slug") if endpoint == "pages.show" else None


def init_templating(app):
    @app.context_processor
    def page_globals():
        return {
            "can_edit": can_edit(),
            "nav_pages": lambda: services.nav_pages(current_user.is_authenticated),
            "block_kind": block_kind,
            "block_context": block_context,
            "cached_block_body": fragments.cached_body,
            "block_badges": registry.badges,
            "block_kinds": registry.all_kinds,
            "block_assets": registry.assets,
            "live_stream_of": live.stream_for,
            "page_channels": page_channels,
            "shown_blocks": shown_blocks,
            "block_sizes": block_sizes,
            "grid_of": grid,
            "saved_when": history.saved_when,
            "nav_current": current_slug,
        }
