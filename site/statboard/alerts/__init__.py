"""Alerts: thresholds set in place on host, remote hosts, counter and chart blocks.

- models.py: rules and the history of their alerts
- rules.py: which rules each kind takes, their checks, how they read
- evaluate.py: the periodic evaluation (notifies once on firing, once on clearing)
- routes.py: the block's alert line and its admin panel, under /blocks/<id>/alerts
- jobs.py: the periodic job, every ALERTS_EVALUATE_SECONDS

A remote hosts block with a "down" rule speaks for its hosts through its alerts (after
N checks, one message for all the hosts that went down together); hosts.remote's own
"down" / "back up" notes stay for blocks without one.
"""

from flask import Blueprint

bp = Blueprint("alerts", __name__)


def init_app(app):
    from statboard.alerts import jobs, models, routes, rules  # noqa: F401
    from statboard.hosts import remote
    from statboard.pages import blocks

    app.register_blueprint(bp)
    blocks.badge(routes.block_line)
    blocks.on_any_delete(rules.remove_block_rules)
    remote.quiet_when(rules.watches_down)
