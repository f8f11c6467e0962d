"""The htmx contract every feature shares: telling htmx requests apart, and Vary."""

from flask import request


def is_htmx() -> bool:
    """True for a request htmx sent (it sets `HX-Request: true`)."""
    return request.headers.get("HX-Request") == "true"


def vary_on_htmx(response):
    """Mark a response whose URL answers a page or a fragment depending on HX-Request."""
    response.vary.add("HX-Request")
    return response
