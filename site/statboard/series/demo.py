"""Demo data: a public account with a year of made-up daily samples."""

import math
import random
from datetime import timedelta

from sqlalchemy import select

from statboard.extensions import db
from statboard.series.models import Account
from statboard.series.samples import add_samples, now_utc


def demo_block_data() -> dict:
    account = db.session.scalar(
        select(Account).where(
            Account.platform == "mastodon", Account.handle == "demo@example.social"
        )
    )
    if account is None:
        account = Account(
            platform="mastodon",
            handle="demo@example.social",
            display_name="Demo account",
            is_public=True,
        )
        db.session.add(account)
        db.session.flush()
        add_samples(account, demo_samples())
    return {"title": "Followers (demo)", "accounts": [account.id], "range": "1y"}


OUTAGE = (60, 64)  # the days before today (from, to) when the demo collector was down


def demo_samples(days: int = 365, seed: int = 7) -> list:
    """Slow growth with weekly waves, a viral jump, a few days missing here and there
    (joined over on the chart) and a four-day outage (drawn as a gap)."""
    rng = random.Random(seed)
    start = now_utc().replace(hour=3, minute=50, second=0) - timedelta(days=days)
    count, rows = 1200.0, []
    for day in range(days):
        count += 2.5 + 3 * math.sin(day / 7 * 2 * math.pi) + rng.uniform(-2, 2)
        if day == days // 2:
            count += 400  # a post that went viral
        if rng.random() < 0.03 or OUTAGE[0] <= days - day < OUTAGE[1]:
            continue  # the job did not run that day
        rows.append((start + timedelta(days=day, seconds=rng.randint(0, 5)), round(count)))
    return rows
