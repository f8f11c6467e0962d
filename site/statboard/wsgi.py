"""The WSGI application the production server loads: `statboard.wsgi:app`."""

import gc

from statboard import create_app
from statboard.tasks.schedule import start_scheduler

app = create_app()
start_scheduler(app)
app.extensions["live"].start_server(app)
# What start-up made lives as long as the process: full collections need not walk it
# again (under load, each one otherwise stops every request for ~100 ms).
gc.collect()
gc.freeze()
