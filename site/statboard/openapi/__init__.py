"""The OpenAPI description of the machine APIs (document.py), served as /openapi.json,
and a reference page made from it at /openapi (server-rendered: nothing to fetch)."""

from flask import Blueprint

bp = Blueprint("openapi", __name__)


def init_app(app):
    from statboard.openapi import routes  # noqa: F401

    app.register_blueprint(bp)
