"""Statboard: a self-hosted dashboard site of blocks edited in place.

Importing the package loads no Flask: `create_app` (statboard/factory.py) loads the
site when it is called, so that the server's main process (statboard/serve.py) runs
without the site, which only its workers load.
"""

import os


def __getattr__(name: str):
    # ROOT, the checkout's folder, is made when first asked for: pathlib (1.2 MB of RSS
    # with what it imports) stays out of the server's main process (supervisor.py).
    if name == "ROOT":
        from pathlib import Path

        globals()["ROOT"] = Path(__file__).resolve().parents[2]
        return globals()["ROOT"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def create_app(test_config=None):
    """The site's Flask app, made by statboard/factory.py."""
    from statboard.factory import create_app as make  # the site, only when it is wanted

    return make(test_config)


# Request threads per worker when the settings leave it to us. Measured (README, Threads):
# with fewer threads than the requests under way, some of those requests waited up to a
# second for the GIL while one thread served the others; more did not serve faster.
DEFAULT_THREADS = 16


def default_counter_threads() -> int:
    """A dedicated counter server's request threads when the settings leave it to us:
    2 × CPU cores + 1. Its requests are a few microseconds of Python; with the Redis
    store each waits for its reply, and more threads served fewer (README, Threads)."""
    return (os.cpu_count() or 1) * 2 + 1
