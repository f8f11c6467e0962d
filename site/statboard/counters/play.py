"""The original play-counter utility's protocol, byte for byte, on the counter store.

GET    /song/<id>   the count, as text/plain (0 when never played)
POST   /song/<id>   add one; answers the new count
GET    /            every count of the namespace: `1=1,5=2` (ids by number; empty if none)
DELETE /            clear the namespace; answers `OK`        trusted network, admin or token

/song/<id> is the counter song/<id> of /counters/... (same store, durability, history
and rate limit); the namespace is COUNTER_PLAY_NAMESPACE. A dedicated counter server
(`run.py counters`) serves all four; the site serves /song/<id> only, since its / is
the home page (there, /counters/?prefix=song/ lists and clears the namespace).
"""

import re

from statboard.counters.api import TEXT
from statboard.counters.keys import ApiError, bad_request
from statboard.counters.stores import MAX_VALUE

ID_MATCH = re.compile(r"[0-9]{1,19}\Z").match
SEGMENT_MATCH = re.compile(r"[A-Za-z0-9._~:@-]+\Z").match
SONG_ALLOWS = "GET, HEAD, POST"
ROOT_ALLOWS = "GET, HEAD, DELETE"


def namespace_problem(namespace: str) -> str | None:
    """Why `namespace` cannot be COUNTER_PLAY_NAMESPACE, or None when it can."""
    if not SEGMENT_MATCH(namespace) or namespace == "counters" or len(namespace) > 100:
        return (
            f"COUNTER_PLAY_NAMESPACE {namespace!r} is not allowed: use one word of letters, "
            "digits, '.', '_', '~', ':', '@' or '-' other than 'counters', like song."
        )
    return None


def not_allowed(allows: str) -> ApiError:
    return ApiError("405 Method Not Allowed", f"Use {allows}.", [("Allow", allows)])


class PlayProtocol:
    def __init__(self, api, namespace: str):
        problem = namespace_problem(namespace)
        if problem:
            raise ValueError(problem)
        self.api = api  # the CounterApp: its store, its access rules, its increments
        self.keys = namespace + "/"  # song/
        self.prefix = "/" + self.keys  # /song/
        self.at_root = False  # GET / and DELETE / too (a dedicated counter server)

    def serves(self, path: str) -> bool:
        return path.startswith(self.prefix) or self.at_root and path == "/"

    def __call__(self, environ, start_response):
        path, method = environ.get("PATH_INFO", ""), environ["REQUEST_METHOD"]
        if path == "/":
            return self._root(environ, start_response, method)
        key = self.keys + self._song_id(path[len(self.prefix) :])
        if method == "POST":
            value, extra = self.api.add(environ, key)
            return self._text(environ, start_response, b"%d" % value, extra)
        if method == "GET" or method == "HEAD":
            return self._text(environ, start_response, b"%d" % self.api.store.get(key))
        raise not_allowed(SONG_ALLOWS)

    def _song_id(self, raw: str) -> str:
        """The id of /song/<id>: a whole number up to MAX_VALUE, written as a number
        (so /song/007 is song 7, as the original read it)."""
        if ID_MATCH(raw) is None or int(raw) > MAX_VALUE:
            raise bad_request(
                f"The song id {raw[:30]!r} is not a whole number from 0 to {MAX_VALUE}; "
                f"use one like {self.prefix}1."
            )
        return str(int(raw))

    def _root(self, environ, start_response, method):
        if method == "DELETE":
            self.api.access.check(environ)
            self.api.store.clear(self.keys)
            return self._text(environ, start_response, b"OK")
        if method != "GET" and method != "HEAD":
            raise not_allowed(ROOT_ALLOWS)
        counts = {}
        start = len(self.keys)
        for key, value in self.api.store.all(self.keys).items():
            song = key[start:]
            if ID_MATCH(song) and song == str(int(song)):  # song/x is no song of this protocol
                counts[int(song)] = value
        body = ",".join(f"{song}={counts[song]}" for song in sorted(counts)).encode()
        return self._text(environ, start_response, body)

    def _text(self, environ, start_response, body: bytes, extra=None):
        headers = [TEXT, ("Content-Length", str(len(body)))]
        if extra:
            headers += extra
        start_response("200 OK", [*headers, *self.api.after])
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]
