"""Browser imports: an uploaded CSV or zip is checked, kept in instance/, and imported
by a background task. Zip entries are read in memory by their base name: nothing is
ever extracted to a path taken from the archive."""

import io
import logging
import secrets
import time
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from flask import current_app

from statboard.extensions import db
from statboard.tasks.models import QUEUED, STARTED, Task
from statboard.tasks.schedule import every

log = logging.getLogger(__name__)


class UploadRefused(ValueError):
    """The upload cannot be imported; the message says what to do instead."""


def upload_dir() -> Path:
    path = Path(current_app.instance_path) / "series-imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


@every("SWEEP_SECONDS", name="series.sweep_uploads")
def sweep_uploads() -> list[Path]:
    """Delete the uploads older than SWEEP_GRACE_SECONDS that no unfinished import will
    read: an import task deletes its upload, but a killed server leaves it behind."""
    waiting = db.session.scalars(
        db.select(Task).where(Task.kind == "series.import", Task.state.in_((QUEUED, STARTED)))
    )
    kept = {task.args.get("path") for task in waiting}
    cutoff = time.time() - current_app.config["SWEEP_GRACE_SECONDS"]
    removed = []
    for path in upload_dir().iterdir():
        try:
            if path.is_file() and str(path) not in kept and path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
        except FileNotFoundError:  # its import finished while we looked
            continue
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


def read_zip(path: Path, max_bytes: int):
    """(name, bytes) of each CSV in a checked zip; reads stop at max_bytes in all."""
    with zipfile.ZipFile(path) as archive:
        budget = max_bytes
        for info in check_zip(path.read_bytes(), max_bytes, 10**6):
            with archive.open(info) as entry:
                data = entry.read(budget + 1)
            budget -= len(data)
            if budget < 0:
                raise UploadRefused("The zip expands beyond its declared size; not imported.")
            yield PurePosixPath(info.filename).name, data


def zip_sizes(path: Path, max_bytes: int) -> list[int]:
    """The uncompressed size of each CSV entry of a checked zip, as read_zip yields them."""
    return [info.file_size for info in check_zip(path.read_bytes(), max_bytes, 10**6)]


def save_upload(filename: str, data: bytes) -> Path:
    """Check an upload and keep it under a random name; returns where it is."""
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
    path = upload_dir() / f"{secrets.token_hex(8)}{suffix}"
    path.write_bytes(data)
    return path
