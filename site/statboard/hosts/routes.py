"""The host blocks' own URLs, under the block's: the tile and range fragments, and adding
and removing the hosts a "remote_hosts" block checks.

    GET    /blocks/<id>/tile[?range=&part=rows]     the tile (or only its host list)
    POST   /blocks/<id>/hosts                       add a host       (admins)
    DELETE /blocks/<id>/hosts/<host_id>             stop checking it (admins)
    POST   /blocks/<id>/hosts/<host_id>/delete      the same, without JavaScript

Each answers an htmx request with the fragment and anything else with a full page
(or a redirect after a form post), so every action also works without JavaScript.
"""

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user

from statboard.extensions import db
from statboard.hosts import remote
from statboard.hosts.blocks import host_context, remote_context
from statboard.hosts.models import RemoteHost
from statboard.htmx import vary_on_htmx
from statboard.pages import blocks

bp = Blueprint("hosts", __name__)
bp.after_request(vary_on_htmx)

KINDS = ("host", "remote_hosts")
VIEWS = {
    "host": ("blocks/host/_view.html", host_context),
    "remote_hosts": ("blocks/remote_hosts/_view.html", remote_context),
}


def render_tile(block, status: int = 200, part: str | None = None, **extra):
    template, context = VIEWS[block.kind]
    ctx = {**context(block, request.values.get("range")), **extra}
    if part == "rows" and block.kind == "remote_hosts":
        template = "blocks/remote_hosts/_rows.html"
    return blocks.answer(block, template, status, ctx=ctx)


@blocks.route(bp, "/tile", kinds=KINDS)
def block(block):
    return render_tile(block, part=request.args.get("part"))


@blocks.route(bp, "/hosts", kinds="remote_hosts", methods=["POST"], admin=True)
def add_remote(block):
    url, name = request.form.get("url", ""), request.form.get("name", "")
    try:
        remote.add_host(url, name, actor=current_user, block_id=block.id)
    except remote.InvalidHost as error:
        db.session.rollback()
        return render_tile(block, 422, error=str(error), url=url, name=name)
    db.session.commit()
    return render_tile(block)


@blocks.route(bp, "/hosts/<int:host_id>", kinds="remote_hosts", methods=["DELETE"], admin=True)
@blocks.route(
    bp,
    "/hosts/<int:host_id>/delete",
    kinds="remote_hosts",
    methods=["POST"],
    admin=True,
    endpoint="remove_remote_form",
)
def remove_remote(block, host_id: int):
    host = db.session.get(RemoteHost, host_id)
    if host is not None and host.block_id == block.id:  # another block's host is not ours
        remote.remove_host(host, actor=current_user)
        db.session.commit()
    return render_tile(block)


# --- URLs of earlier versions, which open pages may still use ---------------------

blocks.moved(bp, "/hosts/blocks/<int:block_id>", "hosts.block")


def _old_block_id() -> int:
    return request.values.get("block_id", type=int) or 0


@bp.post("/hosts/remote", endpoint="moved_add_remote")
def moved_add_remote():
    return redirect(url_for("hosts.add_remote", block_id=_old_block_id()), 308)


@bp.route("/hosts/remote/<int:host_id>", methods=["DELETE"], endpoint="moved_remove_remote")
@bp.post("/hosts/remote/<int:host_id>/delete", endpoint="moved_remove_remote_form")
def moved_remove_remote(host_id: int):
    endpoint = "hosts.remove_remote" if request.method == "DELETE" else "hosts.remove_remote_form"
    return redirect(url_for(endpoint, block_id=_old_block_id(), host_id=host_id), 308)
