"""`flask series collect` (for cron), `flask series import PATH` and
`flask series share HANDLE` (who may read an account)."""

import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from statboard.extensions import db
from statboard.series.accounts import AccountError, find_account, readers_text, share
from statboard.series.collect import collect
from statboard.series.collectors import IMPORTED, PLATFORMS
from statboard.series.importer import csv_files, import_files

series_cli = AppGroup("series", help="Follower graphs: collect counts, import old CSV files.")


@series_cli.command("collect")
@click.option("--account", "account_ids", type=int, multiple=True, help="Only this account id.")
def collect_command(account_ids):
    """Collect every account now (what the daily job does); exit 1 if one failed."""
    report = collect(account_ids=list(account_ids) or None, digest=not account_ids)
    for outcome in report.outcomes:
        if outcome.error:
            click.echo(f"  {outcome.account}: {outcome.error}", err=True)
        else:
            click.echo(f"  {outcome.account}: {outcome.count}")
    click.echo(f"{len(report.collected)} collected, {len(report.failed)} failed.")
    if report.failed:
        sys.exit(1)


@series_cli.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--platform",
    default=IMPORTED,
    type=click.Choice(sorted(PLATFORMS)),
    show_default=True,
    help="The accounts' kind: imported ones are never collected; name a platform to "
    "add to accounts that are collected from it.",
)
@click.option(
    "--public/--private",
    default=None,
    help="Let visitors see the accounts, or not; accounts that exist are set too. "
    "Without either, new accounts are private and others stay as they are.",
)
def import_command(path: Path, platform: str, public: bool | None):
    """Import <handle>-followers.csv files (a file or a folder); exit 1 on bad lines."""
    files = csv_files(path)
    total = sum(f.stat().st_size for f in files)
    # Log lines go above the bar (it is cleared, the line written, the bar drawn again),
    # never into it.
    with logging_redirect_tqdm(), tqdm(total=total, unit="B", unit_scale=True) as bar:
        report = import_files(
            ((f.name, f.read_bytes()) for f in files),
            platform=platform,
            public=public,
            progress=lambda size, name: (bar.set_postfix_str(name), bar.update(size)),
        )
    for bad in report.bad_lines:
        click.echo(str(bad), err=True)
    for change in report.shared:
        click.echo(change + ".")
    click.echo(
        f"{report.added} samples added to {len(report.accounts)} accounts from {report.files} "
        f"files; {report.duplicates} already there; {len(report.bad_lines)} bad lines."
    )
    if report.bad_lines:
        sys.exit(1)


@series_cli.command("share")
@click.argument("handle")
@click.option(
    "--platform", default=IMPORTED, type=click.Choice(sorted(PLATFORMS)), show_default=True
)
@click.option("--public/--private", default=None, help="Let visitors see it, or not.")
@click.option("--with", "add", multiple=True, metavar="USER", help="Let USER read it.")
@click.option("--not-with", "remove", multiple=True, metavar="USER", help="Stop letting USER.")
def share_command(handle: str, platform: str, public, add, remove):
    """Say who may read account HANDLE: everyone (--public), or admins and the users it
    is shared with (--private, --with USER); prints who may read it now."""
    account = find_account(platform, handle)
    if account is None:
        raise click.ClickException(
            f"No {platform} account {handle} is tracked: import its file with "
            "`series import`, or name its --platform."
        )
    try:
        changes = share(account, None, public=public, add=add, remove=remove)
    except AccountError as error:
        raise click.ClickException(f"{error} (`flask users list` shows them)") from None
    db.session.commit()
    readers = readers_text(account)
    click.echo(
        f"{account.label}: {'public' if account.is_public else 'private'}; "
        f"shared with {readers or 'nobody'} (admins read every account)."
        + ("" if changes else " Nothing changed.")
    )
