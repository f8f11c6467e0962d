"""Upload storage (a local folder or S3) and image processing.

from statboard import storage
storage.current()                    # the storage new uploads go to (STORAGE_URL)
storage.storage_for(stored.storage)  # the storage that holds a given StoredFile

Both are a `Storage` (storage/engines/): save, read, delete, url, local_path, listing.
Objects no StoredFile refers to are swept (storage/sweep.py).
"""

from flask import Blueprint, current_app

from statboard.storage import engines
from statboard.storage.engines import Storage

bp = Blueprint("storage", __name__)


def storage_for(url: str) -> Storage:
    """The storage named by `url`, made once per app and kept."""
    made = current_app.extensions.setdefault("statboard_storages", {})
    if url not in made:
        made[url] = engines.from_url(
            url,
            presigned=current_app.config["STORAGE_PRESIGNED"],
            url_seconds=current_app.config["STORAGE_URL_SECONDS"],
        )
    return made[url]


def current() -> Storage:
    """The storage new uploads go to."""
    return storage_for(current_app.config["STORAGE_URL"])


def init_app(app):
    from statboard.storage import models, routes, sweep  # noqa: F401

    app.register_blueprint(bp)
