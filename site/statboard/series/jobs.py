"""Background tasks and the daily schedule of the series feature."""

from flask import current_app
from sqlalchemy import select

from statboard import tasks
from statboard.extensions import db
from statboard.series.collect import collect
from statboard.series.collectors import IMPORTED
from statboard.series.importer import handle_from_name, import_files
from statboard.series.models import Account
from statboard.series.uploads import delete_upload, read_upload, read_zip, zip_sizes
from statboard.tasks.schedule import daily


def collect_title(args: dict) -> str:
    """ "Collecting followers of @alpha and 2 more", or "of every account"."""
    ids = args.get("account_ids") or []
    if not ids:
        return "Collecting followers of every account"
    found = {a.id: a.handle for a in db.session.scalars(select(Account).where(Account.id.in_(ids)))}
    handles = [found[i] for i in ids if i in found]  # in the chart's order
    return "Collecting followers of " + named(handles, len(ids))


def import_title(args: dict) -> str:
    """ "Importing followers of @alpha" (from alpha-followers.csv), or of a zip's files."""
    name = str(args.get("name") or "")
    handle = handle_from_name(name)
    if handle and not name.lower().endswith(".zip"):
        return f"Importing followers of {named([handle], 1)}"
    return f"Importing followers from {name or 'a file'}"


def named(handles: list[str], count: int) -> str:
    if not handles:
        return f"{count} accounts"
    first = handles[0] if handles[0].startswith("@") else "@" + handles[0]
    more = count - 1
    return first if more < 1 else f"{first} and {more} more"


@tasks.task("series.collect", title=collect_title)
def collect_task(ctx, account_ids=None):
    """Collect all accounts (with the admins' digest) or just the given ones (without)."""

    def progress(fraction, message):
        ctx.check_cancelled()
        ctx.progress(fraction, message)

    report = collect(account_ids=account_ids, progress=progress, digest=not account_ids)
    return with_chart_refresh(report.as_dict())


@tasks.task("series.import", title=import_title)
def import_task(ctx, storage: str, key: str, name: str, platform: str = IMPORTED):
    """Import an uploaded CSV or zip that the site saved in the storage `storage` (a URL,
    see series.uploads.save_upload), then delete it: the task may run on any machine."""
    config = current_app.config
    try:
        data = read_upload(storage, key)
        if key.endswith(".zip"):
            files = read_zip(data, config["SERIES_IMPORT_MAX_BYTES"])
            total = sum(zip_sizes(data, config["SERIES_IMPORT_MAX_BYTES"]))
        else:
            files, total = [(name, data)], len(data)
        done = 0

        def progress(size: int, file_name: str) -> None:
            nonlocal done
            done += size
            ctx.check_cancelled()
            ctx.progress(done / max(1, total), f"importing {file_name}")

        ctx.progress(0.0, f"importing {name}")
        report = import_files(files, platform=platform, progress=progress)
    finally:
        delete_upload(storage, key)
    return with_chart_refresh(report.as_dict())


def with_chart_refresh(result: dict) -> dict:
    """The task's result, naming the event that makes charts of these accounts redraw
    once the page sees the task finish (tasks/routes.py sends it)."""
    return {**result, "events": {"series-changed": {"accounts": result["account_ids"]}}}


@daily("COLLECT_AT", name="series.collect")
def daily_collection():
    tasks.submit("series.collect")
