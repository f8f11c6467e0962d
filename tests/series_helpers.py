"""Builders for the series tests: accounts, samples, a page with a chart block, tokens."""

from datetime import datetime, timedelta

from statboard.auth.models import ApiToken, User
from statboard.extensions import db
from statboard.pages.models import Block, Page
from statboard.series.models import Account, AccountGrant
from statboard.series.samples import add_samples


def gen_account(app, platform="x", handle="KevKeeganQuotes", public=False, samples=(), **fields):
    with app.app_context():
        account = Account(platform=platform, handle=handle, is_public=public, **fields)
        db.session.add(account)
        db.session.flush()
        add_samples(account, list(samples))
        db.session.commit()
        return account.id


def daily(days, start=datetime(2020, 1, 1, 3, 50), first=100, step=1):
    return [(start + timedelta(days=d), first + d * step) for d in range(days)]


def gen_chart(app, account_ids, public=True, range_key="30d"):
    with app.app_context():
        page = Page(slug=f"p{len(account_ids)}-{range_key}", title="Charts", is_public=public)
        block = Block(
            kind="chart",
            data={"title": "Followers", "accounts": list(account_ids), "range": range_key},
        )
        page.blocks.append(block)
        db.session.add(page)
        db.session.commit()
        return block.id


def gen_token(app, username, scopes="series", revoked=False) -> str:
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == username))
        token, plain = ApiToken.issue(user, "test", scopes)
        if revoked:
            token.revoked_at = datetime(2024, 1, 1)
        db.session.add(token)
        db.session.commit()
        return plain


def grant(app, account_id, username):
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == username))
        db.session.add(AccountGrant(account_id=account_id, user_id=user.id))
        db.session.commit()


def login_htmx(auth, admin=True) -> dict:
    """Log in and return the headers an htmx request carries (CSRF token taken first,
    since the login page redirects once logged in)."""
    headers = {**auth.csrf(), "HX-Request": "true"}
    auth.login_admin() if admin else auth.login_user()
    return headers
