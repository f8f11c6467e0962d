"""What a chart block shows: each visible account's points over a range, downsampled
to at most SERIES_MAX_POINTS with gaps kept, plus the latest value and the change.

The downsampled series are cached per account, range and samples_version (bumped by
every write), so a page of charts costs about the same whatever the series length.
"""

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from flask import current_app
from flask_login import current_user
from sqlalchemy import select

from statboard.extensions import db
from statboard.pages import blocks
from statboard.series.downsample import lttb
from statboard.series.models import Account, Sample
from statboard.series.samples import now_utc, readable_ids

RANGES = {"7d": ("7 days", 7), "30d": ("30 days", 30), "1y": ("1 year", 365), "all": ("All", None)}
# "No samples in <the range>; …" when a range holds none.
RANGE_PHRASES = {"7d": "the last 7 days", "30d": "the last 30 days", "1y": "the last year"}
DEFAULT_RANGE = "30d"
TABLE_ROWS = 31  # rows of the no-JavaScript table per account


# <, > and & as JSON escapes: no text in the JSON can close or comment out its <script>.
SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def script_json(value) -> str:
    """JSON to embed in a page's <script type="application/json">, whatever it holds."""
    return json.dumps(value, separators=(",", ":")).translate(SCRIPT_SAFE)


@dataclass
class SeriesView:
    json: str  # {"label", "x": [epoch s], "y": [count or null at gaps]}
    table: list[tuple[str, int]]
    latest: int | None
    latest_at: datetime | None
    change: int | None
    per_day: float | None
    points: int
    before: tuple[datetime, int] | None = None  # the last sample before the range, if none is in it


class SeriesCache:
    """A small thread-safe LRU of computed series, one per app."""

    def __init__(self, size: int):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None

    def put(self, key, value) -> None:
        if self.size <= 0:
            return
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


def range_start(range_key: str, now: datetime) -> datetime | None:
    days = RANGES[range_key][1]
    return None if days is None else now - timedelta(days=days)


GAP_STEPS = 2.5  # a step longer than this many usual steps is a gap in the line


def gap_flags(xs: list[float]) -> list[bool]:
    """gap[i]: no sample for much longer than usual before point i. One missing sample
    (a step of twice the usual one, a missing day in a daily series) is joined over, so
    that a series with a few missing days is one line, not a dotted one; two or more
    missing in a row stay a gap."""
    if len(xs) < 3:
        return [False] * len(xs)
    steps = [b - a for a, b in zip(xs, xs[1:], strict=False)]
    limit = GAP_STEPS * median(steps)
    return [False] + [step > limit for step in steps]


def with_gaps(xs, ys, kept: list[int], gaps: list[bool]) -> tuple[list, list]:
    """The kept points, with a null between two of them wherever the data has a gap."""
    seen_gap = [0] * (len(xs) + 1)
    for i, gap in enumerate(gaps):
        seen_gap[i + 1] = seen_gap[i] + gap
    out_x, out_y = [], []
    for n, i in enumerate(kept):
        if n and seen_gap[i + 1] - seen_gap[kept[n - 1] + 1] > 0:
            out_x.append(int((xs[kept[n - 1]] + xs[i]) / 2))
            out_y.append(None)
        out_x.append(int(xs[i]))
        out_y.append(ys[i])
    return out_x, out_y


