"""Static files with fingerprinted URLs, and compression of what the site answers.

`url_for("static", filename=...)` adds `v=<content hash>`: a request carrying the
file's current version is cached for a year as immutable; a changed file gets a new
hash, so a browser fetches it once and never asks again while it is unchanged. A
request without a version (or with an old one) is answered with `no-cache` and an
ETag, as before. Text files are sent gzip- or brotli-compressed to clients that
accept it, compressed once per version and kept in memory (the static folder is
small and fixed).

The stylesheets a page needs come as one bundle (`bundle_url`, `/bundle.css`): the
files in the page's order, each ending with a newline, so the cascade is the one of
separate links, in one request instead of one per file (each was render-blocking). The
URL names its parts and carries the bundle's content version and a signature of the
list, so any process of the site serves it from the URL alone and only the lists the
site itself made: the bundles kept in memory are bounded by those lists (a visitor's
and an admin's, whatever kinds are registered), each built once per version of its
parts. A relative `url()` in a part is rebased on the part's folder.

HTML pages and fragments are compressed by Flask-Compress. Streamed answers (the
event stream, CSV exports) are not, nor what is shorter than COMPRESS_MIN_SIZE;
the counter API is a WSGI app in front of Flask and never reaches it.
"""

import gzip
import hashlib
import hmac
import mimetypes
import os
import posixpath
import re
import threading
from dataclasses import dataclass, field

import brotli
from flask import Response, abort, current_app, request, url_for
from flask_compress import Compress
from werkzeug.security import safe_join

IMMUTABLE = "public, max-age=31536000, immutable"
TEXT_TYPES = {"text/css", "text/javascript", "application/javascript", "image/svg+xml"}
ENCODINGS = ("br", "gzip")  # in order of preference, when a client accepts both
VERSION_LENGTH = 12  # hex digits of the SHA-256 of the content

compress = Compress()


@dataclass
class _File:
    """One static file as last read, or one bundle as last built: what it was made
    from (the file's stat key, the parts' versions), content, version and encodings."""

    source: tuple
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
    if entry is not None and entry.source == key:
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


# Static files are compressed once per version: the smallest. Pages once per render
# (pages/visitor_pages.py): fast.
SMALLEST = {"br": 11, "gzip": 9}
FAST = {"br": 5, "gzip": 6}


def encode(data: bytes, encoding: str, levels: dict[str, int]) -> bytes:
    """`data` compressed in `encoding` ("br" or "gzip", as ENCODINGS) at its level in
    `levels`."""
    if encoding == "br":
        return brotli.compress(data, quality=levels["br"])
    return gzip.compress(data, compresslevel=levels["gzip"], mtime=0)


def _encoded(entry: _File, encoding: str) -> bytes:
    if encoding not in entry.encoded:
        entry.encoded[encoding] = encode(entry.data, encoding, SMALLEST)
    return entry.encoded[encoding]


def serve_static(filename: str) -> Response:
    """The static view: the file from memory, compressed if the client accepts it."""
    path = _path(filename)
    entry = _read(path) if path else None
    if entry is None:
        abort(404)
    return _answer(entry)


def _answer(entry: _File) -> Response:
    """`entry` compressed as the client accepts, immutable if the request names its version."""
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


BUNDLE_SIGNATURE_LENGTH = 16  # hex digits of the HMAC-SHA256 of the part list
URL_REFERENCE = re.compile(rb"""url\(\s*(['"]?)([^'")]*)\1\s*\)""")
ABSOLUTE = re.compile(rb"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|/|#)")  # a scheme, a path, a fragment

_bundles: dict[tuple[str | None, tuple[str, ...]], _File] = {}  # bounded by the signed lists


def _rebase(css: bytes, folder: str) -> bytes:
    """`css` of a file in `folder` (under static) with each relative url() made absolute,
    so that it still resolves from the bundle's own URL."""
    prefix = current_app.static_url_path

    def absolute(found: re.Match) -> bytes:
        quote, target = found.group(1), found.group(2).strip()
        if not target or ABSOLUTE.match(target):
            return found.group(0)
        joined = posixpath.normpath(posixpath.join(prefix, folder, target.decode("latin-1")))
        return b"url(" + quote + joined.encode("latin-1") + quote + b")"

    return URL_REFERENCE.sub(absolute, css)


def _bundle(parts: tuple[str, ...]) -> _File | None:
    """The bundle of `parts`, built again only when a part's version changed; a part
    that is missing is left out, as its own link would have answered 404."""
    found = [(name, _read(path)) for name in parts if (path := _path(name))]
    found = [(name, entry) for name, entry in found if entry is not None]
    if not found:
        return None
    source = tuple(entry.version for _, entry in found)
    key = (current_app.static_folder, parts)
    entry = _bundles.get(key)
    if entry is not None and entry.source == source:
        return entry
    pieces = []
    for name, part in found:
        data = _rebase(part.data, posixpath.dirname(name))
        pieces.append(data if data.endswith(b"\n") else data + b"\n")
    data = b"".join(pieces)
    version = hashlib.sha256(data).hexdigest()[:VERSION_LENGTH]
    entry = _File(source, data, version, "text/css")
    with _lock:
        _bundles[key] = entry
    return entry


def _signature(parts: tuple[str, ...]) -> str:
    secret = current_app.secret_key
    secret = secret if isinstance(secret, bytes) else secret.encode()
    key = hmac.new(secret, b"statboard.assets.bundle", "sha256")  # a key for this use alone
    signed = hmac.new(key.digest(), "\n".join(parts).encode(), "sha256")
    return signed.hexdigest()[:BUNDLE_SIGNATURE_LENGTH]


def bundle_url(names) -> str:
    """The URL of one stylesheet holding the static files `names`, in that order."""
    parts = tuple(names)
    if any("," in name for name in parts):
        raise ValueError(f"A bundled file name holds a comma: {parts}. Rename the file.")
    entry = _bundle(parts)
    version = entry.version if entry else None
    return url_for("bundle", f=",".join(parts), v=version, s=_signature(parts))


def serve_bundle() -> Response:
    """The bundle view: a part list the site signed, from memory."""
    parts = tuple(request.args.get("f", "").split(","))
    if not hmac.compare_digest(request.args.get("s", ""), _signature(parts)):
        abort(404)
    entry = _bundle(parts)
    if entry is None:
        abort(404)
    return _answer(entry)


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
    app.add_url_rule("/bundle.css", "bundle", serve_bundle)
    app.add_template_global(bundle_url, "stylesheets")
    app.url_defaults(_add_version)
