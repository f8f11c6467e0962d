"""The host blocks' own URLs: their refresh and range fragments, adding and removing hosts.

Each URL answers an htmx request with the fragment and anything else with a full
page (or a redirect after a form post), so every action also works without JavaScript.
"""

from flask import Blueprint, abort, redirect, render_template, request
from flask_login import current_user

from statboard.auth.access import require_admin, require_login
from statboard.extensions import db
from statboard.hosts import remote
from statboard.hosts.blocks import host_context, remote_context
from statboard.hosts.models import RemoteHost
from statboard.htmx import is_htmx, vary_on_htmx
from statboard.pages.models import Block

bp = Blueprint("hosts", __name__, url_prefix="/hosts")

VIEWS = {
    "host": ("blocks/host/_view.html", host_context),
    "remote_hosts": ("blocks/host/_remote_view.html", remote_context),
}


bp.after_request(vary_on_htmx)


def load_block(block_id: int) -> Block:
    """A host block the asker may see: 404 for other kinds, a login for private pages."""
    block = db.session.get(Block, block_id)
    if block is None or block.kind not in VIEWS:
        abort(404, "There is no host block here; it may have been deleted.")
    if not block.page.is_public:
        require_login()
    return block


def render_block(block: Block, status: int = 200, part: str | None = None, **extra):
    template, context = VIEWS[block.kind]
    ctx = {**context(block, request.values.get("range")), **extra}
    if part == "rows" and block.kind == "remote_hosts":
        return render_template("blocks/host/_remote_rows.html", block=block, ctx=ctx), status
    if is_htmx():
        return render_template(template, block=block, ctx=ctx, fragment=True), status
    return render_template("hosts/block.html", template=template, block=block, ctx=ctx), status


def _back(block: Block | None):
    target = request.form.get("next") or "/"
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    if block is not None and "#" not in target:
        target += f"#block-{block.id}"
    return redirect(target, 303)


@bp.get("/blocks/<int:block_id>")
def block(block_id):
    return render_block(load_block(block_id), part=request.args.get("part"))


@bp.post("/remote")
def add_remote():
    require_admin()
    block = load_block(request.form.get("block_id", type=int) or 0)
    url, name = request.form.get("url", ""), request.form.get("name", "")
    try:
        remote.add_host(url, name, actor=current_user)
    except remote.InvalidHost as error:
        return render_block(block, 422, error=str(error), url=url, name=name)
    return render_block(block) if is_htmx() else _back(block)


def _remove(host_id: int):
    require_admin()
    block = load_block(request.values.get("block_id", type=int) or 0)
    host = db.session.get(RemoteHost, host_id)
    if host is not None:
        remote.remove_host(host, actor=current_user)
    return render_block(block) if is_htmx() else _back(block)


@bp.delete("/remote/<int:host_id>")
def remove_remote(host_id):
    return _remove(host_id)


@bp.post("/remote/<int:host_id>/delete")
def remove_remote_form(host_id):
    return _remove(host_id)
