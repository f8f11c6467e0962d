"""Statboard: a self-hosted dashboard site of blocks edited in place.

Importing the package loads no Flask: `create_app` (statboard/factory.py) loads the
site when it is called, so that the server's main process (statboard/serve.py) runs
without the site, which only its workers load.
"""

import multiprocessing
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def create_app(test_config=None):
    """The site's Flask app, made by statboard/factory.py."""
    from statboard.factory import create_app as make  # the site, only when it is wanted

    return make(test_config)


def default_threads() -> int:
    """Request threads per worker when the settings leave it to us: as many as the WSGI
    server takes without warning that they are too many for the cores."""
    return multiprocessing.cpu_count() * 2 + 1
