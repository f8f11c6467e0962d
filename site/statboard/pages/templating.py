"""What every page template may use: the navigation, edit rights, block kinds."""

from urllib.parse import urlsplit

from flask import current_app, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from statboard import live
from statboard.pages import registry, services


def can_edit() -> bool:
    return bool(current_user.is_authenticated and current_user.is_admin)


def block_kind(block):
    return registry.find(block.kind)


def block_context(block) -> dict:
    kind = registry.find(block.kind)
    return kind.context(block) if kind and kind.context else {}


def page_channels(page) -> list[str]:
    """What an open page reads live: its own changes, the navigation, the viewer's
    tasks, and what its blocks show (each kind names its channels)."""
    channels = [f"page:{page.id}", "nav"]
    if current_user.is_authenticated:
        channels.append(f"user:{current_user.id}")
    for block in page.blocks:
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
            "block_badges": registry.badges,
            "block_kinds": registry.all_kinds,
            "block_assets": registry.assets,
            "live_stream_of": live.stream_for,
            "page_channels": page_channels,
            "nav_current": current_slug,
        }
