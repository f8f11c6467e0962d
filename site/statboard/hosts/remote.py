"""Other hosts: added by URL, checked over HTTP for up/down and latency.

A change of state (down, back up) is announced to the admins once, in the same
commit that records it; checks that find the same state again stay quiet. Every
check, and every host added or removed, tells the block's open pages after the commit
(live channel hosts:<block id>, host ids only): they refetch the rows.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from urllib.parse import urlsplit

from flask import current_app

from statboard import live, notify
from statboard.extensions import db
from statboard.hosts.models import DOWN, UP, RemoteCheck, RemoteHost
from statboard.models_base import utcnow
from statboard.pages import blocks

_quiet: list = []


def quiet_when(check) -> None:
    """check(host) -> True when another feature speaks for the host going down or back
    up (alerts: a block with a "down" rule); its checks then announce nothing here."""
    if check not in _quiet:
        _quiet.append(check)


class InvalidHost(ValueError):
    """A host URL or name that cannot be used; the message says what to fix."""


@dataclass
class Probe:
    up: bool
    latency_ms: float | None
    status_code: int | None
    error: str


def clean_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidHost(
            "Give the host's full http:// or https:// URL, e.g. http://host/v1/uptime/."
        )
    if len(url) > 500:
        raise InvalidHost("That URL is too long; use one under 500 characters.")
    return url


def add_host(url: str, name: str = "", actor=None, block_id: int | None = None) -> RemoteHost:
    """A host of the "remote_hosts" block `block_id` (listed by that block only)."""
    url = clean_url(url)
    name = (name or "").strip() or urlsplit(url).hostname
    if len(name) > 80:
        raise InvalidHost("That name is too long; use at most 80 characters.")
    host = RemoteHost(block_id=block_id, name=name, url=url)
    db.session.add(host)
    db.session.flush()  # its id, for the live event
    notify.announce(actor, "added", f"host {name} ({url})")
    _hosts_changed(host)
    return host


def remove_host(host: RemoteHost, actor=None) -> None:
    db.session.execute(db.delete(RemoteCheck).where(RemoteCheck.host_id == host.id))
    db.session.delete(host)
    notify.announce(actor, "removed", f"host {host.name}")
    _hosts_changed(host)


def _hosts_changed(host: RemoteHost) -> None:
    """Queue a live event for the host's block: one per block per transaction, however
    many of its hosts a round of checks records."""
    if host.block_id is not None:
        notify.batch("live.remote_hosts", _publish_hosts).append((host.block_id, host.id))


def _publish_hosts(changed: list[tuple[int, int]]) -> None:
    by_block: dict[int, list[int]] = {}
    for block_id, host_id in changed:
        ids = by_block.setdefault(block_id, [])
        if host_id not in ids:
            ids.append(host_id)
    for block_id, host_ids in by_block.items():  # after the commit already: at once
        live.publish_now(f"hosts:{block_id}", "hosts", block=block_id, hosts=host_ids)


def hosts_of(block_id: int) -> list[RemoteHost]:
    query = db.select(RemoteHost).where(RemoteHost.block_id == block_id)
    return list(db.session.scalars(query.order_by(RemoteHost.name)))


def hosts_of_blocks(block_ids: list[int]) -> list[RemoteHost]:
    """The hosts of these blocks, in one query, by block and name."""
    if not block_ids:
        return []
    query = db.select(RemoteHost).where(RemoteHost.block_id.in_(block_ids))
    return list(db.session.scalars(query.order_by(RemoteHost.block_id, RemoteHost.name)))


def checks_since(since: dict[int, datetime]) -> dict[int, list[RemoteCheck]]:
    """The checks of these hosts, each since its own time, in one query: {host id:
    checks, oldest first}."""
    if not since:
        return {}
    query = (
        db.select(RemoteCheck)
        .where(RemoteCheck.host_id.in_(list(since)), RemoteCheck.at >= min(since.values()))
        .order_by(RemoteCheck.at)
    )
    found: dict[int, list[RemoteCheck]] = {}
    for check in db.session.scalars(query):
        if check.at >= since[check.host_id]:
            found.setdefault(check.host_id, []).append(check)
    return found


def remove_block_hosts(block) -> None:
    """The block is being deleted: its hosts and their checks go with it (same commit)."""
    ids = db.select(RemoteHost.id).where(RemoteHost.block_id == block.id)
    db.session.execute(db.delete(RemoteCheck).where(RemoteCheck.host_id.in_(ids)))
    db.session.execute(db.delete(RemoteHost).where(RemoteHost.block_id == block.id))


@cache
def _tls_context(https: bool):
    """One TLS context (its certificate authorities loaded once) for every probe of this
    process: httpx makes a new one per request otherwise, 2 MB each while checks run at
    once. An http:// probe makes no TLS connection (it follows no redirect), so its
    context loads no authorities (1.2 MB of RSS: the demo's site checks itself so)."""
    import httpx  # see probe()

    return httpx.create_ssl_context(verify=https)


def probe(url: str, timeout: float) -> Probe:
    """One GET: up on a 2xx or 3xx answer within the timeout."""
    import httpx  # 2.5 MB with what it imports: loaded by a worker that checks a host

    started = time.perf_counter()
    try:
        tls = _tls_context(url.lower().startswith("https:"))
        response = httpx.get(url, timeout=timeout, follow_redirects=False, verify=tls)
    except httpx.HTTPError as exc:
        return Probe(False, None, None, _error_text(exc))
    latency = round((time.perf_counter() - started) * 1000, 1)
    if response.status_code >= 400:
        return Probe(False, latency, response.status_code, f"HTTP {response.status_code}")
    return Probe(True, latency, response.status_code, "")


def _error_text(exc: Exception) -> str:
    import httpx  # see probe()

    if isinstance(exc, httpx.TimeoutException):
        return "no answer within the timeout"
    if isinstance(exc, httpx.ConnectError):
        return "connection refused or host unreachable"
    return (str(exc) or type(exc).__name__)[:300]


def check_all() -> int:
    """Check every remote host once (concurrently) and record the results."""
    hosts = db.session.scalars(db.select(RemoteHost).order_by(RemoteHost.id)).all()
    standing = blocks.standing(host.block_id for host in hosts if host.block_id is not None)
    hosts = [host for host in hosts if host.block_id is None or host.block_id in standing]
    if not hosts:
        return 0
    timeout = float(current_app.config["HOST_CHECK_TIMEOUT"])
    with ThreadPoolExecutor(max_workers=min(8, len(hosts))) as pool:
        probes = list(pool.map(lambda url: probe(url, timeout), [h.url for h in hosts]))
    for host, result in zip(hosts, probes, strict=True):
        record_check(host, result)
    return len(hosts)


def record_check(host: RemoteHost, result: Probe, at: datetime | None = None) -> None:
    at = at or utcnow()
    db.session.add(
        RemoteCheck(
            host_id=host.id,
            at=at,
            up=result.up,
            latency_ms=result.latency_ms,
            status_code=result.status_code,
            error=result.error,
        )
    )
    state = UP if result.up else DOWN
    spoken_for = state != host.state and any(check(host) for check in _quiet)
    if state == DOWN and host.state != DOWN and not spoken_for:
        notify.announce(None, "reports", f"host {host.name} is down", kind=notify.HOSTS)
    elif state == UP and host.state == DOWN and not spoken_for:
        notify.announce(None, "reports", f"host {host.name} is back up", kind=notify.HOSTS)
    if state != host.state:
        host.state, host.changed_at = state, at
    host.latency_ms, host.last_error, host.checked_at = result.latency_ms, result.error, at
    _hosts_changed(host)


def history(host_id: int, since: datetime) -> list[RemoteCheck]:
    return db.session.scalars(
        db.select(RemoteCheck)
        .where(RemoteCheck.host_id == host_id, RemoteCheck.at >= since)
        .order_by(RemoteCheck.at)
    ).all()


def availability(host_id: int, span: timedelta, now: datetime | None = None) -> float | None:
    """Percent of checks that found the host up over the span, or None without checks."""
    since = (now or utcnow()) - span
    total, up = db.session.execute(
        db.select(db.func.count(), db.func.sum(db.case((RemoteCheck.up, 1), else_=0))).where(
            RemoteCheck.host_id == host_id, RemoteCheck.at >= since
        )
    ).one()
    return None if not total else round(100.0 * (up or 0) / total, 1)


def summary(hosts: list[RemoteHost]) -> dict:
    """The overall state of a block's hosts, as its first line says it: "All 4 up",
    "1 of 4 down", "2 of 3 up, 1 waiting for a first check"."""
    total = len(hosts)
    down = sum(host.state == DOWN for host in hosts)
    up = sum(host.state == UP for host in hosts)
    if not total:
        return {"state": "none", "text": ""}
    if down:
        return {"state": DOWN, "text": f"{down} of {total} down"}
    if up == total:
        return {"state": UP, "text": "Up" if total == 1 else f"All {total} up"}
    waiting = total - up
    return {"state": "unknown", "text": f"{up} of {total} up, {waiting} waiting for a first check"}
