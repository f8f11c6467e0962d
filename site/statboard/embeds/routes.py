"""GET /embed/blocks/<id>: the block alone, for an <iframe> on a listed site."""

from flask import abort, current_app, make_response, render_template

from statboard import security
from statboard.embeds import bp
from statboard.extensions import db
from statboard.pages import blocks

NOT_HERE = "There is no such public block to embed; check the block's id."


@bp.get("/embed/blocks/<int:block_id>")
def embed_block(block_id: int):
    origins = current_app.config["EMBED_ORIGINS"]
    if not origins:
        abort(
            404,
            "Embeds are off here: list the sites that may frame blocks in STATBOARD_EMBED_ORIGINS.",
        )
    block = db.session.get(blocks.Block, block_id)
    if not blocks.public(block):  # private, a draft or deleted: as if missing, never a login
        abort(404, NOT_HERE)
    html = render_template(
        "embed/block.html", block=block, can_edit=False, live_channels=blocks.live_channels(block)
    )
    response = make_response(html)
    ancestors = " ".join(["'self'", *origins])
    response.headers["Content-Security-Policy"] = security.content_security_policy(
        current_app.config, frame_ancestors=ancestors
    )
    response.headers["X-Frame-Options"] = ""  # left out: it cannot name other origins
    return response
