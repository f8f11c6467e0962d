"""Import follower CSV files: the original `DD-MM-YYYY HH:MM:SS, N` lines and ISO times.

Idempotent (a sample already stored at that time is skipped), and every bad line is
reported with its file and line number while the good lines are kept.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from statboard.extensions import db
from statboard.series.accounts import account_for, share
from statboard.series.collectors import IMPORTED
from statboard.series.models import Account
from statboard.series.samples import add_samples, existing_times, naive_utc

ORIGINAL_FORMAT = "%d-%m-%Y %H:%M:%S"
FILE_SUFFIX = "-followers.csv"
HANDLE_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,200}$")
BATCH_ROWS = 200  # rows added (and committed, and reported) at a time


@dataclass
class BadLine:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class ImportReport:
    files: int = 0
    added: int = 0
    duplicates: int = 0
    accounts: list[str] = field(default_factory=list)
    account_ids: list[int] = field(default_factory=list)  # what the charts refresh for
    bad_lines: list[BadLine] = field(default_factory=list)
    shared: list[str] = field(default_factory=list)  # accounts that existed, made public/private

    def as_dict(self) -> dict:
        return {
            "files": self.files,
            "added": self.added,
            "duplicates": self.duplicates,
            "accounts": self.accounts,
            "account_ids": self.account_ids,
            "bad_lines": [str(b) for b in self.bad_lines[:200]],
            "bad_line_count": len(self.bad_lines),
            "shared": self.shared,
        }


def handle_from_name(name: str) -> str | None:
    """`KevKeeganQuotes-followers.csv` -> `KevKeeganQuotes`; None for other names."""
    base = Path(name).name
    stem = base[: -len(FILE_SUFFIX)] if base.endswith(FILE_SUFFIX) else None
    if stem is None and base.lower().endswith(".csv"):
        stem = base[:-4]
    return stem if stem and HANDLE_RE.match(stem) else None


def parse_time(text: str) -> datetime:
    text = text.strip()
    try:
        return datetime.strptime(text, ORIGINAL_FORMAT)
    except ValueError:
        pass
    try:
        return naive_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except (ValueError, OverflowError):  # OverflowError: past year 1 or 9999 in UTC
        raise ValueError(
            f"unreadable time {text[:40]!r}; use DD-MM-YYYY HH:MM:SS or an ISO time "
            "between the years 1 and 9999"
        ) from None


def parse_line(line: str) -> tuple[datetime, int]:
    parts = [part.strip() for part in line.split(",")]
    if len(parts) != 2:
        raise ValueError(f"expected 2 columns (time, count), found {len(parts)}")
    taken_at = parse_time(parts[0])
    if not re.fullmatch(r"\+?\d{1,15}", parts[1]):
        raise ValueError(f"count {parts[1][:40]!r} is not a whole number of followers")
    return taken_at, int(parts[1])


def parse_text(text: str, file: str, report: ImportReport) -> list[tuple[datetime, int]]:
    """Good rows of one file, in order; bad lines and repeats go to the report."""
    rows, seen = [], {}
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            taken_at, count = parse_line(line)
        except ValueError as exc:
            report.bad_lines.append(BadLine(file, number, str(exc)))
            continue
        if taken_at in seen:
            first_line, first_count = seen[taken_at]
            if first_count != count:
                report.bad_lines.append(
                    BadLine(file, number, f"same time as line {first_line} with another count")
                )
            else:
                report.duplicates += 1
            continue
        seen[taken_at] = (number, count)
        rows.append((taken_at, count))
    return rows


def import_target(handle: str, platform: str, public: bool) -> Account:
    """The account a file of `handle`'s history goes to. With no platform named (an
    upload, or the CLI's default), the one account already tracked under that handle,
    whatever its platform: the file adds history to what is collected. Otherwise, or
    when none or several are, the account of that platform, made if new."""
    if platform == IMPORTED:
        tracked = db.session.scalars(select(Account).where(Account.handle == handle)).all()
        if len(tracked) == 1:
            return tracked[0]
    return account_for(handle, platform, public)


def import_text(
    name: str,
    text: str,
    report: ImportReport,
    platform=IMPORTED,
    public: bool | None = None,
    on_batch: Callable[[float], None] | None = None,
) -> None:
    """Import one file's text into the account its name gives.

    A new account is private unless `public` is True; True or False also makes an
    account that exists public or private (None leaves it as it is).
    Rows go in batches of BATCH_ROWS; after each, `on_batch(fraction of the file done)`
    may commit and report progress (commit is the caller's)."""
    report.files += 1
    handle = handle_from_name(name)
    if handle is None:
        report.bad_lines.append(
            BadLine(name, 0, "file name must be <handle>-followers.csv; rename it")
        )
        return
    rows = parse_text(text, name, report)
    if not rows:
        return  # nothing to keep: no account is made for a file of bad lines only
    account = import_target(handle, platform, bool(public))
    if public is not None and share(account, None, public=public):
        report.shared.append(f"{account.label} is now {'public' if public else 'private'}")
    known = existing_times(account.id)
    if account.label not in report.accounts:
        report.accounts.append(account.label)
        report.account_ids.append(account.id)
    for start in range(0, len(rows), BATCH_ROWS):
        batch = rows[start : start + BATCH_ROWS]
        added = add_samples(account, batch, known)
        report.added += added
        report.duplicates += len(batch) - added
        if on_batch:
            on_batch((start + len(batch)) / len(rows))


def csv_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
    return [path]


def decode(data: bytes, name: str, report: ImportReport) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.bad_lines.append(BadLine(name, 0, "not UTF-8 text; save it as UTF-8 CSV"))
        return None


def import_files(
    named_texts: Iterable[tuple[str, bytes]],
    platform=IMPORTED,
    public: bool | None = None,
    progress: Callable[[int, str], None] | None = None,
) -> ImportReport:
    """Import (name, bytes) pairs, committing after each batch of rows.

    `progress(bytes, name)` is called after each batch with the bytes it covered (so
    the bytes of one file add up to its size): a large file moves a progress bar."""
    report = ImportReport()
    for name, data in named_texts:
        import_one(name, data, report, platform, public, progress)
    return report


def import_one(name: str, data: bytes, report: ImportReport, platform, public, progress) -> None:
    reported = 0

    def batch_done(fraction: float) -> None:
        nonlocal reported
        db.session.commit()
        if progress:
            covered = round(len(data) * fraction)
            progress(covered - reported, name)
            reported = covered

    text = decode(data, name, report)
    if text is not None:
        import_text(name, text, report, platform, public, on_batch=batch_done)
        db.session.commit()
    if progress and reported < len(data):
        progress(len(data) - reported, name)
