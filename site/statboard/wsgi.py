"""The WSGI application the production server loads: `statboard.wsgi:app`."""

import gc
import sys

from statboard import create_app
from statboard.tasks.schedule import start_scheduler

# How long a thread may hold the GIL while another waits for it (Python's default: 5 ms).
# A visitor's page rendered anew (pages/visitor_pages.py) gives the GIL up some 250
# times (Python 3.11's sqlite3 lets it go for each row it reads and for each column of
# it), and under load each time it waited up to this long for its turn again behind the
# threads answering kept pages: a render of 8 ms took 0.5 to 4 s, and the visitors who
# waited for it waited as long. At 1 ms the longest of those answers fell from 0.4 to
# 4 s to under 0.1 s, for 8 to 30% fewer req/s (see README, Performance).
GIL_SWITCH_SECONDS = 0.001

sys.setswitchinterval(GIL_SWITCH_SECONDS)
app = create_app()
start_scheduler(app)
app.extensions["live"].start_server(app)
# What start-up made lives as long as the process: full collections need not walk it
# again (under load, each one otherwise stops every request for ~100 ms).
gc.collect()
gc.freeze()
