"""Serving files of local storages at /uploads/<key>/<file>.

A file is cached by anyone (public, immutable) unless a feature says it belongs to
something private: features register such checks with `private_when(check)`, where
`check(stored) -> bool` (images: a file of an image on a private page). Those files
are sent with `Cache-Control: private`, so that no shared cache keeps them.
"""

import mimetypes
from collections.abc import Callable

from flask import abort, send_file

from statboard.extensions import db
from statboard.storage import bp, storage_for
from statboard.storage.engines import CACHE_CONTROL, PRIVATE_CACHE_CONTROL
from statboard.storage.models import StoredFile

_private_checks: list[Callable[[StoredFile], bool]] = []


def private_when(check: Callable[[StoredFile], bool]) -> None:
    if check not in _private_checks:
        _private_checks.append(check)


def is_private(stored: StoredFile) -> bool:
    return any(check(stored) for check in _private_checks)


def cache_control(stored: StoredFile) -> str:
    return PRIVATE_CACHE_CONTROL if is_private(stored) else CACHE_CONTROL


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
    response.headers["Cache-Control"] = cache_control(stored)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
