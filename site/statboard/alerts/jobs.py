"""The periodic evaluation of alert rules, once per cluster."""

from statboard.alerts import evaluate
from statboard.extensions import db
from statboard.tasks.schedule import every


@every("ALERTS_EVALUATE_SECONDS", name="alerts.evaluate")
def evaluate_alerts():
    evaluate.evaluate()
    db.session.commit()  # records the events, then announces them and tells open pages
