"""`python run.py counters --port N`: only the counter API, for dedicated counter servers.

The Flask app is made for its settings, database and token checks; it serves no
route here: /counters/... and the play-counter protocol at the root (/song/<id>, GET /
and DELETE /) are served, and /healthz and /readyz; every other path answers 404.
"""

from statboard import create_app
from statboard.counters.flusher import flush_on_signals
from statboard.health import Health

flask_app = create_app()
counter_app = flask_app.extensions["counters"]  # the CounterApp create_app mounted
flush_on_signals(counter_app.store.close)
# /healthz and /readyz answer here too (the counter server keeps no uploads); any
# other path, the counter API's 404 (with its security headers).
app = counter_app.serve_alone(Health(counter_app.not_found, flask_app, storage=False))
