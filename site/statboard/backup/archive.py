"""The archive: a zip file holding

    manifest.json          {"format", "schema", "made_at", "engine", "tables", "files"}
    tables/<table>.jsonl   one JSON object per row, in primary-key order
    files/<object name>    each stored object, as the storage holds it

`tables` gives each table's row count and SHA-256 of its .jsonl; `files` each object's
name, content type, size and SHA-256. `schema` is the Alembic revision of the schema
the rows fit; `format` changes when this layout does.
"""

import base64
import hashlib
import json
import posixpath
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import column, inspect, select
from sqlalchemy import table as table_clause

from statboard import ROOT

FORMAT = 1
MANIFEST = "manifest.json"
VERSION_TABLE = "alembic_version"  # where Alembic keeps the revision of a database
CHUNK = 1 << 20


class ArchiveError(Exception):
    """The archive cannot be restored; the message says why and what to do."""


class TargetError(Exception):
    """The database or storage cannot take a backup or a restore; the message says why."""


def code_revision() -> str:
    """The Alembic head: the schema revision this code's models have."""
    from alembic.config import Config  # Alembic only where it is asked (extensions.migrations)
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


def database_revision(conn) -> str | None:
    """The revision the database was migrated to (None when made without Alembic)."""
    if VERSION_TABLE not in inspect(conn).get_table_names():
        return None
    return conn.scalar(select(column("version_num")).select_from(table_clause(VERSION_TABLE)))


def check_revision(conn) -> str:
    """The code's revision, once the database is known to be at it."""
    head = code_revision()
    found = database_revision(conn)
    if found is not None and found != head:
        raise TargetError(
            f"The database is at schema revision {found} and this code at {head}: "
            "run `flask --app statboard db upgrade` first."
        )
    return head


@contextmanager
def storage_errors(url: str) -> Iterator[None]:
    """A storage that fails (a missing bucket, no credentials, a full disk) as a TargetError."""
    try:
        yield
    except (KeyError, ArchiveError, TargetError):
        raise
    except Exception as error:
        raise TargetError(
            f"The storage {url} failed ({error}): check that its folder or bucket exists "
            "and may be written, and its credentials."
        ) from error


def table_entry(name: str) -> str:
    return f"tables/{name}.jsonl"


def file_entry(name: str) -> str:
    return f"files/{name}"


def encode(value):
    """A column value as JSON can hold it (decode() reads it back by the column's type)."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, Decimal):
        return str(value)
    return value


def row_line(row: dict) -> bytes:
    encoded = {key: encode(value) for key, value in row.items()}
    return json.dumps(encoded, ensure_ascii=False, sort_keys=True).encode() + b"\n"


def python_type(column):
    try:
        return column.type.python_type
    except NotImplementedError:  # JSON and the like: the value is already JSON
        return None


def decode(column, value):
    if value is None:
        return None
    kind = python_type(column)
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    if kind is time:
        return time.fromisoformat(value)
    if kind is bytes:
        return base64.b64decode(value)
    if kind is Decimal:
        return Decimal(value)
    return value


def open_archive(path: Path) -> tuple[zipfile.ZipFile, dict]:
    """The archive and its manifest, once they are known to be ours and of this code."""
    if not path.is_file():
        raise ArchiveError(f"There is no file {str(path)!r}: give the path of a backup archive.")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ArchiveError(
            f"{path} is not a zip archive, or it is damaged: give a file made by "
            "`flask --app statboard backup`."
        ) from None
    try:
        manifest = json.loads(archive.read(MANIFEST))
        made_format = manifest["format"]
        revision = manifest["schema"]
        check_contents(manifest["tables"], manifest["files"])
    except (KeyError, ValueError, TypeError, AttributeError, zipfile.BadZipFile):
        archive.close()
        raise ArchiveError(
            f"{path} has no readable {MANIFEST}: it is not a Statboard backup, or it is damaged."
        ) from None
    if made_format != FORMAT:
        archive.close()
        raise ArchiveError(
            f"{path} is a backup of format {made_format!r} and this Statboard reads format "
            f"{FORMAT}: restore it with the Statboard version that made it."
        )
    head = code_revision()
    if revision != head:
        archive.close()
        raise ArchiveError(
            f"{path} holds a database at schema revision {revision!r} and this code is at "
            f"{head!r}: restore it with the Statboard version that made it, then upgrade."
        )
    return archive, manifest


def check_contents(tables: dict, files: list) -> None:
    """The manifest's lists have the shape backup writes; ValueError or TypeError if not."""
    for table in tables.values():
        if not isinstance(table["rows"], int) or not isinstance(table["sha256"], str):
            raise TypeError(table)
    for item in files:
        name = item["name"]
        # An object name stays inside the storage: key/file, nothing like ../ or /etc
        if posixpath.normpath(name) != name or name.startswith(("/", "..")) or "/" not in name:
            raise ValueError(name)
        if not isinstance(item["size"], int) or not all(
            isinstance(item[field], str) for field in ("content_type", "sha256")
        ):
            raise TypeError(item)


def entry_digest(archive: zipfile.ZipFile, entry: str) -> tuple[str, int, int]:
    """SHA-256, size and line count of an entry; ArchiveError when it is missing or damaged."""
    digest, size, lines = hashlib.sha256(), 0, 0
    try:
        with archive.open(entry) as stream:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                lines += chunk.count(b"\n")
    except KeyError:
        raise ArchiveError(
            f"The archive lacks {entry}, which its manifest lists: it is incomplete."
        ) from None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as error:
        raise ArchiveError(f"The archive's {entry} is damaged ({error}).") from None
    return digest.hexdigest(), size, lines


def verify(archive: zipfile.ZipFile, manifest: dict, advance) -> None:
    """Every table and file is there, whole, with the checksums the manifest gives."""
    for name, table in manifest["tables"].items():
        digest, _, lines = entry_digest(archive, table_entry(name))
        if digest != table["sha256"] or lines != table["rows"]:
            raise ArchiveError(
                f"The table {name} in the archive does not match its checksum: "
                "the archive is damaged; use another backup."
            )
        advance(1)
    for item in manifest["files"]:
        digest, size, _ = entry_digest(archive, file_entry(item["name"]))
        if digest != item["sha256"] or size != item["size"]:
            raise ArchiveError(
                f"The file {item['name']} in the archive does not match its checksum: "
                "the archive is damaged; use another backup."
            )
        advance(1)
