"""Whether SITE_URL reaches this site, with the standard library only: `flask check`
asks it through checks.py, and the server (serve.py) once the site answers:

    python -m statboard.reach SITE_URL SITE_ID HOST PORT WAIT_SECONDS SERVER_PID

goes on in a child of its own and returns at once (the server waits for it and leaves
no zombie behind), then waits (WAIT_SECONDS at most, and no longer than the process
SERVER_PID lives) until HOST:PORT accepts a connection, and prints a warning to
standard error when SITE_URL does not reach the site SITE_ID.
"""

import hashlib
import hmac
import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request

TIMEOUT = 5.0  # seconds for each server to answer a check
FIX = "set STATBOARD_SITE_URL to the address people use to reach this site"


def reason(error: BaseException) -> str:
    """An error in a few words, for the middle of a sentence."""
    error = getattr(error, "orig", None) or error
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text.rstrip(".")


def site_id(config) -> str:
    """What /healthz answers to tell this site (its secret key) from any other."""
    key = str(config["SECRET_KEY"]).encode()
    return hmac.new(key, b"statboard site", hashlib.sha256).hexdigest()[:16]


def site_url_problem(site_url: str, site: str) -> str | None:
    """The sentence that says what to do when `site_url` does not reach the site whose
    site_id is `site`, else None."""
    url = site_url.rstrip("/")
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=TIMEOUT) as answer:
            body = json.loads(answer.read())
    except urllib.error.HTTPError as error:
        body = {"status": error.code}
    except (OSError, ValueError) as error:
        return f"Nothing answers at SITE_URL {url} ({reason(error)}): start the site, or {FIX}."
    if not isinstance(body, dict) or body.get("site") != site:
        return (
            f"SITE_URL {url} is served by something else than this site: {FIX} (and "
            "give every process the same STATBOARD_SECRET_KEY)."
        )
    return None


def main(argv: list[str]) -> None:
    site_url, site, host, port, wait, server = argv
    deadline = time.monotonic() + float(wait)
    while time.monotonic() < deadline:
        if not _alive(int(server)):
            return  # the server is gone: nobody to warn
        try:
            with socket.create_connection((host, int(port)), 1):
                break
        except OSError:
            time.sleep(0.2)
    if problem := site_url_problem(site_url, site):
        print(f"Warning: {problem}", file=sys.stderr, flush=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


if __name__ == "__main__":
    if os.fork():  # this process ends now; its child goes on, and nobody need reap it
        os._exit(0)
    main(sys.argv[1:])
