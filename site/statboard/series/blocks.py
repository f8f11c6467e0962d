"""The chart block: followers of chosen accounts over a range, with its admin panel."""

from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import Length, Optional

from statboard import notify
from statboard.extensions import db
from statboard.forms import Form
from statboard.pages import blocks
from statboard.series.charts import DEFAULT_RANGE, RANGES, chart_context, visible_ids
from statboard.series.demo import demo_block_data
from statboard.series.models import Account

UPLOT = "vendor/uplot-1.6.32"


class ChartBlockForm(Form):
    """The chart block's own settings, saved by the generic block edit routes."""

    title = StringField("Title", validators=[Optional(), Length(max=120)])
    accounts = SelectMultipleField("Accounts", coerce=int, validate_choice=True)
    range = SelectField(
        "Range shown first",
        choices=[SelectChoice(key, label) for key, (label, *_) in RANGES.items()],
        default=DEFAULT_RANGE,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        accounts = db.session.scalars(select(Account).order_by(Account.platform, Account.handle))
        self.accounts.choices = [SelectChoice(a.id, a.label) for a in accounts]

    def to_data(self, old: dict) -> dict:
        return {
            **(old or {}),
            "title": (self.title.data or "").strip(),
            "accounts": list(self.accounts.data or []),
            "range": self.range.data,
        }


def describe(data: dict) -> list[dict]:
    """The chart's title, accounts and range as a change mail shows them."""
    ids = [i for i in data.get("accounts", []) if isinstance(i, int)]
    found = db.session.scalars(select(Account).where(Account.id.in_(ids))) if ids else []
    labels = {account.id: account.label for account in found}
    shown = RANGES.get(data.get("range", DEFAULT_RANGE), (data.get("range", ""),))[0]
    return [
        notify.field("Title", data.get("title", "")),
        notify.items("Accounts", [{"key": i, "label": labels.get(i, f"account {i}")} for i in ids]),
        notify.field("Range shown first", shown),
    ]


def chart_channels(block) -> list[str]:
    """The live channels of the accounts this viewer sees on the chart (view code, like
    chart_context: a private account's samples reach only those who may read it)."""
    return [f"account:{i}" for i in visible_ids(block, current_user)]


def register_kind() -> None:
    blocks.register(
        blocks.BlockKind(
            name="chart",
            label="Follower chart",
            template="blocks/chart/_view.html",
            edit_template="blocks/chart/_edit.html",
            panel_template="blocks/chart/_panel.html",
            form=ChartBlockForm,
            defaults=lambda: {"title": "Followers", "accounts": [], "range": "30d"},
            demo=demo_block_data,
            context=chart_context,
            channels=chart_channels,
            describe=describe,
            span=2,
            styles=(UPLOT + "/uPlot.min.css", "css/charts.css", "css/tasks.css"),
            scripts=(UPLOT + "/uPlot.iife.min.js", "js/charts.js"),
        )
    )
