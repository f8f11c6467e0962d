"""A block's alerts: the state line everyone who sees the block sees, and the admins'
panel of rules and recent history.

    GET    /blocks/<id>/alerts                   the state line (refetched live)
    GET    /blocks/<id>/alerts/panel             rules, a form to add one, history (admins)
    POST   /blocks/<id>/alerts                   add a rule (admins; 422 with the reason)
    DELETE /blocks/<id>/alerts/<rule_id>         remove a rule (admins)
    POST   /blocks/<id>/alerts/<rule_id>/delete  the same, without JavaScript
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, render_template, request
from flask_login import current_user
from markupsafe import Markup

from statboard.alerts import bp, rules
from statboard.alerts.evaluate import recent
from statboard.alerts.models import AlertRule
from statboard.extensions import db
from statboard.htmx import vary_on_htmx
from statboard.pages import blocks
from statboard.series.models import Account

bp.after_request(vary_on_htmx)
KINDS = tuple(sorted(rules.KINDS))


def _local(at: datetime | str) -> datetime:
    at = datetime.fromisoformat(at) if isinstance(at, str) else at
    return at.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(current_app.config["TIME_ZONE"]))


def lines(block) -> list[str]:
    """'CPU above 90% for 5 min since 12:03' for each alert firing on the block (the
    rules of all the blocks of its page are read at once)."""
    shown = []
    for rule in blocks.for_page(block, rules.rules_by_block, default=[]):
        for state in (rule.active or {}).values():
            since = _local(state["since"]).strftime("%H:%M")
            who = state.get("name", "")
            prefix = f"{who}: " if who and who != "this host" else ""
            shown.append(f"{prefix}{rules.describe(rule)} since {since}")
    return shown


def _line_context(block) -> dict:
    admin = bool(current_user.is_authenticated and current_user.is_admin)
    return {"lines": lines(block), "admin": admin}


def block_line(block):
    """The door's badge: the alert line under a block of a kind that takes rules."""
    if block.kind not in rules.KINDS:
        return ""
    return Markup(render_template("alerts/_on_block.html", block=block, **_line_context(block)))


@blocks.route(bp, "/alerts", kinds=KINDS)
def line(block):
    return blocks.answer(block, "alerts/_line.html", **_line_context(block))


def render_panel(block, status: int = 200, **extra):
    context = {
        "rules": rules.rules_of(block.id),
        "metrics": rules.metrics_for(block.kind),
        "describe": rules.describe,
        "history": recent(block.id),
        "local": _local,
        "accounts": _accounts(block),
        **extra,
    }
    return blocks.answer(block, "alerts/_panel.html", status, **context)


def _accounts(block) -> list[tuple[int, str]]:
    if block.kind != "chart":
        return []
    ids = [i for i in (block.data or {}).get("accounts", []) if isinstance(i, int)]
    found = db.session.scalars(db.select(Account).where(Account.id.in_(ids))) if ids else []
    return [(account.id, account.label) for account in found]


@blocks.route(bp, "/alerts/panel", kinds=KINDS, admin=True)
def panel(block):
    return render_panel(block)


@blocks.route(bp, "/alerts", kinds=KINDS, methods=["POST"], admin=True, endpoint="add_rule")
def add_rule(block):
    form = request.form
    try:
        fields = rules.check(
            block,
            form.get("metric", ""),
            form.get("level", ""),
            form.get("span", ""),
            form.get("account", ""),
        )
    except rules.InvalidRule as error:
        return render_panel(block, 422, error=str(error), form=form)
    rules.add_rule(block, **fields)
    db.session.commit()
    return render_panel(block)


@blocks.route(bp, "/alerts/<int:rule_id>", kinds=KINDS, methods=["DELETE"], admin=True)
@blocks.route(
    bp,
    "/alerts/<int:rule_id>/delete",
    kinds=KINDS,
    methods=["POST"],
    admin=True,
    endpoint="remove_rule_form",
)
def remove_rule(block, rule_id: int):
    rule = db.session.get(AlertRule, rule_id)
    if rule is not None and rule.block_id == block.id:  # another block's rule is not ours
        db.session.delete(rule)
        db.session.commit()
    return render_panel(block)
