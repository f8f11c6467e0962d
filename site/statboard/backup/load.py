"""Loading an archive into an empty database and storage, all of it or nothing.

The rows go in within one transaction and are counted again; only then are the files
written, and they are deleted again if the transaction does not commit.
"""

import json
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, inspect, select, text

from statboard import storage
from statboard.backup.archive import (
    ArchiveError,
    TargetError,
    check_revision,
    decode,
    file_entry,
    open_archive,
    storage_errors,
    table_entry,
    verify,
)
from statboard.counters import store as counter_store
from statboard.counters.models import Counter
from statboard.extensions import db
from statboard.notify import after_commit, after_rollback
from statboard.storage.models import StoredFile

BATCH = 500


def check_empty(conn, target) -> None:
    """The database has every table, all of them empty, and the storage holds nothing."""
    check_revision(conn)
    present = set(inspect(conn).get_table_names())
    missing = [t.name for t in db.metadata.sorted_tables if t.name not in present]
    if missing:
        raise TargetError(
            f"The database lacks the tables {', '.join(missing)}: "
            "run `flask --app statboard db upgrade` first."
        )
    filled = [
        t.name
        for t in db.metadata.sorted_tables
        if conn.scalar(select(func.count()).select_from(t))
    ]
    if filled:
        raise TargetError(
            f"The database is not empty (the tables {', '.join(filled)} have rows): "
            "restore into a new, empty database migrated with `flask --app statboard db upgrade`."
        )
    with storage_errors(target.url_id):
        holds_files = next(iter(target.listing()), None) is not None
    if holds_files:
        raise TargetError(
            f"The storage {target.url_id} is not empty: restore into an empty folder or bucket "
            "prefix (set STATBOARD_STORAGE_URL)."
        )
    if counter_store().all():
        raise TargetError(
            "The counter store already holds counters: restore with an empty one "
            "(STATBOARD_COUNTERS_URL)."
        )


def read_rows(archive, table, target_url: str):
    columns = {column.name: column for column in table.columns}
    with archive.open(table_entry(table.name)) as stream:
        for number, line in enumerate(stream, 1):
            try:
                raw = json.loads(line)
                unknown = set(raw) - set(columns)
                row = {name: decode(columns[name], value) for name, value in raw.items()}
            except (ValueError, TypeError, AttributeError, KeyError):
                raise ArchiveError(
                    f"Row {number} of the archive's {table.name} is not a row of that table: "
                    "the archive was not made by `flask --app statboard backup`."
                ) from None
            if unknown:
                raise ArchiveError(
                    f"The archive's {table.name} has columns this code lacks "
                    f"({', '.join(sorted(unknown))}): it does not fit this schema."
                )
            if table.name == StoredFile.__tablename__:
                row["storage"] = target_url  # every file now lives in the target storage
            yield row


def insert_rows(conn, archive, manifest, target_url: str, advance) -> None:
    for table in db.metadata.sorted_tables:
        if table.name not in manifest["tables"]:
            raise ArchiveError(
                f"The archive has no table {table.name}: it does not fit this schema."
            )
        batch = []
        for row in read_rows(archive, table, target_url):
            batch.append(row)
            if len(batch) == BATCH:
                conn.execute(table.insert(), batch)
                advance(len(batch))
                batch = []
        if batch:
            conn.execute(table.insert(), batch)
            advance(len(batch))
        found = conn.scalar(select(func.count()).select_from(table))
        if found != manifest["tables"][table.name]["rows"]:
            raise ArchiveError(
                f"The table {table.name} has {found} rows after the restore and the archive "
                f"{manifest['tables'][table.name]['rows']}: the archive is damaged."
            )


def reset_sequences(conn) -> None:
    """PostgreSQL: each serial id goes on from the largest id restored."""
    if conn.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or keys[0].autoincrement is False:
            continue
        if keys[0].type.python_type is not int:
            continue
        sequence = conn.scalar(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table.name, "column": keys[0].name},
        )
        if sequence:
            largest = conn.scalar(select(func.max(keys[0])))
            # is_called false: the next id is this one (1 for a table left empty)
            conn.execute(
                text("SELECT setval(:sequence, :value, :called)"),
                {"sequence": sequence, "value": largest or 1, "called": largest is not None},
            )


def write_files(archive, manifest, target, advance) -> None:
    """Each file into the target storage; deleted again if the transaction does not commit."""
    keys = {item["name"].split("/", 1)[0] for item in manifest["files"]}
    for key in keys:  # the storage was empty: all it holds under these keys is ours
        after_rollback(target.delete, key)
    for item in manifest["files"]:
        data = archive.read(file_entry(item["name"]))
        with storage_errors(target.url_id):
            target.save(item["name"], data, item["content_type"])
        advance(1)


def push_counter_values(values: dict[str, int]) -> None:
    """A store that keeps its own values (Redis) gets those of the restored table."""
    store = counter_store()
    for key, value in values.items():
        if store.get(key) != value:
            store.set(key, value)


def restore(path: Path, start: Callable[[str, int], Callable[[int], None]]) -> dict:
    """Stage the archive at `path` on db.session and write its files; the caller commits.

    Answers the manifest. ArchiveError or TargetError when it cannot be restored; the
    caller then rolls back, which deletes the files written (notify.after_rollback).
    `start(label, total)` is called at each stage and answers `advance(n)`.
    """
    archive, manifest = open_archive(path)
    with archive:
        checks = len(manifest["tables"]) + len(manifest["files"])
        verify(archive, manifest, start("Checking", checks))
        target = storage.current()
        rows = sum(table["rows"] for table in manifest["tables"].values())
        conn = db.session.connection()
        check_empty(conn, target)
        insert_rows(conn, archive, manifest, target.url_id, start("Tables", rows))
        reset_sequences(conn)
        write_files(archive, manifest, target, start("Files", len(manifest["files"])))
    values = {key: value for key, value in conn.execute(select(Counter.key, Counter.value))}
    after_commit(push_counter_values, values)
    return manifest
