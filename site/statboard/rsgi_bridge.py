"""A WSGI app answering RSGI requests: each one runs in a pool of threads, off the loop.

granian serves an RSGI app on one asyncio loop per worker; what must not wait on that
loop (a database query, a lock held by a flush) is handed here. The request body is
read before the app runs (at most MAX_BODY bytes: more is refused with 413), and the
answer is sent once the app has made all of it, so this suits APIs with short answers,
not streams.

The environ is what granian's own WSGI interface makes (PEP 3333), without the copy of
the process environment that granian adds.
"""

import asyncio
import io
import sys
from concurrent.futures import ThreadPoolExecutor

MAX_BODY = 64 * 1024
TOO_LARGE = f"The request body is too large: send at most {MAX_BODY} bytes.\n".encode()


class BodyTooLarge(Exception):
    pass


class WsgiInThreads:
    def __init__(self, app, threads: int):
        self.app = app
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="wsgi")

    async def __call__(self, scope, proto) -> None:
        try:
            body = await _body(scope, proto)
        except BodyTooLarge:
            proto.response_bytes(413, [("content-type", "text/plain; charset=utf-8")], TOO_LARGE)
            return
        environ = environ_of(scope, body)
        loop = asyncio.get_running_loop()
        status, headers, content = await loop.run_in_executor(self.pool, self._run, environ)
        proto.response_bytes(status, headers, content)

    def _run(self, environ: dict) -> tuple[int, list, bytes]:
        answer = []

        def start_response(status, headers, exc_info=None):
            answer[:] = [int(status[:3]), headers]

        chunks = self.app(environ, start_response)
        try:
            content = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        status, headers = answer
        return status, headers, content

    def close(self) -> None:
        self.pool.shutdown(wait=True)


async def _body(scope, proto) -> bytes:
    length = scope.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
        raise BodyTooLarge
    if length == "0" or (length is None and "transfer-encoding" not in scope.headers):
        return b""
    if length is not None:
        return await proto()
    body = bytearray()
    async for chunk in proto:  # chunked: stop reading past the bound
        body += chunk
        if len(body) > MAX_BODY:
            raise BodyTooLarge
    return bytes(body)


def environ_of(scope, body: bytes) -> dict:
    host, _, port = scope.server.rpartition(":")
    environ = {
        "REQUEST_METHOD": scope.method,
        "SCRIPT_NAME": "",
        # PEP 3333: the path's bytes as latin-1 (granian's RSGI scope decodes UTF-8).
        "PATH_INFO": scope.path.encode("utf-8", "surrogateescape").decode("latin-1"),
        "QUERY_STRING": scope.query_string,
        "SERVER_NAME": host,
        "SERVER_PORT": port,
        "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
        "REMOTE_ADDR": scope.client.rpartition(":")[0],
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.input_terminated": True,
    }
    for name, value in scope.headers.items():
        if name == "content-type":
            environ["CONTENT_TYPE"] = value
        elif name == "content-length":
            environ["CONTENT_LENGTH"] = value
        elif "_" not in name:  # X_Forwarded_For would pass for X-Forwarded-For: dropped
            key = "HTTP_" + name.upper().replace("-", "_")
            if key in environ:  # a name given twice: its values joined (RFC 9110, 6265)
                value = environ[key] + ("; " if key == "HTTP_COOKIE" else ",") + value
            environ[key] = value
    return environ
