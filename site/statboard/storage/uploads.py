"""Storing uploaded images and letting go of them.

    stored = store_image(data, "holiday.jpg", uploaded_by=user)  # adds a StoredFile
    discard(stored)            # row deleted now, objects deleted after the commit
    view = image_view(stored)  # src, srcset, width, height for <img>

Objects are written before the commit (the row needs them to exist); if the
transaction rolls back instead, they are deleted again.
"""

import logging
import secrets
from dataclasses import dataclass

from flask import current_app, g, has_app_context
from sqlalchemy import event
from werkzeug.utils import secure_filename

from statboard.notify import after_commit
from statboard.storage import current, storage_for
from statboard.storage.images import EXTENSIONS, process_image
from statboard.storage.models import StoredFile

log = logging.getLogger(__name__)


def store_image(data: bytes, filename: str | None, uploaded_by=None) -> StoredFile:
    """Check, re-encode and store an image; raises ImageRejected with a message."""
    from statboard.extensions import db

    processed = process_image(data, current_app.config["MAX_IMAGE_PIXELS"])
    storage = current()
    key = secrets.token_hex(16)
    original = processed.original
    _remember_uncommitted(storage.url_id, key)
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
    from statboard.extensions import db

    db.session.delete(stored)
    after_commit(delete_objects, stored.storage, stored.key)


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
    candidates = sorted((int(width), name) for width, name in stored.variants.items())
    candidates.append((stored.width, original_object(stored)))
    srcset = ", ".join(f"{storage.url(name)} {width}w" for width, name in candidates)
    return ImageView(storage.url(original_object(stored)), srcset, stored.width, stored.height)


# --- Objects written in a transaction that did not commit ---------------------


def _remember_uncommitted(storage_url: str, key: str) -> None:
    g.setdefault("uncommitted_uploads", []).append((storage_url, key))


def _forget_uncommitted(session) -> None:
    if has_app_context():
        g.pop("uncommitted_uploads", None)


def _delete_uncommitted(*_args) -> None:
    if not has_app_context():
        return
    for storage_url, key in g.pop("uncommitted_uploads", None) or []:
        try:
            delete_objects(storage_url, key)
        except Exception:
            log.exception("could not delete the uncommitted upload %s", key)


def _on_soft_rollback(session, previous_transaction) -> None:
    if not previous_transaction.nested:
        _delete_uncommitted()


def init_cleanup(app) -> None:
    from statboard.extensions import db

    if not event.contains(db.session, "after_commit", _forget_uncommitted):
        event.listen(db.session, "after_commit", _forget_uncommitted)
        event.listen(db.session, "after_soft_rollback", _on_soft_rollback)
    # A request or command that ends without committing leaves no objects behind.
    app.teardown_appcontext(_delete_uncommitted)
