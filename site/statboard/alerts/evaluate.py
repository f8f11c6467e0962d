"""The periodic evaluation: every rule against the data the site stores.

Each rule reads its targets (a metric, each host of the block, an account) and says
for each whether it is over the line now. A target that goes over fires once, one
that comes back clears once, and nothing is said while it stays either way. All the
alerts that fire (or clear) in one evaluation are one announcement per kind of
notification: the whole network going down is one message listing the hosts. Each
alert is logged as an AlertEvent, and the open pages showing its block are told.
"""

from datetime import datetime, timedelta

from flask import current_app

from statboard import live, notify
from statboard.alerts.models import CLEARED, FIRED, AlertEvent, AlertRule
from statboard.alerts.rules import METRICS, describe
from statboard.counters import history as counter_history
from statboard.extensions import db
from statboard.hosts import remote
from statboard.hosts.metrics import disk_usage
from statboard.hosts.models import HostSample, RemoteCheck
from statboard.models_base import utcnow
from statboard.pages import blocks
from statboard.series.models import Account
from statboard.series.samples import latest_counts

ALERTS = notify.ALERTS
DISK_RATE_MIN = timedelta(minutes=10)  # a disk's rate needs readings this far apart
DISK_RATE_MAX = timedelta(days=1)  # and no further: the rate is the current one


def _above_for(rule, metric: str, now: datetime, firing: bool) -> tuple[bool, float] | None:
    """(over, value) of this host's metric: over the level for the whole span (to
    fire), or on the latest sample (to stay firing)."""
    column = getattr(HostSample, metric)
    since = now - timedelta(minutes=rule.span)
    slack = timedelta(seconds=2 * float(current_app.config["HOST_SAMPLE_SECONDS"]))
    rows = db.session.execute(
        db.select(HostSample.at, column).where(HostSample.at >= since).order_by(HostSample.at)
    ).all()
    if not rows:
        return None
    latest = rows[-1][1]
    if firing:
        return latest > rule.level, latest
    covered = rows[0][0] <= since + slack
    return covered and all(value > rule.level for _, value in rows), latest


def _host(rule, now: datetime) -> dict:
    if rule.metric in ("cpu", "mem"):
        result = _above_for(rule, rule.metric, now, rule.metric in rule.active)
        return {} if result is None else {rule.metric: (*result, "this host")}
    states, memo = {}, dict(rule.memo or {})
    for disk in disk_usage():
        mount = disk["mount"]
        if rule.metric == "disk":
            above = disk["percent"] > rule.level
            since = memo.get(mount) if above else None
            since = since or (now.isoformat() if above else None)
            memo[mount] = since
            over = above and (
                mount in rule.active
                or now - datetime.fromisoformat(since) >= timedelta(minutes=rule.span)
            )
            states[mount] = (over, disk["percent"], f"disk {mount}")
        else:
            states[mount] = _disk_full(rule, memo, mount, disk, now)
    if memo != rule.memo:
        rule.memo = memo
    return {k: v for k, v in states.items() if v is not None}


def _disk_full(rule, memo, mount, disk, now):
    """Days until the disk is full at the rate since the earlier reading kept."""
    earlier = memo.get("full:" + mount)
    if not earlier or now - datetime.fromisoformat(earlier[0]) > DISK_RATE_MAX:
        memo["full:" + mount] = [now.isoformat(), disk["used"]]
        return None
    elapsed = now - datetime.fromisoformat(earlier[0])
    if elapsed < DISK_RATE_MIN:
        return None
    per_day = (disk["used"] - earlier[1]) / (elapsed.total_seconds() / 86400)
    days = (disk["total"] - disk["used"]) / per_day if per_day > 0 else float("inf")
    value = round(days, 1) if days != float("inf") else None
    return days < rule.span, value, f"disk {mount}"


def _down(rule, block, now) -> dict:
    states = {}
    for host in remote.hosts_of(block.id):
        ups = db.session.scalars(
            db.select(RemoteCheck.up)
            .where(RemoteCheck.host_id == host.id)
            .order_by(RemoteCheck.at.desc(), RemoteCheck.id.desc())
            .limit(rule.span)
        ).all()
        if not ups:
            continue
        firing = str(host.id) in rule.active
        over = not ups[0] if firing else (len(ups) == rule.span and not any(ups))
        states[str(host.id)] = (over, None, f"host {host.name}")
    return states


