"""Reference (a): a minimal pure-WSGI in-memory dict counter, like the original utility.

GET /counters/<key> answers the count as text, POST adds one and answers the new
count. Nothing is validated, nothing is persisted.

`headed_app` is the same counter answering with the security headers the site sends
on every answer (BENCH_HEADERS, a JSON list of [name, value] pairs): the least a
counter under the site's rules does, so the bound of the full site's counter rows.
"""

import json
import os
import threading


def counter_app(after: list[tuple[str, str]]):
    """The dict counter, each answer's headers ending with `after`."""
    counts: dict[str, int] = {}
    lock = threading.Lock()

    def app(environ, start_response):
        key = environ["PATH_INFO"][10:]
        if environ["REQUEST_METHOD"] == "POST":
            with lock:
                counts[key] = value = counts.get(key, 0) + 1
        else:
            value = counts.get(key, 0)
        body = b"%d" % value
        length = ("Content-Length", str(len(body)))
        start_response("200 OK", [("Content-Type", "text/plain"), length, *after])
        return [body]

    return app


app = counter_app([])
headed_app = counter_app(
    [tuple(pair) for pair in json.loads(os.environ.get("BENCH_HEADERS", "[]"))]
)
