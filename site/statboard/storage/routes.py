"""Serving files of local storages at /uploads/<key>/<file>."""

import mimetypes

from flask import abort, send_file

from statboard.extensions import db
from statboard.storage import bp, storage_for
from statboard.storage.engines import CACHE_CONTROL
from statboard.storage.models import StoredFile


@bp.get("/uploads/<path:name>")
def uploaded(name: str):
    """A stored file from the local storage that holds it, even after STORAGE_URL moved on."""
    key = name.split("/", 1)[0]
    stored = db.session.scalar(db.select(StoredFile).where(StoredFile.key == key))
    if stored is None:
        abort(404, "There is no such upload; it may have been replaced or deleted.")
    try:
        path = storage_for(stored.storage).local_path(name)
    except KeyError:
        abort(404, "There is no such upload.")
    if path is None:
        abort(404, "This upload is kept elsewhere; reload the page to get its address.")
    if not path.is_file():
        abort(404, "There is no such upload; it may have been replaced or deleted.")
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response = send_file(path, mimetype=content_type, conditional=True, max_age=31536000)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
