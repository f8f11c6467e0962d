"""Block views: click to edit, save (htmx PUT or plain POST), add, move, resize (width
and height), delete, undo a delete, look at a block's history and restore an earlier
version.

Every kind gets these for free through its registry entry: the form validates an
edit and `to_data(old)` turns it into the block's new data. The routes are the
door's (blocks.route), as every kind's own sub-routes are.
"""

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from statboard.auth.access import admin_required
from statboard.extensions import db
from statboard.htmx import is_htmx
from statboard.pages import blocks, bp, history, registry, services
from statboard.pages.services import Conflict

CONFLICT_MESSAGE = (
    "Someone saved this block meanwhile; here is their version. "
    "Make your change again on top of it, then save."
)


def _edit_form(block, formdata=True):
    kind = registry.get(block.kind)
    if formdata:
        return kind.form()
    return kind.form(formdata=None, data=block.data)


def _render_edit(block, form, status=200, conflict=None):
    context = {"block": block, "form": form, "conflict": conflict}
    if is_htmx():
        return render_template("pages/_block_edit.html", **context), status
    return render_template("pages/page.html", page=block.page, editing=block, **context), status


def _back_to(page, block=None):
    if block is not None:
        return redirect(services.block_url(block), 303)
    return redirect(services.page_url(page), 303)


@blocks.route(bp)
def block(block):
    if not is_htmx():
        return redirect(services.block_url(block))
    return render_template("pages/_block.html", block=block)


@blocks.route(bp, "/edit", admin=True)
def edit_block(block):
    return _render_edit(block, _edit_form(block, formdata=False))


@blocks.route(bp, methods=["PUT", "POST"], admin=True, endpoint="save_block")
def save_block(block):
    form = _edit_form(block)
    if not form.validate():
        return _render_edit(block, form, 422)
    try:
        version = int(request.form.get("version", ""))
    except ValueError:
        abort(400, "The edit names no block version; reload the page and edit again.")
    data = form.to_data(dict(block.data))
    try:
        changed = services.change_content(block, data, version, current_user)
        # Read before the commit expires them: an autosave's answer needs no reload.
        block_id, saved = block.id, block.version
        if changed:
            services.commit_block(block)
    except Conflict as conflict:
        current = conflict.block
        mine = {k: v for k, v in request.form.items() if k not in ("csrf_token", "version")}
        fresh = _edit_form(current, formdata=False)
        return _render_edit(
            current, fresh, 409, conflict={"message": CONFLICT_MESSAGE, "mine": mine}
        )
    if request.headers.get("X-Autosave"):
        # The editor stays open: it only needs the new version for its next save, and
        # where to go back to the version it saved over (Esc after an autosave).
        headers = {"X-Block-Version": str(saved)}
        back = restore_url(block_id, version)
        if back:
            headers["X-Restore-Url"] = back
        return "", 204, headers
    if not is_htmx():
        return _back_to(block.page, block)
    return render_template("pages/_block.html", block=block)


def _int_field(name: str, allowed: str) -> int:
    try:
        return int(request.form.get(name, ""))
    except ValueError:
        abort(400, f"Give {name} as a whole number ({allowed}).")


@bp.post("/pages/<slug>/blocks")
@admin_required
def add_block(slug):
    page = services.get_page_or_404(slug)
    kind = request.form.get("kind", "")
    position = _int_field("position", "0 for the top of the page")
    block = services.add_block(page, kind, position, current_user)
    db.session.commit()
    if not is_htmx():
        return redirect(services.edit_url(block), 303)
    form = _edit_form(block, formdata=False)
    return render_template("pages/_grid.html", page=page, editing=block, form=form)


@blocks.route(bp, "/move", methods=["POST"], admin=True)
def move_block(block):
    direction = request.form.get("direction")
    if direction in ("up", "down"):
        position = block.position + (-1 if direction == "up" else 1)
    elif direction is None:
        position = _int_field("position", "0 for the top of the page")
    else:
        abort(400, "Move a block 'up' or 'down', or give its new position.")
    services.move_block(block, position, current_user)
    services.commit_block(block)
    return _grid_or_back(block.page, block)


@blocks.route(bp, "/span", methods=["POST"], admin=True)
def span_block(block):
    services.set_span(block, _int_field("span", f"1 to {services.MAX_SPAN}"), current_user)
    services.commit_block(block)
    return _grid_or_back(block.page, block)


@blocks.route(bp, "/rows", methods=["POST"], admin=True)
def rows_block(block):
    services.set_rows(block, _int_field("rows", f"1 to {services.MAX_ROWS}"), current_user)
    services.commit_block(block)
    return _grid_or_back(block.page, block)


@blocks.route(bp, "/delete", admin=True)
def confirm_delete(block):
    return render_template("pages/confirm_delete.html", block=block, page=block.page)


@blocks.route(bp, "/delete", methods=["POST"], admin=True)
def delete_block(block):
    page = services.delete_block(block, current_user)
    services.commit_block(block)
    return _grid_or_back(page)


def _grid_or_back(page, block=None):
    if is_htmx():
        return render_template("pages/_grid.html", page=page)
    return _back_to(page, block)


# --- undo and history -----------------------------------------------------------------

TOO_LATE = (
    "Too late to undo: that block is gone for good (a delete can be undone for {seconds} "
    "seconds), or there never was one. Add a new block instead."
)


@bp.post("/blocks/<int:block_id>/undo")
@admin_required
def undo_delete(block_id):
    block = db.session.get(blocks.Block, block_id)
    if block is None:
        abort(404, TOO_LATE.format(seconds=current_app.config["BLOCK_UNDO_SECONDS"]))
    page = services.undelete_block(block, current_user)
    services.commit_block(block)
    return _grid_or_back(page, block)


@blocks.route(bp, "/history", admin=True)
def block_history(block):
    entries = [
        (entry, services.describe_data(entry.kind, entry.data, block.id))
        for entry in history.entries(block)
    ]
    return blocks.answer(block, "pages/_history.html", entries=entries)


@blocks.route(bp, "/history/<int:entry_id>/restore", methods=["POST"], admin=True)
def restore_version(block, entry_id):
    entry = history.entry_or_404(block, entry_id)
    services.restore_version(block, entry, blocks.form_version(), current_user)
    services.commit_block(block)
    return blocks.answer(block)


def restore_url(block_id: int, version: int) -> str | None:
    """Where the editor restores the version it was opened on (Esc after an autosave)."""
    entry_id = history.entry_id(block_id, version)
    if entry_id is None:
        return None
    return url_for("pages.restore_version", block_id=block_id, entry_id=entry_id)
