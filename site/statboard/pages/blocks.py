"""The one door from block kinds into pages: the only module of pages a feature imports.

A feature's `<feature>/blocks.py` registers its kinds and adds its own routes under
the block's URL, /blocks/<id>/...:

    from statboard.pages import blocks

    blocks.register(blocks.BlockKind(name="counter", ...))

    @blocks.route(bp, "/values", kinds="counter")          # GET /blocks/<id>/values
    def block_values(block): ...

    @blocks.route(bp, "/items", kinds="gallery", methods=["POST"], admin=True)
    def add_items(block):
        blocks.change_content(block, new_data, blocks.form_version(), current_user, "added to")
        blocks.commit(block)              # a save that raced another one raises Conflict (409)
        return blocks.answer(block)       # the block for htmx, back to the page otherwise

Every change of a block's content goes through change_content: it checks the version
the editor started from, bumps it once and announces the change after the commit.
"""

from collections.abc import Iterable
from functools import wraps

from flask import abort, make_response, redirect, render_template, request, url_for
from sqlalchemy import inspect
from sqlalchemy.orm.exc import StaleDataError

from statboard.auth.access import require_admin, require_login
from statboard.extensions import db, once_per_transaction
from statboard.htmx import is_htmx, vary_on_htmx
from statboard.pages import services
from statboard.pages.fragments import content_only
from statboard.pages.models import Block, Page
from statboard.pages.registry import BlockKind, badge, on_any_delete, register
from statboard.pages.registry import find as find_kind
from statboard.pages.services import Conflict, change_content, check_version, commit_block
from statboard.pages.templating import can_edit

__all__ = [
    "Block",
    "BlockKind",
    "Conflict",
    "answer",
    "badge",
    "change_content",
    "check_version",
    "commit",
    "content_only",
    "for_page",
    "form_version",
    "live_channels",
    "load",
    "moved",
    "moved_prefix",
    "of_kind",
    "on_any_delete",
    "public",
    "register",
    "route",
    "standing",
    "url",
]

commit = commit_block
url = services.block_url


def load(block_id: int, kinds: str | Iterable[str] | None = None) -> Block:
    """The block, for whoever may see it: 404 when missing, deleted, of another kind,
    or a draft and the viewer no admin; a block on a private page needs a login
    (browsers asking for a page are sent to log in)."""
    block = db.session.get(Block, block_id)
    wanted = (kinds,) if isinstance(kinds, str) else kinds
    missing = block is None or block.deleted_at is not None
    gone = missing or block.page.deleted_at is not None  # its page deleted: gone too
    if gone or (wanted is not None and block.kind not in wanted):
        abort(404, "There is no such block here; it may have been deleted.")
    if block.draft and not can_edit():
        abort(404, "There is no such block here; it may have been deleted.")
    if not block.page.is_public:
        require_login()
    return block


def public(block: Block | None) -> bool:
    """Whether anybody at all may see the block: on a public page, published, not deleted."""
    return (
        block is not None and block.page.is_public and not block.draft and block.deleted_at is None
    )


def route(bp, rule: str = "", *, kinds=None, methods=("GET",), admin=False, endpoint=None):
    """Register `view(block, **kwargs)` at /blocks/<id><rule> on the blueprint `bp`.

    The door loads the block (see load); with admin=True it first turns away anybody
    who is not an admin (401/403), before it says whether the block exists. Returns
    the view itself, so that one view can be routed at several URLs.
    """

    def decorate(view):
        @wraps(view)
        def with_block(block_id: int, **kwargs):
            if admin:
                require_admin()
            try:
                return view(load(block_id, kinds), **kwargs)
            except StaleDataError:
                # Another save won the race, found at a commit or at any autoflush before.
                raise services.raced(block_id) from None

        # One endpoint at several URLs needs one function (Flask refuses two).
        with_block = view.__dict__.setdefault("_door_view", with_block)
        name = endpoint or view.__name__
        bp.add_url_rule(f"/blocks/<int:block_id>{rule}", name, with_block, methods=list(methods))
        return view

    return decorate


