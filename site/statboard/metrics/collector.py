"""What a scrape reads at the moment it is made, from the truth that every worker
shares: the database (followers, remote hosts, tasks, mail jobs), the counter store,
and this host itself (psutil, through the hosts feature's readings).

Used inside the scrape's request, so db.session and the app's settings are at hand.
"""

from datetime import UTC

from flask import current_app
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from statboard.extensions import db
from statboard.hosts.metrics import Meter, disk_usage, uptime_seconds
from statboard.hosts.models import DOWN, UP, RemoteHost
from statboard.models_base import utcnow
from statboard.notify.delivery import due_groups, overdue_digests
from statboard.notify.models import ChangeBatch
from statboard.series.models import Account
from statboard.series.samples import latest_counts
from statboard.tasks import FAILURE, QUEUED, STARTED, Task
from statboard.tasks.registry import lane_of

MAIL_KIND = "mail.admins"  # the notify feature's mail job (notify/jobs.py)
_meter = Meter()  # this process's own rates, apart from the tile's and the sampler's


class SiteCollector:
    """prometheus-client collector: one family per number, built at each scrape."""

    def collect(self):
        yield from counter_values()
        yield from followers()
        yield from this_host()
        yield from remote_hosts()
        yield from tasks()
        yield from mail_due()


def gauge(name: str, documentation: str, labels=()) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=list(labels))


def counter_values():
    family = gauge("statboard_counter_value", "The value of each counter.", ["key"])
    store = current_app.extensions["counters"].store
    prefixes = current_app.config["METRICS_COUNTER_PREFIXES"] or [""]
    values: dict[str, int] = {}
    for prefix in prefixes:
        values.update(store.all(prefix))
    for key, value in sorted(values.items()):
        family.add_metric([key], value)
    yield family


def followers():
    family = gauge(
        "statboard_followers",
        "The newest follower count of each tracked account.",
        ["account", "platform", "handle"],
    )
    accounts = db.session.execute(select(Account.id, Account.platform, Account.handle)).all()
    newest = latest_counts([row.id for row in accounts])
    for account_id, platform, handle in accounts:
        if account_id in newest:
            family.add_metric([str(account_id), platform, handle], newest[account_id][1])
    yield family


def this_host():
    reading = _meter.read()
    yield GaugeMetricFamily(
        "statboard_host_cpu_percent", "This host's CPU use, percent busy.", value=reading.cpu
    )
    yield GaugeMetricFamily(
        "statboard_host_memory_percent", "This host's memory use, percent.", value=reading.mem
    )
    load = gauge("statboard_host_load", "This host's load average.", ["period"])
    for period, value in (("1m", reading.load1), ("5m", reading.load5), ("15m", reading.load15)):
        load.add_metric([period], value)
    yield load
    disk_io = gauge(
        "statboard_host_disk_bytes_per_second", "This host's disk traffic.", ["direction"]
    )
    disk_io.add_metric(["read"], reading.read_bps)
    disk_io.add_metric(["write"], reading.write_bps)
    yield disk_io
    yield GaugeMetricFamily(
        "statboard_host_uptime_seconds", "Time since this host booted.", value=uptime_seconds()
    )
    used = gauge("statboard_host_disk_used_bytes", "Bytes used on each file system.", ["mount"])
    total = gauge("statboard_host_disk_size_bytes", "Size of each file system.", ["mount"])
    for disk in disk_usage():
        used.add_metric([disk["mount"]], disk["used"])
        total.add_metric([disk["mount"]], disk["total"])
    yield used
    yield total


def remote_hosts():
    labels = ["host", "name", "url"]
    up = gauge("statboard_remote_host_up", "1 if the last check found the host up, else 0.", labels)
    latency = gauge(
        "statboard_remote_host_latency_seconds", "How long the host's last check took.", labels
    )
    checked = gauge(
        "statboard_remote_host_checked_timestamp_seconds", "When the host was last checked.", labels
    )
    for host in db.session.scalars(select(RemoteHost).order_by(RemoteHost.id)):
        values = [str(host.id), host.name, host.url]
        if host.state in (UP, DOWN):  # unknown (never checked): no sample
            up.add_metric(values, 1 if host.state == UP else 0)
        if host.latency_ms is not None:
            latency.add_metric(values, host.latency_ms / 1000)
        if host.checked_at is not None:
            checked.add_metric(values, _epoch(host.checked_at))
    yield from (up, latency, checked)


def tasks():
    queued = gauge(
        "statboard_tasks_queued", "Tasks waiting for a worker, by lane and kind.", ["lane", "kind"]
    )
    running = gauge(
        "statboard_tasks_running", "Tasks running now, by lane and kind.", ["lane", "kind"]
    )
    waiting: dict[tuple[str, str, str], int] = {}
    rows = db.session.execute(
        select(Task.kind, Task.state, Task.owner_id.is_(None), func.count())
        .where(Task.state.in_((QUEUED, STARTED)))
        .group_by(Task.kind, Task.state, Task.owner_id.is_(None))
    )
    for kind, state, ownerless, count in rows:
        owner = None if ownerless else -1  # lane_of asks only whether there is one
        key = (state, lane_of(kind, owner), kind)
        waiting[key] = waiting.get(key, 0) + count
    for (state, lane, kind), count in sorted(waiting.items()):
        (queued if state == QUEUED else running).add_metric([lane, kind], count)
    yield queued
    yield running
    failed = db.session.scalar(
        select(func.count()).where(Task.kind == MAIL_KIND, Task.state == FAILURE)
    )
    retrying = db.session.scalar(
        select(func.count()).where(Task.kind == MAIL_KIND, Task.state == QUEUED, Task.attempts > 0)
    )
    yield GaugeMetricFamily(
        "statboard_mail_failed_jobs",
        "Admin mail jobs on record that failed after their last retry.",
        value=failed,
    )
    yield GaugeMetricFamily(
        "statboard_mail_retrying_jobs",
        "Admin mail jobs that failed and wait to be tried again.",
        value=retrying,
    )


def mail_due():
    """Change mails (an edit session, a batch) due and not sent: the periodic job
    notify.send mails them, and gives back one whose sending failed to its next run."""
    due_now = due_groups(ChangeBatch.sent_at, utcnow()).subquery()
    due = db.session.scalar(select(func.count()).select_from(due_now))
    yield GaugeMetricFamily(
        "statboard_mail_due_changes",
        "Change mails due and not sent yet; above 0 for longer than NOTIFY_SEND_SECONDS "
        "means that sending them fails.",
        value=due,
    )
    yield GaugeMetricFamily(
        "statboard_mail_overdue_digests",
        "Admins' hourly or daily digest mails whose period ended longer ago than two runs "
        "of notify.send and that were not sent: above 0 means that sending them fails.",
        value=overdue_digests(),
    )


def _epoch(naive_utc) -> float:
    return naive_utc.replace(tzinfo=UTC).timestamp()
