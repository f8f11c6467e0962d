"""Embeds: a block of a public page alone, live like the page, that the sites listed
in EMBED_ORIGINS may frame (every other URL of the site keeps refusing to be framed).

routes.py: GET /embed/blocks/<id>; templates/embed/block.html.
"""

from urllib.parse import urlsplit

from flask import Blueprint

bp = Blueprint("embeds", __name__)


def init_app(app):
    from statboard.embeds import routes  # noqa: F401

    app.config["EMBED_ORIGINS"] = check_origins(app.config["EMBED_ORIGINS"])
    app.register_blueprint(bp)


def check_origins(origins) -> list[str]:
    """The origins of EMBED_ORIGINS as a browser writes them; a wrong one stops the start."""
    if not isinstance(origins, list):
        raise ValueError(
            "STATBOARD_EMBED_ORIGINS must be a JSON list of origins, like "
            f'["https://blog.example"], not {origins!r}.'
        )
    checked = []
    for origin in origins:
        parts = urlsplit(origin if isinstance(origin, str) else "")
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/"):
            raise ValueError(
                f"STATBOARD_EMBED_ORIGINS: {origin!r} is not an origin; write one like "
                "https://blog.example or http://localhost:8080 (no path)."
            )
        checked.append(f"{parts.scheme}://{parts.netloc.lower()}")
    return checked
