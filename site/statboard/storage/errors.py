"""A 413 that tells people what to do, in whatever form the client reads."""

from werkzeug.exceptions import RequestEntityTooLarge


def too_large(error):
    from flask import current_app

    from statboard.errors import http_error

    limit_mb = current_app.config["MAX_CONTENT_LENGTH"] / (1024 * 1024)
    friendly = RequestEntityTooLarge(
        f"That upload is larger than the {limit_mb:g} MB this site accepts; "
        "choose a smaller file or shrink the image first."
    )
    return http_error(friendly)


def init_errors(app):
    app.register_error_handler(413, too_large)
