"""The wire-compatible host API: /v1/, /v2/, /v3/ and the `/` JSON root for machines.

- root.py: `/` answers JSON links to machines, the home page to browsers
- v1_v2.py: /v1/ and /v2/, open, errors as {"msg": ...}
- v3.py: /v3/ behind HTTP Basic auth, errors as {"message": ...}; v3_users.py: /v3/users/
- common.py: what the versions share (links, iostat parameters, task bodies)

It reads host metrics from statboard.hosts; hosts imports nothing from here.
"""

from statboard.extensions import csrf
from statboard.hostapi import root, v1_v2, v3, v3_users  # noqa: F401  (v3_users: routes)


def init_app(app):
    app.before_request(root.answer_machines_at_root)
    app.after_request(root.vary_root_on_accept)
    app.register_blueprint(v1_v2.bp)
    app.register_blueprint(v3.bp)
    # The JSON APIs authenticate by HTTP Basic auth or not at all, never by cookie.
    csrf.exempt(v1_v2.bp)
    csrf.exempt(v3.bp)
