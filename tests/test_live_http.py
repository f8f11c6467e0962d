"""The event server's own HTTP, as hostile clients speak it: every bad request gets a
sentence and its status, nothing it is sent stops the server, and an HTTP/1.0 client
gets its stream without chunking."""

import socket

import httpx
import pytest

from tests.fixtures.servers import start_site, stop, wait_for_port
from tests.live_helpers import stream_src


@pytest.fixture(scope="module")
def live_site(tmp_path_factory):
    site = start_site(tmp_path_factory.mktemp("live-http"))
    yield site
    stop(site.proc)


@pytest.fixture(scope="module")
def events(live_site):
    port = int(live_site.env["STATBOARD_LIVE_PORT"])
    wait_for_port(port)
    return port


def exchange(port: int, raw: bytes, timeout: float = 5.0) -> bytes:
    """Send `raw` and read until the server closes or stops sending for `timeout`."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(raw)
        answer = b""
        try:
            while chunk := conn.recv(65536):
                answer += chunk
                if b"retry:" in answer:
                    break
        except TimeoutError:
            pass
    return answer


@pytest.mark.parametrize(
    "raw, status, says",
    [
        (b"POST /events HTTP/1.1\r\nHost: x\r\n\r\n", b"405", b"read with GET /events"),
        (b"GET /admin HTTP/1.1\r\nHost: x\r\n\r\n", b"404", b"Only the event stream"),
        (b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n", b"403", b"not valid"),
        (b"GET /events?token=abc.def.ghi HTTP/1.1\r\n\r\n", b"403", b"not valid"),
        (b"GET http://[bad/events HTTP/1.1\r\n\r\n", b"400", b"could not be read"),
        (b"\x00\xff\x16\x03 garbage\r\n\r\n", b"404", b"Only the event stream"),
        (b"GET /events HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n", b"431", b"too large"),
    ],
)
def test_a_bad_request_gets_its_status_and_a_sentence(events, raw, status, says):
    answer = exchange(events, raw)
    assert answer.startswith(b"HTTP/1.1 " + status), answer[:200]
    assert says in answer


def test_a_request_that_never_ends_is_cut_and_the_server_serves_on(events, live_site):
    with socket.create_connection(("127.0.0.1", events), timeout=15) as slow:
        slow.sendall(b"GET /events HTTP/1.1\r\n")  # and never the rest
        assert slow.recv(100) == b""  # closed after the head's time limit
    html = httpx.get(live_site.url + "/", headers={"Accept": "text/html"}).text
    src, last = stream_src(html)
    target = src.split(f":{events}", 1)[1] + f"&last={last}"
    answer = exchange(events, f"GET {target} HTTP/1.0\r\n\r\n".encode())
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"text/event-stream" in head and b"chunked" not in head.lower()
    assert body.startswith(b"retry: ")
