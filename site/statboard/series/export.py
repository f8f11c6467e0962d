"""Series out: the original twitstats CSV, and CSV/JSON with ISO times and a range."""

import csv
import io
from datetime import date, datetime, timedelta

from sqlalchemy import select

from statboard.extensions import db
from statboard.series.importer import ORIGINAL_FORMAT
from statboard.series.models import Account, Sample
from statboard.series.samples import naive_utc


def parse_bound(value: str | None, name: str, end: bool = False) -> datetime | None:
    """A from/to parameter: an ISO date or time; a `to` date includes that whole day."""
    if value is None or value == "":
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day, datetime.min.time())
            return moment + timedelta(days=1) if end else moment
        return naive_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except (ValueError, OverflowError):  # OverflowError: a time past year 1 or 9999 in UTC
        raise ValueError(
            f"{name}={value[:40]!r} is not a date between the years 1 and 9999; "
            "use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ."
        ) from None


def samples(account: Account, start=None, end=None) -> list[tuple[datetime, int]]:
    query = select(Sample.taken_at, Sample.count).where(Sample.account_id == account.id)
    if start is not None:
        query = query.where(Sample.taken_at >= start)
    if end is not None:
        query = query.where(Sample.taken_at < end)
    return [tuple(row) for row in db.session.execute(query.order_by(Sample.taken_at))]


def twitstats_csv(account: Account) -> str:
    """Exactly what the original job wrote: `DD-MM-YYYY HH:MM:SS, N`, one line a sample."""
    return "".join(f"{at.strftime(ORIGINAL_FORMAT)}, {count}\n" for at, count in samples(account))


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds") + "Z"


def series_csv(account: Account, start=None, end=None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["taken_at", "count"])
    writer.writerows((iso(at), count) for at, count in samples(account, start, end))
    return out.getvalue()


def series_json(account: Account, start=None, end=None) -> dict:
    return {
        "account": {
            "id": account.id,
            "platform": account.platform,
            "handle": account.handle,
            "display_name": account.display_name,
            "external_id": account.external_id,
        },
        "from": iso(start) if start else None,
        "to": iso(end) if end else None,
        "samples": [
            {"taken_at": iso(at), "count": count} for at, count in samples(account, start, end)
        ],
    }
