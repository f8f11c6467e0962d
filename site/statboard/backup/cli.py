"""`flask --app statboard backup PATH` and `flask --app statboard restore PATH`."""

import sys
from contextlib import ExitStack
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from statboard.backup.archive import ArchiveError, TargetError
from statboard.backup.dump import write_backup
from statboard.backup.load import restore
from statboard.extensions import db


class Progress:
    """click progress bars on stderr, one per stage; `start(label, total)` -> advance."""

    def __init__(self, stack: ExitStack):
        self.stack = stack

    def start(self, label: str, total: int):
        self.stack.close()  # the stage before ends its bar
        bar = click.progressbar(length=max(total, 1), label=label, file=sys.stderr)
        self.stack.enter_context(bar)
        return bar.update


def _fail(error: Exception, what: str):
    if isinstance(error, ArchiveError | TargetError):
        message = str(error)
    else:
        message = f"The database refused the {what} ({error.__class__.__name__}: {error})."
    raise click.ClickException(message + ("" if what == "backup" else " Nothing was restored."))


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path):
    """Write the whole site (every table and stored file) to one archive at PATH."""
    if not path.parent.is_dir():
        raise click.ClickException(f"There is no folder {str(path.parent)!r}: make it first.")
    try:
        with ExitStack() as stack:
            progress = Progress(stack)
            manifest = write_backup(path, lambda total: progress.start("Backing up", total))
    except (TargetError, SQLAlchemyError) as error:
        _fail(error, "backup")
    rows = sum(table["rows"] for table in manifest["tables"].values())
    click.echo(
        f"Backed up {rows} rows of {len(manifest['tables'])} tables and "
        f"{len(manifest['files'])} files to {path}."
    )


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(path: Path):
    """Load the archive at PATH into an empty database and storage."""
    try:
        with ExitStack() as stack:
            manifest = restore(path, Progress(stack).start)
        db.session.commit()
    except BaseException as error:
        db.session.rollback()  # the rows go, and the files written for them
        if isinstance(error, ArchiveError | TargetError | SQLAlchemyError):
            _fail(error, "restore")
        raise
    rows = sum(table["rows"] for table in manifest["tables"].values())
    click.echo(
        f"Restored {rows} rows of {len(manifest['tables'])} tables and "
        f"{len(manifest['files'])} files from {path}."
    )
