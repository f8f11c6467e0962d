"""`python run.py counters --port N`: only the counter API, for dedicated counter servers.

The Flask app is made for its settings, database and token checks; it serves no
route here: every path but /counters answers 404.
"""

from statboard import create_app
from statboard.counters.flusher import flush_on_signals
from statboard.security import SecurityHeaders, security_headers

flask_app = create_app()
counter_app = flask_app.extensions["counters"]  # the CounterApp init_app mounted
counter_app.fallback = None
flush_on_signals(counter_app.store.close)
app = SecurityHeaders(counter_app, security_headers(flask_app.config))
