"""Which rules each block kind takes, their checks, and how an alert reads.

host           cpu, mem, disk: above LEVEL % for SPAN minutes
               disk_full: full within SPAN days at the current rate
remote_hosts   down: a host down for SPAN consecutive checks
counter        rate_above, rate_below: increments per minute above / below LEVEL
chart          followers_above, followers_below: an account's followers cross LEVEL
"""

from dataclasses import dataclass

from statboard.alerts.models import AlertEvent, AlertRule
from statboard.extensions import db


class InvalidRule(ValueError):
    """A rule that cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class Metric:
    kind: str  # the block kind it is set on
    label: str
    level: tuple[float, float] | None  # allowed level, or None when it takes none
    span: tuple[int, int, str] | None  # allowed span and its unit, or None


METRICS = {
    "cpu": Metric("host", "CPU above", (0, 100), (1, 1440, "min")),
    "mem": Metric("host", "Memory above", (0, 100), (1, 1440, "min")),
    "disk": Metric("host", "Disk use above", (0, 100), (1, 1440, "min")),
    "disk_full": Metric("host", "Disk full within", None, (1, 365, "days")),
    "down": Metric("remote_hosts", "Host down for", None, (1, 100, "checks")),
    "rate_above": Metric("counter", "Rate per minute above", (0, 1e12), None),
    "rate_below": Metric("counter", "Rate per minute below", (0, 1e12), None),
    "followers_above": Metric("chart", "Followers at or above", (0, 1e12), None),
    "followers_below": Metric("chart", "Followers below", (0, 1e12), None),
}
KINDS = {metric.kind for metric in METRICS.values()}


def metrics_for(kind: str) -> dict[str, Metric]:
    return {name: m for name, m in METRICS.items() if m.kind == kind}


def _number(raw: str, what: str) -> float:
    try:
        value = float((raw or "").strip())
    except ValueError:
        raise InvalidRule(f"Give the {what} as a number, like 90.") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidRule(f"Give the {what} as a number, like 90.")
    return value


def check(block, metric: str, level: str, span: str, account: str = "") -> dict:
    """The fields of a rule for this block, or InvalidRule saying what to fix."""
    found = metrics_for(block.kind).get(metric)
    if found is None:
        names = ", ".join(m.label for m in metrics_for(block.kind).values()) or "none"
        raise InvalidRule(f"Choose what to watch on this block: {names}.")
    fields = {"metric": metric, "level": 0.0, "span": 1, "account_id": None}
    if found.level:
        low, high = found.level
        value = _number(level, "level")
        if not low <= value <= high:
            unit = " %" if high == 100 else ""
            raise InvalidRule(f"Give a level from {low:g}{unit} to {high:g}{unit}.")
        fields["level"] = value
    if found.span:
        low, high, unit = found.span
        value = _number(span, f"number of {unit}")
        if value != int(value) or not low <= value <= high:
            raise InvalidRule(f"Give a whole number of {unit} from {low} to {high}.")
        fields["span"] = int(value)
    if block.kind == "chart":
        ids = [i for i in (block.data or {}).get("accounts", []) if isinstance(i, int)]
        try:
            account_id = int(account)
        except ValueError:
            account_id = None
        if account_id not in ids:
            raise InvalidRule("Choose one of the accounts this chart shows.")
        fields["account_id"] = account_id
    return fields


def add_rule(block, **fields) -> AlertRule:
    rule = AlertRule(block_id=block.id, active={}, memo={}, **fields)
    db.session.add(rule)
    db.session.flush()
    return rule


def rules_of(block_id: int) -> list[AlertRule]:
    query = db.select(AlertRule).where(AlertRule.block_id == block_id).order_by(AlertRule.id)
    return list(db.session.scalars(query))


def rules_by_block(shown) -> dict[int, list[AlertRule]]:
    """The rules of these blocks, in one query: {block id: its rules}."""
    ids = [block.id for block in shown if block.kind in KINDS]
    found: dict[int, list[AlertRule]] = {}
    if ids:
        query = db.select(AlertRule).where(AlertRule.block_id.in_(ids)).order_by(AlertRule.id)
        for rule in db.session.scalars(query):
            found.setdefault(rule.block_id, []).append(rule)
    return found


def describe(rule: AlertRule) -> str:
    """'CPU above 90% for 5 min', 'Host down for 3 checks', 'Followers below 1000'."""
    metric = METRICS[rule.metric]
    text = metric.label
    if metric.level:
        text += f" {rule.level:g}" + ("%" if metric.level[1] == 100 else "")
    if metric.span:
        text += f" {'for ' if rule.metric in ('cpu', 'mem', 'disk') else ''}{rule.span} "
        text += metric.span[2]
    return text


def watches_down(host) -> bool:
    """Whether a "down" rule speaks for this remote host (hosts.remote stays quiet)."""
    if host.block_id is None:
        return False
    query = db.select(AlertRule.id).where(
        AlertRule.block_id == host.block_id, AlertRule.metric == "down"
    )
    return db.session.scalar(query.limit(1)) is not None


def remove_block_rules(block) -> None:
    """The block is being deleted: its rules and their history go with it (same commit)."""
    ids = db.select(AlertRule.id).where(AlertRule.block_id == block.id)
    db.session.execute(db.delete(AlertEvent).where(AlertEvent.rule_id.in_(ids)))
    db.session.execute(db.delete(AlertRule).where(AlertRule.block_id == block.id))
