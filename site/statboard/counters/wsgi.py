"""`python run.py counters --port N`: only the counter API, for dedicated counter servers.

The Flask app is made for its settings, database and token checks; it serves no
route here: every path but /counters answers 404.
"""

from statboard import create_app
from statboard.counters.flusher import flush_on_signals

flask_app = create_app()
app = flask_app.extensions["counters"]  # the CounterApp init_app mounted
app.fallback = None
flush_on_signals(app.store.close)
