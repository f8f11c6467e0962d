"""Uploads into image blocks and the gallery's item editing.

Every write: admins only, CSRF (header or form field), the block version the form
was made from (checked by the pages engine: a stale one gets 409 and the current
block). htmx gets the block re-rendered in the pages engine's wrapper, as the page
shows it; plain form posts are redirected back to the page (303).
"""

from flask import abort, current_app, request
from flask_login import current_user

from statboard.extensions import db
from statboard.htmx import is_htmx
from statboard.images import bp, services
from statboard.images.forms import ALT_HELP, GalleryItemForm
from statboard.images.rendering import render_block, render_item
from statboard.pages import blocks
from statboard.pages.blocks import Conflict, check_version, form_version
from statboard.storage.images import ImageRejected

CONFLICT_MESSAGE = (
    "Someone else changed this block while you were editing it; "
    "here it is as saved now, so make your change again."
)


def _done(block):
    """Commit and answer: the block for htmx, back to the page for a plain form."""
    blocks.commit(block)
    return render_block(block)


@bp.errorhandler(Conflict)
def _conflict(conflict: Conflict):
    """A stale version: nothing is kept; the answer is the block as saved now (409), as a
    fragment for htmx and alone on a page after a plain form post. (An error handler
    returns its answer: an abort() raised in here would be a 500.)"""
    db.session.rollback()
    return render_block(conflict.block, status=409, error=CONFLICT_MESSAGE)


def _rejected(block, message: str, **context):
    db.session.rollback()
    if is_htmx():
        return render_block(block, status=422, error=message, **context)
    abort(400, message)


def _uploads(field: str) -> list[tuple[bytes, str]]:
    files = [f for f in request.files.getlist(field) if f.filename or f.content_length]
    return [(f.read(), f.filename or "") for f in files]


@blocks.route(bp, "/image", kinds="image", methods=["POST"], admin=True)
def upload_image(block):
    version = form_version()
    uploads = _uploads("file")
    if not uploads:
        return _rejected(block, "Choose an image file to upload.")
    alt = (request.form.get("alt") or "").strip()[:300]
    if not alt and not block.data.get("alt"):
        return _rejected(block, ALT_HELP + " Then choose the file again.", focus_alt=True)
    data, filename = uploads[0]
    try:
        services.set_image(block, version, data, filename, current_user, alt=alt)
    except ImageRejected as rejected:
        return _rejected(block, str(rejected))
    return _done(block)


@blocks.route(bp, "/items", kinds="gallery", methods=["POST"], admin=True)
def add_items(block):
    version = form_version()
    uploads = _uploads("files")
    if not uploads:
        return _rejected(block, "Choose one or more image files to add to the gallery.")
    try:
        services.add_items(block, version, uploads, current_user)
    except ImageRejected as rejected:
        return _rejected(block, f"Nothing was added: {rejected}")
    return _done(block)


@blocks.route(bp, "/items/<item_id>", kinds="gallery", admin=True)
def show_item(block, item_id: str):
    return render_item(block, services.find_item(block, item_id))


@blocks.route(bp, "/items/<item_id>/edit", kinds="gallery", admin=True)
def edit_item_form(block, item_id: str):
    item = services.find_item(block, item_id)
    form = GalleryItemForm(meta={"csrf": False}, data=item)
    return render_item(block, item, form=form)


@blocks.route(bp, "/items/<item_id>", kinds="gallery", methods=["PUT", "POST"], admin=True)
def edit_item(block, item_id: str):
    version = form_version()
    check_version(block, version)  # a stale form gets 409, even if its item is gone
    item = services.find_item(block, item_id)
    form = GalleryItemForm(meta={"csrf": False})
    if not form.validate():
        if is_htmx():
            return render_item(block, item, form=form, status=422)
        abort(400, " ".join(e for errors in form.errors.values() for e in errors))
    title, caption = form.title.data or "", form.caption.data or ""
    services.edit_item(block, version, item_id, title, caption, current_user)
    return _done(block)


@blocks.route(bp, "/items/<item_id>", kinds="gallery", methods=["DELETE"], admin=True)
@blocks.route(bp, "/items/<item_id>/delete", kinds="gallery", methods=["POST"], admin=True)
def remove_item(block, item_id: str):
    services.remove_item(block, form_version(), item_id, current_user)
    return _done(block)


@blocks.route(bp, "/items/<item_id>/move", kinds="gallery", methods=["POST"], admin=True)
def move_item(block, item_id: str):
    version = form_version()
    offsets = {"up": -1, "down": 1}
    if request.form.get("direction") not in offsets:
        abort(400, "Say which way to move the item: direction=up or direction=down.")
    offset = offsets[request.form["direction"]]
    services.move_item(block, version, item_id, offset, current_user)
    return _done(block)


@blocks.route(bp, "/items/order", kinds="gallery", methods=["PUT", "POST"], admin=True)
def reorder_items(block):
    services.reorder_items(block, form_version(), request.form.getlist("order"), current_user)
    return _done(block)


blocks.moved_prefix(bp, "/images/blocks")


@bp.app_context_processor
def upload_limits():
    return {"max_upload_bytes": current_app.config["MAX_CONTENT_LENGTH"]}
