"""What every page template may use: the navigation, edit rights, block kinds."""

from flask_login import current_user

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
        }
