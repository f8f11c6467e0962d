"""The counter API: a pure WSGI application (no Flask on the path of reads and increments).

GET    /counters/<key>      the value: text/plain, or JSON {"key", "value"} when asked
POST   /counters/<key>      add 1 (or ?by=N) and answer the new value
PUT    /counters/<key>      set (?value=N or a plain-text body)       admin or token
DELETE /counters/<key>      delete                                    admin or token
GET    /counters/           all as a JSON object, or k=v,k=v as text/plain; ?prefix=
DELETE /counters/?prefix=   delete all, or those under the prefix     admin or token

The original play-counter protocol (/song/<id>, and / on a dedicated counter server)
is served by play.py, on the same store.

The app is mounted in front of the site's middleware (in_front), so it adds the
security headers itself. A plain-text GET, or a POST that needs no look at the client
(no private prefix, no rate limit), of a key already seen takes a hot path: no key
pattern, no negotiation, the headers made once per body length.
"""

import json
from time import perf_counter_ns
from urllib.parse import parse_qs

from statboard.counters.keys import (
    KEY_MATCH,
    PREFIX_MATCH,
    ApiError,
    bad_request,
    key_problem,
    parse_by,
    parse_value,
)
from statboard.counters.models import KEY_LENGTH
from statboard.counters.stores import MAX_VALUE, ValueTooLarge
from statboard.negotiation import wants_json
from statboard.security import behind_proxies, security_headers

BASE = "/counters"
TEXT = ("Content-Type", "text/plain; charset=utf-8")
JSON = ("Content-Type", "application/json")
KEY_ALLOWS = "GET, HEAD, POST, PUT, DELETE"
LIST_ALLOWS = "GET, HEAD, DELETE"
GET, INCREMENT = "get", "increment"  # the requests of the hot path
MOST_KEYS_KNOWN = 10_000  # valid keys remembered, so that the hot path skips KEY_MATCH


def _text_headers(after) -> list[tuple]:
    """The headers of a 200 plain-text answer, by the length of its body (a number)."""
    return [(TEXT, ("Content-Length", str(length)), *after) for length in range(21)]


def _json(environ, default: bool) -> bool:
    return wants_json(environ.get("HTTP_ACCEPT"), default, other="text/plain")


