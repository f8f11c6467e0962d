"""Changes to image and gallery blocks. Views call these, then blocks.commit().

Each change first checks the version the form was made from (a stale one raises
Conflict before any work, and before a "that item is gone" 404), then builds the
block's new data (a new dict: JSON columns do not see in-place edits) and hands it
to the door's change_content, which bumps the version once and announces it.
"""

import secrets
import time

from flask import abort, current_app

from statboard import notify
from statboard.extensions import db, once_per_transaction
from statboard.pages.blocks import Block, change_content, check_version, for_page
from statboard.storage import storage_for
from statboard.storage.models import StoredFile
from statboard.storage.uploads import discard, image_view, original_object, store_image

KINDS = ("image", "gallery")


def files_by_id(ids) -> dict[int, StoredFile]:
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    rows = db.session.scalars(db.select(StoredFile).where(StoredFile.id.in_(ids)))
    return {row.id: row for row in rows}


def media_key(block: Block) -> int:
    """What an image or gallery fragment shows besides the block's content: storage URLs,
    which S3 signs for STORAGE_URL_SECONDS (a signature is reused for half of that): a
    kept fragment is rendered again after a quarter of it, while its URLs still work."""
    config = current_app.config
    if not config["STORAGE_PRESIGNED"]:
        return 0
    return int(time.time() // max(1, int(config["STORAGE_URL_SECONDS"]) // 4))


def files_of_blocks(shown) -> dict[int, dict[int, StoredFile]]:
    """The stored files of these blocks' images, in one query: {block id: {file id: file}}."""
    shown = [block for block in shown if block.kind in KINDS]
    files = files_by_id({i for block in shown for i in block_file_ids(block)})
    return {block.id: {i: files[i] for i in block_file_ids(block) if i in files} for block in shown}


def media_for(block: Block) -> dict:
    """Template context of an image or gallery block: what its <img> tags need (the
    files of all the image blocks of its page are read at once)."""
    stored = for_page(block, files_of_blocks, default={})
    if block.kind == "image":
        found = stored.get(block.data.get("file_id"))
        return {"image": image_view(found) if found else None}
    items = block.data.get("items", [])
    return {
        "items": [
            {**item, "image": image_view(stored[item["file_id"]])}
            for item in items
            if item.get("file_id") in stored
        ]
    }


# --- What a change mail shows -----------------------------------------------------


def thumbnail(stored: StoredFile) -> dict:
    """The smallest stored thumbnail (the original of an image smaller than all of them)."""
    if stored.variants:
        width = min(stored.variants, key=int)
        name = stored.variants[width]
        content_type = "image/webp" if name.endswith(".webp") else stored.content_type
    else:
        name, content_type = original_object(stored), stored.content_type
    # Signed (on S3) whether or not the page is private: a mail cannot tell who reads it.
    url = storage_for(stored.storage).url(name, private=True)
    return {"storage": stored.storage, "object": name, "type": content_type, "url": url}


def _picture(stored: StoredFile | None, file_id, label: str) -> dict:
    name = label or (stored.original_name if stored else "") or f"image {file_id}"
    return {"key": file_id, "label": name, "thumb": thumbnail(stored) if stored else None}


def describe_image(data: dict) -> list[dict]:
    file_id = data.get("file_id")
    stored = files_by_id([file_id]).get(file_id)
    pictures = [_picture(stored, file_id, data.get("alt", ""))] if file_id else []
    return [
        notify.items("Image", pictures),
        notify.field("Description (alt text)", data.get("alt", "")),
        notify.field("Caption", data.get("caption", "")),
    ]


def describe_gallery(data: dict) -> list[dict]:
    entries = data.get("items", [])
    stored = files_by_id(item.get("file_id") for item in entries)
    pictures = [
        _picture(
            stored.get(item.get("file_id")),
            item["id"],
            item.get("title") or item.get("caption") or "",
        )
        for item in entries
    ]
    return [notify.field("Title", data.get("title", "")), notify.items("Images", pictures)]


# --- Image block ---------------------------------------------------------------


def set_image(block: Block, version: int, data: bytes, filename: str, actor, alt="") -> None:
    """Store a new image in the block; the old one's files go after the commit."""
    check_version(block, version)
    old = db.session.get(StoredFile, block.data["file_id"]) if block.data.get("file_id") else None
    stored = store_image(data, filename, uploaded_by=actor)
    db.session.flush()
    new = {**block.data, "file_id": stored.id, "alt": alt or block.data.get("alt", "")}
    action = "replaced the image of" if old else "uploaded an image to"
    change_content(block, new, version, actor, action)  # first: the mail shows the old one
    if old is not None:
        discard(old)


# --- Gallery block ----------------------------------------------------------------


def find_item(block: Block, item_id: str) -> dict:
    for item in block.data.get("items", []):
        if item["id"] == item_id:
            return item
    abort(404, "That gallery item is gone; reload the page to see the gallery as it is now.")


def add_items(block: Block, version: int, uploads: list[tuple[bytes, str]], actor) -> int:
    """Add one item per upload, all or none (a bad file rejects the whole batch)."""
    check_version(block, version)
    new_items = []
    for data, filename in uploads:
        stored = store_image(data, filename, uploaded_by=actor)
        db.session.flush()
        new_items.append(
            {"id": secrets.token_hex(4), "file_id": stored.id, "title": "", "caption": ""}
        )
    new = {**block.data, "items": [*block.data.get("items", []), *new_items]}
    count = len(new_items)
    change_content(block, new, version, actor, f"added {count} image{'s' if count != 1 else ''} to")
    return count


def edit_item(block: Block, version: int, item_id: str, title: str, caption: str, actor) -> None:
    check_version(block, version)
    find_item(block, item_id)
    items = [
        {**item, "title": title, "caption": caption} if item["id"] == item_id else item
        for item in block.data["items"]
    ]
    change_content(block, {**block.data, "items": items}, version, actor, "edited an item of")


def remove_item(block: Block, version: int, item_id: str, actor) -> None:
    check_version(block, version)
    item = find_item(block, item_id)
    items = [i for i in block.data["items"] if i["id"] != item_id]
    stored = db.session.get(StoredFile, item["file_id"])
    change_content(block, {**block.data, "items": items}, version, actor, "removed an image from")
    if stored is not None:
        discard(stored)


def move_item(block: Block, version: int, item_id: str, offset: int, actor) -> None:
    check_version(block, version)
    items = list(block.data["items"])
    index = items.index(find_item(block, item_id))
    target = max(0, min(len(items) - 1, index + offset))
    items.insert(target, items.pop(index))
    change_content(block, {**block.data, "items": items}, version, actor, "reordered")


def reorder_items(block: Block, version: int, order: list[str], actor) -> None:
    check_version(block, version)
    items = {item["id"]: item for item in block.data.get("items", [])}
    if sorted(order) != sorted(items):
        abort(400, "The new order does not list the gallery's items exactly once; reload the page.")
    new = {**block.data, "items": [items[item_id] for item_id in order]}
    change_content(block, new, version, actor, "reordered")


def on_private_page(stored: StoredFile) -> bool:
    """Whether the file is shown by an image or gallery block of a private page (those
    files are read once for all the images of a view)."""
    return stored.id in once_per_transaction("images.private", private_file_ids)


def private_file_ids() -> set:
    query = db.select(Block.data).where(Block.kind.in_(KINDS), Block.page.has(is_public=False))
    return {i for data in db.session.scalars(query) for i in _file_ids(data) if i is not None}


def block_file_ids(block: Block) -> list:
    return _file_ids(block.data)


def _file_ids(data: dict) -> list:
    data = data or {}
    return [data.get("file_id")] + [i.get("file_id") for i in data.get("items", [])]


def discard_block_files(block: Block) -> None:
    """Delete the files of an image or gallery block that is being deleted."""
    for stored in files_by_id(block_file_ids(block)).values():
        discard(stored)