def compute_series(account: Account, start: datetime | None, max_points: int) -> SeriesView:
    query = select(Sample.taken_at, Sample.count).where(Sample.account_id == account.id)
    if start is not None:
        query = query.where(Sample.taken_at >= start)
    rows = db.session.execute(query.order_by(Sample.taken_at)).all()
    epoch = datetime(1970, 1, 1)
    xs = [(at - epoch).total_seconds() for at, _ in rows]
    ys = [count for _, count in rows]
    kept = lttb(xs, ys, max_points)
    out_x, out_y = with_gaps(xs, ys, kept, gap_flags(xs))
    step = max(1, len(rows) // TABLE_ROWS)
    picks = list(range(len(rows) - 1, -1, -step))[:TABLE_ROWS][::-1]
    table = [(rows[i][0].strftime("%Y-%m-%d %H:%M"), rows[i][1]) for i in picks]
    latest = ys[-1] if ys else None
    change = ys[-1] - ys[0] if len(ys) > 1 else None
    days = (xs[-1] - xs[0]) / 86400 if len(xs) > 1 else 0
    before = None
    if not rows and start is not None:
        before = db.session.execute(
            select(Sample.taken_at, Sample.count)
            .where(Sample.account_id == account.id, Sample.taken_at < start)
            .order_by(Sample.taken_at.desc())
            .limit(1)
        ).first()
    return SeriesView(
        json=script_json({"label": account.label, "x": out_x, "y": out_y}),
        table=table,
        latest=latest,
        latest_at=rows[-1][0] if rows else None,
        change=change,
        per_day=change / days if change is not None and days >= 1 else None,
        points=len(out_x),
        before=tuple(before) if before else None,
    )


def no_samples_sentence(view: SeriesView, range_key: str) -> str:
    """What a chart says of a series with no sample in the range: when the last one was."""
    if range_key not in RANGE_PHRASES or view.before is None:
        return "No samples yet."
    at, count = view.before
    return (
        f"No samples in {RANGE_PHRASES[range_key]}; "
        f"the last was on {at.day} {at:%B %Y} ({count:,})."
    )


def series_view(account: Account, range_key: str) -> SeriesView:
    app = current_app._get_current_object()
    cache = app.extensions.setdefault(
        "series.cache", SeriesCache(int(app.config["SERIES_CHART_CACHE"]))
    )
    now = now_utc().replace(second=0)
    start = range_start(range_key, now)
    # One view per account and range, replaced when its samples, its label or the
    # minute its range starts at change: keyed by all of them, each minute of a shown
    # chart left a view behind until the cache was full (SERIES_CHART_CACHE of them).
    key, made_of = (account.id, range_key), (account.samples_version, account.label, start)
    kept = cache.get(key)
    if kept is not None and kept[0] == made_of:
        return kept[1]
    view = compute_series(account, start, int(app.config["SERIES_MAX_POINTS"]))
    cache.put(key, (made_of, view))
    return view


def _wanted(block) -> list[int]:
    return [int(i) for i in (block.data or {}).get("accounts", []) if str(i).isdigit()]


def visible_ids(block, viewer) -> list[int]:
    """The ids of the block's accounts `viewer` may see, in the block's order (for the
    viewer of this request, read with those of the page's other charts, once)."""
    if viewer is current_user:
        return blocks.for_page(block, _visible_by_block, default=[])
    wanted = _wanted(block)
    visible = readable_ids(viewer, wanted)
    return [i for i in wanted if i in visible]


def _visible_by_block(shown) -> dict[int, list[int]]:
    wanted = {block.id: _wanted(block) for block in shown if block.kind == "chart"}
    visible = readable_ids(current_user, {i for ids in wanted.values() for i in ids})
    return {block_id: [i for i in ids if i in visible] for block_id, ids in wanted.items()}


def _accounts_by_block(shown) -> dict[int, dict[int, Account]]:
    wanted = {block.id: _wanted(block) for block in shown if block.kind == "chart"}
    ids = {i for ids in wanted.values() for i in ids}
    found = {a.id: a for a in db.session.scalars(select(Account).where(Account.id.in_(ids)))}
    return {block_id: {i: found[i] for i in ids if i in found} for block_id, ids in wanted.items()}


def chart_accounts(block, viewer) -> list[Account]:
    """The block's accounts `viewer` may see, in the block's order (the accounts of all
    the page's charts are read at once)."""
    accounts = blocks.for_page(block, _accounts_by_block, default={})
    return [accounts[i] for i in visible_ids(block, viewer) if i in accounts]


def chart_context(block, range_key: str | None = None) -> dict:
    """Template context of a chart block for whoever is looking (the kind's `context`)."""
    data = block.data or {}
    if range_key not in RANGES:
        range_key = data.get("range") if data.get("range") in RANGES else DEFAULT_RANGE
    shown = chart_accounts(block, current_user)
    series = [(account, series_view(account, range_key)) for account in shown]
    drawn = [view for _, view in series if view.points]
    return {
        "range_key": range_key,
        "ranges": RANGES,
        "series": series,
        "empty": {
            account.id: no_samples_sentence(view, range_key)
            for account, view in series
            if not view.points
        },
        # Only series with points in the range are drawn: none, and there is no plot.
        "chart_json": "[" + ",".join(view.json for view in drawn) + "]" if drawn else "",
    }