class CounterApp:
    def __init__(
        self,
        store,
        access,
        *,
        max_by,
        limit=None,
        private_prefixes=(),
        play_namespace="",
    ):
        from statboard.counters.play import PlayProtocol  # play imports this module: no cycle

        self.store, self.access = store, access
        self.max_by, self.limit = max_by, limit
        self.private = tuple(private_prefixes)
        self.fallback = self.not_found  # the WSGI app for other paths (in_front)
        self.play = PlayProtocol(self, play_namespace) if play_namespace else None
        # Increments that need a look at the client (private prefixes, the rate limit)
        # leave the hot path.
        self._checked = bool(self.private) or limit is not None
        self._valid_keys: set[str] = set()  # keys that passed KEY_MATCH, up to MOST_KEYS_KNOWN
        self.after: list[tuple[str, str]] = []  # headers every answer ends with (in_front)
        # The headers of a 200 plain-text answer, by the length of its body.
        self.text_headers = _text_headers(self.after)
        self._proxied = self.handle = self._serve
        self._wrappers: list = []
        self._counter = None  # the wrapped metrics' counter(), for the hot path (wrap)
        self._counts: dict = {}  # (hot-path kind, status) -> its counter

    def wrap(self, middleware) -> None:
        """Put `middleware` around the API's own answers (the request metrics): the API
        answers in front of the site's middleware (see in_front), so those that should
        see its requests too come here.

        A middleware that offers counter(environ, status), the request metrics, lets a
        hot-path request skip it: __call__ answers the request and counts it as the
        middleware would have (without a wrapped start_response per request). With any
        other middleware wrapped, every request passes through them all."""
        self._wrappers.append(middleware)
        self.handle = middleware(self.handle)
        counters = [getattr(wrapper, "counter", None) for wrapper in self._wrappers]
        self._counter = counters[0] if len(counters) == 1 else None

    def in_front(self, rest, config):
        """The counter API answering before `rest` (the site's outermost WSGI app, with
        its middleware), which gets every other path: a counter request passes none of
        that middleware, so the API adds what it would add: the security headers, the
        client address behind PROXY_HOPS proxies (and the wrapped metrics)."""
        self.after = security_headers(config)
        self._proxied = behind_proxies(self._serve, config)
        self.handle = self._proxied
        for middleware in self._wrappers:
            self.handle = middleware(self.handle)
        self.text_headers = _text_headers(self.after)
        self.fallback = rest
        return self

    def serve_alone(self, rest=None):
        """A dedicated counter server: no site behind (every other path goes to `rest`,
        else answers 404), the play protocol at the root, no request metrics."""
        self.fallback = rest if rest is not None else self.not_found
        self.handle = self._proxied
        self._counter = None
        if self.play is not None:
            self.play.at_root = True
        return self

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(BASE) and (len(path) == 9 or path[9] == "/"):
            if self._counter is not None:
                return self._counted(environ, start_response, path[10:])
            return self.handle(environ, start_response)
        if self.play is not None and self.play.serves(path):
            return self.handle(environ, start_response)
        return self.fallback(environ, start_response)

    def _counted(self, environ, start_response, key: str):
        """A counter API request under the request metrics (wrap): a hot-path one
        answered and counted here, any other through the middleware."""
        started = perf_counter_ns()
        hot = self._hot(
            environ["REQUEST_METHOD"], key, environ.get("QUERY_STRING"), environ.get("HTTP_ACCEPT")
        )
        if hot is None:
            return self.handle(environ, start_response)
        status = "500"  # what the middleware counts when an exception leaves
        try:
            value = self.store.get(key) if hot == GET else self._add(key, 1)
            status = "200"
            return self._text(start_response, b"%d" % value)
        except ApiError as error:
            status = error.status[:3]
            return self._error(environ, start_response, error)
        finally:
            # A hot-path request's labels follow from its kind and status: its counter is
            # made once.
            count = self._counts.get((hot, status))
            if count is None:
                count = self._counts[hot, status] = self._counter(environ, status)
            count(perf_counter_ns() - started)

    def _serve(self, environ, start_response):
        """The counter API and the play protocol (what __call__ sends here)."""
        path = environ.get("PATH_INFO", "")
        if not path.startswith(BASE):
            return self._play(environ, start_response)
        key = path[10:]
        method = environ["REQUEST_METHOD"]
        accept = environ.get("HTTP_ACCEPT")
        try:
            hot = self._hot(method, key, environ.get("QUERY_STRING"), accept)
            if hot == GET:
                return self._text(start_response, b"%d" % self.store.get(key))
            if hot == INCREMENT:
                return self._text(start_response, b"%d" % self._add(key, 1))
            if not key:
                return self._collection(environ, start_response, method)
            if key not in self._valid_keys:
                if len(key) > KEY_LENGTH or not KEY_MATCH(key):
                    raise bad_request(key_problem(key))
                if len(self._valid_keys) >= MOST_KEYS_KNOWN:
                    self._valid_keys.clear()
                self._valid_keys.add(key)
            if method == "POST":
                return self._increment(environ, start_response, key)
            if method == "GET" or method == "HEAD":
                return self._value(environ, start_response, key, self.store.get(key))
            if method == "PUT":
                return self._set(environ, start_response, key)
            if method == "DELETE":
                self.access.check(environ)
                self.store.delete(key)
                start_response("204 No Content", [*self.after])
                return []
            raise ApiError("405 Method Not Allowed", f"Use {KEY_ALLOWS}.", [("Allow", KEY_ALLOWS)])
        except ApiError as error:
            return self._error(environ, start_response, error)

    def _hot(self, method: str, key: str, query: str | None, accept: str | None):
        """GET or INCREMENT when the request takes the hot path: a valid key, a plain-text
        answer (most clients name no JSON), an increment by one that needs no look at
        the client; else None."""
        if key not in self._valid_keys or (accept and "json" in accept):
            return None
        if method == "GET":
            return GET
        if method == "POST" and not self._checked and not query:
            return INCREMENT
        return None

    def answer_at_once(self, method: str, key: str, query: str, accept) -> bytes | None:
        """The body of a hot-path answer when the store can make it without waiting (no
        database, no network: counters/server.py answers it on its event loop); None
        when the request takes the full path."""
        hot = self._hot(method, key, query, accept)
        if hot == GET:
            value = self.store.cached(key)
        elif hot == INCREMENT:
            value = self.store.incr_cached(key, 1)
        else:
            return None
        return None if value is None else b"%d" % value

    def answer_awaited(self, method: str, key: str, query: str, accept):
        """answer_at_once for a store that answers over the network (store.awaits): an
        awaitable of the value (the store's own, awaited as it is on the loop), or None
        when the request takes the full path. ValueTooLarge past the largest value
        (refusal makes its answer)."""
        hot = self._hot(method, key, query, accept)
        if hot == INCREMENT:
            return self.store.incr_awaited(key, 1)
        if hot == GET:
            return self.store.get_awaited(key)
        return None

    def refusal(self, error: ApiError | ValueTooLarge) -> tuple[str, list, bytes]:
        """The plain-text status, headers and body that answer an awaited request's error."""
        if isinstance(error, ValueTooLarge):
            error = _too_large(error.args[0])
        return self.error_answer(error, as_json=False)

    def _text(self, start_response, body: bytes):
        """200 with a plain-text body: its headers made once per length."""
        start_response("200 OK", list(self.text_headers[len(body)]))
        return [body]

    def _increment(self, environ, start_response, key):
        query = environ.get("QUERY_STRING")
        by = parse_by(query, self.max_by) if query else 1
        value, extra = self.add(environ, key, by)
        return self._value(environ, start_response, key, value, extra)

    def add(self, environ, key: str, by: int = 1):
        """Increment `key` for this request: (the new value, RateLimit-* headers or None)."""
        extra = None
        if self.private and key.startswith(self.private):
            self.access.check(environ)
        elif self.limit is not None and not self.access.unlimited(environ):
            extra = self.limit.hit(environ.get("REMOTE_ADDR", ""))
        return self._add(key, by), extra

    def _add(self, key: str, by: int) -> int:
        try:
            return self.store.incr(key, by)
        except ValueTooLarge:
            raise _too_large(key) from None

    def _value(self, environ, start_response, key, value, extra=None):
        if _json(environ, default=False):
            body, kind = json.dumps({"key": key, "value": value}).encode(), JSON
        else:
            body, kind = b"%d" % value, TEXT
        headers = [kind, ("Content-Length", str(len(body)))]
        if extra:
            headers += extra
        start_response("200 OK", [*headers, *self.after])
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    def _set(self, environ, start_response, key):
        self.access.check(environ)
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if "value" in query:
            raw = query["value"][-1]
        else:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(min(length, 64)).decode("ascii", "replace")
        value = parse_value(raw, MAX_VALUE)
        self.store.set(key, value)
        return self._value(environ, start_response, key, value)

    def _collection(self, environ, start_response, method):
        prefix = (parse_qs(environ.get("QUERY_STRING", "")).get("prefix") or [""])[-1]
        if prefix and len(prefix) > KEY_LENGTH or prefix and not PREFIX_MATCH(prefix):
            raise bad_request(f"The prefix {prefix[:60]!r} is not allowed; use one like song/.")
        if method == "DELETE":
            self.access.check(environ)
            self.store.clear(prefix)
            start_response("204 No Content", [*self.after])
            return []
        if method not in ("GET", "HEAD"):
            raise ApiError(
                "405 Method Not Allowed", f"Use {LIST_ALLOWS}.", [("Allow", LIST_ALLOWS)]
            )
        values = self.store.all(prefix)
        if _json(environ, default=True):
            body, kind = json.dumps(values).encode(), JSON
        else:
            body, kind = ",".join(f"{k}={v}" for k, v in values.items()).encode(), TEXT
        start_response("200 OK", [kind, ("Content-Length", str(len(body))), *self.after])
        return [] if method == "HEAD" else [body]

    def _play(self, environ, start_response):
        try:
            return self.play(environ, start_response)
        except ApiError as error:
            return self._error(environ, start_response, error)

    def not_found(self, environ, start_response):
        """The answer to a path that is neither the counter API nor the play protocol."""
        where = f" or {self.play.prefix}<id>" if self.play is not None else ""
        error = ApiError(
            "404 Not Found", f"Only the counter API is served here: use /counters/<key>{where}."
        )
        return self._error(environ, start_response, error)

    def _error(self, environ, start_response, error: ApiError):
        status, headers, body = self.error_answer(error, _json(environ, default=False))
        start_response(status, headers)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]

    def error_answer(self, error: ApiError, as_json: bool) -> tuple[str, list, bytes]:
        """The status, headers and body that answer `error`."""
        if as_json:
            body, kind = json.dumps({"message": error.message}).encode(), JSON
        else:
            body, kind = (error.message + "\n").encode(), TEXT
        headers = [kind, ("Content-Length", str(len(body))), *error.headers, *self.after]
        return error.status, headers, body


def _too_large(key: str) -> ApiError:
    return bad_request(f"{key} would pass {MAX_VALUE}; reset it first.")
