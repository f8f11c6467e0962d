"""Storing uploaded images and letting go of them.

    stored = store_image(data, "holiday.jpg", uploaded_by=user)  # adds a StoredFile
    discard(stored)            # row deleted now, objects deleted after the commit
    view = image_view(stored)  # src, srcset, width, height for <img>

Objects are written before the commit (the row needs them to exist); if the
transaction does not commit, they are deleted again (notify.after_rollback).
"""

import secrets
from dataclasses import dataclass

from flask import current_app
from werkzeug.utils import secure_filename

from statboard.extensions import db
from statboard.notify import after_commit, after_rollback
from statboard.storage import current, storage_for
from statboard.storage.images import EXTENSIONS, process_image
from statboard.storage.models import StoredFile
from statboard.storage.routes import is_private


def store_image(data: bytes, filename: str | None, uploaded_by=None) -> StoredFile:
    """Check, re-encode and store an image; raises ImageRejected with a message."""
    processed = process_image(data, current_app.config["MAX_IMAGE_PIXELS"])
    storage = current()
    key = secrets.token_hex(16)
    original = processed.original
    after_rollback(delete_objects, storage.url_id, key)
    storage.save(f"{key}/original.{original.ext}", original.data, original.content_type)
    variants = {}
    for width, thumb in processed.thumbnails.items():
        name = f"{key}/w{width}.{thumb.ext}"
        storage.save(name, thumb.data, thumb.content_type)
        variants[str(width)] = name
    stored = StoredFile(
        storage=storage.url_id,
        key=key,
        content_type=original.content_type,
        width=original.width,
        height=original.height,
        size=len(original.data),
        original_name=secure_filename(filename or "")[:255],
        variants=variants,
        uploaded_by_id=getattr(uploaded_by, "id", None),
    )
    db.session.add(stored)
    return stored


def original_object(stored: StoredFile) -> str:
    return f"{stored.key}/original.{EXTENSIONS[stored.content_type]}"


def discard(stored: StoredFile) -> None:
    """Delete the record now and its objects once the deletion is committed."""
    # Read first: once deleted, an expired row cannot load them (the flush removes it).
    storage_url, key = stored.storage, stored.key
    db.session.delete(stored)
    after_commit(delete_objects, storage_url, key)


def delete_objects(storage_url: str, key: str) -> None:
    storage_for(storage_url).delete(key)


@dataclass(frozen=True)
class ImageView:
    src: str
    srcset: str
    width: int
    height: int


def image_view(stored: StoredFile) -> ImageView:
    storage = storage_for(stored.storage)
    private = is_private(stored)
    candidates = sorted((int(width), name) for width, name in stored.variants.items())
    if not candidates or candidates[-1][0] < stored.width:  # no WebP at full size
        candidates.append((stored.width, original_object(stored)))
    srcset = ", ".join(f"{storage.url(name, private)} {width}w" for width, name in candidates)
    src = storage.url(original_object(stored), private)
    return ImageView(src, srcset, stored.width, stored.height)
