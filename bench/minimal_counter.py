"""Reference (a): a minimal pure-WSGI in-memory dict counter, like the original utility.

GET /counters/<key> answers the count as text, POST adds one and answers the new
count. Nothing is validated, nothing is persisted.
"""

import threading

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
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
