"""Static files with fingerprinted URLs, and compression of what the site answers.

`url_for("static", filename=...)` adds `v=<content hash>`: a request carrying the
file's current version is cached for a year as immutable; a changed file gets a new
hash, so a browser fetches it once and never asks again while it is unchanged. A
request without a version (or with an old one) is answered with `no-cache` and an
ETag, as before. Text files are sent gzip- or brotli-compressed to clients that
accept it, compressed once per version and kept in memory (the static folder is
small and fixed).

HTML pages and fragments are compressed by Flask-Compress. Streamed answers (the
event stream, CSV exports) are not, nor what is shorter than COMPRESS_MIN_SIZE;
the counter API is a WSGI app in front of Flask and never reaches it.
"""

import gzip
import hashlib
import mimetypes
import os
import threading
from dataclasses import dataclass, field

import brotli
from flask import Response, abort, current_app, request
from flask_compress import Compress
from werkzeug.security import safe_join

IMMUTABLE = "public, max-age=31536000, immutable"
TEXT_TYPES = {"text/css", "text/javascript", "application/javascript", "image/svg+xml"}
ENCODINGS = ("br", "gzip")  # in order of preference, when a client accepts both
VERSION_LENGTH = 12  # hex digits of the SHA-256 of the content

compress = Compress()


@dataclass
class _File:
    """One static file as last read: its stat key, content, version and encodings."""

    stat: tuple[int, int]
    data: bytes
    version: str
    mimetype: str
    encoded: dict[str, bytes] = field(default_factory=dict)


_files: dict[str, _File] = {}  # bounded by the files of the static folder
_lock = threading.Lock()


def _read(path: str) -> _File | None:
    """The file at `path`, read again only when its size or modification time changed."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    key = (st.st_mtime_ns, st.st_size)
    entry = _files.get(path)
    if entry is not None and entry.stat == key:
        return entry
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:  # a folder, or gone meanwhile
        return None
    version = hashlib.sha256(data).hexdigest()[:VERSION_LENGTH]
    mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
    entry = _File(key, data, version, mimetype)
    with _lock:
        _files[path] = entry
    return entry


def _path(filename: str) -> str | None:
    return safe_join(current_app.static_folder, filename)


def version(filename: str) -> str | None:
    """The current content version of a static file; None if there is no such file."""
    path = _path(filename)
    entry = _read(path) if path else None
    return entry.version if entry else None


def _encoded(entry: _File, encoding: str) -> bytes:
    if encoding not in entry.encoded:
        if encoding == "br":
            entry.encoded[encoding] = brotli.compress(entry.data, quality=11)
        else:
            entry.encoded[encoding] = gzip.compress(entry.data, compresslevel=9, mtime=0)
    return entry.encoded[encoding]


def serve_static(filename: str) -> Response:
    """The static view: the file from memory, compressed if the client accepts it."""
    path = _path(filename)
    entry = _read(path) if path else None
    if entry is None:
        abort(404)
    encoding = None
    if entry.mimetype in TEXT_TYPES or entry.mimetype.startswith("text/"):
        encoding = request.accept_encodings.best_match(ENCODINGS)
    body = _encoded(entry, encoding) if encoding else entry.data
    response = Response(body, mimetype=entry.mimetype)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    response.set_etag(f"{entry.version}-{encoding}" if encoding else entry.version)
    if request.args.get("v") == entry.version:
        response.headers["Cache-Control"] = IMMUTABLE
    else:  # no version, or an old one: ask again each time (a 304 while unchanged)
        response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)


def _add_version(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "v" not in values and "filename" in values:
        found = version(values["filename"])
        if found:
            values["v"] = found


def init_app(app) -> None:
    app.config.update(
        COMPRESS_MIMETYPES=["text/html", "text/css", "text/javascript", "application/javascript"],
        COMPRESS_ALGORITHM=list(ENCODINGS),
        COMPRESS_STREAMS=False,  # never the event stream nor a streamed export
        COMPRESS_MIN_SIZE=500,  # a tiny answer gains nothing
        # Its own ETag and 304 answered htmx fragments (a gallery item's Cancel) with an
        # empty swap; pages and fragments carry no validators of ours yet.
        COMPRESS_EVALUATE_CONDITIONAL_REQUEST=False,
    )
    compress.init_app(app)
    app.view_functions["static"] = serve_static
    app.url_defaults(_add_version)