def moved(bp, old_rule: str, endpoint: str, methods=("GET",)) -> None:
    """Keep an old URL working: 308 (method and body kept) to the endpoint's new URL."""

    def redirect_to_new(**values):
        return _redirect_keeping_query(url_for(endpoint, **values))

    name = "moved_" + old_rule.strip("/").replace("/", "_").replace("<", "").replace(">", "")
    name = name.replace(":", "_")
    bp.add_url_rule(old_rule, name, redirect_to_new, methods=list(methods))


def moved_prefix(bp, old_prefix: str, methods=("GET", "POST", "PUT", "DELETE")) -> None:
    """Keep a kind's old sub-URLs working: old_prefix/<id>/<rest> -> /blocks/<id>/<rest> (308)."""

    def redirect_to_new(block_id: int, rest: str):
        return _redirect_keeping_query(f"/blocks/{block_id}/{rest}")

    rule = f"{old_prefix}/<int:block_id>/<path:rest>"
    bp.add_url_rule(rule, "moved_blocks", redirect_to_new, methods=list(methods))


def _redirect_keeping_query(target: str):
    """308 to `target` with the request's query string: the method and body are kept."""
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    return redirect(target, 308)


def form_version() -> int:
    """The block version a posted form was made from, or a 400 saying what to do."""
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        abort(400, "The form did not say which version of the block it edits; reload the page.")


def answer(block: Block, template: str = "pages/_block.html", status: int = 200, **context):
    """The usual answer about a block: the fragment for htmx; after a plain form post
    that worked, back to the block on its page (303); otherwise the block alone on a
    page (a plain GET, or a refused form shown again with its error)."""
    if not is_htmx() and request.method not in ("GET", "HEAD") and status < 400:
        return redirect(url(block), 303)
    if is_htmx():
        html = render_template(template, block=block, **context)
    else:
        html = render_template("pages/block_page.html", template=template, block=block, **context)
    return vary_on_htmx(make_response(html, status))


def live_channels(block: Block) -> list[str]:
    """What a view of this block alone (an embed) reads live: its page's changes (a new
    version of the block) and what its kind shows."""
    kind = find_kind(block.kind)
    return [f"page:{block.page_id}", *(kind.channels(block) if kind and kind.channels else [])]


def standing(block_ids: Iterable[int]) -> set[int]:
    """Those of these blocks still on the site: not deleted (a deleted block waits out
    its undo time before it is purged) and not on a deleted page. Periodic work (checks,
    alerts) skips the others, so a deleted block falls silent at once."""
    ids = set(block_ids)
    if not ids:
        return set()
    query = (
        db.select(Block.id)
        .join(Page, Block.page_id == Page.id)
        .where(Block.id.in_(ids), Block.deleted_at.is_(None), Page.deleted_at.is_(None))
    )
    return set(db.session.scalars(query))


def of_kind(kind: str) -> list[Block]:
    """Every block of a kind, on any page (for changes that reach all of them)."""
    return list(db.session.scalars(db.select(Block).where(Block.kind == kind)))


def for_page(block: Block, load, default=None):
    """What `load(blocks) -> {block id: value}` finds for this block, loaded for all the
    blocks of its page at once: a page view asks the database once per kind of data
    (the alert rules of its blocks, their images' files), not once per block. Loaded
    once per transaction (see extensions.once_per_transaction). A block whose page has
    not loaded its blocks (a block's own route) or is not among them (one being
    undone) is loaded alone."""
    found = once_per_transaction(("for_page", load, block.page_id), lambda: _loaded(block, load))
    if block.id not in found[0]:
        found[0].add(block.id)
        found[1].update(load([block]))
    return found[1].get(block.id, default)


def _loaded(block: Block, load) -> tuple[set, dict]:
    page = block.page
    shown = [] if "blocks" in inspect(page).unloaded else list(page.blocks)
    return {b.id for b in shown}, dict(load(shown))
