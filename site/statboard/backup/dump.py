"""Writing the archive: every table of the models' metadata, then every stored file."""

import hashlib
import json
import os
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, func, select

from statboard import storage
from statboard.backup.archive import (
    FORMAT,
    MANIFEST,
    TargetError,
    check_revision,
    file_entry,
    row_line,
    storage_errors,
    table_entry,
)
from statboard.counters import store as counter_store
from statboard.counters.models import Counter
from statboard.extensions import db
from statboard.models_base import utcnow
from statboard.storage.images import EXTENSIONS
from statboard.storage.models import StoredFile
from statboard.storage.uploads import original_object

CONTENT_TYPES = {ext: content_type for content_type, ext in EXTENSIONS.items()}


def tables():
    """Every table, parents before the tables whose rows refer to them."""
    return db.metadata.sorted_tables


@contextmanager
def snapshot() -> Iterator[Connection]:
    """A connection that sees one state of the whole database while it is read."""
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # pysqlite starts no transaction for reads: begin one ourselves (WAL keeps
            # its snapshot while the site goes on writing).
            conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql("BEGIN")
            try:
                yield conn
            finally:
                conn.exec_driver_sql("ROLLBACK")
        else:
            conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn


def table_rows(conn, table) -> Iterator[dict]:
    query = select(table).order_by(*table.primary_key.columns)
    for row in conn.execution_options(yield_per=1000).execute(query):
        yield dict(row._mapping)


def counter_rows(rows: Iterator[dict], values: dict[str, int]) -> Iterator[dict]:
    """The counters table with the store's own values (Redis keeps them, not the table)."""
    values = dict(values)
    for row in rows:
        row["value"] = values.pop(row["key"], row["value"])
        yield row
    for key, value in values.items():
        yield {"key": key, "value": value, "updated_at": utcnow()}


def stored_objects(rows: list[dict]) -> list[tuple[str, str, str]]:
    """(storage URL, object name, content type) of every object a StoredFile refers to."""
    found = []
    for row in rows:
        stored = StoredFile(**row)
        names = [original_object(stored), *sorted(stored.variants.values())]
        for name in names:
            ext = name.rsplit(".", 1)[-1]
            found.append((stored.storage, name, CONTENT_TYPES.get(ext, stored.content_type)))
    return found


def write_entry(archive: zipfile.ZipFile, entry: str, chunks) -> tuple[str, int, int]:
    """Write an entry from byte chunks; its SHA-256, size and number of chunks."""
    digest, size, count = hashlib.sha256(), 0, 0
    info = zipfile.ZipInfo(entry, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as out:
        for chunk in chunks:
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
            count += 1
    return digest.hexdigest(), size, count


def count_work(conn) -> tuple[dict[str, int], list[dict]]:
    counts = {t.name: conn.scalar(select(func.count()).select_from(t)) for t in tables()}
    files = list(table_rows(conn, StoredFile.__table__))
    return counts, files


def write_backup(path: Path, start: Callable[[int], Callable[[int], None]]) -> dict:
    """Write the archive to `path` (whole, or not at all) and answer its manifest.

    `start(total)` is called once the work is known and answers `advance(n)`.
    """
    store = counter_store()
    store.flush()  # the write-behind's pending increments go to the tables first
    tmp = path.with_name(path.name + ".part")
    try:
        with snapshot() as conn:
            revision = check_revision(conn)
            counts, file_rows = count_work(conn)
            objects = stored_objects(file_rows)
            advance = start(sum(counts.values()) + len(objects))
            manifest = {
                "format": FORMAT,
                "schema": revision,
                "made_at": utcnow().isoformat(),
                "engine": conn.dialect.name,
                "tables": {},
                "files": [],
            }
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
                for table in tables():
                    rows = table_rows(conn, table)
                    if table.name == Counter.__tablename__:
                        rows = counter_rows(rows, store.all())
                    lines = (row_line(row) for row in rows)
                    digest, _, count = write_entry(
                        archive, table_entry(table.name), counted(lines, advance)
                    )
                    manifest["tables"][table.name] = {"rows": count, "sha256": digest}
                for storage_url, name, content_type in objects:
                    data = read_object(storage_url, name)
                    digest, size, _ = write_entry(archive, file_entry(name), [data])
                    manifest["files"].append(
                        {"name": name, "content_type": content_type, "size": size, "sha256": digest}
                    )
                    advance(1)
                archive.writestr(MANIFEST, json.dumps(manifest, indent=1))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return manifest


def counted(items, advance):
    for item in items:
        yield item
        advance(1)


def read_object(storage_url: str, name: str) -> bytes:
    try:
        with storage_errors(storage_url):
            return storage.storage_for(storage_url).read(name)
    except KeyError:
        raise TargetError(
            f"The stored file {name} is missing from {storage_url}: restore it there, or "
            "remove the image that uses it, then back up again."
        ) from None
