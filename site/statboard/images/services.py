"""Changes to image and gallery blocks. Views call these, then commit.

Each change replaces `block.data` with a new dict (JSON columns do not see
in-place edits), which also bumps the block's version.
"""

import secrets

from flask import abort, url_for
from werkzeug.routing import BuildError

from statboard import notify
from statboard.extensions import db
from statboard.pages.models import Block
from statboard.storage.models import StoredFile
from statboard.storage.uploads import discard, image_view, store_image

KIND_LABELS = {"image": "image", "gallery": "gallery"}


class StaleBlock(Exception):
    """The form named an older version of the block than the one saved."""


def load_block(block_id: int, kind: str) -> Block:
    block = db.get_or_404(Block, block_id, description="There is no such block; reload the page.")
    if block.kind != kind:
        abort(400, f"Block {block_id} is a {block.kind} block, not a {kind} block.")
    return block


def check_version(block: Block, version: str | None) -> None:
    try:
        expected = int(version or "")
    except ValueError:
        abort(400, "The form did not say which version of the block it edits; reload the page.")
    if expected != block.version:
        raise StaleBlock


def page_url(block: Block) -> str:
    """The address of the block on its page."""
    try:
        page = url_for("pages.show", slug=block.page.slug)
    except BuildError:
        page = "/" if block.page.slug == "home" else f"/{block.page.slug}"
    return f"{page}#block-{block.id}"


def _announce(actor, action: str, block: Block) -> None:
    notify.announce(
        actor, action, f"{block.kind} block {block.id}", page=block.page, url=page_url(block)
    )


def files_by_id(ids) -> dict[int, StoredFile]:
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    rows = db.session.scalars(db.select(StoredFile).where(StoredFile.id.in_(ids)))
    return {row.id: row for row in rows}


def media_for(block: Block) -> dict:
    """Template context of an image or gallery block: what its <img> tags need."""
    if block.kind == "image":
        stored = files_by_id([block.data.get("file_id")]).get(block.data.get("file_id"))
        return {"image": image_view(stored) if stored else None}
    items = block.data.get("items", [])
    stored = files_by_id(item.get("file_id") for item in items)
    return {
        "items": [
            {**item, "image": image_view(stored[item["file_id"]])}
            for item in items
            if item.get("file_id") in stored
        ]
    }


# --- Image block ---------------------------------------------------------------


def set_image(block: Block, data: bytes, filename: str, actor, alt: str = "") -> None:
    """Store a new image in the block; the old one's files go after the commit."""
    old = db.session.get(StoredFile, block.data["file_id"]) if block.data.get("file_id") else None
    stored = store_image(data, filename, uploaded_by=actor)
    db.session.flush()
    block.data = {**block.data, "file_id": stored.id, "alt": alt or block.data.get("alt", "")}
    if old is not None:
        discard(old)
    _announce(actor, "replaced the image of" if old else "uploaded an image to", block)


# --- Gallery block ----------------------------------------------------------------


def find_item(block: Block, item_id: str) -> dict:
    for item in block.data.get("items", []):
        if item["id"] == item_id:
            return item
    abort(404, "That gallery item is gone; reload the page to see the gallery as it is now.")


def add_items(block: Block, uploads: list[tuple[bytes, str]], actor) -> int:
    """Add one item per upload, all or none (a bad file rejects the whole batch)."""
    new_items = []
    for data, filename in uploads:
        stored = store_image(data, filename, uploaded_by=actor)
        db.session.flush()
        new_items.append(
            {"id": secrets.token_hex(4), "file_id": stored.id, "title": "", "caption": ""}
        )
    block.data = {**block.data, "items": [*block.data.get("items", []), *new_items]}
    count = len(new_items)
    _announce(actor, f"added {count} image{'s' if count != 1 else ''} to", block)
    return count


def edit_item(block: Block, item_id: str, title: str, caption: str, actor) -> None:
    find_item(block, item_id)
    items = [
        {**item, "title": title, "caption": caption} if item["id"] == item_id else item
        for item in block.data["items"]
    ]
    block.data = {**block.data, "items": items}
    _announce(actor, "edited an item of", block)


def remove_item(block: Block, item_id: str, actor) -> None:
    item = find_item(block, item_id)
    block.data = {**block.data, "items": [i for i in block.data["items"] if i["id"] != item_id]}
    stored = db.session.get(StoredFile, item["file_id"])
    if stored is not None:
        discard(stored)
    _announce(actor, "removed an image from", block)


def move_item(block: Block, item_id: str, offset: int, actor) -> None:
    items = list(block.data["items"])
    index = items.index(find_item(block, item_id))
    target = max(0, min(len(items) - 1, index + offset))
    items.insert(target, items.pop(index))
    block.data = {**block.data, "items": items}
    _announce(actor, "reordered", block)


def reorder_items(block: Block, order: list[str], actor) -> None:
    items = {item["id"]: item for item in block.data.get("items", [])}
    if sorted(order) != sorted(items):
        abort(400, "The new order does not list the gallery's items exactly once; reload the page.")
    block.data = {**block.data, "items": [items[item_id] for item_id in order]}
    _announce(actor, "reordered", block)


def discard_block_files(block: Block) -> None:
    """Delete the files of an image or gallery block that is being deleted."""
    ids = [block.data.get("file_id")] + [i.get("file_id") for i in block.data.get("items", [])]
    for stored in files_by_id(ids).values():
        discard(stored)
