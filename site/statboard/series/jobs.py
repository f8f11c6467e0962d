"""Background tasks and the daily schedule of the series feature."""

from pathlib import Path

from flask import current_app

from statboard import tasks
from statboard.series.collect import collect
from statboard.series.importer import import_files
from statboard.series.uploads import read_zip, zip_sizes
from statboard.tasks.schedule import daily


@tasks.task("series.collect")
def collect_task(ctx, account_ids=None):
    """Collect all accounts (with the admins' digest) or just the given ones (without)."""

    def progress(fraction, message):
        ctx.check_cancelled()
        ctx.progress(fraction, message)

    report = collect(account_ids=account_ids, progress=progress, digest=not account_ids)
    return with_chart_refresh(report.as_dict())


@tasks.task("series.import")
def import_task(ctx, path: str, name: str, platform: str = "x"):
    """Import an uploaded CSV or zip kept in instance/series-imports/, then delete it."""
    upload = Path(path)
    config = current_app.config
    try:
        if upload.suffix == ".zip":
            files = read_zip(upload, config["SERIES_IMPORT_MAX_BYTES"])
            total = sum(size for size in zip_sizes(upload, config["SERIES_IMPORT_MAX_BYTES"]))
        else:
            files, total = [(name, upload.read_bytes())], upload.stat().st_size
        done = 0

        def progress(size: int, file_name: str) -> None:
            nonlocal done
            done += size
            ctx.check_cancelled()
            ctx.progress(done / max(1, total), f"importing {file_name}")

        ctx.progress(0.0, f"importing {name}")
        report = import_files(files, platform=platform, progress=progress)
    finally:
        upload.unlink(missing_ok=True)
    return with_chart_refresh(report.as_dict())


def with_chart_refresh(result: dict) -> dict:
    """The task's result, naming the event that makes charts of these accounts redraw
    once the page sees the task finish (tasks/routes.py sends it)."""
    return {**result, "events": {"series-changed": {"accounts": result["account_ids"]}}}


@daily("COLLECT_AT", name="series.collect")
def daily_collection():
    tasks.submit("series.collect")
