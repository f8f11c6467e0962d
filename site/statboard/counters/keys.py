"""Counter keys and request values: what is allowed, and the 400 message when not."""

import re

from statboard.counters.models import KEY_LENGTH

# Segments of letters, digits and . _ ~ : @ - joined by single slashes: "song/1".
KEY_CHARS = "letters, digits, '.', '_', '~', ':', '@', '-' and single '/' between parts"
KEY_MATCH = re.compile(r"[A-Za-z0-9._~:@-]+(?:/[A-Za-z0-9._~:@-]+)*\Z").match
# A prefix is a key, optionally ending in "/": "song/" or "song".
PREFIX_MATCH = re.compile(r"[A-Za-z0-9._~:@-]+(?:/[A-Za-z0-9._~:@-]+)*/?\Z").match
NUMBER_MATCH = re.compile(r"[0-9]{1,19}\Z").match


class ApiError(Exception):
    def __init__(self, status: str, message: str, headers=()):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, list(headers)


def bad_request(message: str) -> ApiError:
    return ApiError("400 Bad Request", message)


def key_problem(key: str) -> str | None:
    """Why `key` is not a valid counter key, or None when it is."""
    if len(key) > KEY_LENGTH:
        return f"The counter key is {len(key)} characters long; use at most {KEY_LENGTH}."
    if KEY_MATCH(key) is None:
        return f"The counter key {key[:60]!r} is not allowed; use {KEY_CHARS}, like song/1."
    return None


def parse_by(query: str, max_by: int) -> int:
    """The ?by= of an increment: a whole number from 1 to max_by."""
    if query.startswith("by=") and "&" not in query:
        raw = query[3:]
    else:
        from urllib.parse import parse_qs

        raw = (parse_qs(query).get("by") or ["1"])[-1]
    if NUMBER_MATCH(raw) is None or not 1 <= int(raw) <= max_by:
        raise bad_request(
            f"?by={raw[:30]} is not a whole number from 1 to {max_by}; send for example ?by=5."
        )
    return int(raw)


def parse_value(raw: str, max_value: int) -> int:
    """The new value of a PUT: a whole number from 0 to max_value."""
    raw = raw.strip()
    if NUMBER_MATCH(raw) is None or int(raw) > max_value:
        raise bad_request(
            f"The value {raw[:30]!r} is not a whole number from 0 to {max_value}; "
            "send it as ?value=N or as the plain-text body."
        )
    return int(raw)