def _rate(rule, block, now) -> dict:
    key = (block.data or {}).get("key", "")
    if not key:
        return {}
    rate = counter_history.last_seconds(key, now)  # increments in the last 60 seconds
    over = rate > rule.level if rule.metric == "rate_above" else rate < rule.level
    return {key: (over, rate, f"counter {key}")}


def _followers(rule, block, now) -> dict:
    found = latest_counts([rule.account_id]).get(rule.account_id)
    if found is None:
        return {}
    count = found[1]
    over = count >= rule.level if rule.metric == "followers_above" else count < rule.level
    account = db.session.get(Account, rule.account_id)
    name = account.label if account is not None else f"account {rule.account_id}"
    return {str(rule.account_id): (over, count, name)}


READERS = {
    "host": lambda rule, block, now: _host(rule, now),
    "remote_hosts": _down,
    "counter": _rate,
    "chart": _followers,
}


def _value_text(rule, value) -> str:
    if value is None:
        return ""
    if rule.metric in ("cpu", "mem", "disk"):
        return f" (now {value:.0f}%)"
    if rule.metric == "disk_full":
        return f" (in {value:g} days)"
    return f" (now {value:g})"


def evaluate(now: datetime | None = None) -> list[AlertEvent]:
    """Evaluate every rule; stage the events and their announcements. The caller commits."""
    now = now or utcnow()
    events, notes = [], {}
    rules = db.session.scalars(db.select(AlertRule).order_by(AlertRule.id)).all()
    standing = blocks.standing(rule.block_id for rule in rules)
    for rule in rules:
        block = db.session.get(blocks.Block, rule.block_id)
        if block is None or METRICS[rule.metric].kind != block.kind:
            db.session.delete(rule)  # its block is gone, or became another kind
            continue
        if block.id not in standing:
            continue  # deleted, and waiting out its undo time: silent, rules kept
        active = dict(rule.active or {})
        for target, (over, value, name) in READERS[block.kind](rule, block, now).items():
            if over == (target in active):
                continue
            kind = FIRED if over else CLEARED
            text = f"{name}: {describe(rule)}" if over else f"{name}: back to normal"
            if over:
                active[target] = {"since": now.isoformat(), "value": value, "name": name}
            else:
                active.pop(target)
            event = AlertEvent(
                rule_id=rule.id,
                block_id=block.id,
                target=target,
                event=kind,
                at=now,
                value=value,
                text=(text + _value_text(rule, value))[:300],
            )
            db.session.add(event)
            events.append(event)
            note_kind = notify.HOSTS if block.kind in ("host", "remote_hosts") else ALERTS
            notes.setdefault((note_kind, kind), []).append((rule, block, event, name))
        if active != rule.active:
            rule.active = active
    for (note_kind, kind), items in notes.items():
        _announce(note_kind, kind, items)
    changed = {(block.id, block.page_id) for items in notes.values() for _, block, _, _ in items}
    for block_id, page_id in sorted(changed):  # open pages refetch the block's alert line
        live.publish(f"page:{page_id}", "alert", alerts=block_id)
    return events


def _announce(note_kind: str, kind: str, items: list) -> None:
    """One message for all the alerts of one kind that fired (or cleared) together."""
    downs = [name.removeprefix("host ") for rule, _, _, name in items if rule.metric == "down"]
    if len(downs) > 1 and len(downs) == len(items):
        names = ", ".join(downs)
        state = "are down" if kind == FIRED else "are back up"
        subject = f"alert: {len(downs)} hosts {state}: {names}"
    elif len(items) == 1:
        subject = f"alert {kind}: {items[0][2].text}"
    else:
        subject = f"{len(items)} alerts {kind}: " + "; ".join(e.text for _, _, e, _ in items)
    notify.announce(None, "reports", subject, url=_block_path(items[0][1]), kind=note_kind)


def _block_path(block) -> str:
    """The block on its page, built without a request (the jobs thread has none)."""
    path = current_app.url_map.bind("localhost").build("pages.show", {"slug": block.page.slug})
    return f"{path}#block-{block.id}"


def recent(block_id: int, limit: int = 10) -> list[AlertEvent]:
    query = db.select(AlertEvent).where(AlertEvent.block_id == block_id)
    query = query.order_by(AlertEvent.at.desc(), AlertEvent.id.desc()).limit(limit)
    return list(db.session.scalars(query))
