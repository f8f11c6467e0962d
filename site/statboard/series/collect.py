"""A collection run: every account fetched once, one failure never stops the others,
and one digest email to the admins at the end (not one per account)."""

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from statboard import notify
from statboard.extensions import db
from statboard.series.accounts import valid_handle
from statboard.series.collectors import COLLECTORS, IMPORTED
from statboard.series.http import CollectError, NotConfigured, PlatformHttp
from statboard.series.models import Account
from statboard.series.samples import add_samples, latest_counts, now_utc


@dataclass
class Outcome:
    account: str
    count: int | None = None
    change: int | None = None  # since the previous sample
    error: str | None = None
    not_configured: bool = False


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    account_ids: list[int] = field(default_factory=list)  # what the charts refresh for

    @property
    def collected(self):
        return [o for o in self.outcomes if o.error is None]

    @property
    def failed(self):
        return [o for o in self.outcomes if o.error is not None and not o.not_configured]

    def as_dict(self) -> dict:
        return {
            "collected": len(self.collected),
            "failed": len(self.failed),
            "not_configured": sum(o.not_configured for o in self.outcomes),
            "accounts": [o.__dict__ for o in self.outcomes],
            "account_ids": self.account_ids,
        }


def collect_one(account: Account, http: PlatformHttp, previous: int | None) -> Outcome:
    """Fetch one account, store its sample and clear or record its error (no commit)."""
    now = now_utc()
    collector_class = COLLECTORS.get(account.platform)
    try:
        if collector_class is None:
            raise CollectError(f"No collector for platform {account.platform!r}; remove it.")
        profile = collector_class(http, current_app.config).fetch(account)
    except CollectError as exc:
        account.last_error, account.last_error_at = str(exc), now
        return Outcome(account.label, error=str(exc), not_configured=isinstance(exc, NotConfigured))
    add_samples(account, [(now, profile.followers)])
    account.last_collected_at, account.last_error, account.last_error_at = now, None, None
    account.external_id = profile.external_id or account.external_id
    account.display_name = (profile.display_name or account.display_name or "")[:200]
    renamed = profile.handle and profile.handle != account.handle
    if renamed and valid_handle(profile.handle) and not _taken(account, profile.handle):
        account.handle = profile.handle  # renamed on the platform; the id kept it ours
    change = None if previous is None else profile.followers - previous
    return Outcome(account.label, count=profile.followers, change=change)


def _taken(account: Account, handle: str) -> bool:
    return (
        db.session.scalar(
            select(Account.id).where(
                Account.platform == account.platform,
                Account.handle == handle,
                Account.id != account.id,
            )
        )
        is not None
    )


def collect(account_ids=None, progress=None, digest=True, http=None) -> Report:
    """Collect the given accounts (all by default), committing after each one. Imported
    accounts are skipped: only their files fill them."""
    query = select(Account).where(Account.platform != IMPORTED).order_by(Account.id)
    if account_ids:
        query = query.where(Account.id.in_(account_ids))
    accounts = db.session.scalars(query).all()
    previous = latest_counts(a.id for a in accounts)
    http = http or PlatformHttp.from_config(current_app.config)
    report = Report()
    try:
        for done, account in enumerate(accounts):
            if progress:
                progress(done / max(1, len(accounts)), f"collecting {account.label}")
            before = previous.get(account.id)
            report.outcomes.append(collect_one(account, http, before[1] if before else None))
            report.account_ids.append(account.id)
            db.session.commit()
    finally:
        http.close()
    if digest and accounts:
        queue_digest(report)
        db.session.commit()  # runs the queued digest
    return report


def queue_digest(report: Report) -> None:
    name = current_app.config["SITE_NAME"]
    subject = f"[{name}] follower collection: {len(report.collected)} collected"
    if report.failed:
        subject += f", {len(report.failed)} failed"
    notify.mail_admins(subject, digest_body(report))


def digest_body(report: Report) -> str:
    lines = [f"Accounts collected: {len(report.collected)} of {len(report.outcomes)}.", ""]
    if report.failed:
        lines.append("Failures:")
        lines += [f"  {o.account}: {o.error}" for o in report.failed]
        lines.append("")
    skipped = [o for o in report.outcomes if o.not_configured]
    if skipped:
        lines.append("Not configured: " + ", ".join(o.account for o in skipped))
        lines.append("")
    movers = sorted(
        (o for o in report.collected if o.change), key=lambda o: abs(o.change), reverse=True
    )[:5]
    if movers:
        lines.append("Biggest movers since the previous sample:")
        lines += [f"  {o.change:+d}  {o.account} (now {o.count})" for o in movers]
    else:
        lines.append("No follower count changed since the previous sample.")
    return "\n".join(lines) + "\n"
