"""The WSGI application the production server loads: `statboard.wsgi:app`."""

from statboard import create_app

app = create_app()
