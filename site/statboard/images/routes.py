"""Uploads into image blocks and the gallery's item editing.

Every write: admins only, CSRF (header or form field), the block version the form
was made from (a stale one gets 409 and the current block). htmx gets the
re-rendered block; plain form posts are redirected back to the page (303).
"""

from flask import abort, current_app, redirect, request
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from statboard.auth.access import admin_required
from statboard.extensions import db
from statboard.images import bp, services
from statboard.images.forms import ALT_HELP, GalleryItemForm
from statboard.images.rendering import render_block, render_item
from statboard.storage.images import ImageRejected


def _is_htmx() -> bool:
    return bool(request.headers.get("HX-Request"))


def _done(block):
    """Commit and answer: the block for htmx, back to the page for a plain form."""
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        return _conflict(db.session.get(type(block), block.id))
    if _is_htmx():
        return render_block(block)
    return redirect(services.page_url(block), 303)


def _conflict(block):
    message = (
        "Someone else changed this block while you were editing it; "
        "here it is as saved now, so make your change again."
    )
    if _is_htmx():
        return render_block(block, status=409, error=message)
    abort(409, message)


def _rejected(block, message: str, **context):
    db.session.rollback()
    block = db.session.get(type(block), block.id)
    if _is_htmx():
        return render_block(block, status=422, error=message, **context)
    abort(400, message)


def _checked(block_id: int, kind: str):
    """The block, if the form's version is the saved one; otherwise answer 409 now."""
    block = services.load_block(block_id, kind)
    try:
        services.check_version(block, request.form.get("version"))
    except services.StaleBlock:
        abort(_conflict(block))
    return block


def _uploads(field: str) -> list[tuple[bytes, str]]:
    files = [f for f in request.files.getlist(field) if f.filename or f.content_length]
    return [(f.read(), f.filename or "") for f in files]


@bp.post("/blocks/<int:block_id>/image")
@admin_required
def upload_image(block_id: int):
    block = _checked(block_id, "image")
    uploads = _uploads("file")
    if not uploads:
        return _rejected(block, "Choose an image file to upload.")
    alt = (request.form.get("alt") or "").strip()[:300]
    if not alt and not block.data.get("alt"):
        return _rejected(block, ALT_HELP + " Then choose the file again.", focus_alt=True)
    data, filename = uploads[0]
    try:
        services.set_image(block, data, filename, current_user, alt=alt)
    except ImageRejected as rejected:
        return _rejected(block, str(rejected))
    return _done(block)


@bp.post("/blocks/<int:block_id>/items")
@admin_required
def add_items(block_id: int):
    block = _checked(block_id, "gallery")
    uploads = _uploads("files")
    if not uploads:
        return _rejected(block, "Choose one or more image files to add to the gallery.")
    try:
        services.add_items(block, uploads, current_user)
    except ImageRejected as rejected:
        return _rejected(block, f"Nothing was added: {rejected}")
    return _done(block)


@bp.get("/blocks/<int:block_id>/items/<item_id>")
@admin_required
def show_item(block_id: int, item_id: str):
    block = services.load_block(block_id, "gallery")
    return render_item(block, services.find_item(block, item_id))


@bp.get("/blocks/<int:block_id>/items/<item_id>/edit")
@admin_required
def edit_item_form(block_id: int, item_id: str):
    block = services.load_block(block_id, "gallery")
    item = services.find_item(block, item_id)
    form = GalleryItemForm(meta={"csrf": False}, data=item)
    return render_item(block, item, form=form)


@bp.route("/blocks/<int:block_id>/items/<item_id>", methods=["PUT", "POST"])
@admin_required
def edit_item(block_id: int, item_id: str):
    block = _checked(block_id, "gallery")
    item = services.find_item(block, item_id)
    form = GalleryItemForm(meta={"csrf": False})
    if not form.validate():
        if _is_htmx():
            return render_item(block, item, form=form, status=422)
        abort(400, " ".join(e for errors in form.errors.values() for e in errors))
    services.edit_item(block, item_id, form.title.data or "", form.caption.data or "", current_user)
    return _done(block)


@bp.route("/blocks/<int:block_id>/items/<item_id>", methods=["DELETE"])
@bp.post("/blocks/<int:block_id>/items/<item_id>/delete")
@admin_required
def remove_item(block_id: int, item_id: str):
    block = _checked(block_id, "gallery")
    services.remove_item(block, item_id, current_user)
    return _done(block)


@bp.post("/blocks/<int:block_id>/items/<item_id>/move")
@admin_required
def move_item(block_id: int, item_id: str):
    block = _checked(block_id, "gallery")
    offsets = {"up": -1, "down": 1}
    if request.form.get("direction") not in offsets:
        abort(400, "Say which way to move the item: direction=up or direction=down.")
    services.move_item(block, item_id, offsets[request.form["direction"]], current_user)
    return _done(block)


@bp.route("/blocks/<int:block_id>/items/order", methods=["PUT", "POST"])
@admin_required
def reorder_items(block_id: int):
    block = _checked(block_id, "gallery")
    services.reorder_items(block, request.form.getlist("order"), current_user)
    return _done(block)


@bp.app_context_processor
def upload_limits():
    return {"max_upload_bytes": current_app.config["MAX_CONTENT_LENGTH"]}
