"""Upload storage (a local folder or S3) and image processing.

from statboard import storage
storage.current()                    # the storage new uploads go to (STORAGE_URL)
storage.storage_for(stored.storage)  # the storage that holds a given StoredFile
"""

from flask import Blueprint, current_app

bp = Blueprint("storage", __name__)


def storage_for(url: str):
    """The storage named by `url`, made once per app and kept."""
    from statboard.storage.engines import make_storage

    made = current_app.extensions.setdefault("statboard_storages", {})
    if url not in made:
        made[url] = make_storage(
            url,
            presigned=current_app.config["STORAGE_PRESIGNED"],
            url_seconds=current_app.config["STORAGE_URL_SECONDS"],
        )
    return made[url]


def current():
    """The storage new uploads go to."""
    return storage_for(current_app.config["STORAGE_URL"])


def init_app(app):
    from PIL import Image

    from statboard.storage import errors, models, routes, uploads  # noqa: F401

    # Pillow's own guard, as a second line behind the explicit check in images.py.
    Image.MAX_IMAGE_PIXELS = app.config["MAX_IMAGE_PIXELS"]
    errors.init_errors(app)
    uploads.init_cleanup(app)
    app.register_blueprint(bp)
