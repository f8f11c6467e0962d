"""The WSGI application the production server loads: `statboard.wsgi:app`."""

from statboard import create_app
from statboard.tasks.schedule import start_scheduler

app = create_app()
start_scheduler(app)
app.extensions["live"].start_server(app)
