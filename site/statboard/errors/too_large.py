"""The 413 for a body over MAX_CONTENT_LENGTH: how large a file may be, and what to do."""

from flask import current_app
from werkzeug.exceptions import RequestEntityTooLarge


def too_large() -> RequestEntityTooLarge:
    """The 413 to answer when a request body is over the site's MAX_CONTENT_LENGTH."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    size = f"{limit / 2**20:.3g} MB" if limit >= 2**20 else f"{limit / 2**10:.0f} kB"
    return RequestEntityTooLarge(
        f"That upload is larger than the {size} this site accepts; "
        "choose a smaller file or shrink the image first."
    )
