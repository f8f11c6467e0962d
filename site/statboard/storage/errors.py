"""A 413 that tells people what to do, in whatever form the client reads."""

from werkzeug.exceptions import RequestEntityTooLarge


def too_large(error):
    from flask import current_app

    from statboard.errors import http_error

    limit = current_app.config["MAX_CONTENT_LENGTH"]
    size = f"{limit / 2**20:.3g} MB" if limit >= 2**20 else f"{limit / 2**10:.0f} kB"
    friendly = RequestEntityTooLarge(
        f"That upload is larger than the {size} this site accepts; "
        "choose a smaller file or shrink the image first."
    )
    return http_error(friendly)


def init_errors(app):
    app.register_error_handler(413, too_large)
