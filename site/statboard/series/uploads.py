"""Browser imports: an uploaded CSV or zip is checked, kept in the storage engine
(series-imports/ of the uploads folder or the S3 bucket), and imported by a background
task, which reads it from there wherever it runs and deletes it when done. Zip entries
are read in memory by their base name: nothing is ever extracted to a path taken from
the archive."""

import io
import logging
import secrets
import time
import zipfile
import zlib
from pathlib import PurePosixPath

from flask import current_app

from statboard import storage
from statboard.extensions import db
from statboard.tasks.models import QUEUED, STARTED, Task
from statboard.tasks.schedule import every

log = logging.getLogger(__name__)
IMPORTS = "series-imports"  # the storage folder of uploads waiting for their import
CONTENT_TYPES = {".csv": "text/csv", ".zip": "application/zip"}


class UploadRefused(ValueError):
    """The upload cannot be imported; the message says what to do instead."""


@every("SWEEP_SECONDS", name="series.sweep_uploads", at_start=True)
def sweep_uploads() -> list[str]:
    """Delete the uploads older than SWEEP_GRACE_SECONDS that no unfinished import will
    read: an import task deletes its upload, but a killed server leaves it behind."""
    waiting = db.session.scalars(
        db.select(Task).where(Task.kind == "series.import", Task.state.in_((QUEUED, STARTED)))
    )
    kept = {task.args.get("key") for task in waiting}
    cutoff = time.time() - current_app.config["SWEEP_GRACE_SECONDS"]
    store = storage.current()
    removed = [
        name for name, written in store.listing(IMPORTS) if name not in kept and written < cutoff
    ]
    for name in removed:
        store.delete(name)
    if removed:
        log.info("swept %d import upload(s) left behind by a stopped server", len(removed))
    return removed


def check_zip(data: bytes, max_bytes: int, max_files: int) -> list[zipfile.ZipInfo]:
    """The CSV entries of a zip, or UploadRefused for bombs, traversal and junk."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise UploadRefused("That file is not a readable zip; upload a .zip or a .csv.") from exc
    entries, total = [], 0
    for info in archive.infolist():
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts:
            raise UploadRefused(
                f"The zip holds a path outside its folder ({info.filename!r}); "
                "zip the CSV files alone."
            )
        if info.is_dir() or path.name.startswith(".") or path.parts[0] == "__MACOSX":
            continue
        if path.suffix.lower() != ".csv":
            continue
        total += info.file_size
        if info.file_size > 100 * max(1, info.compress_size) and info.file_size > 1_000_000:
            raise UploadRefused(f"{info.filename!r} expands too much to be a CSV; not imported.")
        entries.append(info)
    if not entries:
        raise UploadRefused("The zip holds no .csv files; add <handle>-followers.csv files.")
    if len(entries) > max_files:
        raise UploadRefused(f"The zip holds {len(entries)} CSV files; import at most {max_files}.")
    if total > max_bytes:
        raise UploadRefused(
            f"The zip expands to {total // 1_000_000} MB; split it below "
            f"{max_bytes // 1_000_000} MB."
        )
    return entries


def check_entries_read(data: bytes, entries: list[zipfile.ZipInfo]) -> None:
    """Read every CSV entry once, as the import will: a damaged, encrypted or oddly
    compressed member is refused now, with a sentence, not in the task."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in entries:
            try:
                with archive.open(info) as entry:
                    while entry.read(1 << 20):
                        pass
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
                raise UploadRefused(
                    f"{info.filename[:100]!r} in the zip cannot be read (damaged, encrypted "
                    "or compressed in an unusual way); zip the CSV files again and upload that."
                ) from None


def read_zip(data: bytes, max_bytes: int):
    """(name, bytes) of each CSV in a checked zip; reads stop at max_bytes in all."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        budget = max_bytes
        for info in check_zip(data, max_bytes, 10**6):
            with archive.open(info) as entry:
                data = entry.read(budget + 1)
            budget -= len(data)
            if budget < 0:
                raise UploadRefused("The zip expands beyond its declared size; not imported.")
            yield PurePosixPath(info.filename).name, data


def zip_sizes(data: bytes, max_bytes: int) -> list[int]:
    """The uncompressed size of each CSV entry of a checked zip, as read_zip yields them."""
    return [info.file_size for info in check_zip(data, max_bytes, 10**6)]


def save_upload(filename: str, data: bytes) -> dict[str, str]:
    """Check an upload and keep it in the storage under a random name; returns where it
    is as the import task's arguments: {"storage": its URL, "key": its object name}."""
    config = current_app.config
    name = PurePosixPath(filename.replace("\\", "/")).name
    lower = name.lower()
    if not data:
        raise UploadRefused("The file is empty; choose a CSV or zip file with samples.")
    if lower.endswith(".zip"):
        entries = check_zip(
            data, config["SERIES_IMPORT_MAX_BYTES"], config["SERIES_IMPORT_MAX_FILES"]
        )
        check_entries_read(data, entries)
        suffix = ".zip"
    elif lower.endswith(".csv"):
        suffix = ".csv"
    else:
        raise UploadRefused("Upload a .csv file (<handle>-followers.csv) or a .zip of them.")
    store = storage.current()
    key = f"{IMPORTS}/{secrets.token_hex(16)}{suffix}"
    store.save(key, data, CONTENT_TYPES[suffix])
    return {"storage": store.url_id, "key": key}


def read_upload(storage_url: str, key: str) -> bytes:
    """The bytes of an upload saved by save_upload, from any process of the cluster."""
    try:
        return storage.storage_for(storage_url).read(key)
    except KeyError:
        raise UploadRefused(
            "The uploaded file is no longer in the storage (it was swept or deleted); "
            "upload it again."
        ) from None


def delete_upload(storage_url: str, key: str) -> None:
    storage.storage_for(storage_url).delete(key)
