from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from statboard.extensions import db
from statboard.series.charts import DEFAULT_RANGE, RANGES
from statboard.series.collectors import COLLECTORS
from statboard.series.models import Account

HANDLE = Regexp(
    r"^@?[A-Za-z0-9_.:-]+(@[A-Za-z0-9.-]+)?$",
    message="Use the handle as the platform shows it, e.g. user@mastodon.social or octocat.",
)


class ChartBlockForm(FlaskForm):
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
        self.accounts.choices = [(a.id, a.label) for a in accounts]

    def to_data(self, old: dict) -> dict:
        return {
            **(old or {}),
            "title": (self.title.data or "").strip(),
            "accounts": list(self.accounts.data or []),
            "range": self.range.data,
        }


class AccountForm(FlaskForm):
    platform = SelectField(
        "Platform", choices=[SelectChoice(c.platform, c.label) for c in COLLECTORS.values()]
    )
    handle = StringField("Handle", validators=[DataRequired(), Length(max=200), HANDLE])
    is_public = BooleanField("Visitors may see it", default=True)


class AccountEditForm(FlaskForm):
    handle = StringField("Handle", validators=[DataRequired(), Length(max=200), HANDLE])
    is_public = BooleanField("Visitors may see it")
    readers = StringField(
        "Users who may read it (usernames, comma-separated)", validators=[Length(max=1000)]
    )
