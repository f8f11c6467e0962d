"""Rendered blocks kept once per version, so that a page view mostly joins fragments.

A kind whose display partial shows nothing but the block's content says so on its
BlockKind: `cached_by=content_only`, or a function of the block that returns what
else the fragment shows (an event: whether it is over yet). Its rendered partial is
then kept in a small in-process LRU of FRAGMENT_CACHE_SIZE entries, keyed by

    block id, version, size (span, rows), its page's privacy, the viewer class, kind,
    when the block was made (an id may be given again), and what cached_by returns

so that a content change (a new version) is shown at the next view, and the fragment
a logged-in user was shown (a private page's) never reaches a visitor. Admins'
fragments carry their session's CSRF token in their forms: they are never kept.
Kinds that show live values (counters, host tiles, charts, other hosts) have no
cached_by and are rendered at each view, as are the badges under any block.
"""

import threading
from collections import OrderedDict
from collections.abc import Hashable

from flask import current_app, render_template
from flask_login import current_user
from markupsafe import Markup

from statboard.pages import registry

VISITOR, USER, ADMIN = "visitor", "user", "admin"


def content_only(block) -> tuple:
    """`cached_by` of a kind whose fragment shows the block's content and nothing else."""
    return ()


class FragmentCache:
    """A bounded, thread-safe LRU of rendered fragments."""

    def __init__(self, size: int):
        self.size = max(0, int(size))
        self._items: OrderedDict[Hashable, Markup] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Markup | None:
        with self._lock:
            html = self._items.get(key)
            if html is not None:
                self._items.move_to_end(key)
            return html

    def put(self, key: Hashable, html: Markup) -> None:
        with self._lock:
            self._items[key] = html
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def viewer_class() -> str:
    if not current_user.is_authenticated:
        return VISITOR
    return ADMIN if current_user.is_admin else USER


def cache() -> FragmentCache:
    return current_app.extensions["pages.fragments"]


def cached_body(block) -> Markup | None:
    """The block's display partial as kept for this viewer class, rendered (and kept)
    if it was not; None when it is not to be kept (a live kind, an admin)."""
    kind = registry.find(block.kind)
    kept = cache()
    if kind is None or kind.cached_by is None or not kept.size:
        return None
    viewer = viewer_class()
    if viewer == ADMIN:
        return None
    page = block.page
    key = (block.id, block.version, block.span, block.rows, page.is_public, viewer, kind.name)
    # created_at: SQLite may give a purged block's id to a new one, which counts anew.
    key += (block.created_at, kind.cached_by(block))
    html = kept.get(key)
    if html is None:
        context = kind.context(block) if kind.context else {}
        html = Markup(render_template(kind.template, block=block, ctx=context))
        kept.put(key, html)
    return html


def init_app(app) -> None:
    app.extensions["pages.fragments"] = FragmentCache(app.config["FRAGMENT_CACHE_SIZE"])
