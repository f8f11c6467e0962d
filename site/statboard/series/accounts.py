"""Adding, renaming and removing tracked accounts from a chart block.

A chart's accounts are part of its content: adding or removing one goes through the
door's change_content like any edit, so an editor left open on the chart goes stale
(409) instead of saving over the change. The caller commits (blocks.commit).
"""

import re

from sqlalchemy import delete, select

from statboard import notify
from statboard.auth.models import User
from statboard.extensions import db
from statboard.pages import blocks
from statboard.series.models import Account, AccountGrant, Sample


class AccountError(ValueError):
    """A change that cannot be made; the message says what to fix."""


def account_for(handle: str, platform: str, public: bool) -> Account:
    """The tracked account for a platform and handle, added (flushed) if new."""
    account = db.session.scalar(
        select(Account).where(Account.platform == platform, Account.handle == handle)
    )
    if account is None:
        account = Account(platform=platform, handle=handle, is_public=public)
        db.session.add(account)
        db.session.flush()
    return account


# A handle as platforms show it: user, @user, user@instance (Mastodon), a.b.c (Bluesky).
HANDLE_PATTERN = r"^@?[A-Za-z0-9_.:-]+(@[A-Za-z0-9.-]+)?$"
HANDLE_RE = re.compile(HANDLE_PATTERN)


def valid_handle(handle) -> bool:
    """Whether a handle (typed in, or reported by a platform) may be stored."""
    return isinstance(handle, str) and len(handle) <= 200 and bool(HANDLE_RE.match(handle))


def clean_handle(platform: str, handle: str) -> str:
    handle = handle.strip()
    return handle if platform == "mastodon" else handle.lstrip("@")


def _check_free(platform: str, handle: str, account_id: int | None = None) -> None:
    query = select(Account).where(Account.platform == platform, Account.handle == handle)
    existing = db.session.scalar(query)
    if existing is not None and existing.id != account_id:
        raise AccountError(f"{existing.label} is already tracked; pick it in the chart settings.")


def add_to_block(block, platform: str, handle: str, is_public: bool, actor) -> Account:
    """Track the account (if new) and show it on the chart, as a new version of it."""
    handle = clean_handle(platform, handle)
    if platform == "mastodon" and "@" not in handle.lstrip("@"):
        raise AccountError("A Mastodon handle needs its instance: user@mastodon.social.")
    account = account_for(handle, platform, is_public)
    data = dict(block.data or {})
    if account.id in data.get("accounts", []):
        raise AccountError(f"{account.label} is on this chart already.")
    data["accounts"] = [*data.get("accounts", []), account.id]
    blocks.change_content(block, data, block.version, actor, f"added {account.label} to")
    return account


def users_named(names) -> list[User]:
    """The users with these names; AccountError naming any that do not exist."""
    names = sorted({n.strip() for n in names if n.strip()})
    users = db.session.scalars(select(User).where(User.username.in_(names))).all() if names else []
    unknown = sorted(set(names) - {u.username for u in users})
    if unknown:
        raise AccountError(f"No user called {', '.join(unknown)}; check the usernames.")
    return list(users)


def update(account: Account, handle: str, is_public: bool, readers: str, actor) -> None:
    handle = clean_handle(account.platform, handle)
    _check_free(account.platform, handle, account.id)
    users = users_named((readers or "").split(","))
    old = account.label
    account.handle, account.is_public = handle, is_public
    wanted = {u.id for u in users}
    for grant in list(account.grants):
        if grant.user_id not in wanted:
            account.grants.remove(grant)
    have = {g.user_id for g in account.grants}
    account.grants += [AccountGrant(user_id=uid) for uid in sorted(wanted - have)]
    subject = f"account {old}" + (f" (now {account.label})" if old != account.label else "")
    notify.announce(actor, "changed", subject)


def find_account(platform: str, handle: str) -> Account | None:
    handle = clean_handle(platform, handle)
    return db.session.scalar(
        select(Account).where(Account.platform == platform, Account.handle == handle)
    )


def share(account: Account, actor, public: bool | None = None, add=(), remove=()) -> list[str]:
    """Change who may read an account: everyone (public) or not, and which users beside
    the admins (grants, by username). Returns what changed, announced once."""
    adding, removing = users_named(add), users_named(remove)
    changes = []
    if public is not None and account.is_public != public:
        account.is_public = public
        changes.append("made it public" if public else "made it private")
    grants = {grant.user_id: grant for grant in account.grants}
    for user in adding:
        if user.id not in grants:
            account.grants.append(AccountGrant(user_id=user.id))
            changes.append(f"shared it with {user.username}")
    for user in removing:
        if user.id in grants:
            account.grants.remove(grants[user.id])
            changes.append(f"stopped sharing it with {user.username}")
    if changes:
        notify.announce(actor, "changed", f"account {account.label}: {', '.join(changes)}")
    return changes


def readers_text(account: Account) -> str:
    return ", ".join(sorted(g.user.username for g in account.grants))


def remove(account: Account, actor) -> None:
    """Stop tracking an account: its samples go, and every chart forgets it (each one
    a new version; the one announcement is this)."""
    for block in blocks.of_kind("chart"):
        ids = (block.data or {}).get("accounts", [])
        if account.id in ids:
            data = {**block.data, "accounts": [i for i in ids if i != account.id]}
            blocks.change_content(block, data, block.version, actor, announce=False)
    notify.announce(actor, "stopped tracking", f"{account.label} and deleted its samples")
    # Explicit deletes: SQLite does not enforce ON DELETE CASCADE by default.
    db.session.execute(delete(Sample).where(Sample.account_id == account.id))
    db.session.execute(delete(AccountGrant).where(AccountGrant.account_id == account.id))
    db.session.expire(account, ["samples", "grants"])
    db.session.delete(account)
