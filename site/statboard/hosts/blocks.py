"""The host block kinds: "host" (this host's live tile) and "remote_hosts" (other hosts)."""

from datetime import timedelta

from flask import current_app
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import Length

from statboard import settings
from statboard.extensions import db, once_per_transaction
from statboard.forms import Form
from statboard.hosts import history, remote
from statboard.hosts.metrics import snapshots
from statboard.hosts.models import RemoteHost
from statboard.hosts.sparkline import sparkline
from statboard.models_base import utcnow
from statboard.pages import blocks

RANGE_CHOICES = [("1h", "1 hour"), ("24h", "24 hours"), ("30d", "30 days")]
REMOTE_RANGES = {"1h": timedelta(hours=1), "24h": timedelta(days=1)}


class HostBlockForm(Form):
    title = StringField("Title", validators=[Length(max=80)])
    range = SelectField(
        "History shown", choices=[SelectChoice(*c) for c in RANGE_CHOICES], default="1h"
    )

    def to_data(self, old: dict) -> dict:
        return {**old, "title": (self.title.data or "").strip(), "range": self.range.data}


class RemoteHostsBlockForm(Form):
    title = StringField("Title", validators=[Length(max=80)])
    range = SelectField(
        "History shown", choices=[SelectChoice(*c) for c in RANGE_CHOICES[:2]], default="24h"
    )

    def to_data(self, old: dict) -> dict:
        return {**old, "title": (self.title.data or "").strip(), "range": self.range.data}


def chosen_range(block, requested: str | None, allowed) -> str:
    if requested in allowed:
        return requested
    stored = (block.data or {}).get("range") if block is not None else None
    return stored if stored in allowed else next(iter(allowed))


def format_duration(seconds: float) -> str:
    minutes = int(seconds) // 60
    days, hours, minutes = minutes // 1440, (minutes // 60) % 24, minutes % 60
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def host_context(block, range_name: str | None = None) -> dict:
    """What the tile shows: live readings, disks, and sparklines over the range."""
    range_name = chosen_range(block, range_name, history.RANGES)
    snapshot = snapshots.get()
    # The same readings for every host tile of a view: read once.
    points = once_per_transaction(("hosts.series", range_name), lambda: history.series(range_name))
    sparks = {
        "cpu": sparkline(points["cpu"], "CPU use", ceiling=100),
        "mem": sparkline(points["mem"], "Memory use", ceiling=100),
        "load1": sparkline(points["load1"], "Load average (1 min)"),
        "read_bps": sparkline(points["read_bps"], "Disk reads"),
        "write_bps": sparkline(points["write_bps"], "Disk writes"),
    }
    return {
        "range": range_name,
        "ranges": RANGE_CHOICES,
        "now": snapshot.reading,
        "uptime": format_duration(snapshot.seconds),
        "disks": snapshot.disks,
        "sparks": sparks,
        "samples": len(points["cpu"]),
        "refresh": int(current_app.config["HOST_REFRESH_SECONDS"]),
    }


def remote_context(block, range_name: str | None = None) -> dict:
    """Other hosts over the chosen range: each host's latency sparkline and its
    availability over that same range, and the overall state on top."""
    if range_name is None:  # as the page shows it: read with the page's other blocks
        range_name = chosen_range(block, None, REMOTE_RANGES)
        checked = blocks.for_page(block, remote_checks_by_block, default=[])
    else:
        checked = _remote_checks({block.id: range_name}, [block])[block.id]
    rows = []
    for host, checks in checked:
        up = sum(check.up for check in checks)
        rows.append(
            {
                "host": host,
                "spark": sparkline(
                    [c.latency_ms if c.up else None for c in checks], f"{host.name} latency"
                ),
                "availability": round(100.0 * up / len(checks), 1) if checks else None,
            }
        )
    return {
        "range": range_name,
        "range_label": dict(RANGE_CHOICES)[range_name],
        "range_short": f"{range_name[:-1]} {range_name[-1]}",  # "24 h"
        "ranges": RANGE_CHOICES[:2],
        "rows": rows,
        "summary": remote.summary([row["host"] for row in rows]),
        "refresh": int(current_app.config["HOST_REFRESH_SECONDS"]),
    }


def remote_checks_by_block(shown) -> dict[int, list]:
    """The hosts of these "Other hosts" blocks and their checks over each block's range,
    in two queries: {block id: [(host, its checks, oldest first)]}."""
    shown = [block for block in shown if block.kind == "remote_hosts"]
    ranges = {block.id: chosen_range(block, None, REMOTE_RANGES) for block in shown}
    return _remote_checks(ranges, shown)


def _remote_checks(ranges: dict[int, str], shown) -> dict[int, list]:
    now = utcnow()
    since = {block_id: now - REMOTE_RANGES[name] for block_id, name in ranges.items()}
    hosts = remote.hosts_of_blocks(list(since))
    checks = remote.checks_since({host.id: since[host.block_id] for host in hosts})
    found = {block.id: [] for block in shown}
    for host in hosts:
        found[host.block_id].append((host, checks.get(host.id, [])))
    return found


def _remote_demo_host(block) -> None:
    """The demo block's host, the site's own uptime URL (up), once the block has its id:
    at the address it is served on (SITE_URL may be a proxy's, out of its reach)."""
    url = settings.own_url(current_app.config) + "/v1/uptime/"
    db.session.add(RemoteHost(block_id=block.id, name="this site", url=url))


def register_kinds() -> None:
    blocks.register(
        blocks.BlockKind(
            name="host",
            label="This host",
            template="blocks/host/_view.html",
            edit_template="blocks/host/_edit.html",
            form=HostBlockForm,
            defaults=lambda: {"title": "This host", "range": "1h"},
            demo=lambda: {"title": "This host", "range": "1h"},
            context=host_context,
            channels=lambda block: ["host:local"],
            span=2,
            styles=("css/hosts.css",),
        )
    )
    blocks.register(
        blocks.BlockKind(
            name="remote_hosts",
            label="Other hosts",
            template="blocks/remote_hosts/_view.html",
            edit_template="blocks/remote_hosts/_edit.html",
            panel_template="blocks/remote_hosts/_panel.html",
            form=RemoteHostsBlockForm,
            defaults=lambda: {"title": "Other hosts", "range": "24h"},
            demo=lambda: {"title": "Other hosts", "range": "1h"},
            after_demo=_remote_demo_host,
            context=remote_context,
            channels=lambda block: [f"hosts:{block.id}"],
            on_delete=remote.remove_block_hosts,
            styles=("css/hosts.css",),
        )
    )
